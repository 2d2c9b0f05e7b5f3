"""Calendar files (iCalendar, RFC 5545): an event's public programme and each person's calendar.

What keeps Google, Outlook, Apple Calendar and Thunderbird in step with the event:

- UIDs come from database ids and the deployment's mail domain, never from titles or slugs (an
  organiser may rename both), so a session has the same UID in the public programme, in every
  person's feed and in every emailed invite, and a calendar updates its entry instead of adding one.
- SEQUENCE is a sum of stored counters that only ever grow (the event's, the session's and the
  person's), raised at every flush that changes what a calendar shows (calendars/revisions.py).
  DTSTAMP and LAST-MODIFIED are the time of the last such change, so an unchanged calendar is the
  same bytes on every request and its ETag holds.
- Times are written in the event's own zone, with a VTIMEZONE (calendars/timezones.py).
- Files get forwarded and shared: they hold no private link, no name or address, only the person's
  own seats (planning/places.py decides them). The feed's address is the secret.

May import: models, urls, calendars.timezones and planning.places.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from email.utils import parseaddr

from flask import current_app
from icalendar import Calendar, vCalAddress, vDuration
from icalendar import Event as VEvent
from sqlalchemy import func, select

from app.extensions import db
from app.formatting import format_time, one_line, plain_lines
from app.models import (
    Event,
    EventStatus,
    Plan,
    PlanStatus,
    Registration,
    RegistrationStatus,
    Session,
    SessionKind,
)
from app.services.calendars.timezones import add_timezones
from app.services.planning.places import Place, places
from app.services.urls import external_url

PRODID = "-//Convene//Convene calendars//EN"
REFRESH = timedelta(hours=1)  # a hint to subscribing apps; Google polls on its own schedule anyway


# --- identities --------------------------------------------------------------------------------


def uid_domain() -> str:
    """The right-hand side of every UID: the domain of the deployment's sender address."""
    address = parseaddr(current_app.config["MAIL_SENDER"])[1]
    return address.rpartition("@")[2] or "convene.localhost"


def event_uid(event: Event) -> str:
    return f"event-{event.id}@{uid_domain()}"


def session_uid(session: Session) -> str:
    return f"session-{session.id}@{uid_domain()}"


def organizer(event: Event) -> vCalAddress:
    """The convenors, with the deployment's real mailbox (iTIP replies go to the ORGANIZER)."""
    name, address = parseaddr(current_app.config["MAIL_SENDER"])
    value = vCalAddress(f"mailto:{address}")
    convenors = one_line(", ".join(o.name for o in event.convenors) or name)
    if convenors:
        value.params["CN"] = convenors
    return value


def event_page_url(event: Event) -> str:
    return external_url("public.event", slug=event.slug)


def has_calendar(registration: Registration) -> bool:
    """Whether this registration's calendar address answers (not once the person is erased)."""
    return registration.erased_at is None and registration.event.status != EventStatus.DRAFT


# --- calendars -----------------------------------------------------------------------------------


def programme_calendar(event: Event, stamp: datetime) -> Calendar:
    """The public programme: the event and every session, for anyone (METHOD:PUBLISH).
    `stamp` is `last_modified(event)`, which the caller also sends as Last-Modified."""
    cal = _feed(event, f"{event.title} – programme")
    cal.add_component(_event_vevent(event, stamp, event.sequence, "CONFIRMED", _event_text(event)))
    for session in event.sessions:
        text = _session_text(session, None, personal=False)
        sequence = event.sequence + session.sequence
        cal.add_component(_session_vevent(session, stamp, sequence, "CONFIRMED", text))
    add_timezones(cal, event)
    return cal


def personal_calendar(registration: Registration, stamp: datetime) -> Calendar:
    """One person's calendar: the event and each session, with their table or breakout once a
    plan is published. Also what the feed serves, so it follows later changes. `stamp` is
    `last_modified(event, registration)`, which the caller also sends as Last-Modified."""
    event = registration.event
    cal = _feed(event, f"{event.title} – my programme")
    for component in personal_vevents(registration, stamp):
        cal.add_component(component)
    add_timezones(cal, event)
    return cal


