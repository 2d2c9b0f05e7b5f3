"""The organiser's side of registration: list, counts, search, edit, cancel, promote, check-in,
CSV export and import, erasure."""

from __future__ import annotations

import csv
import html
import io
import re
import sqlite3
import threading
import time
from datetime import timedelta

import pytest
from sqlalchemy import func, select
from sqlalchemy.exc import OperationalError

from app.extensions import db
from app.models import Event, EventStatus, Registration, RegistrationStatus, User
from app.services.messaging.transport import outbox_messages
from app.services.registration import capacity, csv_files
from app.services.registration.csv_files import EXPORT_COLUMNS, neutralise
from app.services.registration.details import REQUIRED
from tests.app.test_api_registration import person as api_person
from tests.conftest import PASSWORD, future

BASE = "/organise/events/learning-day/registrations"
API = "/api/v1/events/learning-day/registrations"


def person(name: str, email: str, organisation: str = "Riverside City Council", **extra) -> dict:
    return {
        "name": name,
        "email": email,
        "organisation": organisation,
        "sector": extra.pop("sector", ""),
        "profession": extra.pop("profession", "Policy officer"),
        "consent": True,
        **extra,
    }


def add(client, *people: dict) -> list[Registration]:
    for p in people:
        response = client.post(API, json=p)
        assert response.status_code == 201, response.get_json()
    return registrations()


def registrations() -> list[Registration]:
    db.session.expire_all()
    return list(db.session.scalars(select(Registration).order_by(Registration.id)))


def text(response) -> str:
    return response.get_data(as_text=True)


@pytest.fixture
def crowd(signed_in, event):
    event.capacity = 3
    db.session.commit()
    return add(
        signed_in,
        person("Ann Archer", "ann@example.org"),
        person("Ben Baker", "ben@example.org", "Riverside NHS Trust", profession="Nurse"),
        person("Cat Cole", "cat@example.org", "Northshire Police", sector="Policing"),
        person("Dan Dale", "dan@example.org", "Riverside NHS Trust"),
    )


def test_organiser_pages_need_sign_in_and_the_events_organiser(client, event, app):
    response = client.get(BASE)
    assert response.status_code == 302 and "/login" in response.headers["Location"]
    stranger = User(email="other@example.org", name="Other")
    stranger.set_password(PASSWORD)
    db.session.add(stranger)
    db.session.commit()
    client.submit("/login", {"email": "other@example.org", "password": PASSWORD})
    assert client.get(BASE).status_code == 404
    assert client.get(f"{BASE}/registrations.csv").status_code == 404


def test_list_with_counts_search_and_filters(signed_in, crowd):
    assert f'href="{BASE}"' in text(signed_in.get("/organise/events/learning-day"))
    page = text(signed_in.get(BASE))
    for name in ("Ann Archer", "Ben Baker", "Cat Cole", "Dan Dale"):
        assert name in page
    assert "3 of 3 places" in page
    assert re.search(r"<dt>Waiting list</dt><dd>1</dd>", page)
    assert re.search(r"<td>Health</td><td>1</td><td>1</td>", page)  # Ben confirmed, Dan waits
    assert re.search(r"<td>Riverside NHS Trust</td><td>1</td><td>1</td>", page)
    assert re.search(r"<td>Police and justice</td><td>1</td><td>0</td>", page)

    def shown(query: str) -> set[str]:
        body = text(signed_in.get(f"{BASE}?{query}"))
        return {n for n in ("Ann Archer", "Ben Baker", "Cat Cole", "Dan Dale") if n in body}

    assert shown("q=nurse") == {"Ben Baker"}
    assert shown("q=ann%40example") == {"Ann Archer"}
    assert shown("q=riverside+nhs") == {"Ben Baker", "Dan Dale"}
    assert shown("status=waitlisted") == {"Dan Dale"}
    assert shown("sector=Police and justice") == {"Cat Cole"}  # "Policing" is its alias
    organisation_id = crowd[1].organisation_id
    assert shown(f"organisation={organisation_id}&status=confirmed") == {"Ben Baker"}
    assert shown("q=%25") == set()  # LIKE wildcards are searched for literally
    for junk in (
        "status=bogus&organisation=x",
        "organisation=99999999999999999999",
        "organisation=²",
    ):
        assert signed_in.get(f"{BASE}?{junk}").status_code == 200


