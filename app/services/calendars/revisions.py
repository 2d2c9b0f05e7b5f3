"""Calendar revisions: the counters that make calendars replace what they hold, kept in one place.

An iCalendar entry is replaced by one with the same UID and a higher SEQUENCE. Convene's SEQUENCE
is a sum of stored counters that only grow: the event's (`Event.sequence`, with `changed_at` for
Last-Modified), the session's and the person's (`Registration.calendar_sequence`). They are raised
here, at every flush of every session, from what the flush changes, so no service has to remember:

- the event's details a calendar shows (title, description, venue, times, zone, address name,
  convenors), a session added or deleted, a table renumbered or deleted: the event's counter, so
  every entry of every calendar of the event;
- a session's own details, or the breakouts of a slot (added, edited, deleted): that session's
  counter too;
- a registration's status: the person's counter (a cancellation replaces the entry it cancels).

A person's seats changing is a fact only publishing knows (which plan replaced which), so
planning/publishing.py calls `seats_changed`. Nothing is counted for a draft event or for an event
not yet stored: nobody can hold its calendar, so it starts at SEQUENCE 0 when published.

May import: models only.
"""

from __future__ import annotations

from flask import Flask
from flask_sqlalchemy.session import Session as FlaskSQLAlchemySession
from sqlalchemy import event as orm_event
from sqlalchemy import inspect

from app.models import Breakout, Event, EventStatus, Registration, Session, Table
from app.models.types import utcnow

# Fields whose change alters what a calendar shows.
EVENT_FIELDS = ("title", "description", "venue", "timezone", "starts_at", "ends_at", "slug")
SESSION_FIELDS = ("kind", "title", "description", "location", "starts_at", "ends_at")
BREAKOUT_FIELDS = ("title", "description", "room")


def init_app(_app: Flask) -> None:
    """Count revisions at every flush (once per process, whatever the number of apps)."""
    if not orm_event.contains(FlaskSQLAlchemySession, "before_flush", _record_revisions):
        orm_event.listen(FlaskSQLAlchemySession, "before_flush", _record_revisions)


def seats_changed(registration: Registration) -> None:
    """The person's table or breakout changed (a plan was published): call before committing.
    Their entries get a higher SEQUENCE, so calendars and emailed invites replace the old ones."""
    registration.calendar_sequence = (registration.calendar_sequence or 0) + 1


def _record_revisions(session, _flush_context, _instances) -> None:
    changed_events: set[Event] = set()
    changed_slots: set[Session] = set()
    for obj in session.new:
        if isinstance(obj, Session):
            changed_events.add(obj.event)
        elif isinstance(obj, Breakout):
            changed_slots.add(obj.session)
    for obj in session.deleted:
        if isinstance(obj, Session | Table):
            changed_events.add(obj.event)
        elif isinstance(obj, Breakout):
            changed_slots.add(obj.session)
    for obj in session.dirty:
        if isinstance(obj, Event) and _changed(obj, (*EVENT_FIELDS, "convenors")):
            changed_events.add(obj)
        elif isinstance(obj, Session) and _changed(obj, SESSION_FIELDS):
            changed_slots.add(obj)
        elif isinstance(obj, Breakout) and _changed(obj, BREAKOUT_FIELDS):
            changed_slots.add(obj.session)
        elif isinstance(obj, Table) and _changed(obj, ("number",)):
            changed_events.add(obj.event)
        elif isinstance(obj, Registration) and _changed(obj, ("status",)):
            obj.calendar_sequence = (obj.calendar_sequence or 0) + 1
    settled = set(session.new) | set(session.deleted)
    for slot in changed_slots - settled:
        if _visible(slot.event, settled):
            slot.sequence = (slot.sequence or 0) + 1
            changed_events.add(slot.event)
    for event in changed_events:
        if _visible(event, settled):
            event.sequence = (event.sequence or 0) + 1
            event.changed_at = utcnow()


def _visible(event: Event | None, settled: set) -> bool:
    """Whether anyone can hold this event's calendar: stored, not being deleted, not a draft."""
    return event is not None and event not in settled and event.status != EventStatus.DRAFT


def _changed(obj: object, fields: tuple[str, ...]) -> bool:
    attrs = inspect(obj).attrs
    return any(attrs[name].history.has_changes() for name in fields)
