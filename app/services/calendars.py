"""Calendar files (iCalendar, RFC 5545): an event's public programme and each person's calendar.

What keeps Google, Outlook, Apple Calendar and Thunderbird in step with the event:

- UIDs come from database ids and the deployment's mail domain, never from titles or slugs (an
  organiser may rename both), so a session has the same UID in the public programme, in every
  person's feed and in every emailed invite, and a calendar updates its entry instead of adding one.
- SEQUENCE is a sum of stored counters that only ever grow (the event's, the session's and the
  person's), raised by the services that change what a calendar shows (`note_event_change`,
  `note_session_change`, `note_programme_change`, `seats_changed`; a change of status raises the
  person's counter in the model). DTSTAMP and LAST-MODIFIED are the time of the last such change, so
  an unchanged calendar is the same bytes on every request and its ETag holds.
- Times are written in the event's own zone, with a VTIMEZONE built here as one STANDARD and one
  DAYLIGHT rule with RRULE, the form Outlook and Google export. icalendar's own VTIMEZONE (lists of
  RDATE transitions) is misread by Mozilla's ical.js, so Thunderbird would shift events by an hour.
- Files get forwarded and shared: they hold no private link, no name or address, only the person's
  own seats. The feed's address is the secret.
"""

from __future__ import annotations

import calendar as gregorian
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from email.utils import parseaddr
from functools import cache
from zoneinfo import ZoneInfo

from flask import current_app, has_request_context
from icalendar import (
    Calendar,
    Timezone,
    TimezoneDaylight,
    TimezoneStandard,
    vCalAddress,
    vDuration,
)
from icalendar import Event as VEvent
from sqlalchemy import func, inspect, select

from app.extensions import db
from app.formatting import format_time
from app.models import (
    Assignment,
    Breakout,
    Event,
    EventStatus,
    Plan,
    PlanStatus,
    Registration,
    RegistrationStatus,
    Session,
    SessionKind,
    Table,
)
from app.models.types import utcnow
from app.services import notifications

PRODID = "-//Convene//Convene calendars//EN"
REFRESH = timedelta(hours=1)  # a hint to subscribing apps; Google polls on its own schedule anyway

# Fields whose change alters what a calendar shows.
_EVENT_FIELDS = ("title", "description", "venue", "timezone", "starts_at", "ends_at", "slug")
_SESSION_FIELDS = ("kind", "title", "description", "location", "starts_at", "ends_at")


@dataclass(frozen=True)
class Place:
    """Where one person is in one session of the published plan: a table or a breakout."""

    session: Session
    table: Table | None = None
    breakout: Breakout | None = None


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
    convenors = ", ".join(o.name for o in event.convenors) or name
    if convenors:
        value.params["CN"] = convenors
    return value


def event_page_url(event: Event) -> str | None:
    """The public event page; None where no address is known (no request and no PUBLIC_URL)."""
    if current_app.config.get("PUBLIC_URL") or has_request_context():
        return notifications.external_url("public.event", slug=event.slug)
    return None


# --- what a person has ---------------------------------------------------------------------------


def published_places(registration: Registration) -> dict[int, Place]:
    """The person's places in the event's published plans, by session id (none when unpublished)."""
    assignments = db.session.scalars(
        select(Assignment)
        .join(Plan)
        .where(
            Plan.event_id == registration.event_id,
            Plan.status == PlanStatus.PUBLISHED,
            Assignment.registration_id == registration.id,
        )
        .order_by(Plan.published_at, Plan.id)  # should two be published, the newest wins
    )
    return {a.session_id: Place(a.session, a.table, a.breakout) for a in assignments}


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
    places = published_places(registration) if status == "CONFIRMED" else {}
    # Unsaved rows have no defaults yet (a confirmation is built before the first flush).
    base = (event.sequence or 0) + (registration.calendar_sequence or 0)
    events = [_event_vevent(event, stamp, base, status, _event_text(event, places, status))]
    for session in event.sessions:
        text = _session_text(session, places.get(session.id), personal=status == "CONFIRMED")
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
    vevent.add("summary", summary)
    if location:
        vevent.add("location", location)
    if description:
        vevent.add("description", description)
    vevent.add("organizer", organizer(event))
    url = event_page_url(event)
    if url:
        vevent.add("url", url)
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
    url = event_page_url(event)
    if url:
        parts.append(f"Programme: {url}")
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