def test_open_and_edit_a_registration(signed_in, crowd):
    ann = crowd[0]
    url = f"{BASE}/{ann.id}"
    page = text(signed_in.get(url))
    assert 'value="ann@example.org"' in page
    form = {
        "name": "Ann Archer-Smith",
        "email": "ann.smith@example.org",
        "organisation": "Riverside City Council",
        "profession": "Commissioner",
        "dietary_needs": "Vegan",
    }
    clash = signed_in.submit(url, {**form, "email": "ben@example.org"})
    assert "Another registration for this event uses this email." in text(clash)
    bad = signed_in.submit(url, {**form, "name": "", "email": "nope"})
    assert "Enter your name." in text(bad) and "Enter a valid email address" in text(bad)
    assert signed_in.submit(url, form).status_code == 302
    ann = registrations()[0]
    assert (ann.name, ann.email, ann.dietary_needs) == (
        "Ann Archer-Smith",
        "ann.smith@example.org",
        "Vegan",
    )
    assert ann.consent  # kept, not editable by organisers
    assert signed_in.get(f"{BASE}/999999").status_code == 404


def test_cancel_asks_first_then_passes_the_seat_on(signed_in, crowd, app):
    ann = crowd[0]
    confirm = signed_in.get(f"{BASE}/{ann.id}/cancel")
    assert "Yes, cancel Ann Archer" in text(confirm)
    assert registrations()[0].status == RegistrationStatus.CONFIRMED
    signed_in.submit(f"{BASE}/{ann.id}/cancel")
    ann, _, _, dan = registrations()
    assert ann.status == RegistrationStatus.CANCELLED
    assert dan.status == RegistrationStatus.CONFIRMED
    subjects = {
        (m["To"], m["Subject"].split(":")[0])
        for m in outbox_messages(app.config["MAIL_OUTBOX_DIR"])
    }
    assert ("ann@example.org", "Registration cancelled") in subjects
    assert ("dan@example.org", "A place is yours") in subjects


def test_promote_from_the_waiting_list_even_beyond_capacity(signed_in, crowd):
    dan = crowd[3]
    response = signed_in.submit(f"{BASE}/{dan.id}/promote", form_url=BASE)
    assert response.status_code == 302
    page = text(signed_in.get(response.headers["Location"]))
    assert "Confirmed Dan Dale. The event is now 1 over its capacity of 3." in page
    assert registrations()[3].status == RegistrationStatus.CONFIRMED


def test_check_in_is_one_click_with_the_time(signed_in, crowd):
    ann, *_, dan = crowd
    response = signed_in.submit(
        f"{BASE}/{ann.id}/check-in", {"back": f"{BASE}?q=ann"}, form_url=BASE
    )
    assert response.headers["Location"] == f"{BASE}?q=ann"
    ann = registrations()[0]
    assert ann.checked_in_at is not None
    page = text(signed_in.get(BASE))
    assert ann.checked_in_at.astimezone(ann.event.zone).strftime("%H:%M") in page
    assert re.search(r"<dt>Checked in</dt><dd>1</dd>", page)
    refused = signed_in.submit(f"{BASE}/{dan.id}/check-in", form_url=BASE)
    assert "Only confirmed registrations can be checked in." in text(
        signed_in.get(refused.headers["Location"])
    )
    evil = signed_in.submit(
        f"{BASE}/{ann.id}/check-in",
        {"arrived": "0", "back": "https://evil.example/"},
        form_url=BASE,
    )
    assert evil.headers["Location"] == BASE
    assert registrations()[0].checked_in_at is None


