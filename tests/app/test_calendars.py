"""Calendar files and feeds: read back by icalendar and by Mozilla's ical.js (Thunderbird's parser).

Every file is checked for the properties calendar apps need, for instants (the UTC moment each
parser computes must equal Python's zoneinfo), stable UIDs and growing SEQUENCEs, and for privacy
(no private link, no one else's data).
"""

from __future__ import annotations

import re
import socket
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from email import policy
from email.parser import BytesParser
from zoneinfo import ZoneInfo

import pytest
from aiosmtpd.controller import Controller
from icalendar import Calendar
from icalendar import Event as VEvent
from sqlalchemy import update

from app.extensions import db
from app.models import (
    Assignment,
    Breakout,
    Event,
    EventStatus,
    MailKind,
    Organisation,
    Plan,
    PlanKind,
    PlanStatus,
    Registration,
    RegistrationStatus,
    Session,
    SessionKind,
    Table,
)
from app.models.types import utcnow
from app.services.calendars import feeds, revisions, timezones
from app.services.events import setup
from app.services.messaging import invites, outbox
from app.services.planning import publishing
from app.services.tokens import new_token
from tests.calendar import icaljs

ORGANISATION = "Riverside City Council"


@pytest.fixture(scope="session")
def ical_js():
    icaljs.ensure_installed()
    return icaljs.parse


def person(event: Event, name: str, email: str, **fields) -> Registration:
    organisation = db.session.query(Organisation).filter_by(name=ORGANISATION).first()
    registration = Registration(
        event=event,
        token=new_token(),
        name=name,
        email=email,
        organisation=organisation,
        status=fields.pop("status", RegistrationStatus.CONFIRMED),
        **fields,
    )
    db.session.add(registration)
    db.session.commit()
    return registration


def publish_plan(event: Event, kind: PlanKind, places: list[tuple[Registration, Session, object]]):
    """A published plan seating each (person, session) at a table or in a breakout."""
    plan = Plan(event=event, kind=kind, status=PlanStatus.PUBLISHED, published_at=utcnow())
    for registration, session, place in places:
        plan.assignments.append(
            Assignment(
                registration=registration,
                session=session,
                table=place if isinstance(place, Table) else None,
                breakout=place if isinstance(place, Breakout) else None,
            )
        )
    db.session.add(plan)
    for registration, _, _ in places:
        revisions.seats_changed(registration)
    db.session.commit()
    return plan


def seat_everyone(event: Event, zoe: Registration, other: Registration) -> None:
    rounds = event.sessions_of(SessionKind.TABLE_ROUND)
    [slot] = event.sessions_of(SessionKind.BREAKOUT_SLOT)
    publish_plan(
        event,
        PlanKind.TABLES,
        [
            (zoe, rounds[0], event.tables[3]),
            (zoe, rounds[1], event.tables[6]),
            (other, rounds[0], event.tables[4]),
            (other, rounds[1], event.tables[8]),
        ],
    )
    publish_plan(
        event,
        PlanKind.BREAKOUTS,
        [(zoe, slot, slot.breakouts[1]), (other, slot, slot.breakouts[0])],
    )


def events_by_uid(cal: Calendar) -> dict[str, object]:
    return {str(e["UID"]): e for e in cal.walk("VEVENT")}


def instant(value: datetime) -> int:
    return int(value.astimezone(UTC).timestamp())


def zoneinfo_instant(local: datetime, tzid: str) -> int:
    return instant(local.replace(tzinfo=ZoneInfo(tzid)))