def add_timezones(cal: Calendar, event: Event) -> None:
    """A VTIMEZONE for every TZID the calendar's events use (UTC is written with Z instead)."""
    used = {
        component[name].params["TZID"]
        for component in cal.walk("VEVENT")
        for name in ("DTSTART", "DTEND")
        if name in component and "TZID" in component[name].params
    }
    years = [event.starts_at.year, event.ends_at.year]
    # Before the events, where Outlook and Google put them: a reader meets a zone before its use.
    for tzid in sorted(used, reverse=True):
        cal.subcomponents.insert(0, vtimezone(tzid, min(years) - 1, max(years) + 1))


@cache
def vtimezone(tzid: str, first_year: int, last_year: int) -> Timezone:
    """A VTIMEZONE for `tzid` correct from `first_year` to `last_year`.

    Written as Outlook and Google write it: one STANDARD and one DAYLIGHT observance, each with a
    yearly RRULE (e.g. BYMONTH=10;BYDAY=-1SU), starting at the first transition of `first_year`.
    A zone with no clock changes gets one STANDARD observance. A zone whose changes follow no
    such rule over those years (a government moved them) gets one observance per transition,
    each with a single DTSTART, still without the RDATE lists that ical.js misreads.

    Cached (every confirmation mail needs one): the component is shared, so it is never changed.
    """
    zone = ZoneInfo(tzid)
    tz = Timezone()
    tz.add("tzid", tzid)
    tz.add("x-lic-location", tzid)
    transitions = [t for year in range(first_year, last_year + 1) for t in _transitions(zone, year)]
    if not transitions:
        start = datetime(first_year, 1, 1)
        offset = _offset(zone, start.replace(tzinfo=UTC))
        tz.add_component(_observance(False, start, offset, offset, _name(zone, start)))
        return tz
    rules = _yearly_rules(zone, transitions, first_year, last_year)
    if rules is not None:
        for rule in rules:
            component = _observance(
                rule.after > rule.before, rule.onset, rule.before, rule.after, rule.name
            )
            component.add(
                "rrule", {"freq": "yearly", "bymonth": rule.onset.month, "byday": rule.byday}
            )
            tz.add_component(component)
        return tz
    first_instant, first_offset, first_next = transitions[0]
    tz.add_component(
        _observance(
            first_offset > first_next,
            datetime(first_year, 1, 1),
            first_offset,
            first_offset,
            _tzname(zone, first_instant - timedelta(seconds=1)),
        )
    )
    for instant, before, after in transitions:
        local = (instant + before).replace(tzinfo=None)
        tz.add_component(_observance(after > before, local, before, after, _tzname(zone, instant)))
    return tz


def _observance(
    daylight: bool, start: datetime, before: timedelta, after: timedelta, name: str
) -> TimezoneStandard | TimezoneDaylight:
    component = TimezoneDaylight() if daylight else TimezoneStandard()
    component.add("dtstart", start)
    component.add("tzoffsetfrom", before)
    component.add("tzoffsetto", after)
    if name:
        component.add("tzname", name)
    return component


def _offset(zone: ZoneInfo, instant: datetime) -> timedelta:
    offset = instant.astimezone(zone).utcoffset()
    assert offset is not None
    return offset


def _tzname(zone: ZoneInfo, instant: datetime) -> str:
    return instant.astimezone(zone).tzname() or ""


def _name(zone: ZoneInfo, local: datetime) -> str:
    return local.replace(tzinfo=zone).tzname() or ""


def _transitions(zone: ZoneInfo, year: int) -> list[tuple[datetime, timedelta, timedelta]]:
    """(UTC instant, offset before, offset after) of each change of UTC offset during `year`."""
    found = []
    moment, end = datetime(year, 1, 1, tzinfo=UTC), datetime(year + 1, 1, 1, tzinfo=UTC)
    offset = _offset(zone, moment)
    while moment < end:
        step = min(moment + timedelta(days=1), end)
        if _offset(zone, step) != offset:
            low, high = moment, step  # the offset changes in (low, high]: narrow to the second
            while high - low > timedelta(seconds=1):
                middle = low + (high - low) / 2
                if _offset(zone, middle) == offset:
                    low = middle
                else:
                    high = middle
            high = high.replace(microsecond=0)
            if _offset(zone, high) == offset:
                high += timedelta(seconds=1)
            after = _offset(zone, high)
            found.append((high, offset, after))
            offset = after
        moment = step
    return found


