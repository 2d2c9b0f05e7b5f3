"""Organiser forms: create and edit events, sessions, breakouts and tables; publish and close."""

from datetime import timedelta

import pytest

from app.extensions import db
from app.models import (
    Breakout,
    Event,
    EventStatus,
    Organisation,
    Registration,
    RegistrationStatus,
    SessionKind,
    Table,
    User,
)
from app.models.types import utcnow
from app.services.tokens import new_token
from tests.conftest import PASSWORD, future

FMT = "%Y-%m-%dT%H:%M"


def event_form(**overrides) -> dict:
    start = future(days=40)
    data = {
        "title": "Housing and Health Summit",
        "slug": "",
        "description": "Two sectors, one set of residents.",
        "venue": "Civic Centre",
        "timezone": "Europe/London",
        "starts_at": start.strftime(FMT),
        "ends_at": (start + timedelta(hours=8)).strftime(FMT),
        "capacity": "80",
        "registration_opens_at": "",
        "registration_closes_at": "",
        "waitlist_policy": "auto_promote",
        "offer_hours": "48",
        "new_convenor_name": "Riverside Housing Association",
        "new_convenor_sector": "Housing",
    }
    data.update(overrides)
    return data


def page_text(response) -> str:
    return response.get_data(as_text=True)


def test_create_event_with_new_and_existing_convenors(signed_in, app):
    council = Organisation(name="Eastvale Council", sector="Local government")
    db.session.add(council)
    db.session.commit()
    response = signed_in.submit("/organise/events/new", event_form(convenors=[str(council.id)]))
    assert response.status_code == 302
    event = db.session.scalar(db.select(Event).where(Event.slug == "housing-and-health-summit"))
    assert event.status == EventStatus.DRAFT
    assert sorted(o.name for o in event.convenors) == [
        "Eastvale Council",
        "Riverside Housing Association",
    ]
    assert event.capacity == 80 and event.timezone == "Europe/London"
    assert response.headers["Location"] == "/organise/events/housing-and-health-summit"
    assert "Housing and Health Summit" in page_text(signed_in.get(response.headers["Location"]))


@pytest.mark.parametrize(
    ("overrides", "field", "message"),
    [
        ({"title": ""}, "title", "This field is required."),
        ({"timezone": "Mars/Olympus_Mons"}, "timezone", "Not a valid choice"),
        ({"capacity": "0"}, "capacity", "Number must be between 1 and 100000."),
        ({"capacity": "lots"}, "capacity", "Not a valid integer value"),
        ({"ends_at": future(days=39).strftime(FMT)}, "ends_at", "must end after it starts"),
        ({"starts_at": "tomorrow-ish"}, "starts_at", "Not a valid datetime value"),
        ({"slug": "Bad Slug!"}, "slug", "lower-case letters"),
        ({"new_convenor_name": "", "new_convenor_sector": ""}, "convenors", "at least one"),
        ({"new_convenor_sector": ""}, "new_convenor_sector", "sector"),
        ({"title": "x" * 201}, "title", "cannot be longer than 200 characters"),
        ({"title": "Summit\r\nBcc: all@evil.example"}, "title", "Use a single line"),
        ({"new_convenor_name": "Riverside\tHousing"}, "new_convenor_name", "Use a single line"),
        (
            {"starts_at": "9999-06-01T09:00", "ends_at": "9999-06-01T17:00"},
            "starts_at",
            "between the years 2000 and 2199 (this one is in 9999)",
        ),
        ({"starts_at": "0001-06-01T09:00"}, "starts_at", "between the years 2000 and 2199"),
        (
            {"registration_opens_at": "1999-12-31T09:00"},
            "registration_opens_at",
            "between the years 2000 and 2199",
        ),
        (
            {
                "registration_opens_at": future(days=10).strftime(FMT),
                "registration_closes_at": future(days=5).strftime(FMT),
            },
            "registration_closes_at",
            "must close after it opens",
        ),
        (
            {"registration_closes_at": future(days=45).strftime(FMT)},
            "registration_closes_at",
            "close by the event&#39;s end",
        ),
    ],
)
def test_invalid_event_shows_errors_and_keeps_input(signed_in, app, overrides, field, message):
    response = signed_in.submit("/organise/events/new", event_form(**overrides))
    text = page_text(response)
    assert response.status_code == 200
    assert message in text
    assert f'id="{field}-error"' in text
    assert 'aria-invalid="true"' in text
    assert "Civic Centre" in text  # what was typed stays
    assert db.session.scalar(db.select(db.func.count(Event.id))) == 0