def check_well_formed(body: bytes, js: dict, *, method: str) -> Calendar:
    """The properties RFC 5545 and calendar apps need, read by both parsers."""
    assert b"\r\n" in body and b"\n" not in body.replace(b"\r\n", b"")  # CRLF line ends only
    assert all(len(line) <= 75 for line in body.split(b"\r\n"))  # folded at 75 octets
    cal = Calendar.from_ical(body)
    assert str(cal["VERSION"]) == "2.0" and str(cal["PRODID"]) == feeds.PRODID
    assert str(cal["METHOD"]) == method == js["method"]
    assert js["version"] == "2.0" and js["prodid"] == feeds.PRODID
    vevents = cal.walk("VEVENT")
    assert vevents and len(vevents) == len(js["events"])
    tzids = set()
    for vevent, read in zip(vevents, js["events"], strict=True):
        for name in ("UID", "DTSTAMP", "DTSTART", "DTEND", "SUMMARY", "SEQUENCE", "ORGANIZER"):
            assert name in vevent, f"{name} missing from {vevent.get('SUMMARY')}"
        assert vevent["DTSTAMP"].dt.tzinfo is not None and vevent["DTSTAMP"].dt.utcoffset() == (
            timedelta(0)
        )
        assert read["uid"] == str(vevent["UID"]) and read["summary"] == str(vevent["SUMMARY"])
        assert read["sequence"] == int(vevent["SEQUENCE"])
        for name, key in (("DTSTART", "start"), ("DTEND", "end")):
            tzid = vevent[name].params["TZID"]  # never floating, never UTC-only
            tzids.add(tzid)
            assert read[key]["tzid"] == tzid and read[key]["zoneFromFile"], read[key]
            # Thunderbird's instant = icalendar's = zoneinfo's.
            local = vevent[name].dt.replace(tzinfo=None)
            assert read[key]["utc"] == instant(vevent[name].dt) == zoneinfo_instant(local, tzid)
        assert str(vevent["ORGANIZER"]).startswith("mailto:")
        assert read["organizer"]["value"] == str(vevent["ORGANIZER"])
    assert {str(tz["TZID"]) for tz in cal.walk("VTIMEZONE")} == tzids == set(js["timezones"])
    for tz in cal.walk("VTIMEZONE"):
        # The form Outlook and Google export; RDATE lists are misread by ical.js.
        assert "RDATE" not in tz.to_ical().decode()
    return cal


# --- the public programme ----------------------------------------------------------------------


def test_programme_file_is_public_and_well_formed(client, event, ical_js):
    response = client.get("/events/learning-day/programme.ics")
    assert response.status_code == 200
    assert response.headers["Content-Type"] == "text/calendar; charset=utf-8"
    assert response.headers["Content-Disposition"] == (
        'attachment; filename="learning-day-programme.ics"'
    )
    assert response.headers["Cache-Control"] == "public, max-age=300"
    body = response.data
    assert b"\r\nREFRESH-INTERVAL;VALUE=DURATION:PT1H\r\n" in body
    assert b"\r\nX-PUBLISHED-TTL:PT1H\r\n" in body
    assert body.index(b"BEGIN:VTIMEZONE") < body.index(b"BEGIN:VEVENT")
    [js] = ical_js(body)
    cal = check_well_formed(body, js, method="PUBLISH")
    vevents = events_by_uid(cal)
    assert feeds.event_uid(event) in vevents
    assert set(vevents) == {feeds.event_uid(event)} | {feeds.session_uid(s) for s in event.sessions}
    assert all("ATTENDEE" not in v for v in vevents.values())  # PUBLISH: nobody is invited
    main = vevents[feeds.event_uid(event)]
    assert str(main["URL"]) == "http://localhost/events/learning-day"
    assert str(main["LOCATION"]) == "Town Hall"
    assert main["ORGANIZER"].params["CN"] == "Riverside City Council, Riverside NHS Trust"
    assert str(main["ORGANIZER"]) == "mailto:noreply@convene.localhost"
    [slot] = event.sessions_of(SessionKind.BREAKOUT_SLOT)
    description = str(vevents[feeds.session_uid(slot)]["DESCRIPTION"])
    assert "Sharing data – Room 1" in description and "Homelessness – Room 2" in description


def test_programme_of_a_draft_or_unknown_event_is_not_found(client, event):
    event.status = EventStatus.DRAFT
    db.session.commit()
    assert client.get("/events/learning-day/programme.ics").status_code == 404
    assert client.get("/events/nothing-here/programme.ics").status_code == 404


def test_event_page_links_to_the_programme_file(client, event):
    page = client.get("/events/learning-day").get_data(as_text=True)
    assert 'href="/events/learning-day/programme.ics"' in page
    assert 'href="webcal://localhost/events/learning-day/programme.ics"' in page


# --- time zones ----------------------------------------------------------------------------------


