"""The registration desk: search as you type (here, the plain GET it falls back to), check in
and undo, the check-in code (a QR code of the desk entry, never the private link), walk-ins
registered beyond capacity only when the organiser says so and seated without moving anyone,
and a walk-in's badge printed alone."""

from __future__ import annotations

import re
from html.parser import HTMLParser
from io import BytesIO

import segno
from pypdf import PdfReader
from sqlalchemy import func, select

from app.extensions import db
from app.models import (
    Assignment,
    Plan,
    PlanKind,
    PlanStatus,
    Registration,
    RegistrationStatus,
    SessionKind,
    User,
)
from app.models.types import utcnow
from app.services.messaging.transport import outbox_messages
from app.services.planning.translation import table_problem, table_rounds
from scheduler.rules import table_rule_breaches
from tests.app.planning_helpers import add_attendees
from tests.conftest import PASSWORD

DESK = "/organise/events/learning-day/desk"


def publish(event, people, *, per_table: int | None = None) -> tuple[Plan, Plan]:
    """A published tables plan (person i at table i mod 10 in round one, shifted by one table
    in round two) and breakouts plan (person i in breakout i mod 2), typed in directly."""
    tables = Plan(event=event, kind=PlanKind.TABLES, status=PlanStatus.PUBLISHED, metrics={})
    breakouts = Plan(event=event, kind=PlanKind.BREAKOUTS, status=PlanStatus.PUBLISHED, metrics={})
    tables.published_at = breakouts.published_at = utcnow()
    for r, session in enumerate(event.sessions_of(SessionKind.TABLE_ROUND)):
        for i, person in enumerate(people):
            table = event.tables[(i + r) % 10]
            tables.assignments.append(Assignment(registration=person, session=session, table=table))
    [slot] = event.sessions_of(SessionKind.BREAKOUT_SLOT)
    for i, person in enumerate(people):
        breakouts.assignments.append(
            Assignment(registration=person, session=slot, breakout=slot.breakouts[i % 2])
        )
    db.session.add_all([tables, breakouts])
    db.session.commit()
    return tables, breakouts


def seats(plan: Plan) -> set[tuple[int, int, int | None, int | None]]:
    db.session.refresh(plan)
    return {(a.registration_id, a.session_id, a.table_id, a.breakout_id) for a in plan.assignments}


def walk_in(client, **overrides):
    data = {
        "name": "Wanda Walker",
        "email": "wanda@example.org",
        "organisation": "Riverside Housing",
        "sector": "Housing",
        "profession": "Housing officer",
        "consent": "y",
        **overrides,
    }
    return client.submit(f"{DESK}/walk-in", data)


def test_the_desk_is_for_the_event_s_organisers_only(app, client, event):
    [person] = add_attendees(event, 1)
    for address in (DESK, f"{DESK}/{person.id}"):
        response = client.get(address)
        assert response.status_code == 302
        assert "/login" in response.headers["Location"]
    response = client.post(f"{DESK}/{person.id}/check-in")
    assert response.status_code in (302, 400)
    db.session.refresh(person)
    assert person.checked_in_at is None
    stranger = User(email="someone@example.org", name="Someone Else")
    stranger.set_password(PASSWORD)
    db.session.add(stranger)
    db.session.commit()
    client.submit("/login", {"email": stranger.email, "password": PASSWORD})
    assert client.get(DESK).status_code == 404
    assert client.get(f"{DESK}/{person.id}").status_code == 404


def test_search_finds_by_name_email_and_organisation_and_shows_where_each_sits(signed_in, event):
    people = add_attendees(event, 12)
    people[0].name = "Zoë Nguyễn"
    db.session.commit()
    publish(event, people)
    page = signed_in.get(f"{DESK}?q=zoe").get_data(as_text=True)
    assert "Zoë Nguyễn" in page and "Person 001" not in page
    assert "Round one: <strong>Table 1</strong>" in page
    first_breakout = event.sessions_of(SessionKind.BREAKOUT_SLOT)[0].breakouts[0]
    assert f"Breakouts: <strong>{first_breakout.title}</strong>, {first_breakout.room}" in page
    by_email = signed_in.get(f"{DESK}?q=P5@EXAMPLE").get_data(as_text=True)
    assert "Person 005" in by_email and "Person 006" not in by_email
    by_organisation = signed_in.get(f"{DESK}?q=northshire").get_data(as_text=True)
    shown = set(re.findall(r'class="desk-name">([^<]+)<', by_organisation))
    assert shown == {p.name for p in people if p.organisation.name == "Northshire Police"}
    nobody = signed_in.get(f"{DESK}?q=nobody-like-this").get_data(as_text=True)
    assert "Nobody matches" in nobody and "register them as a walk-in" in nobody