def personal_vevents(registration: Registration, stamp: datetime) -> list[VEvent]:
    """The VEVENTs of `personal_calendar`: the event's own first, then its sessions in order."""
    event = registration.event
    status = _status(registration)
    placed = places(registration)
    # Unsaved rows have no defaults yet (a confirmation is built before the first flush).
    base = (event.sequence or 0) + (registration.calendar_sequence or 0)
    events = [_event_vevent(event, stamp, base, status, _event_text(event, placed, status))]
    for session in event.sessions:
        text = _session_text(session, placed.get(session.id), personal=status == "CONFIRMED")
        sequence = base + (session.sequence or 0)
        events.append(_session_vevent(session, stamp, sequence, status, text))
    return events


def event_vevent(registration: Registration, stamp: datetime) -> VEvent:
    """The event's own VEVENT as this person's calendar has it (what emailed invites carry)."""
    return personal_vevents(registration, stamp)[0]


def to_bytes(cal: Calendar) -> bytes:
    """The file's bytes: UTF-8, CRLF line ends, lines folded at 75 octets."""
    return cal.to_ical()


def last_modified(event: Event, registration: Registration | None = None) -> datetime:
    """When anything in the event's (or this person's) calendar last changed, to the second."""
    published = db.session.scalar(
        select(func.max(Plan.published_at)).where(
            Plan.event_id == event.id, Plan.status == PlanStatus.PUBLISHED
        )
    )
    times = [event.changed_at or event.created_at, published]
    if registration is not None:
        times.append(registration.updated_at)
    return max(_utc(t) for t in times if t is not None).replace(microsecond=0)


def _utc(moment: datetime) -> datetime:
    # An aggregate such as MAX() comes back from SQLite as a naive string-parsed time: it is UTC.
    return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)


def _status(registration: Registration) -> str:
    return {
        RegistrationStatus.CONFIRMED: "CONFIRMED",
        RegistrationStatus.WAITLISTED: "TENTATIVE",
        RegistrationStatus.CANCELLED: "CANCELLED",
    }[RegistrationStatus(registration.status)]


def new_calendar(method: str) -> Calendar:
    """An empty VCALENDAR with the properties every file and message needs."""
    cal = Calendar()
    cal.add("prodid", PRODID)
    cal.add("version", "2.0")
    cal.add("calscale", "GREGORIAN")
    cal.add("method", method)
    return cal


def _feed(event: Event, name: str) -> Calendar:
    """A downloadable file, also polled as a subscription (METHOD:PUBLISH, no ATTENDEE)."""
    cal = new_calendar("PUBLISH")
    name = one_line(name)  # NAME and X-WR-CALNAME are written as they are: one line
    cal.add("name", name)
    cal.add("x-wr-calname", name)
    cal.add("x-wr-timezone", event.timezone)
    cal.add("refresh-interval", REFRESH, parameters={"VALUE": "DURATION"})
    cal.add("x-published-ttl", vDuration(REFRESH))  # an X- property: icalendar needs the type
    return cal


def _event_vevent(
    event: Event, stamp: datetime, sequence: int, status: str, description: str
) -> VEvent:
    return _vevent(
        event_uid(event),
        event,
        event.starts_at,
        event.ends_at,
        event.title,
        event.venue,
        description,
        stamp,
        sequence,
        status,
    )


def _session_vevent(
    session: Session, stamp: datetime, sequence: int, status: str, text: tuple[str, str, str]
) -> VEvent:
    """A session's VEVENT; `text` is its SUMMARY, LOCATION and DESCRIPTION (`_session_text`)."""
    summary, location, description = text
    return _vevent(
        session_uid(session),
        session.event,
        session.starts_at,
        session.ends_at,
        summary,
        location,
        description,
        stamp,
        sequence,
        status,
    )


