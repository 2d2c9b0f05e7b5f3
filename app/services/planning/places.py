"""Where a person is: their table or breakout in each session, the one answer to "where do I sit?".

The registrant's page, the JSON API, the calendars (feed and emailed invites) and the printed
itinerary all ask here, so paper, calendar and screen never disagree. The rules:

- only a confirmed registration has places, and only from published plans (drafts are never
  shown to attendees); should two plans of a kind be published, the newest wins;
- a table's facilitator hosts it in every table round once a tables plan is published, whatever
  the plan lists for them.

May import: models and planning.plans.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import joinedload

from app.extensions import db
from app.models import (
    Assignment,
    Breakout,
    Event,
    Plan,
    PlanKind,
    Registration,
    RegistrationStatus,
    Session,
    SessionKind,
    Table,
)
from app.services.planning.plans import published_plans


@dataclass(frozen=True)
class Place:
    """One session of a person's day, with their table or breakout in it (none where not known)."""

    session: Session
    table: Table | None = None
    breakout: Breakout | None = None


def places(registration: Registration) -> dict[int, Place]:
    """The person's places by session id: only the sessions where they have one."""
    if registration.status != RegistrationStatus.CONFIRMED:
        return {}
    plans = published_plans(registration.event)
    if not plans:
        return {}
    assignments = db.session.scalars(
        select(Assignment)
        .where(
            Assignment.plan_id.in_([p.id for p in plans]),
            Assignment.registration_id == registration.id,
        )
        .options(joinedload(Assignment.table), joinedload(Assignment.breakout))
    )
    return _with_host(registration, plans, {a.session_id: _place(a) for a in assignments})


def places_under(event: Event, plans: list[Plan]) -> dict[int, dict[int, Place]]:
    """Every confirmed person's places (registration id -> session id -> Place) as they would be
    were `plans` the published ones, by the rules above: what publishing compares."""
    found: dict[int, dict[int, Place]] = {}
    for plan in plans:
        for a in plan.assignments:
            found.setdefault(a.registration_id, {})[a.session_id] = _place(a)
    return {
        r.id: _with_host(r, plans, found.get(r.id, {}))
        for r in event.registrations
        if r.status == RegistrationStatus.CONFIRMED
    }


def _place(assignment: Assignment) -> Place:
    return Place(assignment.session, assignment.table, assignment.breakout)


def _with_host(
    registration: Registration, plans: list[Plan], found: dict[int, Place]
) -> dict[int, Place]:
    """`found`, with the table a facilitator hosts in every round once a tables plan is out."""
    event = registration.event
    hosted = next((t for t in event.tables if t.facilitator_id == registration.id), None)
    if hosted is not None and any(p.kind == PlanKind.TABLES for p in plans):
        for session in event.sessions_of(SessionKind.TABLE_ROUND):
            found[session.id] = Place(session, table=hosted)
    return found


def schedule(registration: Registration) -> list[Place]:
    """Every session of the programme in order, each with the person's place where they have
    one; nothing for anyone without a seat."""
    if registration.status != RegistrationStatus.CONFIRMED:
        return []
    placed = places(registration)
    return [placed.get(session.id, Place(session)) for session in registration.event.sessions]
