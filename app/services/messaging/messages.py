"""Messages to registrants, and to organisers (a password reset, a follow-up of commitments):
what each kind (a MailKind) says.

Services queue a message with `outbox.queue(MailKind..., registration)`: it leaves only if the
transaction commits, and is built when it is sent, by the builder named here for its kind.

Each `*_message` function builds one EmailMessage from the registration (for a password reset,
the organiser) as it is when the message is sent, and sends nothing; it returns None when the
message's occasion has passed by then (a confirmation for a registration cancelled since: the
cancellation follows it and says what is true). BUILDERS names them for the outbox, which is
given them at start-up (app/__init__.py).

`confirmation_message()` is the one confirmation a registrant receives (on registering, and when
an organiser imports them); extend it there (e.g. with a calendar invite) and every path gets it.
"""

from __future__ import annotations

import html
from collections.abc import Callable, Mapping
from datetime import datetime
from email.message import EmailMessage

from app.extensions import db
from app.formatting import format_datetime, format_time, format_timespan, one_line, plural
from app.models import Event, MailKind, Registration, RegistrationStatus, Session, SessionKind, User
from app.services.accounts import password_resets
from app.services.commitments.actions import NOT_FINISHED, STATUS_WORDS, actions_of
from app.services.messaging import invites, transport
from app.services.planning.places import Place, places
from app.services.registration import check_in_codes
from app.services.urls import external_url


def manage_url(registration: Registration) -> str:
    return external_url("registration.manage", token=registration.token)


def _when(registration: Registration) -> str:
    event = registration.event
    return f"{format_timespan(event.starts_at, event.ends_at)} ({event.timezone})"


def _event_lines(registration: Registration) -> str:
    event = registration.event
    lines = [one_line(event.title), f"When: {_when(registration)}"]
    if event.venue:
        lines.append(f"Where: {one_line(event.venue)}")
    return "\n".join(lines)


def _local(registration: Registration, instant: datetime) -> str:
    zone = registration.event.zone
    return f"{format_datetime(instant.astimezone(zone).replace(tzinfo=None))} ({zone.key})"


def _reachable(registration: Registration, *statuses: RegistrationStatus) -> bool:
    """The registrant still has an address and is in one of `statuses`."""
    return bool(registration.email) and registration.status in statuses


def _contact_line(registration: Registration) -> list[str]:
    """The common footer's contact: every message about an event says how to reach its
    organisers."""
    contact = one_line(registration.event.contact)
    return [f"Questions? Write to the organisers at {contact}"] if contact else []


def _message(registration: Registration, subject: str, *paragraphs: str) -> EmailMessage:
    footer = [*_contact_line(registration), "Convene"]
    body = "\n\n".join([f"Dear {registration.name},", *paragraphs, *footer])
    # A header is one line: a title stored with a line break would make the message unwritable.
    message = transport.new_message(registration.email, one_line(subject), body + "\n")
    if contact := one_line(registration.event.contact):
        message["Reply-To"] = contact  # a reply reaches the organisers, not the sender
    return message


# What attendees are told about the learning harvest (also on their manage page).
HARVEST_NOTICE = (
    "What each table learns is written on cards and shared afterwards under the Chatham House "
    "Rule: what was said may be used, without saying who said it or where they work."
)


def confirmation_message(registration: Registration) -> EmailMessage | None:
    """Sent once a registration is accepted: a seat, or a place on the waiting list."""
    event = registration.event
    if not _reachable(registration, RegistrationStatus.CONFIRMED, RegistrationStatus.WAITLISTED):
        return None
    confirmed = registration.status == RegistrationStatus.CONFIRMED
    if confirmed:
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
        HARVEST_NOTICE,
        "See or change your details, your programme and your seat, or cancel, here (keep this "
        f"link private — it is the key to your registration):\n{manage_url(registration)}",
        *([CHECK_IN_NOTE] if confirmed else []),
    )
    if confirmed:
        _add_check_in_code(message, registration)
    return invites.attach_invitation(message, registration)  # REQUEST once confirmed


