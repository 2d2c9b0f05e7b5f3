"""Input no database can hold, and the error page itself: whatever an attacker sends, the answer
is a 4xx saying what is wrong, never a 500; and when something does go wrong, the 500 page renders.

The walks read app.url_map and the app's forms, so a route or field added later is covered.
"""

from __future__ import annotations

import logging
import os
import subprocess
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest
from flask import Flask
from sqlalchemy import func, select
from sqlalchemy.engine import make_url
from wtforms import Form, IntegerField, SelectField, SelectMultipleField

from app.extensions import db
from app.models import Registration, SolveJob, User
from tests.app.test_api_registration import URL as REGISTER
from tests.app.test_api_registration import person
from tests.app.test_security import address, rules
from tests.app.test_security import world as world  # the fixture ids builds on
from tests.conftest import PASSWORD, fresh_app

BEYOND_ANY_DATABASE = "99999999999999999999999"
SUPERSCRIPT_TWO = "²"  # str.isdigit() says yes; int() says no


@pytest.fixture
def app(tmp_path) -> Iterator[Flask]:
    # Errors come back as the pages a visitor sees instead of being raised into the test; the
    # walks send hundreds of requests, which the rate limits (tested elsewhere) would refuse.
    # The print page would start its PDF worker processes (slow, and not what is tested here).
    yield from fresh_app(
        tmp_path, PROPAGATE_EXCEPTIONS=False, RATELIMIT_ENABLED=False, PRINT_WORKERS=1
    )


def _form_classes(base: type = Form) -> Iterator[type]:
    for form in base.__subclasses__():
        yield form
        yield from _form_classes(form)


def numeric_field_names() -> set[str]:
    """Every field of the app's forms whose value is read as a number."""
    names = set()
    for form in _form_classes():
        if not form.__module__.startswith("app."):
            continue
        for klass in form.__mro__:
            for name, field in vars(klass).items():
                kind = getattr(field, "field_class", None)
                if kind is None:
                    continue
                if issubclass(kind, IntegerField) or (
                    issubclass(kind, SelectField | SelectMultipleField)
                    and field.kwargs.get("coerce") is int
                ):
                    names.add(name)
    return names


# The print pages, the registrations list and the plan review (who was just moved, in which
# session) read ids from their query string themselves.
QUERY_IDS = {"plan", "breakouts_plan", "organisation", "into", "moved", "session"}


@pytest.fixture
def ids(world) -> dict:
    """One of everything an address can name (test_security's world), its solve job finished
    with the plan it made, as a real one is."""
    db.session.get(SolveJob, world["job_id"]).plan_id = world["plan_id"]
    db.session.commit()
    return world


def server_errors(app: Flask, client, path_values: dict, number: str) -> list[str]:
    """GET (and POST where allowed) every address, its path filled from `path_values` and every
    numeric field of every form, and the ids the pages read from their query, set to `number`."""
    fields = numeric_field_names() | QUERY_IDS
    assert {"registration_id", "first", "plan"} <= fields  # the walk really reads the forms
    values = dict.fromkeys(fields, number)
    csrf_token = client.csrf_token("/organise/events/new")
    failures = []
    # Signing out last, so every other address is tried as the organiser.
    for rule in sorted(rules(app), key=lambda rule: rule.endpoint == "auth.logout"):
        url = address(rule, path_values)
        for method in ("GET", "POST"):
            if method not in rule.methods:
                continue
            if method == "GET":
                response = client.get(url, query_string=values)
            elif rule.endpoint.startswith("api."):
                response = client.post(url, json=values)
            else:
                response = client.post(url, data=values | {"csrf_token": csrf_token})
            if response.status_code >= 500:
                failures.append(f"{method} {url}: {response.status_code}")
            db.session.rollback()  # the test's own session sees each request's changes afresh
    return failures


def test_no_address_fails_on_an_id_beyond_any_database(app, signed_in, ids):
    beyond = {name: BEYOND_ANY_DATABASE for name in ids if name.endswith("_id")}
    assert server_errors(app, signed_in, ids | beyond, BEYOND_ANY_DATABASE) == []


@pytest.mark.parametrize("number", [BEYOND_ANY_DATABASE, SUPERSCRIPT_TWO])
def test_no_form_or_query_fails_on_a_number_no_database_can_hold(app, signed_in, ids, number):
    """Real ids in the path, so each page gets as far as reading its form and query."""
    assert server_errors(app, signed_in, ids, number) == []


