"""Organiser basics: capacity said before registering, the organiser's contact, messages to a
segment, copying an event, the duplicate-email page, and the CSV's tables and breakouts."""

from __future__ import annotations

import csv
import html
import io
import re
from datetime import timedelta

from pypdf import PdfReader
from sqlalchemy import func, select

from app.extensions import db
from app.models import (
    Assignment,
    Event,
    EventStatus,
    OutgoingMail,
    Plan,
    Registration,
    RegistrationStatus,
    SessionKind,
)
from app.services.messaging.transport import outbox_messages
from app.services.tokens import new_token
from tests.app.test_organise import FMT, event_form
from tests.app.test_printing import attendees  # noqa: F401  (a fixture)
from tests.app.test_registration import form as registration_form
from tests.app.test_registration import plain, registrations

REGISTER = "/events/learning-day/register"


def text(response) -> str:
    return response.get_data(as_text=True)


def outbox(app):
    return outbox_messages(app.config["MAIL_OUTBOX_DIR"])


def add_people(event: Event, count: int, status=RegistrationStatus.CONFIRMED) -> list[Registration]:
    people = [
        Registration(
            event=event,
            name=f"Person {i}",
            email=f"person{i}@example.org",
            status=status,
            token=new_token(),
        )
        for i in range(count)
    ]
    db.session.add_all(people)
    db.session.commit()
    return people


# --- capacity said before, not after ----------------------------------------------------------


def test_a_full_event_says_so_on_its_page_and_form_before_anyone_registers(client, event):
    assert "Full: join" not in text(client.get("/events/learning-day"))
    event.capacity = 1
    db.session.commit()
    client.submit(REGISTER, registration_form(email="first@example.org"))

    page = text(client.get("/events/learning-day"))
    assert ">Full: join the waiting list</a>" in page
    assert ">Register</a>" not in page
    form_page = text(client.get(REGISTER))
    assert "<h1>Full: join the waiting list for Learning Day</h1>" in form_page
    assert ">Full: join the waiting list</button>" in form_page
    assert ">Register</button>" not in form_page

    client.submit(REGISTER, registration_form(email="second@example.org", name="Sam Second"))
    assert [r.status for r in registrations()] == [
        RegistrationStatus.CONFIRMED,
        RegistrationStatus.WAITLISTED,
    ]


def edit_form(event: Event, **overrides) -> dict:
    data = event_form(
        title=event.title,
        slug=event.slug,
        starts_at=event.starts_at.strftime("%Y-%m-%dT%H:%M"),
        ends_at=event.ends_at.strftime("%Y-%m-%dT%H:%M"),
        convenors=[str(o.id) for o in event.convenors],
        new_convenor_name="",
        new_convenor_sector="",
        contact_email="team@example.org",
    )
    data.update(overrides)
    return data


def test_lowering_capacity_below_the_places_held_asks_first_and_cancels_nobody(
    signed_in, event, client
):
    add_people(event, 5)
    url = f"/organise/events/{event.slug}/edit"
    asked = signed_in.submit(url, edit_form(event, capacity="3"))
    assert asked.status_code == 200
    page = text(asked)
    assert "Lower the capacity below the places already held?" in page
    assert "5 places are held" in page
    assert "the 2 people over it keep their place" in page
    assert "Lower capacity to 3 and save" in page
    assert 'name="lower_capacity_to" type="hidden" value="3"' in page
    db.session.expire_all()
    assert db.session.get(Event, event.id).capacity == 60  # nothing saved yet

    # Confirming a different number asks again, about that number.
    again = signed_in.submit(url, edit_form(event, capacity="4", lower_capacity_to="3"))
    assert "the 1 person over it keeps their place" in text(again)

    saved = signed_in.submit(url, edit_form(event, capacity="3", lower_capacity_to="3"))
    assert saved.status_code == 302
    db.session.expire_all()
    assert db.session.get(Event, event.id).capacity == 3
    assert [r.status for r in registrations()] == [RegistrationStatus.CONFIRMED] * 5
    # Anyone registering now joins the waiting list, and is told so before.
    signed_in.get("/logout")
    assert "Full: join the waiting list" in text(client.get(REGISTER))
    client.submit(REGISTER, registration_form(email="late@example.org"))
    assert registrations()[-1].status == RegistrationStatus.WAITLISTED