def event_across(tzid: str, slug: str, moments: list[datetime]) -> Event:
    """A published event in `tzid` with a plenary at each local moment."""
    event = Event(
        slug=slug,
        title=f"Event in {tzid}",
        venue="Somewhere",
        timezone=tzid,
        starts_at=min(moments),
        ends_at=max(moments) + timedelta(hours=2),
        capacity=10,
        status=EventStatus.PUBLISHED,
        convenors=[Organisation(name=f"Convenor {slug}", sector="Health")],
        sessions=[
            Session(
                kind=SessionKind.PLENARY,
                title=f"Session {i}",
                starts_at=moment,
                ends_at=moment + timedelta(hours=1),
            )
            for i, moment in enumerate(moments)
        ],
    )
    db.session.add(event)
    db.session.commit()
    return event


@pytest.mark.parametrize(
    ("tzid", "moments", "offsets"),
    [
        # Clocks go back on the last Sunday of October (27 Oct 2030) and forward on 30 Mar 2031.
        (
            "Europe/London",
            [datetime(2030, 10, 26, 10), datetime(2030, 10, 28, 9, 30), datetime(2031, 4, 1, 9)],
            {1, 0},
        ),
        # New York: back on the first Sunday of November (3 Nov 2030).
        (
            "America/New_York",
            [datetime(2030, 11, 2, 18), datetime(2030, 11, 4, 8)],
            {-4, -5},
        ),
        ("Asia/Tokyo", [datetime(2030, 6, 1, 9)], {9}),
    ],
)
def test_instants_agree_with_zoneinfo_across_clock_changes(
    client, app, tzid, moments, offsets, ical_js
):
    event_across(tzid, "zoned", moments)
    zone = ZoneInfo(tzid)
    # The sessions really are on both sides of a change.
    assert {m.replace(tzinfo=zone).utcoffset() // timedelta(hours=1) for m in moments} == offsets
    body = client.get("/events/zoned/programme.ics").data
    [js] = ical_js(body)
    cal = check_well_formed(body, js, method="PUBLISH")
    starts = sorted(r["start"]["utc"] for r in js["events"] if r["summary"].startswith("Session"))
    assert starts == [zoneinfo_instant(m, tzid) for m in moments]
    vtimezone = cal.walk("VTIMEZONE")[0].to_ical().decode()
    if len(offsets) == 2:
        assert "BEGIN:STANDARD" in vtimezone and "BEGIN:DAYLIGHT" in vtimezone
        assert vtimezone.count("RRULE:FREQ=YEARLY") == 2


@pytest.mark.parametrize(
    "tzid",
    [
        "Europe/London",
        "America/New_York",
        "Australia/Sydney",  # southern hemisphere: summer time across the new year
        "Europe/Dublin",
        "Africa/Casablanca",  # no yearly rule: one observance per transition
        "America/Sao_Paulo",  # summer time abolished in 2019
        "Asia/Kolkata",  # never changes, half-hour offset
    ],
)
def test_vtimezone_gives_zoneinfo_instants_all_year(tzid, app, ical_js):
    """A local time every 61 hours over three years means the same instant to ical.js."""
    zone = ZoneInfo(tzid)
    cal = feeds.new_calendar("PUBLISH")
    cal.add_component(timezones.vtimezone(tzid, 2029, 2031))
    moment, expected = datetime(2030, 1, 1, 0, 30), []
    while moment.year < 2031:
        # Skip wall-clock times that happen twice or never on a clock-change day.
        aware = moment.replace(tzinfo=zone)
        if aware.utcoffset() == aware.replace(fold=1).utcoffset():
            vevent = VEvent()
            vevent.add("uid", f"{len(expected)}@test")
            vevent.add("dtstamp", datetime(2030, 1, 1, tzinfo=UTC))
            vevent.add("dtstart", moment, parameters={"TZID": tzid})
            vevent.add("summary", "probe")
            cal.add_component(vevent)
            expected.append(instant(aware))
        moment += timedelta(hours=61)
    [js] = ical_js(cal.to_ical())
    assert [e["start"]["zoneFromFile"] for e in js["events"]] == [True] * len(expected)
    assert [e["start"]["utc"] for e in js["events"]] == expected


def test_an_event_in_utc_is_written_in_utc_without_a_vtimezone(client, app, ical_js):
    event_across("UTC", "in-utc", [datetime(2030, 6, 1, 9)])
    body = client.get("/events/in-utc/programme.ics").data
    [js] = ical_js(body)
    assert b"DTSTART:20300601T090000Z" in body and b"VTIMEZONE" not in body
    starts = [r["start"]["utc"] for r in js["events"] if r["summary"] == "Session 0"]
    assert starts == [zoneinfo_instant(datetime(2030, 6, 1, 9), "UTC")]


# --- a person's own calendar -------------------------------------------------------------------


@pytest.fixture
def zoe(event) -> Registration:
    return person(event, "Zoë Nguyễn", "zoe@example.org")


@pytest.fixture
def other(event) -> Registration:
    return person(event, "Siobhán O'Brien", "siobhan@example.org")


def test_personal_calendar_has_the_event_and_each_session_with_its_place(
    client, event, zoe, other, ical_js
):
    seat_everyone(event, zoe, other)
    response = client.get(f"/r/{zoe.token}/invite.ics")
    assert response.status_code == 200
    assert response.headers["Content-Type"] == "text/calendar; charset=utf-8"
    assert response.headers["Content-Disposition"] == (
        'attachment; filename="learning-day-my-programme.ics"'
    )
    assert response.headers["Cache-Control"] == "private, no-cache"
    body = response.data
    [js] = ical_js(body)
    cal = check_well_formed(body, js, method="PUBLISH")
    vevents = events_by_uid(cal)
    round_one, _, slot = event.sessions
    assert [str(v["SUMMARY"]) for v in vevents.values()] == [
        "Learning Day",
        "Round one – table 4",
        "Round two – table 7",
        "Sharing data (Breakouts)",
    ]
    assert str(vevents[feeds.session_uid(round_one)]["LOCATION"]) == "Table 4, Town Hall"
    assert str(vevents[feeds.session_uid(slot)]["LOCATION"]) == "Room 1, Town Hall"
    assert all(str(v["STATUS"]) == "CONFIRMED" for v in vevents.values())
    places = str(vevents[feeds.event_uid(event)]["DESCRIPTION"])
    assert "Your places:" in places and "Round one: table 4" in places
    assert "Breakouts: Sharing data, Room 1" in places
    assert all("ATTENDEE" not in v for v in vevents.values())


def test_personal_calendar_before_a_plan_is_published_has_sessions_without_seats(
    client, event, zoe, ical_js
):
    body = client.get(f"/r/{zoe.token}/invite.ics").data
    [js] = ical_js(body)
    cal = check_well_formed(body, js, method="PUBLISH")
    summaries = [str(v["SUMMARY"]) for v in cal.walk("VEVENT")]
    assert summaries == ["Learning Day", "Round one", "Round two", "Breakouts"]
    assert "when the seating plan is published" in js["events"][1]["description"]


def test_files_hold_no_private_link_and_no_one_elses_data(client, event, zoe, other):
    seat_everyone(event, zoe, other)
    mine = client.get(f"/r/{zoe.token}/invite.ics").get_data(as_text=True)
    public = client.get("/events/learning-day/programme.ics").get_data(as_text=True)
    unfolded = Calendar.from_ical(mine).to_ical().decode().replace("\r\n ", "")
    for text in (mine, unfolded, public):
        for secret in (zoe.token, other.token, "/r/", other.name, other.email, zoe.email):
            assert secret not in text
        assert "table 5" not in text and "table 9" not in text  # the other person's tables
    assert zoe.name not in public and "Zo" not in mine  # not even the person's own name


def test_unknown_or_erased_token_is_not_found_and_says_nothing(client, event, zoe):
    unknown = client.get("/r/not-a-token/invite.ics")
    nowhere = client.get("/no/such/page")
    assert unknown.status_code == 404 and unknown.data == nowhere.data
    assert client.get(f"/r/{'x' * 300}/invite.ics").status_code == 404
    zoe.erased_at = utcnow()
    db.session.commit()
    assert client.get(f"/r/{zoe.token}/invite.ics").status_code == 404


def test_same_session_has_the_same_uid_everywhere(client, event, zoe, other):
    seat_everyone(event, zoe, other)
    uids = [
        list(events_by_uid(Calendar.from_ical(client.get(url).data)))
        for url in (
            f"/r/{zoe.token}/invite.ics",
            f"/r/{other.token}/invite.ics",
            "/events/learning-day/programme.ics",
        )
    ]
    assert uids[0] == uids[1] == uids[2]
    assert uids[0] == [f"event-{event.id}@convene.localhost"] + [
        f"session-{s.id}@convene.localhost" for s in event.sessions
    ]


def sequences(client, url: str) -> dict[str, int]:
    cal = Calendar.from_ical(client.get(url).data)
    return {str(v["UID"]): int(v["SEQUENCE"]) for v in cal.walk("VEVENT")}


def test_feed_answers_304_until_a_session_changes_then_sequence_grows(
    signed_in, event, zoe, monkeypatch, ical_js
):
    url = f"/r/{zoe.token}/invite.ics"
    first = signed_in.get(url)
    etag, modified = first.headers["ETag"], first.headers["Last-Modified"]
    assert signed_in.get(url).data == first.data  # the same bytes until something changes
    assert signed_in.get(url, headers={"If-None-Match": etag}).status_code == 304
    assert signed_in.get(url, headers={"If-Modified-Since": modified}).status_code == 304
    before = sequences(signed_in, url)

    # An organiser moves round two by a quarter of an hour, a few seconds later.
    later = utcnow() + timedelta(seconds=5)
    monkeypatch.setattr(revisions, "utcnow", lambda: later)
    round_two = event.sessions[1]
    starts = round_two.starts_at + timedelta(minutes=15)
    response = signed_in.submit(
        f"/organise/events/learning-day/sessions/{round_two.id}/edit",
        {
            "kind": "table_round",
            "title": round_two.title,
            "starts_at": starts.strftime("%Y-%m-%dT%H:%M"),
            "ends_at": round_two.ends_at.strftime("%Y-%m-%dT%H:%M"),
        },
    )
    assert response.status_code == 302

    changed = signed_in.get(url, headers={"If-None-Match": etag})
    assert changed.status_code == 200 and changed.headers["ETag"] != etag
    assert signed_in.get(url, headers={"If-Modified-Since": modified}).status_code == 200
    after = sequences(signed_in, url)
    assert set(after) == set(before)  # same UIDs
    assert all(after[uid] > before[uid] for uid in before)
    [js] = ical_js(changed.data)
    moved = next(e for e in js["events"] if e["uid"] == feeds.session_uid(round_two))
    assert moved["start"]["utc"] == zoneinfo_instant(starts, "Europe/London")


def test_sequence_grows_when_seats_are_published_or_the_person_cancels(client, event, zoe, other):
    url = f"/r/{zoe.token}/invite.ics"
    unseated = sequences(client, url)
    seat_everyone(event, zoe, other)
    seated = sequences(client, url)
    assert all(seated[uid] > unseated[uid] for uid in unseated)
    zoe.status = RegistrationStatus.CANCELLED
    db.session.commit()
    cal = Calendar.from_ical(client.get(url).data)
    assert {str(v["STATUS"]) for v in cal.walk("VEVENT")} == {"CANCELLED"}
    cancelled = {str(v["UID"]): int(v["SEQUENCE"]) for v in cal.walk("VEVENT")}
    assert all(cancelled[uid] > seated[uid] for uid in seated)
    zoe.status = RegistrationStatus.CONFIRMED  # booked again: still growing, never back
    db.session.commit()
    assert all(n > cancelled[uid] for uid, n in sequences(client, url).items())


def test_draft_edits_leave_sequence_at_zero(app, event):
    event.status = EventStatus.DRAFT
    db.session.commit()
    setup.save_session(event, event.sessions[0], kind="plenary", title="Welcome")
    assert event.sequence == 0 and event.sessions[0].sequence == 0


def test_text_with_commas_semicolons_newlines_and_accents_survives(client, event, zoe, ical_js):
    tricky = "Zoë, Siobhán; Nguyễn\nsecond line \\ backslash – “quotes”"
    event.title = "Learning; Day, together"
    event.venue = "Hall 1, Town Hall; Riverside"
    event.sessions[0].title = tricky
    event.sessions[0].description = tricky * 3  # long enough to be folded
    event.convenors[0].name = 'Council, "North"; Siobhán'
    db.session.commit()
    for url in (f"/r/{zoe.token}/invite.ics", "/events/learning-day/programme.ics"):
        body = client.get(url).data
        [js] = ical_js(body)
        cal = check_well_formed(body, js, method="PUBLISH")
        main, first = cal.walk("VEVENT")[:2]
        assert str(main["SUMMARY"]) == js["events"][0]["summary"] == "Learning; Day, together"
        assert str(main["LOCATION"]) == js["events"][0]["location"] == event.venue
        assert str(first["SUMMARY"]) == js["events"][1]["summary"] == tricky
        assert js["events"][1]["description"].startswith(tricky * 3)
        assert str(first["DESCRIPTION"]) == js["events"][1]["description"]
        cn = 'Council, "North"; Siobhán, Riverside NHS Trust'
        assert main["ORGANIZER"].params["CN"] == js["events"][0]["organizer"]["params"]["cn"]
        assert main["ORGANIZER"].params["CN"] == cn


# --- invitations by email ------------------------------------------------------------------------


class Sink:
    def __init__(self):
        self.messages = []

    async def handle_DATA(self, server, session, envelope):
        self.messages.append(BytesParser(policy=policy.default).parsebytes(envelope.content))
        return "250 OK"


@pytest.fixture
def smtp(app):
    """A real SMTP server on this machine; the app delivers to it."""
    with socket.socket() as probe:  # aiosmtpd cannot bind port 0: pick a free port first
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    sink = Sink()
    controller = Controller(sink, hostname="127.0.0.1", port=port)
    controller.start()
    app.config.update(MAIL_SERVER="127.0.0.1", MAIL_PORT=port)
    yield sink.messages
    controller.stop()


def register(client, name: str = "Zoë Nguyễn", email: str = "zoe@example.org") -> str:
    response = client.submit(
        "/events/learning-day/register",
        {
            "name": name,
            "email": email,
            "organisation": ORGANISATION,
            "profession": "Social worker",
            "consent": "y",
        },
    )
    assert response.status_code == 302, response.get_data(as_text=True)
    return response.headers["Location"].rsplit("/", 1)[1]


def invite_part(message):
    """The text/calendar part of an Exchange-style message, after checking the layout."""
    assert message.get_content_type() == "multipart/alternative"
    *texts, part = message.iter_parts()
    assert [t.get_content_type() for t in texts] in (["text/plain"], ["text/plain", "text/html"])
    assert part.get_content_type() == "text/calendar"
    assert part.get_content_charset() == "utf-8"
    assert part["Content-Transfer-Encoding"] == "base64"  # so the CRLF line ends survive
    return part


def read_invite(message, ical_js, method: str):
    part = invite_part(message)
    assert part.get_param("method") == method  # the MIME method equals the file's METHOD
    body = part.get_payload(decode=True)
    [js] = ical_js(body)
    cal = check_well_formed(body, js, method=method)
    [vevent] = cal.walk("VEVENT")  # one UID per iTIP message
    [read] = js["events"]
    return body, vevent, read


def test_confirmation_mail_carries_a_request_for_the_event(client, event, smtp, ical_js):
    token = register(client)
    [message] = smtp
    body, vevent, read = read_invite(message, ical_js, "REQUEST")
    assert str(vevent["UID"]) == feeds.event_uid(event)
    assert str(vevent["ATTENDEE"]) == read["attendees"][0]["value"] == "mailto:zoe@example.org"
    params = read["attendees"][0]["params"]
    assert vevent["ATTENDEE"].params["CN"] == params["cn"] == "Zoë Nguyễn"
    assert params["partstat"] == "ACCEPTED" and params["rsvp"] == "FALSE"
    assert str(vevent["ORGANIZER"]) == "mailto:noreply@convene.localhost"  # replies reach a mailbox
    assert str(vevent["STATUS"]) == "CONFIRMED"
    assert token.encode() not in body and b"/r/" not in body
    assert token in message.get_body(("plain",)).get_content()  # the link is in the text only


def test_cancelling_sends_cancel_for_the_same_uid_with_a_higher_sequence(
    client, event, smtp, ical_js
):
    token = register(client)
    response = client.submit(f"/r/{token}/cancel")
    assert response.status_code == 302
    request, cancel = smtp
    _, requested, _ = read_invite(request, ical_js, "REQUEST")
    _, cancelled, read = read_invite(cancel, ical_js, "CANCEL")
    assert str(cancelled["UID"]) == str(requested["UID"]) == read["uid"]
    assert int(cancelled["SEQUENCE"]) > int(requested["SEQUENCE"])
    assert str(cancelled["STATUS"]) == read["status"] == "CANCELLED"
    assert read["attendees"][0]["value"] == "mailto:zoe@example.org"


def test_nobody_on_the_waiting_list_is_sent_an_invitation(client, event, smtp):
    event.capacity = 0
    db.session.commit()
    register(client)
    [message] = smtp
    assert message.get_content_type() == "text/plain"


def test_a_change_of_seats_is_sent_as_a_request_with_a_higher_sequence(
    client, event, zoe, other, app, smtp, ical_js
):
    with app.test_request_context():
        first = invites.invitation(zoe)
    seat_everyone(event, zoe, other)  # publishing raises the person's calendar sequence
    outbox.queue(MailKind.SEATS_CHANGED, zoe)
    db.session.commit()
    outbox.send_committed()
    [sent] = smtp
    _, vevent, read = read_invite(sent, ical_js, "REQUEST")
    [before] = first.walk("VEVENT")
    assert str(vevent["UID"]) == str(before["UID"])
    assert int(vevent["SEQUENCE"]) > int(before["SEQUENCE"])
    assert "Round one: table 4" in read["description"]
    assert "Breakouts: Sharing data, Room 1" in read["description"]
    assert not re.search(r"table (5|9)", read["description"])  # the other person's seats


def test_the_registration_page_links_to_the_personal_calendar(client, event, zoe):
    page = client.get(f"/r/{zoe.token}").get_data(as_text=True)
    assert f'href="/r/{zoe.token}/invite.ics"' in page
    assert f'href="webcal://localhost/r/{zoe.token}/invite.ics"' in page


def test_publishing_a_plan_mails_a_request_with_the_new_places(
    client, event, zoe, other, smtp, ical_js
):
    before = sequences(client, f"/r/{zoe.token}/invite.ics")
    round_one = event.sessions[0]
    plan = Plan(event=event, kind=PlanKind.TABLES)
    plan.assignments = [
        Assignment(registration=zoe, session=round_one, table=event.tables[2]),
        Assignment(registration=other, session=round_one, table=event.tables[5]),
    ]
    db.session.add(plan)
    db.session.commit()
    assert {r.id for r in publishing.publish(plan)} == {zoe.id, other.id}
    sent = {m["To"]: m for m in smtp}
    _, vevent, read = read_invite(sent["zoe@example.org"], ical_js, "REQUEST")
    assert int(vevent["SEQUENCE"]) > before[str(vevent["UID"])]
    assert "Round one: table 3" in read["description"] and "table 6" not in read["description"]
    after = sequences(client, f"/r/{zoe.token}/invite.ics")
    assert all(after[uid] > before[uid] for uid in before)
    assert after[str(vevent["UID"])] == int(vevent["SEQUENCE"])  # the feed and the mail agree


def watch_sequences(client, url: str):
    """The SEQUENCEs seen so far, and a check to call after each change: whether every entry
    still there grew since the last look."""
    seen = [sequences(client, url)]

    def grew() -> bool:
        now = sequences(client, url)
        bigger = all(now[uid] > seen[-1][uid] for uid in now if uid in seen[-1])
        seen.append(now)
        return bigger

    return seen, grew


def test_every_change_a_calendar_shows_raises_the_sequence(client, event, zoe):
    url = f"/r/{zoe.token}/invite.ics"
    seen, grew = watch_sequences(client, url)

    details = setup.EventDetails(
        title=event.title,
        slug=event.slug,
        description=event.description,
        venue="Civic Centre",
        timezone=event.timezone,
        starts_at=event.starts_at,
        ends_at=event.ends_at,
        capacity=event.capacity,
        registration_opens_at=None,
        registration_closes_at=None,
        waitlist_policy=event.waitlist_policy,
        offer_hours=event.offer_hours,
        convenor_ids=[o.id for o in event.convenors],
    )
    setup.update_event(event, details)
    assert grew()
    setup.update_event(event, replace(details, capacity=80))  # not in any calendar
    assert sequences(client, url) == seen[-1]
    [slot] = event.sessions_of(SessionKind.BREAKOUT_SLOT)
    setup.save_breakout(slot, slot.breakouts[0], room="Room 9")
    assert grew()
    setup.delete_session(event.sessions[1])
    assert grew() and len(seen[-1]) == len(seen[-2]) - 1


def test_revisions_follow_any_change_however_it_is_made(client, event, zoe):
    """Revisions are counted at every flush, so a change made outside the services counts too;
    a change no calendar shows does not."""
    url = f"/r/{zoe.token}/invite.ics"
    seen, grew = watch_sequences(client, url)

    event.tables[0].number = 99  # seated people's entries show table numbers
    db.session.commit()
    assert grew()
    [slot] = event.sessions_of(SessionKind.BREAKOUT_SLOT)
    slot.breakouts[0].capacity += 5  # no calendar shows a capacity
    db.session.commit()
    assert sequences(client, url) == seen[-1]
    db.session.delete(event.tables[1])
    db.session.commit()
    assert grew()


def test_someone_on_the_waiting_list_sees_tentative_entries_without_places(client, event):
    waiting = person(event, "Wendy", "wendy@example.org", status=RegistrationStatus.WAITLISTED)
    cal = Calendar.from_ical(client.get(f"/r/{waiting.token}/invite.ics").data)
    assert {str(v["STATUS"]) for v in cal.walk("VEVENT")} == {"TENTATIVE"}
    assert "Your places" not in cal.to_ical().decode()


# --- whatever is stored: dates at the ends of the calendar, line breaks in titles -----------------


def move_event_to(event: Event, start: datetime) -> None:
    """Store the event and its sessions at `start`, as only the database (not the form) allows."""
    length = event.ends_at - event.starts_at
    for session in event.sessions:
        offset, duration = session.starts_at - event.starts_at, session.ends_at - session.starts_at
        session.starts_at = start + offset
        session.ends_at = start + offset + duration
    event.starts_at, event.ends_at = start, start + length
    db.session.commit()


@pytest.mark.parametrize(
    "start", [datetime(9999, 12, 31, 9), datetime(1, 1, 1, 9)], ids=["year-9999", "year-1"]
)
@pytest.mark.parametrize("tzid", ["Europe/London", "America/Los_Angeles", "Pacific/Kiritimati"])
def test_an_event_stored_at_the_ends_of_the_calendar_still_has_its_files_and_mail(
    client, event, zoe, smtp, ical_js, start, tzid
):
    event.timezone = tzid
    move_event_to(event, start)
    for url in ("/events/learning-day/programme.ics", f"/r/{zoe.token}/invite.ics"):
        response = client.get(url)
        assert response.status_code == 200, url
        [js] = ical_js(response.data)
        cal = Calendar.from_ical(response.data)
        assert [str(t["TZID"]) for t in cal.walk("VTIMEZONE")] == [tzid] == js["timezones"]
        assert {e["DTSTART"].dt.year for e in cal.walk("VEVENT")} == {start.year}
    outbox.queue(MailKind.SEATS_CHANGED, zoe)
    db.session.commit()
    outbox.send_committed()
    [message] = smtp  # built and sent, not left pending for ever
    assert "text/calendar" in {part.get_content_type() for part in message.walk()}


def test_a_title_with_line_breaks_stored_before_the_form_refused_it_reads_as_one_line(
    client, event, zoe, ical_js
):
    db.session.execute(update(Event).values(title="Learning\r\n\x07Day", venue="Town\nHall"))
    db.session.commit()
    for url in ("/events/learning-day/programme.ics", f"/r/{zoe.token}/invite.ics"):
        response = client.get(url)
        assert response.status_code == 200, url
        [js] = ical_js(response.data)
        cal = Calendar.from_ical(response.data)
        assert str(cal["X-WR-CALNAME"]).startswith("Learning Day – ")  # a line of its own
        [own] = [e for e in cal.walk("VEVENT") if str(e["UID"]).startswith("event-")]
        # Text properties carry line breaks escaped (\n), and no control characters at all.
        assert (str(own["SUMMARY"]), str(own["LOCATION"])) == ("Learning\n Day", "Town\nHall")
        assert b"\x07" not in response.data
        assert "Learning\n Day" in {e["summary"] for e in js["events"]}