def test_csv_export_has_every_field_and_neutralises_formulas(signed_in, event):
    add(
        signed_in,
        person('=HYPERLINK("http://evil")', "f@example.org", role="+SUM(A1)", dietary_needs="@x"),
        person('Zoë Ünal, "Z"', "z@example.org", profession="-1+1", access_needs="Ramp\nLoop"),
    )
    response = signed_in.get(f"{BASE}/registrations.csv")
    assert response.status_code == 200
    assert response.mimetype == "text/csv"
    assert "attachment" in response.headers["Content-Disposition"]
    content = response.get_data().decode("utf-8-sig")
    rows = list(csv.DictReader(io.StringIO(content)))
    # Then a column per table round and breakout slot (empty: no plan is published).
    assert list(rows[0]) == [
        *EXPORT_COLUMNS,
        "table: Round one",
        "table: Round two",
        "breakout: Breakouts",
    ]
    evil, zoe = rows
    assert {evil[c] for c in list(evil)[len(EXPORT_COLUMNS) :]} == {""}
    assert evil["name"] == '\'=HYPERLINK("http://evil")'
    assert evil["role"] == "'+SUM(A1)" and evil["dietary_needs"] == "'@x"
    assert zoe["name"] == 'Zoë Ünal, "Z"' and zoe["profession"] == "'-1+1"
    assert zoe["access_needs"] == "Ramp\nLoop"
    assert zoe["status"] == "confirmed" and zoe["consent"] == "yes"
    assert zoe["organisation"] == "Riverside City Council"
    assert zoe["sector"] == "Local government"
    assert "token" not in content.lower()
    assert neutralise("\tcmd") == "'\tcmd" and neutralise("\rcmd") == "'\rcmd"
    assert neutralise("plain") == "plain" and neutralise(None) == ""


IMPORT_HEADER = (
    "name,email,organisation,sector,profession,dietary_needs,needs_accessible_table,preferences\n"
)


def upload(client, content: bytes):
    return client.submit(
        f"{BASE}/import",
        {"file": (io.BytesIO(content), "people.csv")},
        content_type="multipart/form-data",
    )


def confirm_import(client, preview_page: str, **extra):
    match = re.search(r'name="csv_text"[^>]*value="([^"]*)"', preview_page, re.S)
    assert match, "no checked file to confirm"
    data = {"csv_text": html.unescape(match.group(1)), "confirm": "1", **extra}
    return client.submit(f"{BASE}/import", data)


def test_csv_import_previews_then_imports_every_row(signed_in, event, app):
    event.capacity = 2
    db.session.commit()
    content = (
        IMPORT_HEADER
        + "Priya Patel,priya@example.org,Riverside City Council,,Social worker,Vegan,yes\n"
        + "Sam Smith,sam@example.org,Eastvale Food Bank,Voluntary,Volunteer coordinator,,no\n"
        + 'Tom Tan,tom@example.org,Riverside NHS Trust,,Nurse,"Nuts, shellfish",\n'
    ).encode()
    preview = upload(signed_in, content)
    page = text(preview)
    assert "All 3 rows are ready: 2 will be confirmed and 1 put on the waiting list" in page
    assert registrations() == []  # nothing saved before confirming
    done = confirm_import(signed_in, page, send_confirmations="y")
    assert done.status_code == 302
    priya, sam, tom = registrations()
    assert priya.needs_accessible_table and priya.dietary_needs == "Vegan"
    assert sam.organisation.sector == "Voluntary and community"  # typed "Voluntary"
    assert tom.dietary_needs == "Nuts, shellfish"
    assert [r.status for r in (priya, sam, tom)] == [
        RegistrationStatus.CONFIRMED,
        RegistrationStatus.CONFIRMED,
        RegistrationStatus.WAITLISTED,
    ]
    assert len(outbox_messages(app.config["MAIL_OUTBOX_DIR"])) == 3
    assert "Imported 3 registrations: 2 confirmed, 1 on the waiting list." in text(
        signed_in.get(done.headers["Location"])
    )


