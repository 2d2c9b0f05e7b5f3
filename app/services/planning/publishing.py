"""Publishing a plan: one published plan per kind; attendees whose seats changed are told.

Publishing archives the plan it replaces and, in the same transaction, queues one message to
each confirmed attendee whose seats differ from the replaced plan (everyone, the first time),
and raises their calendar revision. It writes to registrations, so it runs under the event's
lock (registration/capacity.py); mail goes out only if that transaction commits.

May import: models, planning.plans, registration.capacity, calendars.revisions, messaging.outbox.
"""

from __future__ import annotations

from app.extensions import db
from app.models import MailKind, Plan, PlanStatus, Registration, RegistrationStatus
from app.models.types import utcnow
from app.services.calendars import revisions
from app.services.messaging import outbox
from app.services.planning.plans import published_plan, seats_by_person
from app.services.registration import capacity


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
    plan_id = plan.id
    with capacity.locked_event(plan.event_id) as event:
        plan = db.session.get(Plan, plan_id)
        previous = published_plan(event, plan.kind)
        if previous is not None and previous.id != plan.id:
            previous.status = PlanStatus.ARCHIVED
        plan.status, plan.published_at = PlanStatus.PUBLISHED, utcnow()
        # Each plan's seats are grouped once, not once per attendee.
        now, before = _places(plan), _places(previous)
        changed = [
            r
            for r in event.registrations
            if r.status == RegistrationStatus.CONFIRMED
            and r.email
            and now.get(r.id, {}) != before.get(r.id, {})
        ]
        for registration in changed:
            revisions.seats_changed(registration)  # calendars replace the entry they hold
            outbox.queue(MailKind.SEATS_CHANGED, registration)
    return changed
