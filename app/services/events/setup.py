"""Setting up events: details, convenors, sessions, breakouts, tables, publishing.

Calendar revisions follow from these changes by themselves (calendars/revisions.py).

May import: models, organisations, registration.capacity (more seats serve the waiting list).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import NamedTuple

from sqlalchemy import select
from sqlalchemy.orm import joinedload
from sqlalchemy.sql.base import ExecutableOption

from app.extensions import db
from app.models import (
    Breakout,
    Event,
    EventStatus,
    Organisation,
    Session,
    SessionKind,
    Table,
    User,
    WaitlistPolicy,
)
from app.services.organisations.directory import find_or_create_organisation
from app.services.registration import capacity


class EventError(ValueError):
    """A change that would leave the event inconsistent; the message says what is wrong."""

    def __init__(self, message: str, field: str | None = None):
        super().__init__(message)
        self.field = field


@dataclass
class EventDetails:
    title: str
    slug: str
    description: str
    venue: str
    timezone: str
    starts_at: datetime
    ends_at: datetime
    capacity: int
    registration_opens_at: datetime | None
    registration_closes_at: datetime | None
    waitlist_policy: WaitlistPolicy
    offer_hours: int
    convenor_ids: list[int]
    new_convenor: tuple[str, str] | None = None  # (name, sector)
    contact_email: str = ""


def events_for(user: User) -> list[Event]:
    return list(
        db.session.scalars(
            select(Event).where(Event.organisers.contains(user)).order_by(Event.starts_at.desc())
        )
    )


def event_for_organiser(slug: str, user: User) -> Event | None:
    """The event, if this organiser is one of its organisers; None otherwise (no hint it exists)."""
    return db.session.scalar(
        select(Event).where(Event.slug == slug, Event.organisers.contains(user))
    )


# What a page shows of an event, joined into the query that loads the event rather than fetched
# by one query per event or session. (Both at once multiply rows by the convenors, who are few.)
WITH_CONVENORS = joinedload(Event.convenors)
WITH_PROGRAMME = joinedload(Event.sessions).joinedload(Session.breakouts)


def published_event(slug: str, *load: ExecutableOption) -> Event | None:
    """The published (or closed) event; `load` options (WITH_...) fetch what the page shows."""
    return (
        db.session.scalars(
            select(Event)
            .where(Event.slug == slug, Event.status != EventStatus.DRAFT)
            .options(*load)
        )
        .unique()
        .one_or_none()
    )


def upcoming_events(*load: ExecutableOption) -> list[Event]:
    """Published (or closed) events not yet ended in their own time, soonest first; `load`
    options (WITH_...) fetch what the caller shows."""
    # No timezone is more than a day behind UTC: events that ended before then are past
    # everywhere, and stay in the database. Whether the rest have ended is decided in their own
    # time below.
    past = datetime.now(UTC).replace(tzinfo=None) - timedelta(days=1)
    events = db.session.scalars(
        select(Event)
        .where(Event.status != EventStatus.DRAFT, Event.ends_at >= past)
        .order_by(Event.starts_at)
        .options(*load)
    ).unique()
    return [e for e in events if e.ends_at >= e.local_now()]


def create_event(details: EventDetails, organiser: User) -> Event:
    event = Event(status=EventStatus.DRAFT, organisers=[organiser])
    _apply(event, details)
    db.session.add(event)
    db.session.commit()
    return event


def places_over(event: Event, new_capacity: int) -> int:
    """How many held places (confirmed, or offered) a capacity of `new_capacity` would leave
    over it. Nobody is cancelled for it (update_event keeps them all), so the organiser is asked
    first."""
    return max(0, capacity.seats_taken(event) - new_capacity)


def copy_event(event: Event, title: str, slug: str, starts_at: datetime, organiser: User) -> Event:
    """A new draft event made from `event`: its details, programme (sessions and breakouts) and
    tables, with every time moved by the difference between the two starts; no registrations,
    plans or facilitators (they are people registered for the original)."""
    if db.session.scalar(select(Event.id).where(Event.slug == slug)) is not None:
        raise EventError(f"The address name {slug!r} is taken by another event.", field="slug")
    shift = starts_at - event.starts_at

    def moved(moment: datetime | None) -> datetime | None:
        return None if moment is None else moment + shift

    organisers = list(event.organisers)
    if organiser not in organisers:
        organisers.append(organiser)
    copy = Event(
        status=EventStatus.DRAFT,
        title=title,
        slug=slug,
        description=event.description,
        venue=event.venue,
        contact_email=event.contact_email,
        timezone=event.timezone,
        starts_at=starts_at,
        ends_at=moved(event.ends_at),
        capacity=event.capacity,
        registration_opens_at=moved(event.registration_opens_at),
        registration_closes_at=moved(event.registration_closes_at),
        waitlist_policy=event.waitlist_policy,
        offer_hours=event.offer_hours,
        convenors=list(event.convenors),
        organisers=organisers,
        sessions=[
            Session(
                kind=session.kind,
                title=session.title,
                description=session.description,
                location=session.location,
                starts_at=moved(session.starts_at),
                ends_at=moved(session.ends_at),
                breakouts=[
                    Breakout(
                        title=b.title,
                        description=b.description,
                        room=b.room,
                        capacity=b.capacity,
                        min_attendance=b.min_attendance,
                    )
                    for b in session.breakouts
                ],
            )
            for session in event.sessions
        ],
        tables=[
            Table(number=t.number, capacity=t.capacity, accessible=t.accessible)
            for t in event.tables
        ],
    )
    db.session.add(copy)
    db.session.commit()
    return copy


def update_event(event: Event, details: EventDetails) -> Event:
    _apply(event, details)
    outside = [s.title for s in event.sessions if not _within(s, event)]
    if outside:
        db.session.rollback()
        raise EventError(
            "Sessions would fall outside the event: " + ", ".join(outside), field="starts_at"
        )
    db.session.commit()
    # A larger capacity (or a changed waiting-list policy) frees seats for the waiting list now.
    with capacity.locked_event(event.id) as locked:
        capacity.touch(locked)
    return event


def _within(session: Session, event: Event) -> bool:
    return event.starts_at <= session.starts_at and session.ends_at <= event.ends_at


def _apply(event: Event, details: EventDetails) -> None:
    slug = details.slug
    clash = db.session.scalar(select(Event).where(Event.slug == slug, Event.id != event.id))
    if clash is not None:
        db.session.rollback()
        raise EventError(f"The address name {slug!r} is taken by another event.", field="slug")
    convenors = list(
        db.session.scalars(select(Organisation).where(Organisation.id.in_(details.convenor_ids)))
    )
    if details.new_convenor:
        organisation = find_or_create_organisation(*details.new_convenor, confirmed=True)
        if organisation not in convenors:
            convenors.append(organisation)
    event.title = details.title
    event.slug = slug
    event.description = details.description
    event.venue = details.venue
    event.contact_email = details.contact_email
    event.timezone = details.timezone
    event.starts_at = details.starts_at
    event.ends_at = details.ends_at
    event.capacity = details.capacity
    event.registration_opens_at = details.registration_opens_at
    event.registration_closes_at = details.registration_closes_at
    event.waitlist_policy = details.waitlist_policy
    event.offer_hours = details.offer_hours
    event.convenors = convenors


class StatusChange(NamedTuple):
    source: EventStatus
    target: EventStatus
    verb: str  # as in "Not ready to …"
    done: str  # as in "can be …"


# The only ways an event's status may change. Publishing and re-opening both open the event to
# registrations, so both pass the same publication checks (_change_status): a draft that publish
# refused cannot reach the public by being closed and re-opened.
STATUS_CHANGES = {
    "publish": StatusChange(EventStatus.DRAFT, EventStatus.PUBLISHED, "publish", "published"),
    "close": StatusChange(EventStatus.PUBLISHED, EventStatus.CLOSED, "close", "closed"),
    "reopen": StatusChange(EventStatus.CLOSED, EventStatus.PUBLISHED, "re-open", "re-opened"),
}
_STATUS_WORDS = {
    EventStatus.DRAFT: "a draft",
    EventStatus.PUBLISHED: "published",
    EventStatus.CLOSED: "closed",
}


def publish(event: Event) -> None:
    _change_status(event, "publish")


def publication_problems(event: Event) -> list[str]:
    problems = []
    if not event.convenors:
        problems.append("add at least one convening organisation")
    if not event.sessions:
        problems.append("add at least one session to the programme")
    if event.sessions_of(SessionKind.TABLE_ROUND) and not event.tables:
        problems.append("add tables for the table rounds")
    for slot in event.sessions_of(SessionKind.BREAKOUT_SLOT):
        if not slot.breakouts:
            problems.append(f"add breakouts to “{slot.title}”")
    return problems


def close(event: Event) -> None:
    _change_status(event, "close")


def reopen(event: Event) -> None:
    _change_status(event, "reopen")


def _change_status(event: Event, name: str) -> None:
    change = STATUS_CHANGES[name]
    if event.status != change.source:
        raise EventError(
            f"Only an event that is {_STATUS_WORDS[change.source]} can be {change.done}; "
            f"this one is {_STATUS_WORDS[event.status]}."
        )
    if change.target == EventStatus.PUBLISHED and (problems := publication_problems(event)):
        raise EventError(f"Not ready to {change.verb}: " + "; ".join(problems))
    event.status = change.target
    db.session.commit()


def save_session(event: Event, session: Session | None, **fields) -> Session:
    if session is None:
        session = Session(event=event)
        db.session.add(session)
    kind = SessionKind(fields["kind"])
    if session.breakouts and kind != SessionKind.BREAKOUT_SLOT:
        db.session.rollback()
        raise EventError("Remove this slot's breakouts before changing its kind.", field="kind")
    for name, value in fields.items():
        setattr(session, name, value)
    session.kind = kind
    db.session.commit()
    return session


def delete_session(session: Session) -> None:
    db.session.delete(session)
    db.session.commit()


def save_breakout(session: Session, breakout: Breakout | None, **fields) -> Breakout:
    if session.kind != SessionKind.BREAKOUT_SLOT:
        raise EventError("Breakouts belong to breakout slots only.")
    if breakout is None:
        breakout = Breakout(session=session)
        db.session.add(breakout)
    for name, value in fields.items():
        setattr(breakout, name, value)
    db.session.commit()
    return breakout


def delete_breakout(breakout: Breakout) -> None:
    db.session.delete(breakout)
    db.session.commit()


def add_tables(event: Event, count: int, capacity: int, accessible: int) -> list[Table]:
    """Append `count` tables numbered after the highest; the first `accessible` are accessible."""
    start = max((t.number for t in event.tables), default=0) + 1
    tables = [
        Table(number=start + i, capacity=capacity, accessible=i < accessible) for i in range(count)
    ]
    event.tables.extend(tables)
    db.session.commit()
    return tables


def save_table(
    table: Table, number: int, capacity: int, accessible: bool, facilitator_id: int | None
) -> Table:
    clash = db.session.scalar(
        select(Table).where(
            Table.event_id == table.event_id, Table.number == number, Table.id != table.id
        )
    )
    if clash is not None:
        raise EventError(f"Table {number} already exists.", field="number")
    if facilitator_id is not None:
        other = db.session.scalar(
            select(Table).where(Table.facilitator_id == facilitator_id, Table.id != table.id)
        )
        if other is not None:
            raise EventError(
                f"That person already facilitates table {other.number}.", field="facilitator_id"
            )
    table.number, table.capacity, table.accessible = number, capacity, accessible
    table.facilitator_id = facilitator_id
    db.session.commit()
    return table


def delete_table(table: Table) -> None:
    db.session.delete(table)
    db.session.commit()
