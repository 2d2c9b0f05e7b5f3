"""Messages to registrants. `send(kind, registration)` queues one in the outbox
(app/services/outbox.py): it leaves only if the transaction commits, and is built when it is sent.

Each `*_message` function builds one EmailMessage from the registration as it is when the message
is sent, and sends nothing; it returns None when the message's occasion has passed by then (a
confirmation for a registration cancelled since: the cancellation follows it and says what is
true). BUILDERS names them for the outbox.

`confirmation_message()` is the one confirmation a registrant receives (on registering, and when
an organiser imports them); extend it there (e.g. with a calendar invite) and every path gets it.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from datetime import datetime
from email.message import EmailMessage
from urllib.parse import urlsplit

from flask import current_app, has_request_context, request

from app.formatting import format_datetime, format_timespan
from app.models import Registration, RegistrationStatus
from app.services import invites, mail, outbox

FALLBACK_URL = "http://localhost:5000/"
# The site address the message being built links to: the one its request saw when it was queued.
_link_base: ContextVar[str | None] = ContextVar("link_base", default=None)


@contextmanager
def links_to(base_url: str | None) -> Iterator[None]:
    reset = _link_base.set(base_url)
    try:
        yield
    finally:
        _link_base.reset(reset)


def external_url(endpoint: str, **values) -> str:
    """An absolute URL on the configured PUBLIC_URL (else the address of the request that queued
    the message, or this request's), for mail."""
    base = (
        current_app.config.get("PUBLIC_URL")
        or _link_base.get()
        or (request.url_root if has_request_context() else FALLBACK_URL)
    )
    parts = urlsplit(base)
    adapter = current_app.url_map.bind(
        parts.netloc, script_name=parts.path or "/", url_scheme=parts.scheme or "https"
    )
    return adapter.build(endpoint, values, force_external=True)


def manage_url(registration: Registration) -> str:
    return external_url("registration.manage", token=registration.token)


def send(kind: str, registration: Registration, **options) -> None:
    """Send message `kind` (a key of BUILDERS) to the registrant once this transaction commits."""
    outbox.queue(kind, registration, **options)


def _when(registration: Registration) -> str:
    event = registration.event
    return f"{format_timespan(event.starts_at, event.ends_at)} ({event.timezone})"


def _event_lines(registration: Registration) -> str:
    event = registration.event
    lines = [event.title, f"When: {_when(registration)}"]
    if event.venue:
        lines.append(f"Where: {event.venue}")
    return "\n".join(lines)


def _local(registration: Registration, instant: datetime) -> str:
    zone = registration.event.zone
    return f"{format_datetime(instant.astimezone(zone).replace(tzinfo=None))} ({zone.key})"


def _reachable(registration: Registration, *statuses: RegistrationStatus) -> bool:
    """The registrant still has an address and is in one of `statuses`."""
    return bool(registration.email) and registration.status in statuses


def _message(registration: Registration, subject: str, *paragraphs: str) -> EmailMessage:
    body = "\n\n".join([f"Dear {registration.name},", *paragraphs, "Convene"])
    return mail.new_message(registration.email, subject, body + "\n")


def confirmation_message(registration: Registration) -> EmailMessage | None:
    """Sent once a registration is accepted: a seat, or a place on the waiting list."""
    event = registration.event
    if not _reachable(registration, RegistrationStatus.CONFIRMED, RegistrationStatus.WAITLISTED):
        return None
    if registration.status == RegistrationStatus.CONFIRMED:
        subject = f"You're registered: {event.title}"
        status = "Your place is confirmed."
    else:
        subject = f"You're on the waiting list: {event.title}"
        status = (
            "The event is full, so you are on the waiting list. If a place frees up we will "
            "email you straight away."
        )
    message = _message(
        registration,
        subject,
        f"Thank you for registering. {status}",
        _event_lines(registration),
        "See or change your details, your programme and your seat, or cancel, here (keep this "
        f"link private — it is the key to your registration):\n{manage_url(registration)}",
    )
    return invites.attach_invitation(message, registration)  # REQUEST once confirmed


def manage_link_message(registration: Registration) -> EmailMessage | None:
    """Sent when someone registers an address that is already registered for the event."""
    event = registration.event
    if not _reachable(registration, *RegistrationStatus):
        return None
    return _message(
        registration,
        f"Your registration for {event.title}",
        "Someone, probably you, tried to register this email address again for this event. "
        "You are already registered, so nothing has changed. If it was not you, you can ignore "
        "this message.",
        _event_lines(registration),
        f"Your registration and how to change it:\n{manage_url(registration)}",
    )


def seat_confirmed_message(registration: Registration) -> EmailMessage | None:
    """A waitlisted person has been given a seat."""
    if not _reachable(registration, RegistrationStatus.CONFIRMED):
        return None
    message = _message(
        registration,
        f"A place is yours: {registration.event.title}",
        "Good news: a place has come free and it is now yours. Your registration is confirmed.",
        _event_lines(registration),
        f"Your registration:\n{manage_url(registration)}",
    )
    return invites.attach_invitation(message, registration)


def seat_offered_message(registration: Registration) -> EmailMessage | None:
    """A waitlisted person is offered a seat for a limited time (while the offer stands)."""
    expires = registration.offer_expires_at
    if not _reachable(registration, RegistrationStatus.WAITLISTED) or expires is None:
        return None
    return _message(
        registration,
        f"A place has come free — claim it by {_local(registration, expires)}",
        "A place has come free and we are holding it for you until "
        f"{_local(registration, expires)}. After that it goes to the next person waiting.",
        _event_lines(registration),
        "Claim your place here:\n" + external_url("registration.claim", token=registration.token),
    )


def offer_lapsed_message(registration: Registration) -> EmailMessage | None:
    """An offered seat was not claimed in time and has passed to the next person."""
    if not _reachable(registration, RegistrationStatus.CANCELLED):
        return None
    return _message(
        registration,
        f"Your offered place has lapsed: {registration.event.title}",
        "The place we held for you was not claimed in time, so it has gone to the next person "
        "on the waiting list. While registration is open you can join the waiting list again "
        "from your registration page.",
        f"Your registration:\n{manage_url(registration)}",
    )


def cancellation_message(
    registration: Registration, by_organiser: bool = False
) -> EmailMessage | None:
    """Sent when a registration is cancelled or someone leaves the waiting list."""
    if not _reachable(registration, RegistrationStatus.CANCELLED):
        return None
    who = "The organisers have cancelled" if by_organiser else "You have cancelled"
    message = _message(
        registration,
        f"Registration cancelled: {registration.event.title}",
        f"{who} your registration for this event.",
        _event_lines(registration),
        "While registration is open you can book again from your registration page:\n"
        f"{manage_url(registration)}",
    )
    return invites.attach_invitation(message, registration)  # CANCEL: calendars drop it


def seats_changed_message(registration: Registration) -> EmailMessage | None:
    """A published plan gave a confirmed attendee tables or breakouts, or changed them."""
    if not _reachable(registration, RegistrationStatus.CONFIRMED):
        return None
    event = registration.event
    message = _message(
        registration,
        f"Your places at {event.title}",
        f"Your table and breakout places for {event.title} are ready or have changed.",
        f"See your personal schedule here:\n{manage_url(registration)}",
        "Please keep this link private: it opens your own registration.",
    )
    return invites.attach_invitation(message, registration)


BUILDERS: dict[str, Callable[..., EmailMessage | None]] = {
    "confirmation": confirmation_message,
    "manage_link": manage_link_message,
    "seat_confirmed": seat_confirmed_message,
    "seat_offered": seat_offered_message,
    "offer_lapsed": offer_lapsed_message,
    "cancellation": cancellation_message,
    "seats_changed": seats_changed_message,
}