def test_csv_import_reports_each_bad_row_and_imports_nothing(signed_in, event, app):
    add(signed_in, person("Existing", "existing@example.org"))
    content = (
        IMPORT_HEADER
        + "Good Person,good@example.org,Riverside City Council,,GP,,\n"
        + ",noname@example.org,Riverside City Council,,GP,,\n"
        + "Bad Email,not-an-email,Riverside City Council,,GP,,\n"
        + "New Org,neworg@example.org,Unknown Trust,,GP,,\n"
        + "Twice,good@example.org,Riverside City Council,,GP,,\n"
        + "Already,EXISTING@example.org,Riverside City Council,,GP,,\n"
        + "Flag,flag@example.org,Riverside City Council,,GP,,perhaps\n"
        + "Prefs,prefs@example.org,Riverside City Council,,GP,,,²;1\n"
        + f"Long,long@example.org,Riverside City Council,,{'x' * 121},,\n"
    ).encode()
    page = text(upload(signed_in, content))
    assert "Nothing can be imported until the file is corrected" in page
    assert "8 of 9 rows have errors" in page
    for message in (
        "name: Enter your name.",
        "email: Enter a valid email address",
        "sector: “Unknown Trust” is new to us",
        "email: good@example.org is also on line 2.",
        "email: existing@example.org is already registered for this event.",
        "needs_accessible_table: write yes or no",
        "profession: Must be at most 120 characters",
        "preferences: no breakout is called “²”",
    ):
        assert html.escape(message, quote=False) in page or message in html.unescape(page)
    assert 'name="csv_text"' not in page  # no way to confirm a bad file
    assert len(registrations()) == 1


def test_csv_import_rechecks_on_confirm(signed_in, event):
    content = (IMPORT_HEADER + "Late,late@example.org,Riverside City Council,,GP,,\n").encode()
    page = text(upload(signed_in, content))
    add(signed_in, person("Quick", "late@example.org"))  # registered between preview and confirm
    response = confirm_import(signed_in, page)
    assert "Nothing was imported" in text(response)
    assert [r.name for r in registrations()] == ["Quick"]


def people_file(count: int) -> bytes:
    rows = "".join(
        f"Person {n},person{n}@example.org,Riverside City Council,,GP,,,\n" for n in range(count)
    )
    return (IMPORT_HEADER + rows).encode()


def count_of(event: Event) -> int:
    db.session.rollback()  # a fresh look at what other connections committed
    return db.session.scalar(select(func.count(Registration.id)).where(Registration.event == event))


def test_a_long_import_lets_other_registrations_in_between_its_batches(
    signed_in, event, app, monkeypatch
):
    """A registration for another event, sent while an import runs, is committed before the
    import ends: the write lock is let go between batches. Small batches keep the test quick;
    benchmarks/csv_import.py times a 5,000-row file."""
    monkeypatch.setattr(csv_files, "IMPORT_BATCH_ROWS", 20)
    other = Event(
        slug="other-day",
        title="Other Day",
        timezone="UTC",
        starts_at=event.starts_at,
        ends_at=event.ends_at,
        capacity=10,
        status=EventStatus.PUBLISHED,
        convenors=list(event.convenors),
        sessions=[],
    )
    db.session.add(other)
    db.session.commit()
    rows = 10 * csv_files.IMPORT_BATCH_ROWS
    page = text(upload(signed_in, people_file(rows)))
    assert f"All {rows} rows are ready" in page
    importing = threading.Thread(target=lambda: confirm_import(signed_in, page))
    importing.start()
    while count_of(event) == 0:  # until the first batch is committed
        time.sleep(0.005)
    response = app.test_client().post(
        "/api/v1/events/other-day/registrations", json=api_person(email="quick@example.org")
    )
    written_when_it_committed = count_of(event)
    importing.join()
    assert response.status_code == 201, response.get_json()
    assert 0 < written_when_it_committed < rows
    assert count_of(event) == rows


