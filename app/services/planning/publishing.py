"""Publishing plans: one published plan per kind; attendees whose places change are told, once.

`publish(*plans)` publishes one plan, or a plan of each kind together (the publish page offers
the other kind's newest draft alongside, so a first publishing of tables and breakouts is one
message, not two). It archives the plans they replace and, in the same transaction, queues one
message to each confirmed attendee whose places differ from before (everyone, the first time),
whichever plans changed. The message is built when it is sent (messaging/messages.py) and lists
their places as published then; for what changed it needs what they had before, so that is
stored with it (`was`: session id -> table or breakout id). Should a message to them from an
earlier publishing still be unsent (the mail worker has not reached it yet), no second one is
queued: that one takes this change too, keeping the places it said they had before, which are
what they were last told. Their calendar revision is raised, so the invitation attached replaces
their entry. It writes to registrations, so it runs under the event's lock
(registration/capacity.py); mail goes out only if that transaction commits.

`preview(*plans)` says what publishing them would do, for the page that asks first: who would
be told, who of them moved, and the message one of them would get.

May import: models, planning.plans, planning.places, registration.capacity, calendars.revisions,
messaging.outbox, messaging.messages.
"""

from __future__ import annotations

from dataclasses import dataclass
from email.message import EmailMessage

from app.extensions import db
from app.models import Event, MailKind, Plan, PlanStatus, Registration
from app.models.types import utcnow
from app.services.calendars import revisions
from app.services.messaging import messages, outbox
from app.services.planning.places import Place, places_under
from app.services.planning.plans import published_plans
from app.services.registration import capacity


class PublishError(ValueError):
    """Plans that cannot be published together; the message is shown to the organiser."""


@dataclass
class Changes:
    """What publishing some plans changes: who is told (their places differ, or they had none),
    which of them moved from places they had, and what each had before (`was`)."""

    told: list[Registration]
    moved: list[Registration]
    was: dict[int, dict[str, int]]
    now: dict[int, dict[int, Place]]


@dataclass
class Preview:
    """What the publish page shows before anything is sent."""

    told: list[Registration]
    moved: list[Registration]
    sample: Registration | None
    message: EmailMessage | None


def _ids(places: dict[int, Place]) -> dict[int, int]:
    """session id -> the table or breakout id of each place."""
    return {
        session_id: place.table.id if place.table is not None else place.breakout.id
        for session_id, place in places.items()
    }


def _check(plans: tuple[Plan, ...]) -> None:
    if not plans:
        raise PublishError("Choose a plan to publish.")
    if len({p.kind for p in plans}) != len(plans) or len({p.event_id for p in plans}) != 1:
        raise PublishError("Publish one plan of each kind, of one event, at a time.")


def changes(event: Event, plans: tuple[Plan, ...]) -> Changes:
    """Who publishing `plans` would tell, comparing everyone's places before and after."""
    current = published_plans(event)
    kinds = {p.kind for p in plans}
    before = places_under(event, current)
    after = places_under(event, [p for p in current if p.kind not in kinds] + list(plans))
    told, moved, was = [], [], {}
    for registration in event.registrations:
        if registration.id not in after or not registration.email:
            continue
        old, new = _ids(before.get(registration.id, {})), _ids(after[registration.id])
        if old == new:
            continue
        told.append(registration)
        was[registration.id] = {str(session): group for session, group in old.items()}
        if any(new.get(session) != group for session, group in old.items()):
            moved.append(registration)
    return Changes(told, moved, was, after)


def preview(*plans: Plan) -> Preview:
    """What publishing `plans` would do, and the message someone who moved (or else the first
    person told) would get, as it will be sent."""
    _check(plans)
    found = changes(plans[0].event, plans)
    sample = (found.moved or found.told or [None])[0]
    message = None
    if sample is not None:
        message = messages.seats_message(sample, found.now[sample.id], found.was[sample.id])
    return Preview(found.told, found.moved, sample, message)


def publish(*plans: Plan) -> list[Registration]:
    """Publish `plans` (one of each kind at most) together; returns the attendees told."""
    _check(plans)
    ids = [p.id for p in plans]
    with capacity.locked_event(plans[0].event_id) as event:
        plans = tuple(db.session.get(Plan, plan_id) for plan_id in ids)
        found = changes(event, plans)
        kinds = {p.kind for p in plans}
        for previous in published_plans(event):
            if previous.kind in kinds and previous not in plans:
                previous.status = PlanStatus.ARCHIVED
        for plan in plans:
            plan.status, plan.published_at = PlanStatus.PUBLISHED, utcnow()
        waiting = outbox.unsent(MailKind.SEATS_CHANGED, [r.id for r in found.told])
        for registration in found.told:
            revisions.seats_changed(registration)  # calendars replace the entry they hold
            was = found.was[registration.id]
            if (row := waiting.get(registration.id)) is not None:
                # The unsent message keeps what it said they had: what they were last told.
                row.options = {**row.options, "was": {**was, **row.options.get("was", {})}}
            else:
                outbox.queue(MailKind.SEATS_CHANGED, registration, was=was)
    return found.told
