"""Calendar invitations by email (iTIP, RFC 5546): REQUEST while a place is confirmed (on
confirmation, and again whenever it changes), CANCEL once it is cancelled.

One UID per message: an emailed REQUEST may carry the events of one UID only, and one message per
session would flood people's inboxes. So the email carries the event's own VEVENT, with the same
UID and SEQUENCE as in the person's feed, and its description lists the person's places (table per
round, breakout and room). When seats change, calendars replace that entry (higher SEQUENCE); the
sessions as separate entries are in the personal calendar file and feed the message links to.

The message follows Exchange's layout, multipart/alternative of text, HTML (if any) and
`text/calendar; method=REQUEST|CANCEL`, the MIME method equal to the file's METHOD. The calendar
travels as bytes (base64), so its CRLF line ends survive.
"""

from __future__ import annotations

from email.message import EmailMessage

from icalendar import Calendar, vCalAddress

from app.formatting import one_line
from app.models import Registration, RegistrationStatus
from app.models.types import utcnow
from app.services.calendars import feeds, timezones

REQUEST, CANCEL = "REQUEST", "CANCEL"


def method_for(registration: Registration) -> str | None:
    """REQUEST for a confirmed place, CANCEL for a cancelled one, None while waitlisted."""
    return {
        RegistrationStatus.CONFIRMED: REQUEST,
        RegistrationStatus.CANCELLED: CANCEL,
    }.get(RegistrationStatus(registration.status))


def invitation(registration: Registration) -> Calendar:
    """The iTIP message for the person's entry for the event, addressed to them (ATTENDEE)."""
    method = method_for(registration)
    if method is None:
        raise ValueError("nobody on the waiting list is sent an invitation")
    if not registration.email:
        raise ValueError("an erased registration has no address to invite")
    event = registration.event
    cal = feeds.new_calendar(method)
    # In an iTIP message DTSTAMP is when the message was made (RFC 5545, 3.8.7.2).
    vevent = feeds.event_vevent(registration, utcnow().replace(microsecond=0))
    attendee = vCalAddress(f"mailto:{registration.email}")
    attendee.params.update(
        {
            "CN": one_line(registration.name),
            "CUTYPE": "INDIVIDUAL",
            "ROLE": "REQ-PARTICIPANT",
            # They registered (or cancelled) themselves: their answer is known, none is asked for.
            "PARTSTAT": "ACCEPTED" if method == REQUEST else "DECLINED",
            "RSVP": "FALSE",
        }
    )
    vevent.add("attendee", attendee)
    cal.add_component(vevent)
    timezones.add_timezones(cal, event)
    return cal


def attach_invitation(message: EmailMessage, registration: Registration) -> EmailMessage:
    """Add the person's invitation (or its cancellation) to `message` as its last alternative.

    Nothing is added while they are on the waiting list, or when they have no address."""
    method = method_for(registration)
    if method is None or not registration.email:
        return message
    body = feeds.to_bytes(invitation(registration))
    if message.get_content_type() != "multipart/alternative":
        message.make_alternative()
    message.add_alternative(
        body, maintype="text", subtype="calendar", params={"method": method, "charset": "utf-8"}
    )
    return message
