"""Who gets a seat: the one place where capacity is decided.

Contract — every change that can alter the seats of an event (registering, cancelling, leaving the
waiting list, claiming an offer, promoting, importing, erasing) and every other write to its
registrations runs as

    with locked_event(event_id) as event:   # 1. lock the event
        ...                                  # 2. re-check: count seats from the database, now
        ...                                  # 3. write
    # leaving the block commits; mail queued inside is sent after that commit

and nothing else decides seats. The lock makes such transactions for one event run one after
another, so the count read in step 2 is still true when step 3 is committed: two people racing
for the last seat cannot both be confirmed (Indico counts without a lock and can overbook).

- PostgreSQL: `SELECT ... FOR UPDATE` on the event row. Under READ COMMITTED every statement after
  the lock sees what earlier lock holders committed.
- SQLite has no row locks: the transaction starts with `BEGIN IMMEDIATE`, SQLite's write lock
  (set up in app/extensions.py; a plain deferred BEGIN would let two transactions read the same
  count and then fail or overbook when both write). Waiting transactions queue on the busy timeout.

A seat is taken by a confirmed registration or by a live offer (a waitlisted person who has been
offered a seat and may still claim it). Each time capacity is touched, lapsed offers are withdrawn
and free seats go to the waiting list in order, by the event's policy: confirm the first person
(`auto_promote`) or offer them the seat for `event.offer_hours` (`offer`).
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime, timedelta
from typing import NamedTuple

from flask_sqlalchemy.session import Session as FlaskSQLAlchemySession
from sqlalchemy import bindparam, func, select

from app.extensions import WRITE_LOCK, db
from app.models import Event, MailKind, Registration, RegistrationStatus, WaitlistPolicy
from app.models.types import utcnow
from app.services.messaging import outbox

# Built once: statements run on every registration, under the lock, are not rebuilt each time.
LOCK_EVENT = (
    select(Event)
    .where(Event.id == bindparam("event_id"))
    .with_for_update()
    .execution_options(populate_existing=True)
)


@contextmanager
def locked_event(event_id: int) -> Iterator[Event]:
    """A transaction holding the event's write lock; commits on success, rolls back on error.

    It must start a transaction of its own (the lock has to be taken by the transaction's first
    statement), so the session may hold no unsaved changes when it is entered; a read-only
    transaction already open is ended first.
    """
    session = begin_writing()
    event = session.scalar(LOCK_EVENT, {"event_id": event_id})
    if event is None:
        session.rollback()
        raise LookupError(f"no event with id {event_id}")
    try:
        yield event
    except BaseException:
        session.rollback()
        raise
    # What was read under the lock and written is what was committed: nothing to reload.
    session.expire_on_commit = False
    try:
        session.commit()
    finally:
        session.expire_on_commit = True
    outbox.send_committed()


def begin_writing() -> FlaskSQLAlchemySession:
    """Begin a transaction that holds SQLite's write lock from its first statement (on
    PostgreSQL, rows are then locked with SELECT ... FOR UPDATE); returns the session. A read
    transaction already open is ended first; unsaved changes are refused, as they would be
    committed by accident."""
    session = db.session()
    if session.new or session.dirty or session.deleted:
        raise RuntimeError("a locked transaction needs a session without unsaved changes")
    if session.in_transaction():
        session.commit()
    session.connection(execution_options={WRITE_LOCK: True})
    return session


class Tally(NamedTuple):
    """An event's registrations as capacity sees them, counted in one query."""

    taken: int  # seats held: confirmed, or offered (lapsed offers too, until withdrawn)
    lapsed: int  # offers whose time is up
    someone_waiting: bool  # waitlisted without an offer


def _seat_counts():
    """The statement tally() runs, built once: each part a range of the (event, status,
    offer_expires_at) index, so its cost follows the seats and offers, not the length of the
    waiting list."""
    event_id, now = bindparam("event_id"), bindparam("now")

    def count(*conditions):
        of_event = select(func.count()).where(Registration.event_id == event_id, *conditions)
        return of_event.scalar_subquery()

    waitlisted = Registration.status == RegistrationStatus.WAITLISTED
    offered = (waitlisted, Registration.offer_expires_at.is_not(None))
    nobody_offered = Registration.offer_expires_at.is_(None)
    return select(
        count(Registration.status == RegistrationStatus.CONFIRMED),
        count(*offered),
        count(*offered, Registration.offer_expires_at <= now),
        select(Registration.id)
        .where(Registration.event_id == event_id, waitlisted, nobody_offered)
        .exists(),
    )


SEAT_COUNTS = _seat_counts()


def tally(event: Event, now: datetime | None = None) -> Tally:
    confirmed, offers, lapsed, someone_waiting = db.session.execute(
        SEAT_COUNTS, {"event_id": event.id, "now": now or utcnow()}
    ).one()
    return Tally(confirmed + offers, lapsed, bool(someone_waiting))


def seats_taken(event: Event) -> int:
    """Confirmed registrations and offers not yet withdrawn."""
    return tally(event).taken


def free_seats(event: Event) -> int:
    """Seats neither confirmed nor held by an offer (call inside locked_event for a true answer)."""
    return max(0, event.capacity - seats_taken(event))


