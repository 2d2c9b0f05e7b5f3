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


def places_of_people(
    event: Event, registration_ids: list[int], sessions: list[Session] | None = None
) -> dict[int, dict[int, Place]]:
    """places() for many people of one event at once (registration id -> session id -> place),
    in `sessions` only if given, in one query whatever their number: the registration desk lists
    hundreds at a time. Only confirmed registrations should be asked about; the rules are those
    of places()."""
    plans = published_plans(event)
    found: dict[int, dict[int, Place]] = {r: {} for r in registration_ids}
    if not plans or not registration_ids:
        return found
    wanted = {s.id: s for s in (event.sessions if sessions is None else sessions)}
    tables = {t.id: t for t in event.tables}
    breakouts = {b.id: b for s in wanted.values() for b in s.breakouts}
    rows = db.session.execute(
        select(
            Assignment.registration_id,
            Assignment.session_id,
            Assignment.table_id,
            Assignment.breakout_id,
        ).where(
            Assignment.plan_id.in_([p.id for p in plans]),
            Assignment.registration_id.in_(registration_ids),
            Assignment.session_id.in_(wanted),
        )
    )
    for registration_id, session_id, table_id, breakout_id in rows:
        found[registration_id][session_id] = Place(
            wanted[session_id], tables.get(table_id), breakouts.get(breakout_id)
        )
    if any(p.kind == PlanKind.TABLES for p in plans):
        rounds = [s for s in wanted.values() if s.kind == SessionKind.TABLE_ROUND]
        for table in event.tables:
            if table.facilitator_id in found:
                for session in rounds:
                    found[table.facilitator_id][session.id] = Place(session, table=table)
    return found