def test_check_in_and_undo_as_forms_and_as_json(signed_in, event):
    first, second = add_attendees(event, 2)
    response = signed_in.submit(f"{DESK}/{first.id}/check-in", {"q": "Person 000"}, form_url=DESK)
    assert response.status_code == 302
    assert response.headers["Location"].endswith(f"{DESK}?q=Person+000")
    db.session.refresh(first)
    assert first.checked_in_at is not None
    page = signed_in.get(response.headers["Location"]).get_data(as_text=True)
    assert "Checked in Person 000." in page and "1 of 2 people checked in." in page
    token = re.search(r'name="csrf_token"[^>]*value="([^"]+)"', page).group(1)
    undone = signed_in.post(
        f"{DESK}/{first.id}/check-in",
        data={"csrf_token": token, "arrived": "0"},
        headers={"Accept": "application/json"},
    )
    assert undone.get_json() == {
        "checked_in": False,
        "time": "",
        "message": "Undid the check-in of Person 000.",
        "arrived": 0,
        "confirmed": 2,
    }
    done = signed_in.post(
        f"{DESK}/{second.id}/check-in",
        data={"csrf_token": token},
        headers={"Accept": "application/json"},
    ).get_json()
    assert done["checked_in"] is True and re.fullmatch(r"\d\d:\d\d", done["time"])
    assert done["arrived"] == 1
    second.status = RegistrationStatus.WAITLISTED
    second.checked_in_at = None
    db.session.commit()
    refused = signed_in.post(
        f"{DESK}/{second.id}/check-in",
        data={"csrf_token": token},
        headers={"Accept": "application/json"},
    )
    assert refused.status_code == 409
    assert refused.get_json()["error"] == "Only confirmed registrations can be checked in."
    assert signed_in.post(f"{DESK}/{first.id}/check-in", data={}).status_code == 400


class _QrTable(HTMLParser):
    """The modules of the check-in code drawn as an HTML table in a message."""

    def __init__(self) -> None:
        super().__init__()
        self.rows: list[list[bool]] = []

    def handle_starttag(self, tag, attrs):
        if tag == "tr":
            self.rows.append([])
        elif tag == "td":
            self.rows[-1].append("#000000" in dict(attrs)["style"])


def test_the_check_in_code_opens_the_desk_entry_after_sign_in_and_holds_no_token(
    app, client, organiser, event
):
    response = client.submit(
        "/events/learning-day/register",
        {
            "name": "Zoë Nguyễn",
            "email": "zoe@example.org",
            "organisation": "Riverside City Council",
            "profession": "Social worker",
            "consent": "y",
        },
    )
    token = response.headers["Location"].rsplit("/", 1)[1]
    person = db.session.scalar(select(Registration).where(Registration.token == token))
    entry = f"http://localhost{DESK}/{person.id}"  # PUBLIC_URL in tests is http://localhost

    # The message: its HTML draws exactly the QR code of the entry's address.
    [message] = outbox_messages(app.config["MAIL_OUTBOX_DIR"])
    html = message.get_body(("html",)).get_content()
    parser = _QrTable()
    parser.feed(html)
    drawn = [row[3:-3] for row in parser.rows[3:-3]]  # without the quiet zone
    assert drawn == [[bool(c) for c in row] for row in segno.make(entry, error="m").matrix]
    assert token not in entry
    assert "check-in code" in message.get_body(("plain",)).get_content()

    # The manage page shows the same code, whatever Host the request named.
    page = client.get(f"/r/{token}", headers={"Host": "127.0.0.1"}).get_data(as_text=True)
    assert segno.make(entry, error="m").svg_data_uri(scale=4, border=2) in page

    # Opened by someone not signed in: the sign-in page, then the entry.
    response = client.get(entry)
    assert response.status_code == 302 and "/login" in response.headers["Location"]
    login = response.headers["Location"]
    signed = client.submit(login, {"email": organiser.email, "password": PASSWORD})
    assert signed.headers["Location"].endswith(f"{DESK}/{person.id}")
    page = client.get(signed.headers["Location"]).get_data(as_text=True)
    assert "Scanned code: Zoë Nguyễn." in page
    assert re.findall(r'class="desk-name">([^<]+)<', page) == ["Zoë Nguyễn"]
    assert "autofocus>Check in" in page


def test_a_walk_in_beyond_capacity_needs_the_organiser_s_confirmation(app, signed_in, event):
    add_attendees(event, 3)
    event.capacity = 3
    db.session.commit()
    count = select(func.count(Registration.id))
    response = walk_in(signed_in)
    page = response.get_data(as_text=True)
    assert response.status_code == 200
    assert "The event is full: 3 of 3 places are taken." in page
    assert 'value="Wanda Walker"' in page  # what was typed is kept
    assert db.session.scalar(count) == 3  # and nothing was written
    response = walk_in(signed_in, over_capacity="y")
    assert response.status_code == 302
    wanda = db.session.scalar(select(Registration).where(Registration.name == "Wanda Walker"))
    assert wanda.status == RegistrationStatus.CONFIRMED and wanda.checked_in_at is not None
    page = signed_in.get(response.headers["Location"]).get_data(as_text=True)
    assert "Registered and checked in Wanda Walker." in page
    assert "now over its capacity of 3" in page
    kinds = [m["Subject"] for m in outbox_messages(app.config["MAIL_OUTBOX_DIR"])]
    assert kinds == ["You're registered: Learning Day"]
    again = walk_in(signed_in, over_capacity="y")  # the same email again: their entry
    assert again.headers["Location"].endswith(f"{DESK}/{wanda.id}")