CHECK_IN_NOTE = (
    "On the day, show the check-in code in this message (or on your registration page) at the "
    "registration desk, or just give your name."
)


def _add_check_in_code(message: EmailMessage, registration: Registration) -> None:
    """Make the message text and HTML alike, the HTML with the person's check-in code under
    the text. The code opens their desk entry for an organiser only and holds no private link
    (registration/check_in_codes.py); it is drawn as a table, as mail programs block images."""
    text = html.escape(message.get_content())
    message.add_alternative(
        '<div style="font-family:sans-serif;font-size:15px;line-height:1.4">'
        f'<p style="white-space:pre-wrap;margin:0 0 16px">{text}</p>'
        '<p style="margin:0 0 8px"><strong>Your check-in code</strong></p>'
        f"{check_in_codes.html_table(registration)}</div>",
        subtype="html",
    )


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


def seats_changed_message(
    registration: Registration, was: Mapping[str, int] | None = None
) -> EmailMessage | None:
    """A published plan gave a confirmed attendee tables or breakouts, or changed them: their
    places as published when it is sent, what changed since `was` (session id -> the table or
    breakout they were last told of), and their calendar entry."""
    if not _reachable(registration, RegistrationStatus.CONFIRMED):
        return None
    message = seats_message(registration, places(registration), was or {})
    return invites.attach_invitation(message, registration)


def seats_message(
    registration: Registration, now: Mapping[int, Place], was: Mapping[str, int]
) -> EmailMessage:
    """The text of the seats message for places `now`, changed from `was` (as in
    seats_changed_message): what is sent, and what the publish page previews."""
    event = registration.event
    sessions = [s for s in event.sessions if s.kind != SessionKind.PLENARY]
    changes = [
        line for s in sessions if (line := _seat_change(s, now.get(s.id), was.get(str(s.id))))
    ]
    yours = [
        f"{s.title} ({format_time(s.starts_at)}–{format_time(s.ends_at)}): {_where(now[s.id])}"
        for s in sessions
        if s.id in now
    ]
    to_come = [
        s.title
        for s in sessions
        if s.id not in now and (s.kind == SessionKind.TABLE_ROUND or s.breakouts)
    ]
    paragraphs = []
    if changes:
        paragraphs.append("Your places have changed:\n" + "\n".join(changes))
    paragraphs.append("Your places:\n" + "\n".join(yours))
    if to_come:
        paragraphs.append(f"Not set yet (we will write when it is): {', '.join(to_come)}.")
    return _message(
        registration,
        f"{'Your places have changed' if changes else 'Your places'}: {event.title}",
        *paragraphs,
        _event_lines(registration),
        "Your calendar entry for the event lists them too. See your personal schedule here "
        f"(please keep this link private: it opens your own registration):\n"
        f"{manage_url(registration)}",
    )


def _where(place: Place) -> str:
    if place.table is not None:
        return f"Table {place.table.number}"
    breakout = place.breakout
    return ", ".join(one_line(part) for part in (breakout.title, breakout.room) if part)


def _seat_change(session: Session, place: Place | None, was_id: int | None) -> str:
    """ "Round 2: now Table 7, was Table 5", or "" when nothing changed or nothing was known."""
    if was_id is None:
        return ""
    if session.kind == SessionKind.TABLE_ROUND:
        groups = {t.id: Place(session, table=t) for t in session.event.tables}
        now_id = place.table.id if place is not None and place.table is not None else None
    else:
        groups = {b.id: Place(session, breakout=b) for b in session.breakouts}
        now_id = place.breakout.id if place is not None and place.breakout is not None else None
    if now_id == was_id or was_id not in groups:  # unchanged, or what it was is gone
        return ""
    now = _where(place) if place is not None else "no place yet"
    return f"{session.title}: now {now}, was {_where(groups[was_id])}"


