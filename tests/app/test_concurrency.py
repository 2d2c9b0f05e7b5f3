"""Seats under real concurrency: the app behind a real HTTP server on loopback (a threaded WSGI
server, and gunicorn with several worker processes), many clients at once, on SQLite and, when
TEST_DATABASE_URL is set, PostgreSQL. Nobody gets a seat that is not there, the waiting list
is served in order, and every request gets an answer.

Rate limits are off for these servers only: every client shares one loopback address, and a
burst from it is the point (the limits are tested in tests/app/test_security.py).
"""

from __future__ import annotations

import fcntl
import http.cookiejar
import json
import os
import re
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest
from flask import Flask
from sqlalchemy import select
from werkzeug.serving import make_server

from app.extensions import WRITE_LOCK, db
from app.models import Event, Registration, RegistrationStatus, WaitlistPolicy
from tests.app.test_api_registration import person
from tests.conftest import free_port, fresh_app

ROOT = Path(__file__).resolve().parents[2]


class Browser:
    """One person's browser: its own cookies; forms are loaded first for their CSRF token."""

    def __init__(self, base: str) -> None:
        self.base = base
        self.opener = urllib.request.build_opener(
            urllib.request.HTTPCookieProcessor(http.cookiejar.CookieJar()), _NoRedirect()
        )

    def request(self, method: str, path: str, body: bytes | None = None, headers=None):
        request = urllib.request.Request(
            self.base + path, data=body, method=method, headers=headers or {}
        )
        try:
            with self.opener.open(request, timeout=120) as response:
                return response.status, response.read()
        except urllib.error.HTTPError as error:
            return error.code, error.read()

    def post_json(self, path: str, payload: dict):
        body = json.dumps(payload).encode()
        return self.request("POST", path, body, {"Content-Type": "application/json"})

    def submit(self, path: str, fields: dict | None = None):
        status, page = self.request("GET", path)
        assert status == 200, (path, status)
        token = re.search(rb'name="csrf_token"[^>]*value="([^"]+)"', page).group(1).decode()
        body = urllib.parse.urlencode({**(fields or {}), "csrf_token": token}).encode()
        headers = {"Content-Type": "application/x-www-form-urlencoded"}
        return self.request("POST", path, body, headers)


class _NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args, **kwargs):
        return None


def all_at_once(count: int, action: Callable[[int], object]) -> list:
    """Run action(i) for i in range(count) on `count` threads released together."""
    start = threading.Barrier(count)

    def run(i: int):
        start.wait(timeout=60)
        return action(i)

    with ThreadPoolExecutor(max_workers=count) as pool:
        return list(pool.map(run, range(count)))


@pytest.fixture
def app(tmp_path) -> Iterator[Flask]:
    """The usual test app, rate limits off (see the module docstring)."""
    yield from fresh_app(tmp_path, RATELIMIT_ENABLED=False)


@pytest.fixture
def server(app: Flask) -> Iterator[str]:
    """The app under a threaded WSGI server on a free loopback port; yields its base URL."""
    httpd = make_server("127.0.0.1", 0, app, threaded=True)
    # Requests still sending their mail after the response are waited for at server_close().
    httpd.daemon_threads = False
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{httpd.server_port}"
    httpd.shutdown()
    httpd.server_close()
    thread.join(timeout=10)


def everyone() -> list[Registration]:
    db.session.rollback()  # see what the server's threads committed
    return list(db.session.scalars(select(Registration).order_by(Registration.id)))


def assert_served_in_order(people: list[Registration], capacity: int) -> None:
    confirmed = [r for r in people if r.status == RegistrationStatus.CONFIRMED]
    waiting = [r for r in people if r.status == RegistrationStatus.WAITLISTED]
    assert len(confirmed) == capacity
    # Each waiting person joined after every confirmed one was admitted, in a strict order.
    stamps = [r.waitlisted_at for r in waiting]
    assert all(stamps) and len(set(zip(stamps, (r.id for r in waiting), strict=True))) == len(
        waiting
    )


def test_many_racing_for_the_last_seats_over_http(server, event):
    """40 people submit the same moment for 5 seats through the API: 5 confirmed, 35 waiting."""
    event.capacity = 5
    db.session.commit()
    racers = 40

    def register(i: int):
        return Browser(server).post_json(
            "/api/v1/events/learning-day/registrations", person(email=f"racer{i}@example.org")
        )

    answers = all_at_once(racers, register)
    assert [status for status, _ in answers] == [201] * racers
    statuses = [json.loads(body)["status"] for _, body in answers]
    assert statuses.count("confirmed") == 5 and statuses.count("waitlisted") == 35
    people = everyone()
    assert len(people) == racers
    assert_served_in_order(people, 5)


def test_the_form_and_the_api_race_for_the_same_seats(server, event):
    event.capacity = 3
    db.session.commit()

    def register(i: int):
        browser = Browser(server)
        if i % 2:
            return browser.post_json(
                "/api/v1/events/learning-day/registrations", person(email=f"api{i}@example.org")
            )[0]
        fields = {
            "name": f"Form {i}",
            "email": f"form{i}@example.org",
            "organisation": "Riverside NHS Trust",
            "profession": "Nurse",
            "consent": "y",
        }
        return browser.submit("/events/learning-day/register", fields)[0]

    statuses = all_at_once(20, register)
    assert sorted(statuses) == [201] * 10 + [302] * 10
    assert_served_in_order(everyone(), 3)