def test_an_import_that_stops_part_way_keeps_what_it_wrote_and_resumes(
    signed_in, event, app, monkeypatch
):
    monkeypatch.setattr(csv_files, "IMPORT_BATCH_ROWS", 20)
    batch = csv_files.IMPORT_BATCH_ROWS
    rows = batch + 5
    content = people_file(rows + 5)
    admit_all = capacity.admit_all
    batches = []

    def admit_until_the_database_fails(locked, registrations):
        batches.append(registrations)
        if len(batches) == 2:
            raise OperationalError("INSERT", {}, sqlite3.OperationalError("disk I/O error"))
        admit_all(locked, registrations)

    monkeypatch.setattr(capacity, "admit_all", admit_until_the_database_fails)
    page = text(upload(signed_in, content))
    done = confirm_import(signed_in, page, send_confirmations="y")
    said = text(signed_in.get(done.headers["Location"]))
    line = batch + 2  # the second batch's first row, after the header
    assert f"The import stopped at line {line}: the database could not save these rows" in said
    assert f"{batch} registrations before that line were imported and stay" in said
    assert "Send the same file again to import the rest" in said
    assert count_of(event) == batch  # the failed batch left nothing behind
    monkeypatch.setattr(capacity, "admit_all", admit_all)

    page = text(upload(signed_in, content))
    assert f"({batch} were imported from this file before and are skipped)" in page
    assert "is already registered" not in page
    done = confirm_import(signed_in, page, send_confirmations="y")
    assert "Imported 10 registrations" in text(signed_in.get(done.headers["Location"]))
    emails = [r.email for r in registrations()]
    assert sorted(emails) == sorted(f"person{n}@example.org" for n in range(rows + 5))
    sent = outbox_messages(app.config["MAIL_OUTBOX_DIR"])
    assert len(sent) == rows + 5  # one confirmation each: none for the rolled-back batch


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (b"\xff\xfe\x00n\x00a", "The file must be CSV saved as UTF-8."),
        (b"full name,mail\nA,b@example.org\n", "missing: name, email, organisation"),
        (IMPORT_HEADER.encode(), "The file has no rows to import."),
        (b"", "missing: name, email, organisation"),
    ],
)
def test_csv_import_rejects_unusable_files(signed_in, event, content, message):
    response = upload(signed_in, content)
    assert response.status_code == 200
    assert message in text(response)
    assert registrations() == []


def test_the_import_asks_for_the_fields_the_form_and_the_api_require(signed_in, event):
    page = text(signed_in.get(f"{BASE}/import"))
    for column in REQUIRED:
        assert f"<code>{column}</code> (required)" in page
    response = upload(signed_in, b"name,email,organisation,sector\nA,a@example.org,DWP,Central\n")
    assert "missing: profession." in text(response)
    assert registrations() == []


def test_import_needs_a_file(signed_in, event):
    response = signed_in.submit(f"{BASE}/import", {})
    assert "Choose a CSV file to upload." in text(response)


def test_erase_keeps_anonymous_counts_and_kills_the_link(signed_in, crowd):
    ann = crowd[0]
    old_token = ann.token
    assert "This cannot be undone." in text(signed_in.get(f"{BASE}/{ann.id}/erase"))
    signed_in.submit(f"{BASE}/{ann.id}/erase")
    ann, *_, dan = registrations()
    assert ann.name == "Erased" and ann.email is None and ann.erased_at is not None
    assert ann.organisation.name == "Riverside City Council"  # counts by organisation survive
    assert ann.status == RegistrationStatus.CANCELLED  # the event is ahead: the seat passed on
    assert dan.status == RegistrationStatus.CONFIRMED
    assert ann.token != old_token
    assert signed_in.get(f"/r/{old_token}").status_code == 404
    export = signed_in.get(f"{BASE}/registrations.csv").get_data().decode("utf-8-sig")
    assert "ann@example.org" not in export and "Ann Archer" not in export


def test_erase_personal_data_command_for_events_long_over(app, signed_in, event, organiser):
    add(signed_in, person("Recent", "recent@example.org"))
    old = Event(
        slug="old-day",
        title="Old Day",
        timezone="Europe/London",
        starts_at=future(days=-40),
        ends_at=future(days=-40) + timedelta(hours=6),
        capacity=10,
        status=EventStatus.CLOSED,
        organisers=[organiser],
    )
    db.session.add(old)
    db.session.flush()
    db.session.add(
        Registration(
            event_id=old.id,
            token="t" * 43,
            name="Past Person",
            email="past@example.org",
            organisation=registrations()[0].organisation,
            profession="GP",
            status=RegistrationStatus.CONFIRMED,
        )
    )
    db.session.commit()
    runner = app.test_cli_runner()
    result = runner.invoke(args=["erase-personal-data", "--older-than", "30"])
    assert result.exit_code == 0, result.output
    assert "Erased the personal data of 1 registrations." in result.output
    recent, past = registrations()
    assert recent.email == "recent@example.org"
    assert past.email is None and past.name == "Erased"
    assert past.status == RegistrationStatus.CONFIRMED  # attendance still counts
    assert runner.invoke(args=["erase-personal-data", "--older-than", "50"]).exit_code == 0
    assert runner.invoke(args=["erase-personal-data"]).exit_code != 0