def test_raising_or_keeping_capacity_above_the_places_held_saves_at_once(signed_in, event):
    add_people(event, 5)
    saved = signed_in.submit(f"/organise/events/{event.slug}/edit", edit_form(event, capacity="5"))
    assert saved.status_code == 302
    db.session.expire_all()
    assert db.session.get(Event, event.id).capacity == 5


# --- the organiser's contact ------------------------------------------------------------------


def test_a_new_event_takes_the_organisers_address_unless_another_is_given(signed_in, organiser):
    new = text(signed_in.get("/organise/events/new"))
    assert f'value="{organiser.email}"' in new
    signed_in.submit("/organise/events/new", event_form(contact_email=""))
    signed_in.submit(
        "/organise/events/new",
        event_form(title="Second day", contact_email="desk@example.org"),
    )
    contacts = dict(db.session.execute(select(Event.title, Event.contact_email)).all())
    assert contacts == {
        "Housing and Health Summit": organiser.email,
        "Second day": "desk@example.org",
    }


def test_a_contact_that_is_not_an_address_is_refused_beside_the_field(signed_in):
    response = signed_in.submit(
        "/organise/events/new", event_form(contact_email="team@example.org\r\nBcc: x@y.org")
    )
    assert response.status_code == 200
    assert "Give an email address." in text(response)
    assert db.session.scalar(select(Event)) is None


def test_the_contact_is_on_the_event_page_and_at_the_foot_of_every_message(
    signed_in, event, client, app
):
    signed_in.submit(f"/organise/events/{event.slug}/edit", edit_form(event, capacity="60"))
    signed_in.get("/logout")
    page = text(client.get("/events/learning-day"))
    assert '<a href="mailto:team@example.org">team@example.org</a>' in page

    client.submit(REGISTER, registration_form())
    client.submit(REGISTER, registration_form(name="Again"))  # the manage link again
    token = registrations()[0].token
    client.submit(f"/r/{token}/cancel", {})
    messages = outbox(app)
    assert len(messages) == 3
    for message in messages:
        assert "Questions? Write to the organisers at team@example.org" in plain(message)
        assert message["Reply-To"] == "team@example.org"


def test_an_event_made_without_a_contact_gives_an_organisers_address(signed_in, event, organiser):
    assert event.contact_email == ""  # made directly, as older events were
    page = text(signed_in.get("/events/learning-day"))
    assert f'<a href="mailto:{organiser.email}">{organiser.email}</a>' in page
    edit = text(signed_in.get(f"/organise/events/{event.slug}/edit"))
    assert re.search(rf'name="contact_email"[^>]*value="{re.escape(organiser.email)}"', edit)


# --- the duplicate-email page -----------------------------------------------------------------


def test_a_taken_email_keeps_what_was_typed_and_says_how_to_reach_the_organiser(client, event, app):
    event.contact_email = "team@example.org"
    db.session.commit()
    client.submit(REGISTER, registration_form(dietary_needs="Halal"))
    typed = registration_form(
        name="Bea Typist", role="Head of housing", dietary_needs="No nuts", access_needs="Loop"
    )
    again = client.submit(REGISTER, typed)
    page = text(again)
    assert "This email is already registered" in page
    assert "This email is already registered for this event." in page  # beside the field
    assert 'value="Bea Typist"' in page and 'value="Head of housing"' in page
    assert "No nuts" in page and "Loop" in page
    assert "Halal" not in page  # nothing of the stored registration shows
    assert "mailto:team@example.org" in page
    # Corrected, it registers.
    corrected = client.submit(REGISTER, {**typed, "email": "bea@example.org"})
    assert corrected.status_code == 302
    assert [r.name for r in registrations()] == ["Amara Okafor", "Bea Typist"]


# --- print and plural glitches ----------------------------------------------------------------


def test_printed_text_reads_apart(signed_in, client, event, attendees):  # noqa: F811
    """The itinerary keeps a breakout's title from its room, find-your-table's round headings
    stand apart, and the facilitator sheet joins notes without doubled punctuation."""
    person = attendees[8]  # at table 1 in round one
    person.access_needs = "Hearing loop."
    person.needs_accessible_table = True
    person.dietary_needs = "Vegan;"
    db.session.commit()

    itinerary = text(client.get(f"/r/{attendees[0].token}/itinerary"))
    # The first attendee is in "Homelessness", room 2 (test_printing.send_to_breakouts).
    assert 'Homelessness <span class="room">(Room 2)</span>' in itinerary

    find = text(signed_in.get("/organise/events/learning-day/print/find-your-table"))
    assert '<span class="tn"> R1 R2</span>' in find  # ten tables: two digits and a space each

    sheets = text(signed_in.get("/organise/events/learning-day/print/facilitator-sheets"))
    assert "Hearing loop; accessible table; Diet: Vegan</span>" in sheets
    assert ".;" not in sheets