def organiser_message(registration: Registration, subject: str, body: str) -> EmailMessage | None:
    """What an organiser wrote to a segment of the event's people (messaging/segments.py), as
    plain text; not sent to anyone who has cancelled since."""
    if not _reachable(registration, RegistrationStatus.CONFIRMED, RegistrationStatus.WAITLISTED):
        return None
    return _message(
        registration,
        f"{subject} ({registration.event.title})",
        body,
        f"Your registration:\n{manage_url(registration)}",
    )


def password_reset_message(user: User, reset_id: int) -> EmailMessage | None:
    """An organiser asked for a link to choose a new password; None once the link opens nothing."""
    token = password_resets.link_token(reset_id)
    if token is None or not user.is_active:
        return None
    lifetime = int(password_resets.RESET_LIFETIME.total_seconds() // 60)
    body = "\n\n".join(
        [
            f"Dear {user.name or user.email},",
            "Someone, probably you, asked to choose a new password for your Convene organiser "
            "account. Choose one here (the link works once, for the next "
            f"{lifetime} minutes):\n{external_url('auth.reset_password', token=token)}",
            "If it was not you, ignore this message: your password stays as it is.",
            "Convene",
        ]
    )
    return transport.new_message(user.email, "Choose a new Convene password", body + "\n")


def vote_link_message(registration: Registration) -> EmailMessage | None:
    """Asked for from the plenary's QR code: the link to this person's ballot page."""
    if not _reachable(registration, RegistrationStatus.CONFIRMED):
        return None
    return _message(
        registration,
        f"Your vote at {registration.event.title}",
        "Someone, probably you, asked for the link to vote on what the tables learned. "
        "If it was not you, you can ignore this message.",
        f"Vote here (the link is yours alone):\n"
        f"{external_url('voting.ballot', token=registration.token)}",
    )


def commitments_follow_up_message(user: User, event_id: int, months: int) -> EmailMessage | None:
    """Months after an event: its actions still open, and where to update them; None when the
    event is gone, the organiser no longer organises it, or nothing is open any more."""
    event = db.session.get(Event, event_id)
    if event is None or user not in event.organisers or not user.is_active:
        return None
    still_open = [a for a in actions_of(event) if a.status in NOT_FINISHED]
    if not still_open:
        return None
    lines = [
        f"- {one_line(a.what)} ({a.owner or 'no owner named'}; {STATUS_WORDS[a.status].lower()}"
        + (f", due {a.due_on:%d %B %Y})" if a.due_on else ")")
        for a in still_open
    ]
    count = len(still_open)
    body = "\n\n".join(
        [
            f"Dear {user.name or user.email},",
            f"{plural(months, 'month')} ago, {event.title} ended with commitments. "
            f"{count} {'is' if count == 1 else 'are'} still open:",
            "\n".join(lines),
            "Say how each stands (in progress, done, or dropped) here:\n"
            + external_url("commitments.index", slug=event.slug),
            "Convene",
        ]
    )
    subject = f"{one_line(event.title)}: {count} commitment{'s' if count != 1 else ''} still open"
    return transport.new_message(user.email, subject, body + "\n")


BUILDERS: dict[MailKind, Callable[..., EmailMessage | None]] = {
    MailKind.CONFIRMATION: confirmation_message,
    MailKind.MANAGE_LINK: manage_link_message,
    MailKind.SEAT_CONFIRMED: seat_confirmed_message,
    MailKind.SEAT_OFFERED: seat_offered_message,
    MailKind.OFFER_LAPSED: offer_lapsed_message,
    MailKind.CANCELLATION: cancellation_message,
    MailKind.SEATS_CHANGED: seats_changed_message,
    MailKind.PASSWORD_RESET: password_reset_message,
    MailKind.ORGANISER_MESSAGE: organiser_message,
    MailKind.COMMITMENTS_FOLLOW_UP: commitments_follow_up_message,
    MailKind.VOTE_LINK: vote_link_message,
}
