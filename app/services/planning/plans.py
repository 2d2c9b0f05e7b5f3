"""Reading an event's plans: all of a kind, the published ones, a plan's seats by person, the
plan one was made from, and the seats that differ between two plans.

May import: models only.
"""

from __future__ import annotations

from collections import defaultdict

from sqlalchemy import select

from app.extensions import db
from app.models import (
    Assignment,
    Event,
    Plan,
    PlanKind,
    PlanStatus,
)


def plans(event: Event, kind: PlanKind) -> list[Plan]:
    return list(
        db.session.scalars(
            select(Plan)
            .where(Plan.event_id == event.id, Plan.kind == kind)
            .order_by(Plan.id.desc())
        )
    )


def published_plan(event: Event, kind: PlanKind) -> Plan | None:
    """The plan attendees see (publishing archives the one before, so there is one at most)."""
    return db.session.scalar(
        select(Plan)
        .where(Plan.event_id == event.id, Plan.kind == kind, Plan.status == PlanStatus.PUBLISHED)
        .order_by(Plan.published_at.desc(), Plan.id.desc())
        .limit(1)
    )


def published_plans(event: Event) -> list[Plan]:
    """published_plan() of every kind, in one query."""
    rows = db.session.scalars(
        select(Plan)
        .where(Plan.event_id == event.id, Plan.status == PlanStatus.PUBLISHED)
        .order_by(Plan.published_at.desc(), Plan.id.desc())
    )
    latest: dict[PlanKind, Plan] = {}
    for plan in rows:
        latest.setdefault(plan.kind, plan)
    return [latest[kind] for kind in PlanKind if kind in latest]


def seats_by_person(plan: Plan) -> dict[int, dict[int, Assignment]]:
    """registration id -> session id -> assignment."""
    seats: dict[int, dict[int, Assignment]] = defaultdict(dict)
    for a in plan.assignments:
        seats[a.registration_id][a.session_id] = a
    return seats


def earlier_plan(plan: Plan) -> Plan | None:
    """The plan `plan` was re-solved from, else the latest plan of its kind made before it."""
    base_id = (plan.metrics or {}).get("base_plan_id")
    base = db.session.get(Plan, base_id) if base_id else None
    if base is not None and base.event_id == plan.event_id:
        return base
    return db.session.scalar(
        select(Plan)
        .where(Plan.event_id == plan.event_id, Plan.kind == plan.kind, Plan.id < plan.id)
        .order_by(Plan.id.desc())
        .limit(1)
    )


def changed_seats(plan: Plan, other: Plan) -> set[tuple[int, int]]:
    """(registration id, session id) seats held in both plans at different tables or breakouts;
    people in one plan only (new, or no longer coming) are not counted."""
    before = {
        (a.registration_id, a.session_id): a.table_id or a.breakout_id for a in other.assignments
    }
    return {
        (a.registration_id, a.session_id)
        for a in plan.assignments
        if (a.registration_id, a.session_id) in before
        and before[a.registration_id, a.session_id] != (a.table_id or a.breakout_id)
    }