def test_a_walk_in_is_seated_where_there_is_room_without_moving_anyone(signed_in, event):
    people = add_attendees(event, 20)  # two a table in each round
    event.tables[9].accessible = True  # table 10 alone
    [slot] = event.sessions_of(SessionKind.BREAKOUT_SLOT)
    first, second = slot.breakouts
    first.capacity = 10  # full: person i is in breakout i mod 2, ten each
    db.session.commit()
    tables, breakouts = publish(event, people)
    rounds = event.sessions_of(SessionKind.TABLE_ROUND)
    before_tables, before_breakouts = seats(tables), seats(breakouts)
    choices = {f"pref_{slot.id}_1": str(first.id), f"pref_{slot.id}_2": str(second.id)}
    response = walk_in(signed_in, needs_accessible_table="y", **choices)
    assert response.status_code == 302, response.get_data(as_text=True)
    wanda = db.session.scalar(select(Registration).where(Registration.name == "Wanda Walker"))
    after_tables, after_breakouts = seats(tables), seats(breakouts)
    # Nobody else moved: the plans only gained her places.
    assert after_tables - before_tables == {
        (wanda.id, r.id, event.tables[9].id, None) for r in rounds
    }
    assert before_tables < after_tables
    assert after_breakouts - before_breakouts == {(wanda.id, slot.id, None, second.id)}
    assert before_breakouts < after_breakouts
    page = signed_in.get(response.headers["Location"]).get_data(as_text=True)
    assert "Placed at Round one: Table 10; Round two: Table 10; Breakouts: " in page
    assert f"{second.title}, {second.room}." in page  # her second choice: the first is full

    # A second walk-in from the same organisation, with no need of access: a table in each
    # round where nobody is from their organisation and nobody is met twice.
    response = walk_in(signed_in, name="Will Walker", email="will@example.org")
    will = db.session.scalar(select(Registration).where(Registration.name == "Will Walker"))
    added = seats(tables) - after_tables
    assert {a[0] for a in added} == {will.id} and len(added) == 2
    assert table_rule_breaches(table_problem(event), table_rounds(tables)) == []
    met = []
    for session in rounds:
        [table_id] = [a[2] for a in added if a[1] == session.id]
        here = [a[0] for a in seats(tables) if a[1:3] == (session.id, table_id) and a[0] != will.id]
        assert len(here) == 2  # a table of two: balanced
        people_here = [db.session.get(Registration, i) for i in here]
        assert all(p.organisation_id != will.organisation_id for p in people_here)
        met += here
    assert len(met) == len(set(met))


def test_a_walk_in_with_no_room_is_told_where(signed_in, event):
    event.tables = event.tables[:1]  # one table of six, full
    event.capacity = 10
    db.session.commit()
    people = add_attendees(event, 6)
    plan = Plan(event=event, kind=PlanKind.TABLES, status=PlanStatus.PUBLISHED, metrics={})
    plan.published_at = utcnow()
    for session in event.sessions_of(SessionKind.TABLE_ROUND):
        for person in people:
            plan.assignments.append(
                Assignment(registration=person, session=session, table=event.tables[0])
            )
    db.session.add(plan)
    db.session.commit()
    before = seats(plan)
    response = walk_in(signed_in)
    page = signed_in.get(response.headers["Location"]).get_data(as_text=True)
    assert "Not placed: Round one: no table has room; Round two: no table has room." in page
    assert seats(plan) == before


def test_a_walk_in_s_badge_prints_alone(signed_in, event):
    add_attendees(event, 9)
    response = walk_in(signed_in)
    wanda = db.session.scalar(select(Registration).where(Registration.name == "Wanda Walker"))
    page = signed_in.get(response.headers["Location"]).get_data(as_text=True)
    link = f"/organise/events/learning-day/print/badges.pdf?person={wanda.id}"
    assert link in page.replace("&amp;", "&")
    pdf = PdfReader(BytesIO(signed_in.get(link).data))
    text = "".join(page.extract_text() for page in pdf.pages)
    assert len(pdf.pages) == 1 and "Wanda Walker" in text and "Person 000" not in text
    html = signed_in.get(f"/organise/events/learning-day/print/badges?person={wanda.id}").get_data(
        as_text=True
    )
    assert html.count('class="badge-name') == 1 and html.count('class="badge-code"') == 1
    everyone = signed_in.get("/organise/events/learning-day/print/badges").get_data(as_text=True)
    assert everyone.count('class="badge-code"') == 10