def test_itinerary_pdf_has_a_space_between_breakout_and_room(client, attendees):  # noqa: F811
    pdf = client.get(f"/r/{attendees[0].token}/itinerary.pdf").data
    words = PdfReader(io.BytesIO(pdf)).pages[0].extract_text()
    assert "Homelessness (Room 2)" in words


def test_organiser_pages_count_in_the_right_number(signed_in, event):
    for session in list(event.sessions)[1:]:
        if session.kind.value == "table_round":
            db.session.delete(session)
    event.tables = event.tables[:1]
    event.capacity = 1
    db.session.commit()
    add_people(event, 1)
    planning = text(signed_in.get(f"/organise/events/{event.slug}/planning"))
    assert "1 confirmed attendee ·" in planning
    assert "1 table round ·" in planning
    assert "1 table (6 seats)" in planning
    assert "1 breakout slot<" in planning
    page = text(signed_in.get(f"/organise/events/{event.slug}"))
    assert "1 confirmed of 1 place ·" in page and "1 table, 6 seats." in page
    added = signed_in.submit(
        f"/organise/events/{event.slug}/tables/new",
        {"count": "1", "capacity": "8", "accessible": "0"},
        follow_redirects=True,
    )
    assert "Added 1 table." in text(added)


# --- a message to a segment -------------------------------------------------------------------


def mail_rows() -> list[OutgoingMail]:
    db.session.expire_all()
    return list(db.session.scalars(select(OutgoingMail).order_by(OutgoingMail.id)))


def write(client, event, segment: str, confirmed: str = "", **fields):
    data = {"segment": segment, "subject": "Lunch moves", "body": "Lunch is at 13:00.", **fields}
    if confirmed:
        data["confirmed"] = confirmed
    return client.submit(f"/organise/events/{event.slug}/message", data)


def test_a_message_to_everyone_confirmed_asks_with_the_count_then_goes_through_the_outbox(
    signed_in, event, app
):
    event.contact_email = "team@example.org"
    confirmed = add_people(event, 3)
    waiting = Registration(
        event=event,
        name="Wanda Waiting",
        email="wanda@example.org",
        token=new_token(),
        status=RegistrationStatus.WAITLISTED,
    )
    gone = Registration(
        event=event,
        name="Cass Cancelled",
        email="cass@example.org",
        token=new_token(),
        status=RegistrationStatus.CANCELLED,
    )
    db.session.add_all([waiting, gone])
    db.session.commit()
    body = "Lunch is at 13:00 <b>not</b> 12:30.\n\nBring your badge."

    asked = write(signed_in, event, "confirmed", body=body)
    page = text(asked)
    assert "Send this message to 3 people?" in page
    assert "Everyone confirmed: 3 people with an email address will get it." in page
    assert ">Send to 3 people</button>" in page
    assert "&lt;b&gt;not&lt;/b&gt;" in page and "<b>not</b>" not in page
    assert mail_rows() == []  # nothing queued before confirming

    sent = write(signed_in, event, "confirmed", "confirmed:3", body=body)
    assert sent.status_code == 302
    assert "Sent to 3 people: Everyone confirmed." in text(signed_in.get(sent.headers["Location"]))
    rows = mail_rows()
    assert [r.kind for r in rows] == ["organiser_message"] * 3
    assert {r.registration_id for r in rows} == {p.id for p in confirmed}
    messages = outbox(app)
    assert sorted(m["To"] for m in messages) == sorted(p.email for p in confirmed)
    for message in messages:
        assert message["Subject"] == "Lunch moves (Learning Day)"
        assert "<b>not</b> 12:30.\n\nBring your badge." in plain(message)  # plain text as typed
        assert "Questions? Write to the organisers at team@example.org" in plain(message)

    # The waiting list is a segment of its own.
    write(signed_in, event, "waiting", "waiting:1")
    assert [r.registration_id for r in mail_rows()[3:]] == [waiting.id]


def test_a_count_that_changed_since_it_was_shown_asks_again(signed_in, event):
    add_people(event, 2)
    write(signed_in, event, "confirmed")
    late = Registration(
        event=event,
        name="Late",
        email="late@example.org",
        token=new_token(),
        status=RegistrationStatus.CONFIRMED,
    )
    db.session.add(late)
    db.session.commit()
    again = write(signed_in, event, "confirmed", "confirmed:2")
    assert "Send this message to 3 people?" in text(again)
    assert mail_rows() == []