@dataclass(frozen=True)
class _Rule:
    """One yearly clock change: its first local onset, offsets, BYDAY and abbreviation."""

    onset: datetime
    before: timedelta
    after: timedelta
    byday: str
    name: str


_WEEKDAYS = ("MO", "TU", "WE", "TH", "FR", "SA", "SU")


def _yearly_rules(
    zone: ZoneInfo,
    transitions: list[tuple[datetime, timedelta, timedelta]],
    first_year: int,
    last_year: int,
) -> list[_Rule] | None:
    """Two yearly rules (nth or last weekday of a month, same local time and offsets every year)
    reproducing exactly these transitions, or None when no such pair does."""
    years = list(range(first_year, last_year + 1))
    if len(transitions) != 2 * len(years):
        return None
    rules = []
    for group in (transitions[0::2], transitions[1::2]):  # each year's first change, its second
        onsets = [(instant + before).replace(tzinfo=None) for instant, before, _ in group]
        shapes = {
            (onset.month, onset.time(), onset.weekday(), before, after)
            for onset, (_, before, after) in zip(onsets, group, strict=True)
        }
        common = set.intersection(*(_weekday_positions(onset) for onset in onsets))
        if len(shapes) != 1 or [o.year for o in onsets] != years or not common:
            return None
        position = -1 if -1 in common else min(common)
        instant, before, after = group[0]
        byday = f"{position}{_WEEKDAYS[onsets[0].weekday()]}"
        rules.append(_Rule(onsets[0], before, after, byday, _tzname(zone, instant)))
    return rules


def _weekday_positions(local: datetime) -> set[int]:
    """The BYDAY positions naming this date's weekday in its month: nth, and -1 if the last."""
    positions = {(local.day - 1) // 7 + 1}
    if local.day + 7 > gregorian.monthrange(local.year, local.month)[1]:
        positions.add(-1)
    return positions


# --- recording changes ---------------------------------------------------------------------------


def note_event_change(event: Event) -> None:
    """Call after editing an event's details, before committing: raises the calendar revision
    when something a calendar shows has changed."""
    if _changed(event, _EVENT_FIELDS) or _changed(event, ("convenors",)):
        note_programme_change(event)


def note_session_change(session: Session) -> None:
    """Call after adding or editing a session, before committing."""
    state = inspect(session)
    if state.pending or state.transient:
        note_programme_change(session.event)
    elif _changed(session, _SESSION_FIELDS) and _visible(session.event):
        session.sequence = (session.sequence or 0) + 1
        note_programme_change(session.event)


def note_slot_change(session: Session) -> None:
    """Call when a breakout slot's breakouts are added, edited or removed, before committing."""
    if _visible(session.event):
        session.sequence = (session.sequence or 0) + 1
        note_programme_change(session.event)


def note_programme_change(event: Event) -> None:
    """Anything in the event's calendars changed (a session added or deleted, tables renumbered):
    every entry gets a higher SEQUENCE and the feeds a new Last-Modified."""
    if _visible(event):
        event.sequence = (event.sequence or 0) + 1
        event.changed_at = utcnow()


def seats_changed(registration: Registration) -> None:
    """The person's table or breakout changed (a plan was published): call before committing.
    Their entries get a higher SEQUENCE, so calendars and emailed invites replace the old ones."""
    registration.calendar_sequence = (registration.calendar_sequence or 0) + 1


def _visible(event: Event) -> bool:
    # Nobody can hold a calendar of a draft, so drafts start at SEQUENCE 0 when published.
    return event.status != EventStatus.DRAFT


def _changed(obj: object, fields: tuple[str, ...]) -> bool:
    attrs = inspect(obj).attrs
    return any(attrs[name].history.has_changes() for name in fields)