def waiting_queue(event: Event, limit: int | None = None) -> list[Registration]:
    """Waitlisted people without an offer, first come first served (the first `limit` of them)."""
    return list(
        db.session.scalars(
            select(Registration)
            .where(
                Registration.event_id == event.id,
                Registration.status == RegistrationStatus.WAITLISTED,
                Registration.offer_expires_at.is_(None),
            )
            .order_by(Registration.waitlisted_at, Registration.id)
            .limit(limit)
        )
    )


def waiting_position(registration: Registration) -> int | None:
    """1 for the first person waiting; None for anyone not waiting in the queue."""
    if (
        registration.status != RegistrationStatus.WAITLISTED
        or registration.offer_expires_at is not None
    ):
        return None
    ahead = db.session.scalar(
        select(func.count(Registration.id)).where(
            Registration.event_id == registration.event_id,
            Registration.status == RegistrationStatus.WAITLISTED,
            Registration.offer_expires_at.is_(None),
            (Registration.waitlisted_at < registration.waitlisted_at)
            | (
                (Registration.waitlisted_at == registration.waitlisted_at)
                & (Registration.id < registration.id)
            ),
        )
    )
    return ahead + 1


def touch(event: Event, now: datetime | None = None) -> int:
    """Withdraw lapsed offers, then give free seats to the waiting list; returns the seats still
    free. Inside locked_event."""
    now = now or utcnow()
    counted = tally(event, now)
    if counted.lapsed:
        _withdraw_lapsed_offers(event, now)
    free = max(0, event.capacity - (counted.taken - counted.lapsed))
    if free and counted.someone_waiting and event.local_now() < event.ends_at:
        free -= _fill_free_seats(event, free, now)
    return free


def _withdraw_lapsed_offers(event: Event, now: datetime) -> None:
    lapsed = db.session.scalars(
        select(Registration).where(
            Registration.event_id == event.id,
            Registration.status == RegistrationStatus.WAITLISTED,
            Registration.offer_expires_at <= now,
        )
    ).all()
    for registration in lapsed:
        # The seat passes on; the person can rejoin the list from their page while it is open.
        registration.status = RegistrationStatus.CANCELLED
        registration.offer_expires_at = None
        registration.cancelled_at = now
        outbox.queue(MailKind.OFFER_LAPSED, registration)
    db.session.flush()


def _fill_free_seats(event: Event, free: int, now: datetime) -> int:
    """Offer or give up to `free` seats to the first people waiting; returns how many."""
    served = waiting_queue(event, limit=free)
    for registration in served:
        if event.waitlist_policy == WaitlistPolicy.OFFER:
            registration.offer_expires_at = now + timedelta(hours=event.offer_hours)
            outbox.queue(MailKind.SEAT_OFFERED, registration)
        else:
            _confirm(registration)
            outbox.queue(MailKind.SEAT_CONFIRMED, registration)
    db.session.flush()
    return len(served)


def _confirm(registration: Registration) -> None:
    registration.status = RegistrationStatus.CONFIRMED
    registration.offer_expires_at = None
    registration.cancelled_at = None


def admit(event: Event, registration: Registration, now: datetime | None = None) -> None:
    """Seat a new (not yet added) or cancelled registration, or put it at the end of the
    waiting list."""
    now = now or utcnow()
    # First, so people already waiting are served before this one; any seat still free after
    # that means nobody is queueing without an offer.
    _seat_or_queue(registration, touch(event, now) > 0, now)
    db.session.add(registration)
    db.session.flush()


def admit_all(event: Event, registrations: list[Registration], now: datetime | None = None) -> None:
    """Seat new registrations in their order, as `admit` would one after another, with one count
    of the seats and one write for them all (a CSV import's batch)."""
    now = now or utcnow()
    free = touch(event, now)
    for registration in registrations:
        _seat_or_queue(registration, free > 0, now)
        free = max(0, free - 1)
    db.session.add_all(registrations)
    db.session.flush()


def _seat_or_queue(registration: Registration, seat_free: bool, now: datetime) -> None:
    if seat_free:
        _confirm(registration)
    else:
        registration.status = RegistrationStatus.WAITLISTED
        registration.offer_expires_at = None
        registration.cancelled_at = None
        registration.waitlisted_at = now


def release(event: Event, registration: Registration, now: datetime | None = None) -> None:
    """Cancel a registration (or take it off the waiting list) and pass its seat on."""
    now = now or utcnow()
    registration.status = RegistrationStatus.CANCELLED
    registration.offer_expires_at = None
    registration.cancelled_at = now
    registration.checked_in_at = None
    db.session.flush()
    touch(event, now)


def claim_offer(event: Event, registration: Registration, now: datetime | None = None) -> bool:
    """Turn a live offer into a confirmed seat; False when there is no live offer to claim."""
    now = now or utcnow()
    touch(event, now)
    if (
        registration.status != RegistrationStatus.WAITLISTED
        or registration.offer_expires_at is None
    ):
        return False
    _confirm(registration)
    db.session.flush()
    return True


def promote(event: Event, registration: Registration, now: datetime | None = None) -> int:
    """The organiser confirms a waitlisted person, even beyond capacity; returns seats over."""
    now = now or utcnow()
    touch(event, now)
    if registration.status == RegistrationStatus.WAITLISTED:
        _confirm(registration)
        db.session.flush()
    return max(0, seats_taken(event) - event.capacity)