def test_a_subject_with_a_line_break_is_refused_and_nothing_is_queued(signed_in, event):
    add_people(event, 2)
    refused = write(
        signed_in, event, "confirmed", "confirmed:2", subject="Hello\r\nBcc: all@example.org"
    )
    assert refused.status_code == 200
    assert "Use a single line" in text(refused)
    assert mail_rows() == []


def test_a_table_or_breakout_segment_reaches_the_people_the_published_plans_put_there(
    signed_in,
    event,
    attendees,  # noqa: F811
):
    table = event.tables[0]  # facilitated by attendees[0]
    _round_one, round_two = event.sessions_of(SessionKind.TABLE_ROUND)
    assignments = db.session.scalars(select(Assignment)).all()

    def at(**where) -> set[int]:
        return {
            a.registration_id
            for a in assignments
            if all(getattr(a, k) == v for k, v in where.items())
            and a.registration.status == RegistrationStatus.CONFIRMED
        }

    any_round = at(table_id=table.id) | {attendees[0].id}
    in_round_two = at(table_id=table.id, session_id=round_two.id) | {attendees[0].id}
    assert in_round_two < any_round
    breakout = event.sessions_of(SessionKind.BREAKOUT_SLOT)[0].breakouts[1]
    in_breakout = at(breakout_id=breakout.id)

    form = text(signed_in.get(f"/organise/events/{event.slug}/message"))
    assert "Table 1, in any round" in form and "Table 1 in “Round two”" in form
    assert f"Breakout “{breakout.title}” ({breakout.room})" in form

    cases = [
        (f"table-{table.id}", any_round),
        (f"table-{table.id}-{round_two.id}", in_round_two),
        (f"breakout-{breakout.id}", in_breakout),
    ]
    for key, expected in cases:
        before = len(mail_rows())
        asked = write(signed_in, event, key)
        assert f"Send this message to {len(expected)} people?" in text(asked)
        write(signed_in, event, key, f"{key}:{len(expected)}")
        assert {r.registration_id for r in mail_rows()[before:]} == expected


def test_without_published_plans_only_the_status_segments_are_offered(signed_in, event):
    form = text(signed_in.get(f"/organise/events/{event.slug}/message"))
    assert "Everyone confirmed" in form and "The waiting list" in form
    assert "Table 1" not in form and "Breakout" not in form
    refused = write(signed_in, event, f"table-{event.tables[0].id}")
    assert "Not a valid choice" in text(refused)


# --- copying an event -------------------------------------------------------------------------


def test_copying_an_event_takes_details_programme_and_tables_but_no_people(
    signed_in,
    event,
    attendees,  # noqa: F811
):
    event.contact_email = "team@example.org"
    event.registration_closes_at = event.starts_at - timedelta(days=1)
    event.tables[1].accessible = True
    db.session.commit()
    url = f"/organise/events/{event.slug}/copy"
    asked = text(signed_in.get(url))
    assert 'value="Learning Day (copy)"' in asked
    new_start = event.starts_at + timedelta(days=91, hours=1)
    typed = {"title": "Learning Day, spring", "slug": "", "starts_at": new_start.strftime(FMT)}

    clash = signed_in.submit(url, {**typed, "slug": event.slug})
    assert "is taken by another event" in text(clash)
    assert 'value="Learning Day, spring"' in text(clash)  # what was typed stays

    made = signed_in.submit(url, typed)
    assert made.status_code == 302
    assert made.headers["Location"] == "/organise/events/learning-day-spring"
    db.session.expire_all()
    original = db.session.get(Event, event.id)
    copy = db.session.scalar(select(Event).where(Event.slug == "learning-day-spring"))
    shift = timedelta(days=91, hours=1)
    assert copy.status == EventStatus.DRAFT and copy.id != original.id
    for name in ("description", "venue", "contact_email", "timezone", "capacity", "offer_hours"):
        assert getattr(copy, name) == getattr(original, name), name
    assert copy.convenors == original.convenors
    assert (copy.starts_at, copy.ends_at) == (original.starts_at + shift, original.ends_at + shift)
    assert copy.registration_closes_at == original.registration_closes_at + shift
    assert [(s.kind, s.title, s.starts_at - shift, s.ends_at - shift) for s in copy.sessions] == [
        (s.kind, s.title, s.starts_at, s.ends_at) for s in original.sessions
    ]

    def breakouts(of: Event) -> list[tuple]:
        return [(b.title, b.room, b.capacity) for s in of.sessions for b in s.breakouts]

    assert breakouts(copy) == breakouts(original) != []
    assert [(t.number, t.capacity, t.accessible, t.facilitator_id) for t in copy.tables] == [
        (t.number, t.capacity, t.accessible, None) for t in original.tables
    ]
    assert copy.registrations == []
    assert db.session.scalar(select(func.count(Plan.id)).where(Plan.event_id == copy.id)) == 0
    # The original is untouched.
    assert len(original.registrations) == len(attendees) + 2
    assert original.tables[0].facilitator_id == attendees[0].id
    assert signed_in.get("/organise/events/learning-day-spring").status_code == 200


