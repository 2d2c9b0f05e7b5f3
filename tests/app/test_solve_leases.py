"""Solve jobs whose process dies: the CLI, the server running solves in a thread, and an RQ worker
are killed with SIGKILL mid-solve. The job is ended by whoever looks next (a page, a new
command, a worker), a new solve can start, and the previous plan is untouched. And solves that
write progress do not make an organiser's own writes fail with SQLite's "database is locked".
"""

from __future__ import annotations

import os
import re
import signal
import subprocess
import sys
import time
import urllib.parse
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path

import pytest
from flask import Flask
from sqlalchemy import select

from app.extensions import db
from app.models import (
    Breakout,
    Event,
    JobState,
    Plan,
    PlanKind,
    SeatingRule,
    Session,
    SessionKind,
    SolveJob,
    User,
)
from app.models.types import utcnow
from app.services.planning import jobs, plans, publishing
from tests.app.planning_helpers import golf_event, wait_for, wait_until_running
from tests.app.test_concurrency import Browser
from tests.conftest import PASSWORD, free_port, fresh_app

ROOT = Path(__file__).resolve().parents[2]
LEASE_SECONDS = 2  # for every process here: renewed each half second, lost 2 s after a kill
TABLE_FIELDS = {
    "time_limit": "120",  # far longer than the test: the kill lands mid-solve
    "seed": "3",
    "same_org": "1000",
    "repeats": "100",
    "sector": "10",
    "profession": "1",
    "from_scratch": "yes",  # confirmed: a plan exists, so the page asks first
}


@pytest.fixture
def app(tmp_path) -> Iterator[Flask]:
    yield from fresh_app(tmp_path, SOLVE_LEASE_SECONDS=LEASE_SECONDS, RATELIMIT_ENABLED=False)


@pytest.fixture
def golfers(organiser) -> Event:
    return golf_event(organiser)


@pytest.fixture
def previous(golfers) -> Plan:
    """A published tables plan, made before the solve that will be killed."""
    job = jobs.create(golfers, PlanKind.TABLES, {"time_limit": 1, "seed": 0})
    jobs.run(job.id)
    db.session.refresh(job)
    publishing.publish(job.plan)
    return job.plan


def seats(plan: Plan) -> set[tuple[int, int, int]]:
    return {(a.registration_id, a.session_id, a.table_id) for a in plan.assignments}


def assert_untouched(event: Event, plan: Plan, seated: set) -> None:
    db.session.expire_all()
    assert plans.plans(event, PlanKind.TABLES)[0] == plan
    assert plans.published_plan(event, PlanKind.TABLES) == plan
    assert seats(plan) == seated


def flask_command(app: Flask, tmp_path: Path, *args: str, **env: str) -> subprocess.Popen:
    """`flask --app wsgi ARGS` in a process of its own on the test's database."""
    environment = {
        **os.environ,
        "DATABASE_URL": app.config["SQLALCHEMY_DATABASE_URI"],
        "CONVENE_INSTANCE_PATH": str(tmp_path / "subprocess-instance"),
        "CONVENE_ENV": "development",
        "SECRET_KEY": "solve-lease-tests",
        "SOLVE_LEASE_SECONDS": str(LEASE_SECONDS),
        "RATELIMIT_ENABLED": "0",
        **env,
    }
    if "REDIS_URL" not in env:
        environment.pop("REDIS_URL", None)  # solves run in the process itself
    return subprocess.Popen(
        [sys.executable, "-m", "flask", "--app", "wsgi", *args],
        cwd=ROOT,
        env=environment,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )


def a_job_reporting(event: Event, process: subprocess.Popen, timeout: float = 30) -> SolveJob:
    """The event's job once it is running and has reported progress (from another process)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        assert process.poll() is None, process.stdout.read()
        db.session.rollback()  # a new transaction sees what the other process committed
        job = db.session.scalar(
            select(SolveJob).where(SolveJob.event_id == event.id).order_by(SolveJob.id.desc())
        )
        if job is not None and job.state == JobState.RUNNING and job.progress:
            return job
        time.sleep(0.05)
    raise AssertionError(f"no job of {event.slug} reported progress within {timeout} s")


def answers(browser: Browser) -> bool:
    try:
        return browser.request("GET", "/login")[0] == 200
    except OSError:  # not listening yet
        return False


def kill(process: subprocess.Popen) -> None:
    os.kill(process.pid, signal.SIGKILL)
    process.wait(timeout=10)
    process.stdout.close()


def fresh(job: SolveJob) -> SolveJob:
    """`job` as another process last committed it."""
    db.session.rollback()  # a new transaction sees what the other process committed
    return db.session.get(SolveJob, job.id)


def until_the_lease_runs_out(job: SolveJob) -> None:
    job = fresh(job)
    assert job.state == JobState.RUNNING  # nobody has looked yet
    left = (job.lease_expires_at - utcnow()).total_seconds()
    assert 0 < left <= LEASE_SECONDS
    time.sleep(left + 0.1)


def test_a_killed_plan_command_is_ended_when_the_next_command_starts(
    app, tmp_path, golfers, previous
):
    seated = seats(previous)
    planning = flask_command(app, tmp_path, "plan", golfers.slug, "--time-limit", "120")
    job = a_job_reporting(golfers, planning)
    kill(planning)
    until_the_lease_runs_out(job)

    # Any `flask --app wsgi` command ends it as it starts, before doing its own work.
    other = flask_command(app, tmp_path, "sectors", "list")
    assert other.wait(timeout=60) == 0, other.stdout.read()
    other.stdout.close()
    job = fresh(job)
    assert job.state == JobState.FAILED
    assert job.error == (
        "The planner stopped responding (its process ended); the previous plan is kept. "
        "Start again."
    )
    assert job.lease_expires_at is None and job.plan_id is None
    assert_untouched(golfers, previous, seated)
    jobs.create(golfers, PlanKind.TABLES, {"time_limit": 1})  # no longer "already being made"


def test_a_killed_server_leaves_a_job_the_organiser_can_cancel(
    app, tmp_path, golfers, previous, signed_in
):
    """The dev server runs solves on a thread of its own; killed, its job is cancelled from the
    job page and ended by the next look at it, and planning starts again."""
    seated = seats(previous)
    port = free_port()
    server = flask_command(app, tmp_path, "run", "--port", str(port), "--no-reload")
    browser = Browser(f"http://127.0.0.1:{port}")
    deadline = time.monotonic() + 60
    while not answers(browser):
        assert server.poll() is None and time.monotonic() < deadline, server.stdout.read()
        time.sleep(0.1)
    assert browser.submit("/login", {"email": "org@example.org", "password": PASSWORD})[0] == 302
    overview = f"/organise/events/{golfers.slug}/planning"
    page = browser.request("GET", overview)[1]
    token = re.search(rb'name="csrf_token"[^>]*value="([^"]+)"', page).group(1).decode()
    body = urllib.parse.urlencode({**TABLE_FIELDS, "csrf_token": token}).encode()
    status, _ = browser.request(
        "POST", f"{overview}/tables", body, {"Content-Type": "application/x-www-form-urlencoded"}
    )
    assert status == 302
    job = a_job_reporting(golfers, server)
    kill(server)

    job_url = f"/organise/events/{golfers.slug}/jobs/{job.id}"
    page = signed_in.submit(f"{job_url}/cancel", form_url=job_url, follow_redirects=True)
    assert "Cancelling" in page.get_data(as_text=True)
    until_the_lease_runs_out(job)
    status = signed_in.get(f"{job_url}.json").get_json()
    assert status["state"] == "cancelled"
    assert status["error"] == "Cancelled by the organiser; the previous plan is kept."
    assert_untouched(golfers, previous, seated)

    again = signed_in.submit(
        f"{overview}/tables", {**TABLE_FIELDS, "time_limit": "1"}, form_url=overview
    )
    assert again.status_code == 302 and "/jobs/" in again.headers["Location"]
    new_job = wait_for(int(again.headers["Location"].rsplit("/", 1)[1]))
    assert new_job.state == JobState.SUCCEEDED, new_job.error
    assert plans.published_plan(golfers, PlanKind.TABLES) == previous


@pytest.mark.skipif(not os.environ.get("REDIS_URL"), reason="REDIS_URL not set: no Redis to test")
def test_a_killed_rq_worker_leaves_a_job_the_next_worker_ends(app, tmp_path, golfers, previous):
    seated = seats(previous)
    app.config["REDIS_URL"] = os.environ["REDIS_URL"]
    queue = jobs.rq_queue(app)
    queue.empty()
    job = jobs.start(golfers, PlanKind.TABLES, {"time_limit": 120, "seed": 3})
    db.session.refresh(job)
    assert job.lease_expires_at is None  # waiting in Redis, however long, is not a lost job
    worker = flask_command(app, tmp_path, "worker", REDIS_URL=os.environ["REDIS_URL"])
    job = a_job_reporting(golfers, worker)
    kill(worker)
    until_the_lease_runs_out(job)

    jobs.work(app, burst=True)  # a worker starting up, with nothing queued
    job = fresh(job)
    assert job.state == JobState.FAILED and "stopped responding" in job.error
    assert_untouched(golfers, previous, seated)
    again = jobs.start(golfers, PlanKind.TABLES, {"time_limit": 1, "seed": 0})
    jobs.work(app, burst=True)
    assert wait_for(again.id).state == JobState.SUCCEEDED


def test_commands_still_run_on_a_database_without_tables(tmp_path):
    """The start-up look for lost jobs must not stop `db upgrade` from making the tables."""
    url = f"sqlite:///{tmp_path / 'empty.sqlite3'}"
    environment = {
        **os.environ,
        "DATABASE_URL": url,
        "CONVENE_INSTANCE_PATH": str(tmp_path / "instance"),
        "CONVENE_ENV": "development",
    }
    upgrade = subprocess.run(
        [sys.executable, "-m", "flask", "--app", "wsgi", "db", "upgrade"],
        cwd=ROOT,
        env=environment,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert upgrade.returncode == 0, upgrade.stderr


def test_an_invalid_lease_setting_is_refused_naming_it(tmp_path):
    with pytest.raises(
        RuntimeError,
        match="SOLVE_LEASE_SECONDS must be a number of seconds from 1 to 86400, not 'soon'",
    ):
        next(fresh_app(tmp_path, SOLVE_LEASE_SECONDS="soon"))


def test_organisers_write_while_a_solve_reports_progress(signed_in, golfers):
    """Starting and cancelling a breakouts solve, adding and removing a seating rule, while the
    tables solve writes its progress and lease: every request succeeds (on SQLite they used to
    fail at once, "database is locked", when a solve's write landed between the request's first
    read and its first write)."""
    start = golfers.starts_at
    golfers.sessions.append(
        Session(
            kind=SessionKind.BREAKOUT_SLOT,
            title="Breakouts",
            starts_at=start + timedelta(hours=9, minutes=55),
            ends_at=start + timedelta(hours=10),
            breakouts=[Breakout(title="Sharing data", room="Room 1", capacity=40)],
        )
    )
    db.session.commit()
    overview = f"/organise/events/{golfers.slug}/planning"
    response = signed_in.submit(f"{overview}/tables", TABLE_FIELDS, form_url=overview)
    tables_url = response.headers["Location"]
    wait_until_running(int(tables_url.rsplit("/", 1)[1]))
    deadline = time.monotonic() + 2  # four progress writes, eight lease renewals
    while time.monotonic() < deadline:
        response = signed_in.submit(
            f"{overview}/breakouts", {"time_limit": "5", "seed": "0"}, form_url=overview
        )
        assert response.status_code == 302 and "/jobs/" in response.headers["Location"]
        job_url = response.headers["Location"]
        response = signed_in.submit(f"{job_url}/cancel", form_url=job_url)
        assert response.status_code == 302
        assert signed_in.get(f"{job_url}.json").get_json()["state"] == "cancelled"
        first, second = (r.id for r in golfers.registrations[:2])
        rule = {"kind": "keep_apart", "first": first, "second": second}
        response = signed_in.submit(f"{overview}/rules", rule, form_url=overview)
        assert response.status_code == 302
        db.session.rollback()  # see what the request committed
        [added] = db.session.scalars(select(SeatingRule)).all()
        response = signed_in.submit(f"{overview}/rules/{added.id}/delete", form_url=overview)
        assert response.status_code == 302
    assert signed_in.submit(f"{tables_url}/cancel", form_url=tables_url).status_code == 302
    assert wait_for(int(tables_url.rsplit("/", 1)[1])).state == JobState.CANCELLED


def test_the_error_page_renders_after_a_failed_write(app, client, organiser):
    """A write that fails (here a second account with the organiser's email) gives the signed-in
    organiser the error page, not a second error from the page reading the broken session."""

    def register_twice():
        db.session.add(User(email=organiser.email, password_hash="x"))
        db.session.commit()

    app.add_url_rule("/organise/twice", view_func=register_twice)
    app.config["PROPAGATE_EXCEPTIONS"] = False  # answer as in production
    client.submit("/login", {"email": organiser.email, "password": PASSWORD})
    response = client.get("/organise/twice")
    assert response.status_code == 500
    page = response.get_data(as_text=True)
    assert "Something went wrong" in page and "Sign out" in page