def test_slug_taken_by_another_event_is_reported_on_the_field(signed_in, event):
    response = signed_in.submit("/organise/events/new", event_form(slug=event.slug))
    assert response.status_code == 200
    assert "is taken by another event" in page_text(response)


def test_edit_event_keeps_sessions_inside_it(signed_in, event):
    url = f"/organise/events/{event.slug}/edit"
    form = signed_in.get(url)
    assert "Learning Day" in page_text(form)
    later = event.starts_at + timedelta(hours=2)
    data = event_form(
        title="Learning Day (renamed)",
        slug=event.slug,
        starts_at=later.strftime(FMT),
        ends_at=(later + timedelta(hours=6)).strftime(FMT),
        convenors=[str(o.id) for o in event.convenors],
        new_convenor_name="",
        new_convenor_sector="",
    )
    response = signed_in.submit(url, data)
    assert response.status_code == 200
    assert "Sessions would fall outside the event" in page_text(response)
    db.session.expire_all()
    assert db.session.get(Event, event.id).title == "Learning Day"

    data.update(starts_at=event.starts_at.strftime(FMT))
    response = signed_in.submit(url, data)
    assert response.status_code == 302
    db.session.expire_all()
    assert db.session.get(Event, event.id).title == "Learning Day (renamed)"


def test_add_and_edit_a_session(signed_in, event):
    url = f"/organise/events/{event.slug}/sessions/new"
    start = event.starts_at + timedelta(hours=5)
    response = signed_in.submit(
        url,
        {
            "kind": "plenary",
            "title": "Closing plenary",
            "location": "Hall",
            "starts_at": start.strftime(FMT),
            "ends_at": (start + timedelta(hours=1)).strftime(FMT),
        },
    )
    assert response.status_code == 302
    session = next(s for s in event.sessions if s.title == "Closing plenary")
    assert session.kind == SessionKind.PLENARY

    edit = f"/organise/events/{event.slug}/sessions/{session.id}/edit"
    assert '<option selected value="plenary">' in page_text(signed_in.get(edit))
    response = signed_in.submit(
        edit,
        {
            "kind": "table_round",
            "title": "Round three",
            "location": "",
            "starts_at": start.strftime(FMT),
            "ends_at": (start + timedelta(hours=1)).strftime(FMT),
        },
    )
    assert response.status_code == 302
    db.session.refresh(session)
    assert session.title == "Round three" and session.kind == SessionKind.TABLE_ROUND


@pytest.mark.parametrize(
    ("start_offset", "hours", "message"),
    [
        (timedelta(hours=-2), 1, "within the event"),
        (timedelta(hours=6), 3, "within the event"),
        (timedelta(hours=2), 0, "must end after it starts"),
    ],
)
def test_session_must_fit_the_event(signed_in, event, start_offset, hours, message):
    start = event.starts_at + start_offset
    response = signed_in.submit(
        f"/organise/events/{event.slug}/sessions/new",
        {
            "kind": "plenary",
            "title": "Misplaced",
            "starts_at": start.strftime(FMT),
            "ends_at": (start + timedelta(hours=hours)).strftime(FMT),
        },
    )
    assert response.status_code == 200
    assert message in page_text(response)
    assert all(s.title != "Misplaced" for s in event.sessions)


def test_breakouts_in_a_slot(signed_in, event):
    slot = event.sessions_of(SessionKind.BREAKOUT_SLOT)[0]
    url = f"/organise/events/{event.slug}/sessions/{slot.id}/breakouts/new"
    response = signed_in.submit(
        url, {"title": "Data sharing", "room": "Room 2", "capacity": "20", "min_attendance": "5"}
    )
    assert response.status_code == 302
    breakout = db.session.scalar(db.select(Breakout).where(Breakout.title == "Data sharing"))
    assert (breakout.room, breakout.capacity, breakout.min_attendance) == ("Room 2", 20, 5)

    response = signed_in.submit(
        url, {"title": "Too small", "room": "Cupboard", "capacity": "3", "min_attendance": "5"}
    )
    assert response.status_code == 200
    assert "cannot exceed the capacity" in page_text(response)


