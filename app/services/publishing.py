"""Publishing a plan: one published plan per kind; attendees whose seats changed are told.

Publishing archives the plan it replaces and, in the same transaction, queues one message to
each confirmed attendee whose seats differ from the replaced plan (everyone, the first time).
Mail goes out only if that transaction commits (app/services/outbox.py)."""

from __future__ import annotations

from app.extensions import db
from app.models import Plan, PlanStatus, Registration, RegistrationStatus
from app.models.types import utcnow
from app.services import calendars, notifications, outbox
from app.services.planning import published_plan, seats_by_person


def _places(plan: Plan | None) -> dict[int, dict[int, tuple[int | None, int | None]]]:
    """registration id -> session id -> (table id, breakout id), for every person in `plan`."""
    if plan is None:
        return {}
    return {
        person: {session: (a.table_id, a.breakout_id) for session, a in seats.items()}
        for person, seats in seats_by_person(plan).items()
    }


def publish(plan: Plan) -> list[Registration]:
    """Publish `plan`; returns the attendees told that their seats changed."""
    previous = published_plan(plan.event, plan.kind)
    if previous is not None and previous.id != plan.id:
        previous.status = PlanStatus.ARCHIVED
    plan.status, plan.published_at = PlanStatus.PUBLISHED, utcnow()
    # Each plan's seats are grouped once, not once per attendee.
    now, before = _places(plan), _places(previous)
    changed = [
        r
        for r in plan.event.registrations
        if r.status == RegistrationStatus.CONFIRMED
        and r.email
        and now.get(r.id, {}) != before.get(r.id, {})
    ]
    for registration in changed:
        calendars.seats_changed(registration)  # calendars replace the entry they hold
        notifications.send("seats_changed", registration)
    db.session.commit()
    outbox.send_committed()
    return changed