def test_cancellations_promote_the_waiting_list_in_order_while_others_register(server, event):
    """Ten confirmed people cancel at once while ten newcomers register: the first ten on the
    waiting list (not the newcomers) get the seats, and the event is never over capacity."""
    event.capacity = 10
    event.waitlist_policy = WaitlistPolicy.AUTO_PROMOTE
    db.session.commit()
    tokens = []
    for i in range(30):  # one at a time, so the order of the waiting list is known
        status, body = Browser(server).post_json(
            "/api/v1/events/learning-day/registrations", person(email=f"early{i}@example.org")
        )
        assert status == 201
        tokens.append(json.loads(body)["token"])
    first_waiting = tokens[10:20]

    def act(i: int):
        browser = Browser(server)
        if i < 10:
            return browser.submit(f"/r/{tokens[i]}/cancel")[0]
        return browser.post_json(
            "/api/v1/events/learning-day/registrations", person(email=f"late{i}@example.org")
        )[0]

    statuses = all_at_once(20, act)
    assert sorted(statuses) == [201] * 10 + [302] * 10
    people = {r.token: r for r in everyone()}
    confirmed = [t for t, r in people.items() if r.status == RegistrationStatus.CONFIRMED]
    assert sorted(confirmed) == sorted(first_waiting)
    late = [r for r in people.values() if r.email.startswith("late")]
    assert all(r.status == RegistrationStatus.WAITLISTED for r in late)
    assert sum(r.status == RegistrationStatus.CANCELLED for r in people.values()) == 10


def _gunicorn(database_url: str, instance: Path, port: int, workers: int) -> subprocess.Popen:
    env = {
        **os.environ,
        "DATABASE_URL": database_url,
        "CONVENE_INSTANCE_PATH": str(instance),
        "SECRET_KEY": "concurrency-test",
        "RATELIMIT_ENABLED": "0",
        "CONVENE_ENV": "development",
    }
    env.pop("REDIS_URL", None)  # solves are not started here; keep the workers self-contained
    command = [
        sys.executable,
        "-m",
        "gunicorn",
        "--workers",
        str(workers),
        "--threads",
        "4",
        "--bind",
        f"127.0.0.1:{port}",
        "--log-level",
        "warning",
        "wsgi:app",
    ]
    return subprocess.Popen(command, cwd=ROOT, env=env)


def _wait_until_up(base: str, process: subprocess.Popen, timeout: float = 30) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        assert process.poll() is None, "gunicorn exited"
        try:
            with urllib.request.urlopen(base + "/api/v1/events", timeout=2):
                return
        except OSError:
            time.sleep(0.2)
    raise AssertionError(f"gunicorn did not answer at {base}")


def test_the_same_email_at_the_same_moment_registers_once(server, event):
    """The email is looked up before the seat lock; twins racing past that check are stopped by
    the unique constraint, and the loser is told it is already registered."""
    answers = all_at_once(
        8,
        lambda i: Browser(server).post_json(
            "/api/v1/events/learning-day/registrations", person(email="twin@example.org")
        ),
    )
    assert sorted(status for status, _ in answers) == [201] + [409] * 7
    [registration] = everyone()
    assert registration.email == "twin@example.org"


@pytest.mark.slow
def test_worker_processes_share_the_lock(app, event, tmp_path):
    """Under gunicorn with four worker processes the lock lives in the database, not in one
    process: 32 racers for 3 seats, 3 confirmed."""
    event.capacity = 3
    db.session.commit()
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    process = _gunicorn(app.config["SQLALCHEMY_DATABASE_URI"], tmp_path / "gunicorn", port, 4)
    try:
        _wait_until_up(base, process)
        answers = all_at_once(
            32,
            lambda i: Browser(base).post_json(
                "/api/v1/events/learning-day/registrations", person(email=f"w{i}@example.org")
            ),
        )
    finally:
        process.terminate()
        process.wait(timeout=30)
    assert [status for status, _ in answers] == [201] * 32
    assert_served_in_order(everyone(), 3)
    assert db.session.get(Event, event.id).capacity == 3


HOLD_THE_WRITE_LOCK = """
import sys, time
from sqlalchemy import create_engine, text
import app.extensions  # the SQLite transaction hooks
from app.extensions import WRITE_LOCK

engine = create_engine(sys.argv[1])
with engine.connect().execution_options(**{WRITE_LOCK: True}) as connection:
    with connection.begin():
        connection.execute(text("UPDATE event SET title = 'Held'"))
        print("holding", flush=True)
        time.sleep(float(sys.argv[2]))
        print("committing", flush=True)
"""


def test_sqlite_writers_queue_on_a_lock_file_across_processes(app, event):
    """A writer in another process holds the write lock; a writer here waits for it on the
    flock() beside the database, then goes on once it is released (nothing fails as busy)."""
    url = app.config["SQLALCHEMY_DATABASE_URI"]
    if not url.startswith("sqlite"):
        pytest.skip("the lock file is SQLite's; PostgreSQL locks rows")
    db.session.commit()
    holder = subprocess.Popen(
        [sys.executable, "-c", HOLD_THE_WRITE_LOCK, url, "1.0"],
        cwd=ROOT,
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert holder.stdout.readline().strip() == "holding"
        lock_file = open(f"{db.engine.url.database}-writer.lock", "ab")  # noqa: SIM115
        with lock_file, pytest.raises(BlockingIOError):  # the other process holds it
            fcntl.flock(lock_file, fcntl.LOCK_EX | fcntl.LOCK_NB)
        writer = db.engine.connect().execution_options(**{WRITE_LOCK: True})
        with writer, writer.begin():  # waits here until the other process commits
            assert holder.stdout.readline().strip() == "committing"
            writer.exec_driver_sql("UPDATE event SET title = 'Mine'")
    finally:
        holder.wait(timeout=30)
    assert holder.returncode == 0
    db.session.expire_all()
    assert db.session.get(Event, event.id).title == "Mine"