# --- CSV: places out, breakout titles in ------------------------------------------------------


def exported(client, event) -> list[dict[str, str]]:
    response = client.get(f"/organise/events/{event.slug}/registrations/registrations.csv")
    assert response.status_code == 200
    return list(csv.DictReader(io.StringIO(response.get_data().decode("utf-8-sig"))))


def test_the_export_has_each_persons_table_per_round_and_breakout_formula_safe(
    signed_in,
    event,
    attendees,  # noqa: F811
):
    round_one, round_two = event.sessions_of(SessionKind.TABLE_ROUND)
    slot = event.sessions_of(SessionKind.BREAKOUT_SLOT)[0]
    slot.breakouts[0].title = "=Homelessness"
    db.session.commit()
    places = {
        (a.registration_id, a.session_id): str(a.table.number) if a.table else a.breakout.title
        for a in db.session.scalars(select(Assignment))
    }
    rows = exported(signed_in, event)
    header = list(rows[0])
    assert header[-3:] == ["table: Round one", "table: Round two", "breakout: Breakouts"]
    by_email = {row["email"]: row for row in rows}
    for person in attendees[1:]:
        row = by_email[person.email]
        assert row["table: Round one"] == places[(person.id, round_one.id)]
        assert row["table: Round two"] == places[(person.id, round_two.id)]
        title = places[(person.id, slot.id)]
        assert row["breakout: Breakouts"] == ("'" + title if title.startswith("=") else title)
    assert {row["breakout: Breakouts"] for row in rows} >= {"'=Homelessness", "Sharing data"}
    host = by_email[attendees[0].email]  # the facilitator of table 1 hosts it in every round
    assert (host["table: Round one"], host["table: Round two"]) == ("1", "1")
    for name in ("Cancelled Person", "Waiting Person"):  # no places for them
        row = next(r for r in rows if r["name"] == name)
        assert row["table: Round one"] == row["breakout: Breakouts"] == ""


IMPORT = "name,email,organisation,sector,profession,preferences\n"


def test_import_takes_breakout_titles_or_ids_and_names_the_row_with_an_unknown_title(
    signed_in, event
):
    slot = event.sessions_of(SessionKind.BREAKOUT_SLOT)[0]
    homelessness, sharing = slot.breakouts  # in title order
    url = f"/organise/events/{event.slug}/registrations/import"

    def upload(content: str):
        return signed_in.submit(
            url,
            {"file": (io.BytesIO(content.encode()), "people.csv")},
            content_type="multipart/form-data",
        )

    bad = text(
        upload(
            IMPORT
            + "Ann,ann@example.org,Riverside City Council,,GP,sharing data; Homelessness\n"
            + "Ben,ben@example.org,Riverside City Council,,GP,Sharing data;Housing first\n"
        )
    )
    assert "1 of 2 rows have errors" in bad
    assert "<td>3</td><td>Ben</td>" in bad  # the row, by its line in the file
    assert "preferences: no breakout is called “Housing first”" in bad

    good = upload(
        IMPORT
        + "Ann,ann@example.org,Riverside City Council,,GP,sharing data; Homelessness\n"
        + f"Ben,ben@example.org,Riverside City Council,,GP,{homelessness.id};Sharing data\n"
    )
    page = text(good)
    assert "All 2 rows are ready" in page
    csv_text = html.unescape(re.search(r'name="csv_text"[^>]*value="([^"]*)"', page).group(1))
    signed_in.submit(url, {"csv_text": csv_text, "confirm": "1"})
    ann, ben = registrations()
    assert [p.breakout_id for p in ann.preferences] == [sharing.id, homelessness.id]
    assert [p.breakout_id for p in ben.preferences] == [homelessness.id, sharing.id]