def test_an_id_beyond_any_database_is_not_found(signed_in, event):
    session = event.sessions[0]
    for url in (
        f"/organise/events/{event.slug}/sessions/{BEYOND_ANY_DATABASE}/edit",
        f"/organise/events/{event.slug}/registrations/{BEYOND_ANY_DATABASE}",
        f"/organise/events/{event.slug}/sessions/{session.id}/breakouts/{BEYOND_ANY_DATABASE}/edit",
    ):
        response = signed_in.get(url)
        assert response.status_code == 404, url
        assert "There is nothing at this address." in response.get_data(as_text=True)
    # The largest id the database holds is still an id: looked up, simply not there.
    assert signed_in.get(f"/organise/events/{event.slug}/tables/2147483647/edit").status_code == 404


@pytest.mark.parametrize("plan", [SUPERSCRIPT_TWO, BEYOND_ANY_DATABASE, "-1", "1.5"])
def test_a_print_plan_that_is_no_id_is_not_found(signed_in, event, plan):
    response = signed_in.get(f"/organise/events/{event.slug}/print/table-plan?plan={plan}")
    assert response.status_code == 404


# --- the error page itself ----------------------------------------------------------------------


@pytest.fixture
def failing_flush(app, organiser) -> str:
    """An address whose request fails mid-flush, leaving the session in a failed transaction,
    as "database is locked" did when a breakouts solve started right after a tables solve. Added
    before any request, as Flask requires; it stands for any view that meets a database error."""

    def duplicate_organiser():
        db.session.add(User(email=organiser.email, password_hash="x"))  # taken: IntegrityError
        db.session.flush()  # the session now refuses every query until it is rolled back

    app.add_url_rule("/_test/failing-flush", view_func=duplicate_organiser)
    return "/_test/failing-flush"


def test_the_error_page_renders_after_a_failed_transaction(client, organiser, failing_flush):
    client.submit("/login", {"email": organiser.email, "password": PASSWORD})
    response = client.get(failing_flush)
    assert response.status_code == 500
    text = response.get_data(as_text=True)
    assert "Something went wrong" in text
    assert "Sign out" in text  # base.html still loaded the signed-in organiser


# --- a lock file the server cannot write ----------------------------------------------------------


@contextmanager
def unwritable(path: Path) -> Iterator[None]:
    """`path` made read-only in a way that binds this user: chmod for most users; root ignores
    file modes, so as root (CI here) the file is made immutable instead (chattr, ext4 and most
    Linux file systems)."""
    path.touch()
    if os.geteuid() != 0:
        path.chmod(0o444)
        yield
        path.chmod(0o644)
        return
    made = subprocess.run(["chattr", "+i", str(path)], capture_output=True, text=True)
    if made.returncode != 0:
        pytest.skip(f"running as root and chattr +i is refused here: {made.stderr.strip()}")
    try:
        yield
    finally:
        subprocess.run(["chattr", "-i", str(path)], check=True)


def test_a_lock_file_that_cannot_be_opened_leaves_reads_and_writes_working(
    app, client, event, caplog
):
    path = make_url(app.config["SQLALCHEMY_DATABASE_URI"]).database
    if app.config["SQLALCHEMY_DATABASE_URI"].startswith("postgresql") or not path:
        pytest.skip("the writers' lock file belongs to a SQLite database file")
    lock_file, slug = Path(f"{path}-writer.lock"), event.slug
    with unwritable(lock_file):
        with pytest.raises(PermissionError):
            lock_file.open("ab")  # as this user, the file really is closed to writing
        db.session.remove()
        db.engine.dispose()  # new connections, each opening the lock file afresh
        with caplog.at_level(logging.WARNING, logger="app.extensions"):
            assert client.get(f"/events/{slug}").status_code == 200
            for email in ("first@example.org", "second@example.org"):
                response = client.post(REGISTER, json=person(email=email))
                assert response.status_code == 201, response.get_json()
        warnings = [r.getMessage() for r in caplog.records if "writers' lock file" in r.message]
        assert len(warnings) == 1, warnings  # once, not on every connection
        assert str(lock_file) in warnings[0] and "Make it writable" in warnings[0]
        assert db.session.scalar(select(func.count(Registration.id))) == 2
        db.session.remove()
        db.engine.dispose()  # let go of the file before it is made writable again