def _vevent(
    uid: str,
    event: Event,
    starts_at: datetime,
    ends_at: datetime,
    summary: str,
    location: str,
    description: str,
    stamp: datetime,
    sequence: int,
    status: str,
) -> VEvent:
    zone = event.zone
    vevent = VEvent()
    vevent.add("uid", uid)
    vevent.add("dtstamp", stamp)
    vevent.add("last-modified", stamp)
    vevent.add("sequence", sequence)
    vevent.add("status", status)
    vevent.add("dtstart", starts_at.replace(tzinfo=zone))
    vevent.add("dtend", ends_at.replace(tzinfo=zone))
    # Whatever is stored: no control characters (RFC 5545 3.3.11); line breaks are escaped.
    vevent.add("summary", plain_lines(summary))
    if location:
        vevent.add("location", plain_lines(location))
    if description:
        vevent.add("description", plain_lines(description))
    vevent.add("organizer", organizer(event))
    vevent.add("url", event_page_url(event))
    vevent.add("transp", "TRANSPARENT" if status == "CANCELLED" else "OPAQUE")
    return vevent


def _event_text(event: Event, places: dict[int, Place] | None = None, status: str = "") -> str:
    parts = [event.description.strip()]
    if event.convenors:
        parts.append("Convened by " + ", ".join(o.name for o in event.convenors) + ".")
    if status == "CONFIRMED":
        seated = [s for s in event.sessions if s.kind != SessionKind.PLENARY]
        lines = [_place_line(s, places[s.id]) for s in seated if places and s.id in places]
        if lines:
            parts.append("Your places:\n" + "\n".join(lines))
        elif seated:
            parts.append(
                "Your table for each round and your breakouts will be added here "
                "when the seating plan is published."
            )
    parts.append(f"Programme: {event_page_url(event)}")
    return "\n\n".join(p for p in parts if p)


def _place_line(session: Session, place: Place) -> str:
    when = f"{format_time(session.starts_at)}–{format_time(session.ends_at)}"
    if place.table is not None:
        return f"{when} {session.title}: table {place.table.number}"
    breakout = place.breakout
    assert breakout is not None
    return f"{when} {session.title}: {breakout.title}, {breakout.room}"


def _session_text(session: Session, place: Place | None, *, personal: bool) -> tuple[str, str, str]:
    """SUMMARY, LOCATION and DESCRIPTION of a session, with the person's place if they have one."""
    venue = session.event.venue
    where = _join(session.location, venue)
    description = session.description.strip()
    part_of = f"Part of {session.event.title}."
    if place is not None and place.table is not None:
        number = place.table.number
        return (
            f"{session.title} – table {number}",
            _join(f"Table {number}", where),
            _paragraphs(description, f"You sit at table {number}.", part_of),
        )
    if place is not None and place.breakout is not None:
        breakout = place.breakout
        return (
            f"{breakout.title} ({session.title})",
            _join(breakout.room, venue),
            _paragraphs(breakout.description.strip() or description, part_of),
        )
    if session.kind == SessionKind.BREAKOUT_SLOT:
        choices = "\n".join(f"{b.title} – {b.room}" for b in session.breakouts)
        pending = "Your breakout will be added here when it is confirmed." if personal else ""
        return (
            session.title,
            where,
            _paragraphs(description, f"Breakouts:\n{choices}" if choices else "", pending, part_of),
        )
    pending = ""
    if personal and session.kind == SessionKind.TABLE_ROUND:
        pending = "Your table number will be added here when the seating plan is published."
    return session.title, where, _paragraphs(description, pending, part_of)


def _join(*parts: str) -> str:
    return ", ".join(p.strip() for p in parts if p and p.strip())


def _paragraphs(*parts: str) -> str:
    return "\n\n".join(p for p in parts if p)


# --- time zones ----------------------------------------------------------------------------------


# --- recording changes ---------------------------------------------------------------------------