def test_session_and_breakout_names_are_one_line_each(signed_in, event):
    start = event.starts_at
    response = signed_in.submit(
        f"/organise/events/{event.slug}/sessions/new",
        {
            "kind": "plenary",
            "title": "Welcome\nBcc: all@evil.example",
            "location": "Hall\x0b1",
            "starts_at": start.strftime(FMT),
            "ends_at": (start + timedelta(hours=1)).strftime(FMT),
        },
    )
    text = page_text(response)
    assert response.status_code == 200
    assert 'id="title-error"' in text and 'id="location-error"' in text
    slot = event.sessions_of(SessionKind.BREAKOUT_SLOT)[0]
    response = signed_in.submit(
        f"/organise/events/{event.slug}/sessions/{slot.id}/breakouts/new",
        {"title": "Data\r\nsharing", "room": "Room 2", "capacity": "20"},
    )
    assert response.status_code == 200
    assert "Use a single line: no line breaks" in page_text(response)
    assert len(slot.breakouts) == 2


def test_breakouts_only_in_breakout_slots(signed_in, event):
    round_one = event.sessions_of(SessionKind.TABLE_ROUND)[0]
    url = f"/organise/events/{event.slug}/sessions/{round_one.id}/breakouts/new"
    assert signed_in.get(url).status_code == 404


def test_add_tables_in_bulk_and_edit_one(signed_in, event):
    response = signed_in.submit(
        f"/organise/events/{event.slug}/tables/new",
        {"count": "3", "capacity": "8", "accessible": "1"},
    )
    assert response.status_code == 302
    numbers = [t.number for t in event.tables]
    assert numbers == list(range(1, 14))
    assert [t.accessible for t in event.tables[-3:]] == [True, False, False]

    table = event.tables[-1]
    url = f"/organise/events/{event.slug}/tables/{table.id}/edit"
    response = signed_in.submit(url, {"number": "1", "capacity": "8", "facilitator_id": "0"})
    assert response.status_code == 200
    assert "Table 1 already exists." in page_text(response)
    response = signed_in.submit(
        url, {"number": "42", "capacity": "10", "accessible": "y", "facilitator_id": "0"}
    )
    assert response.status_code == 302
    db.session.refresh(table)
    assert (table.number, table.capacity, table.accessible) == (42, 10, True)


def test_more_accessible_tables_than_tables_is_refused(signed_in, event):
    response = signed_in.submit(
        f"/organise/events/{event.slug}/tables/new",
        {"count": "2", "capacity": "8", "accessible": "3"},
    )
    assert response.status_code == 200
    assert "Cannot be more than the number of tables." in page_text(response)


def test_delete_asks_first(signed_in, event):
    table = event.tables[0]
    url = f"/organise/events/{event.slug}/tables/{table.id}/delete"
    confirm = signed_in.get(url)
    assert "Delete table 1?" in page_text(confirm)
    assert db.session.get(Table, table.id) is not None
    assert signed_in.submit(url).status_code == 302
    assert db.session.get(Table, table.id) is None


def test_publish_lists_what_is_missing_then_publishes(signed_in, organiser):
    start = future()
    event = Event(
        slug="bare",
        title="Bare",
        timezone="UTC",
        starts_at=start,
        ends_at=start + timedelta(hours=3),
        capacity=10,
        organisers=[organiser],
    )
    db.session.add(event)
    db.session.commit()
    overview = f"/organise/events/{event.slug}"
    response = signed_in.submit(f"{overview}/publish", form_url=overview, follow_redirects=True)
    text = page_text(response)
    assert "Not ready to publish" in text and "convening organisation" in text
    assert event.status == EventStatus.DRAFT


def test_publish_close_and_reopen(signed_in, event):
    event.status = EventStatus.DRAFT
    db.session.commit()
    overview = f"/organise/events/{event.slug}"
    for change, status in [("publish", "published"), ("close", "closed"), ("reopen", "published")]:
        assert signed_in.submit(f"{overview}/{change}", form_url=overview).status_code == 302
        db.session.refresh(event)
        assert event.status.value == status


