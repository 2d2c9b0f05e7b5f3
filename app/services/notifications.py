"""Messages to registrants. Each `*_message` function builds one EmailMessage and sends nothing;
`send()` queues it through app/services/mail.py, so it leaves only if the transaction commits.

`confirmation_message()` is the one confirmation a registrant receives (on registering, and when
an organiser imports them); extend it there (e.g. with a calendar invite) and every path gets it.
"""

from __future__ import annotations

from datetime import datetime
from email.message import EmailMessage
from urllib.parse import urlsplit

from flask import current_app, has_request_context, request

from app.formatting import format_datetime, format_timespan
from app.models import Registration, RegistrationStatus
from app.services import invites, mail

FALLBACK_URL = "http://localhost:5000/"


def external_url(endpoint: str, **values) -> str:
    """An absolute URL on the configured PUBLIC_URL (else this request's address), for mail."""
    base = current_app.config.get("PUBLIC_URL") or (
        request.url_root if has_request_context() else FALLBACK_URL
    )
    parts = urlsplit(base)
    adapter = current_app.url_map.bind(
        parts.netloc, script_name=parts.path or "/", url_scheme=parts.scheme or "https"
    )
    return adapter.build(endpoint, values, force_external=True)


def manage_url(registration: Registration) -> str:
    return external_url("registration.manage", token=registration.token)


def send(message: EmailMessage) -> None:
    mail.queue(message)


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


def _message(registration: Registration, subject: str, *paragraphs: str) -> EmailMessage:
    assert registration.email, "erased registrations receive no mail"
    body = "\n\n".join([f"Dear {registration.name},", *paragraphs, "Convene"])
    return mail.new_message(registration.email, subject, body + "\n")


def confirmation_message(registration: Registration) -> EmailMessage:
    """Sent once a registration is accepted: a seat, or a place on the waiting list."""
    event = registration.event
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


def manage_link_message(registration: Registration) -> EmailMessage:
    """Sent when someone registers an address that is already registered for the event."""
    event = registration.event
    return _message(
        registration,
        f"Your registration for {event.title}",
        "Someone, probably you, tried to register this email address again for this event. "
        "You are already registered, so nothing has changed. If it was not you, you can ignore "
        "this message.",
        _event_lines(registration),
        f"Your registration and how to change it:\n{manage_url(registration)}",
    )


def seat_confirmed_message(registration: Registration) -> EmailMessage:
    """A waitlisted person has been given a seat."""
    message = _message(
        registration,
        f"A place is yours: {registration.event.title}",
        "Good news: a place has come free and it is now yours. Your registration is confirmed.",
        _event_lines(registration),
        f"Your registration:\n{manage_url(registration)}",
    )
    return invites.attach_invitation(message, registration)


def seat_offered_message(registration: Registration) -> EmailMessage:
    """A waitlisted person is offered a seat for a limited time."""
    expires = registration.offer_expires_at
    assert expires is not None
    return _message(
        registration,
        f"A place has come free — claim it by {_local(registration, expires)}",
        "A place has come free and we are holding it for you until "
        f"{_local(registration, expires)}. After that it goes to the next person waiting.",
        _event_lines(registration),
        "Claim your place here:\n" + external_url("registration.claim", token=registration.token),
    )


def offer_lapsed_message(registration: Registration) -> EmailMessage:
    """An offered seat was not claimed in time and has passed to the next person."""
    return _message(
        registration,
        f"Your offered place has lapsed: {registration.event.title}",
        "The place we held for you was not claimed in time, so it has gone to the next person "
        "on the waiting list. While registration is open you can join the waiting list again "
        "from your registration page.",
        f"Your registration:\n{manage_url(registration)}",
    )


def cancellation_message(registration: Registration, by_organiser: bool = False) -> EmailMessage:
    """Sent when a registration is cancelled or someone leaves the waiting list."""
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
