"""Registering for an event and looking after a registration: every change of its status.

The rules live here once and are used by the registration form, the JSON API, the registrant's
own page, the organiser's pages, the CSV import and the CLI. Seats are decided by
registration/capacity.py (lock, re-check, write); this module never counts seats itself.

May import: models, registration.{capacity, details, lookup}, events.setup, messaging.outbox,
tokens.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import delete, select
from sqlalchemy.exc import IntegrityError

from app.extensions import db
from app.formatting import format_datetime
from app.models import (
    Event,
    EventStatus,
    Invitation,
    MailKind,
    Registration,
    RegistrationStatus,
)
from app.models.types import utcnow
from app.services.events.setup import upcoming_events
from app.services.messaging import outbox
from app.services.registration import capacity
from app.services.registration.details import RegistrationInvalid, apply_details, check_details
from app.services.registration.lookup import by_email
from app.services.tokens import new_token


class RegistrationClosed(Exception):
    """Registration is not open; the message says why (for the registrant's eyes)."""


class AlreadyRegistered(Exception):
    """This email is already registered for the event; its manage link has been mailed again."""

    message = (
        "This email address is already registered for this event. We have emailed the link "
        "to that registration to it again; use it to see or change the registration."
    )

    def __init__(self) -> None:
        super().__init__(self.message)


# --- rules ------------------------------------------------------------------------------------


def closed_reason(event: Event) -> str | None:
    """Why registration is not open now, or None when it is (the window is in event time)."""
    if event.status != EventStatus.PUBLISHED:
        return "Registration for this event is closed."
    now = event.local_now()
    if event.registration_opens_at and now < event.registration_opens_at:
        return f"Registration opens on {format_datetime(event.registration_opens_at)}."
    if now >= (event.registration_closes_at or event.starts_at):
        return "Registration for this event has closed."
    return None


def is_full(event: Event) -> bool:
    """Whoever registers now joins the waiting list: every place is held. Said before anyone
    registers ("Full: join the waiting list"), not after."""
    return capacity.free_seats(event) == 0


def _retrying(operation):
    """Run a locked operation; once more if a concurrent insert (a new organisation, the same
    email) clashed."""
    try:
        return operation()
    except IntegrityError:
        db.session.rollback()
        return operation()


# --- the registrant ---------------------------------------------------------------------------


def register(event: Event, raw: Mapping[str, Any]) -> Registration:
    """Register someone: stored and committed (with its confirmation queued) before returning.

    Raises RegistrationClosed, RegistrationInvalid, or AlreadyRegistered (after mailing the
    existing registration's link to its address).
    """
    if reason := closed_reason(event):
        raise RegistrationClosed(reason)
    details = check_details(event, raw)
    event_id = event.id

    def attempt() -> Registration | None:
        # Looked up before the seat lock, to hold it briefly; a twin registering at the same
        # moment is stopped by the unique (event, email) constraint, and the retry finds it.
        existing = by_email(event_id, details.email)
        if existing is not None:
            with capacity.locked_event(event_id):
                outbox.queue(MailKind.MANAGE_LINK, existing)
            return None
        registration = Registration(event_id=event_id, token=new_token())
        with capacity.locked_event(event_id) as locked:
            if reason := closed_reason(locked):
                raise RegistrationClosed(reason)
            apply_details(registration, details)
            capacity.admit(locked, registration)
            outbox.queue(MailKind.CONFIRMATION, registration)
        return registration

    registration = _retrying(attempt)
    if registration is None:
        raise AlreadyRegistered()
    return registration


def can_edit(registration: Registration) -> bool:
    event = registration.event
    return (
        registration.status != RegistrationStatus.CANCELLED
        and registration.erased_at is None
        and event.local_now() < event.starts_at
    )


def update_own(registration: Registration, raw: Mapping[str, Any]) -> Registration:
    """The registrant changes their details; their email (the registration's identity) stays."""
    if not can_edit(registration):
        raise RegistrationClosed("This registration can no longer be changed.")
    raw = {**raw, "email": registration.email, "consent": registration.consent}
    details = check_details(registration.event, raw, require_consent=False)
    registration_id = registration.id

    def attempt() -> Registration:
        with capacity.locked_event(registration.event_id):
            locked = db.session.get(Registration, registration_id)
            apply_details(locked, details)
        return locked

    return _retrying(attempt)


def set_hear_of_programmes(registration: Registration, hear: bool) -> None:
    """The registrant gives or withdraws consent to be invited to programmes (mentoring
    schemes, secondments); at any time, even after the event, but not once erased."""
    if registration.erased_at is not None:
        raise RegistrationClosed("This registration can no longer be changed.")
    registration.hear_of_programmes = hear
    db.session.commit()


def set_hear_of_peer_challenges(registration: Registration, hear: bool) -> None:
    """The registrant gives or withdraws consent to be invited to peer challenges; as
    set_hear_of_programmes."""
    if registration.erased_at is not None:
        raise RegistrationClosed("This registration can no longer be changed.")
    registration.hear_of_peer_challenges = hear
    db.session.commit()


def set_share_tablemates(registration: Registration, share: bool) -> None:
    """The registrant gives or withdraws consent to be listed to the people they sat with (and
    to see those who agreed); at any time, even after the event, but not once erased."""
    if registration.erased_at is not None:
        raise RegistrationClosed("This registration can no longer be changed.")
    registration.share_tablemates = share
    db.session.commit()


def cancel(registration: Registration, *, by_organiser: bool = False) -> None:
    """Cancel a registration or leave the waiting list; the seat passes on by the event's policy."""
    with capacity.locked_event(registration.event_id) as event:
        db.session.refresh(registration)
        if registration.status == RegistrationStatus.CANCELLED:
            return
        capacity.release(event, registration)
        if registration.email:
            outbox.queue(MailKind.CANCELLATION, registration, by_organiser=by_organiser)


def claim(registration: Registration) -> bool:
    """Claim an offered seat; False when the offer has lapsed or there was none."""
    with capacity.locked_event(registration.event_id) as event:
        db.session.refresh(registration)
        claimed = capacity.claim_offer(event, registration)
        if claimed:
            outbox.queue(MailKind.SEAT_CONFIRMED, registration)
    return claimed


def rejoin(registration: Registration) -> None:
    """Book again after cancelling (or after an offer lapsed): a seat if free, else the list."""
    if registration.erased_at is not None:
        raise RegistrationClosed("This registration can no longer be changed.")
    if reason := closed_reason(registration.event):
        raise RegistrationClosed(reason)
    with capacity.locked_event(registration.event_id) as event:
        db.session.refresh(registration)
        if registration.status != RegistrationStatus.CANCELLED:
            return
        if reason := closed_reason(event):
            raise RegistrationClosed(reason)
        capacity.admit(event, registration)
        outbox.queue(MailKind.CONFIRMATION, registration)


# --- what the registrant sees -----------------------------------------------------------------


# --- the organiser ----------------------------------------------------------------------------


def update_by_organiser(registration: Registration, raw: Mapping[str, Any]) -> Registration:
    """The organiser corrects any detail, the email included (still one per event); consents
    stay the registrant's."""
    raw = {
        **raw,
        "consent": registration.consent,
        "share_tablemates": registration.share_tablemates,
        "hear_of_programmes": registration.hear_of_programmes,
        "hear_of_peer_challenges": registration.hear_of_peer_challenges,
    }
    details = check_details(registration.event, raw, require_consent=False, by_organiser=True)
    registration_id = registration.id

    def attempt() -> Registration:
        with capacity.locked_event(registration.event_id) as event:
            locked = db.session.get(Registration, registration_id)
            other = by_email(event.id, details.email)
            if other is not None and other.id != locked.id:
                raise RegistrationInvalid(
                    {"email": ["Another registration for this event uses this email."]}
                )
            apply_details(locked, details)
        return locked

    return _retrying(attempt)


def promote(registration: Registration) -> int:
    """Confirm a waitlisted person now; returns how many seats the event is over capacity."""
    with capacity.locked_event(registration.event_id) as event:
        db.session.refresh(registration)
        was_waiting = registration.status == RegistrationStatus.WAITLISTED
        over = capacity.promote(event, registration)
        if was_waiting and registration.status == RegistrationStatus.CONFIRMED:
            outbox.queue(MailKind.SEAT_CONFIRMED, registration)
    return over


def check_in(registration: Registration, arrived: bool = True) -> None:
    """Record (or undo) arrival on the day, with the time; only confirmed people check in."""
    with capacity.locked_event(registration.event_id):
        db.session.refresh(registration)
        if arrived and registration.status != RegistrationStatus.CONFIRMED:
            raise RegistrationClosed("Only confirmed registrations can be checked in.")
        if arrived and registration.checked_in_at is None:
            registration.checked_in_at = utcnow()
        elif not arrived:
            registration.checked_in_at = None


ERASED_NAME = "Erased"


def erase(registration: Registration) -> None:
    """Remove a person's personal data for good, keeping what anonymous counts need.

    Their organisation (and so sector), status and check-in stay; the name becomes "Erased", the
    email and everything they wrote are cleared, and the private link stops working. Someone who
    still holds a seat for an event yet to end gives it up first, so it passes on.
    """
    with capacity.locked_event(registration.event_id) as event:
        db.session.refresh(registration)
        if registration.erased_at is not None:
            return
        now = utcnow()
        active = registration.status != RegistrationStatus.CANCELLED
        if active and event.local_now() < event.ends_at:
            capacity.release(event, registration, now)
        _erase_fields(registration, now)


def _erase_fields(registration: Registration, now: datetime) -> None:
    if registration.email:
        # The record that they were invited to programmes holds their address: it goes too.
        db.session.execute(delete(Invitation).where(Invitation.email == registration.email))
    registration.name = ERASED_NAME
    registration.email = None
    registration.profession = ""
    registration.role = ""
    registration.access_needs = ""
    registration.dietary_needs = ""
    registration.needs_accessible_table = False
    registration.consent = False
    registration.share_tablemates = False
    registration.hear_of_programmes = False
    registration.hear_of_peer_challenges = False
    registration.preferences.clear()
    registration.token = new_token()
    registration.erased_at = now


def erase_ended_events(older_than_days: int) -> int:
    """Erase personal data of every event that ended more than N days ago; returns how many."""
    erased = 0
    for event in db.session.scalars(select(Event)).all():
        if event.ends_at > event.local_now() - timedelta(days=older_than_days):
            continue
        with capacity.locked_event(event.id):
            now = utcnow()
            for registration in db.session.scalars(
                select(Registration).where(
                    Registration.event_id == event.id, Registration.erased_at.is_(None)
                )
            ).all():
                _erase_fields(registration, now)
                erased += 1
    return erased


def expire_offers() -> int:
    """Withdraw lapsed offers and fill free seats for every event still to come; returns how
    many events were looked at (for `flask --app wsgi expire-offers`, run e.g. every 15 min)."""
    events = upcoming_events()
    for event in events:
        with capacity.locked_event(event.id) as locked:
            capacity.touch(locked)
    return len(events)


# --- the organiser's list ---------------------------------------------------------------------