def test_a_draft_publish_refused_cannot_be_published_by_closing_and_reopening(signed_in, organiser):
    start = future()
    event = Event(
        slug="bare",
        title="Bare",
        timezone="UTC",
        starts_at=start,
        ends_at=start + timedelta(hours=3),
        capacity=10,
        organisers=[organiser],
    )
    db.session.add(event)
    db.session.commit()
    overview = f"/organise/events/{event.slug}"
    said = {}
    for change in ("publish", "close", "reopen"):
        response = signed_in.submit(
            f"{overview}/{change}", form_url=overview, follow_redirects=True
        )
        said[change] = page_text(response)
    assert "Not ready to publish" in said["publish"]
    assert "Only an event that is published can be closed; this one is a draft." in said["close"]
    assert "Only an event that is closed can be re-opened; this one is a draft." in said["reopen"]
    db.session.refresh(event)
    assert event.status == EventStatus.DRAFT


def test_reopening_runs_the_publication_checks_again(signed_in, event):
    overview = f"/organise/events/{event.slug}"
    assert signed_in.submit(f"{overview}/close", form_url=overview).status_code == 302
    for table in list(event.tables):
        signed_in.submit(f"{overview}/tables/{table.id}/delete")
    response = signed_in.submit(f"{overview}/reopen", form_url=overview, follow_redirects=True)
    text = page_text(response)
    assert "Not ready to re-open: add tables for the table rounds" in text
    assert "Before re-opening:" in text
    db.session.refresh(event)
    assert event.status == EventStatus.CLOSED


def test_publishing_twice_is_refused_with_a_reason(signed_in, event):
    overview = f"/organise/events/{event.slug}"
    response = signed_in.submit(f"{overview}/publish", form_url=overview, follow_redirects=True)
    assert "Only an event that is a draft can be published; this one is published." in page_text(
        response
    )


def test_organisers_see_only_their_own_events(client, event):
    other = User(email="other@example.org")
    other.set_password(PASSWORD)
    db.session.add(other)
    db.session.commit()
    client.submit("/login", {"email": other.email, "password": PASSWORD})
    assert "Learning Day" not in page_text(client.get("/organise/"))
    for url in (
        f"/organise/events/{event.slug}",
        f"/organise/events/{event.slug}/edit",
        f"/organise/events/{event.slug}/tables/{event.tables[0].id}/delete",
    ):
        assert client.get(url).status_code == 404
    response = client.post(
        f"/organise/events/{event.slug}/close",
        data={"csrf_token": client.csrf_token("/organise/events/new")},
    )
    assert response.status_code == 404
    assert event.status == EventStatus.PUBLISHED


def test_state_change_without_csrf_is_refused(signed_in, event):
    assert signed_in.post(f"/organise/events/{event.slug}/close").status_code == 400
    assert event.status == EventStatus.PUBLISHED


def test_ids_from_another_event_are_404(signed_in, event, organiser):
    start = future()
    other = Event(
        slug="other",
        title="Other",
        timezone="UTC",
        starts_at=start,
        ends_at=start + timedelta(hours=3),
        capacity=10,
        organisers=[organiser],
        tables=[Table(number=1, capacity=4)],
    )
    db.session.add(other)
    db.session.commit()
    assert (
        signed_in.get(f"/organise/events/{event.slug}/tables/{other.tables[0].id}/edit").status_code
        == 404
    )


def test_raising_capacity_confirms_the_waiting_list_in_order(signed_in, event, app):
    event.capacity = 1
    people = [
        Registration(
            event=event,
            token=new_token(),
            name=f"P{i}",
            email=f"p{i}@example.org",
            consent=True,
            status=RegistrationStatus.CONFIRMED if i == 0 else RegistrationStatus.WAITLISTED,
            waitlisted_at=None if i == 0 else utcnow() + timedelta(seconds=i),
        )
        for i in range(4)
    ]
    db.session.add_all(people)
    db.session.commit()
    url = f"/organise/events/{event.slug}/edit"
    data = event_form(
        title=event.title,
        slug=event.slug,
        starts_at=event.starts_at.strftime(FMT),
        ends_at=event.ends_at.strftime(FMT),
        capacity="3",
        convenors=[str(o.id) for o in event.convenors],
        new_convenor_name="",
        new_convenor_sector="",
    )
    assert signed_in.submit(url, data).status_code == 302
    db.session.expire_all()
    statuses = [db.session.get(Registration, p.id).status for p in people]
    assert statuses == [RegistrationStatus.CONFIRMED] * 3 + [RegistrationStatus.WAITLISTED]
