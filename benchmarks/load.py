"""Load test: Convene under gunicorn on loopback, a burst of registrations plus page views.

    python -m benchmarks.load [--users 50] [--duration 20] [--capacity 400]
                              [--workers 4] [--threads 1] [--database-url URL]

Each run starts from a fresh database (a new SQLite file; or, with --database-url pointing at a
PostgreSQL server, a new database created on that server and dropped afterwards), migrated with
the app's Alembic revisions and holding one published event. Convene runs as a busy site would:
MAIL_DELIVERY=worker, with one `flask mail-worker` at a lower CPU priority (nice 10) sending the
confirmations. Three phases follow, each --duration seconds after a one-second warm-up, with
--users simulated people (locust, closed loop, no think time):

1. registration burst: everyone registers through the JSON API, one POST per registration;
2. mixed: everyone loops over opening the home page, opening the event page, registering through
   the form (load it, post it, open the private page it redirects to) or through the API;
3. ceiling: a bare Flask endpoint doing one database insert under the same gunicorn settings
   (benchmarks/ceiling.py), the practical ceiling for any write, one POST per insert.

Registration throughput is compared with the ceiling POST for POST (phase 1 against phase 3);
latency and errors are judged on the mixed phase, where registrations share the server with page
views. Printed: requests/second, p50/p95/p99 latency and errors per kind of request; the
registration/ceiling ratio; confirmed registrations against capacity; and how long the mail
worker took to send every confirmation.

Rate limits: every simulated person comes from 127.0.0.1, so the per-address limits would
measure the limiter, not the app. They stay switched on (their cost is measured) with the
per-address registration and link-guessing allowances raised out of reach; the per-email limit
is unchanged (each person uses a new address).

Targets (issue 9): registration throughput at least half the ceiling, p99 under 500 ms at 50
users on 2 cores, no errors, no overbooking.
"""

# locust drives its simulated users on gevent, which patches the standard library's sockets:
# it must be imported before anything else opens one.
import locust  # noqa: F401, I001  (must come first)
from locust import FastHttpUser, constant, task
from locust import events as locust_events
from locust.env import Environment

import argparse
import itertools
import json
import os
import re
import secrets
import shutil
import socket
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from collections.abc import Callable
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path
from urllib.parse import urlsplit

import gevent
from flask_migrate import upgrade
from sqlalchemy import create_engine, func, select, text
from sqlalchemy.engine import Engine, make_url

from app import create_app
from app.extensions import db
from app.models import Breakout, Organisation, Session, SessionKind
from benchmarks.ceiling import create_table
from benchmarks.events import published_event, start_of
from config import DevelopmentConfig

ROOT = Path(__file__).resolve().parents[1]
SLUG = "load-day"
ORGANISATIONS = [
    ("Riverside City Council", "Local government"),
    ("Riverside NHS Trust", "Health"),
    ("Northshire Police", "Policing"),
    ("Riverside Housing", "Housing"),
    ("Citizens Advice Riverside", "Voluntary"),
    ("Department for Work and Pensions", "Central government"),
]
REGISTRATIONS = ("register (form post)", "register (API)")
CSRF = re.compile(r'name="csrf_token"[^>]*value="([^"]+)"')


# --- databases --------------------------------------------------------------------------------


@dataclass
class Database:
    url: str
    drop: Callable[[], None]


def fresh_database(folder: Path, server_url: str | None, name: str) -> Database:
    """A new, empty database: a SQLite file in `folder`, or a new database on the server."""
    if not server_url:
        return Database(f"sqlite:///{folder / (name + '.sqlite3')}", lambda: None)
    server = make_url(server_url)
    if not server.drivername.startswith("postgresql"):
        raise SystemExit("--database-url must be a PostgreSQL URL (SQLite is the default)")
    database = f"convene_load_{name}_{secrets.token_hex(4)}"
    admin = create_engine(server.set(database="postgres"), isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        connection.execute(text(f'CREATE DATABASE "{database}"'))

    def drop() -> None:
        with admin.connect() as connection:
            connection.execute(text(f'DROP DATABASE IF EXISTS "{database}" WITH (FORCE)'))
        admin.dispose()

    return Database(server.set(database=database).render_as_string(hide_password=False), drop)


def prepare_convene(database_url: str, instance: Path, capacity: int) -> None:
    """Migrate the database and add one published event with an open registration."""
    settings = DevelopmentConfig()
    settings.SQLALCHEMY_DATABASE_URI = database_url
    settings.INSTANCE_DIR = instance
    settings.MAIL_OUTBOX_DIR = instance / "outbox"
    app = create_app(settings)
    with app.app_context():
        upgrade()
        start = start_of()
        organisations = [Organisation(name=n, sector=s) for n, s in ORGANISATIONS]
        breakouts = Session(
            kind=SessionKind.BREAKOUT_SLOT,
            title="Breakouts",
            starts_at=start + timedelta(hours=4),
            ends_at=start + timedelta(hours=5),
            breakouts=[
                Breakout(title=f"Breakout {n}", room=f"Room {n}", capacity=capacity)
                for n in (1, 2, 3)
            ],
        )
        event = published_event(
            SLUG,
            "Load Day",
            "A day to test the registration burst.",
            capacity=capacity,
            rounds=2,
            tables=capacity // 8 + 1,
            table_size=8,
            convenors=organisations[:2],
            breakout_slots=[breakouts],
        )
        db.session.add_all([*organisations, event])
        db.session.commit()
        db.engine.dispose()


def registration_counts(engine: Engine, tokens: list[str]) -> dict[str, int]:
    """Registrations by status, duplicate tokens, and accepted registrations not stored."""
    with engine.connect() as connection:
        rows = connection.execute(
            text("SELECT status, count(*) FROM registration GROUP BY status")
        ).all()
        duplicates = connection.execute(
            select(func.count()).select_from(
                text("(SELECT token FROM registration GROUP BY token HAVING count(*) > 1) d")
            )
        ).scalar_one()
        stored = set(connection.execute(text("SELECT token FROM registration")).scalars())
    missing = sum(token not in stored for token in tokens)
    return {**dict(rows), "duplicate_tokens": duplicates, "missing": missing}


def count(engine: Engine, sql: str) -> int:
    with engine.connect() as connection:
        return connection.execute(text(sql)).scalar_one()


# --- servers ----------------------------------------------------------------------------------


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def gunicorn(app: str, env: dict[str, str], workers: int, threads: int):
    """Serve `app`. With one thread per worker, gunicorn's sync workers: one request at a time
    each, no keep-alive, as behind a buffering proxy. (Its threaded workers keep a client's
    connection open, and locust's 50 connections all stayed with the first worker to accept
    them: one process did all the work while three sat idle.)"""
    port = free_port()
    command = [
        sys.executable,
        "-m",
        "gunicorn",
        "--workers",
        str(workers),
        "--threads",
        str(threads),
        "--worker-class",
        "sync" if threads == 1 else "gthread",
        "--bind",
        f"127.0.0.1:{port}",
        "--backlog",
        "512",
        "--log-level",
        "warning",
        app,
    ]
    process = subprocess.Popen(command, cwd=ROOT, env={**os.environ, **env})
    base = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise SystemExit(f"gunicorn {app} exited with {process.returncode}")
        try:
            with urllib.request.urlopen(base + "/", timeout=2):
                break
        except urllib.error.HTTPError:
            break  # it answers (the ceiling app has no page at /)
        except OSError:
            time.sleep(0.2)
    else:
        process.terminate()
        raise SystemExit(f"gunicorn {app} did not answer at {base}")
    return process, base


def stop(process: subprocess.Popen) -> None:
    process.terminate()
    try:
        process.wait(timeout=30)
    except subprocess.TimeoutExpired:
        process.kill()


# --- simulated people -------------------------------------------------------------------------

emails = itertools.count(1)
accepted: list[str] = []  # the private token of every registration answered as accepted


def person(n: int) -> dict:
    name, sector = ORGANISATIONS[n % len(ORGANISATIONS)]
    return {
        "name": f"Person {n}",
        "email": f"person{n}@load.example",
        "organisation": name,
        "sector": sector,
        "profession": ["Nurse", "Analyst", "Manager", "Social worker"][n % 4],
    }


class Registrant(FastHttpUser):
    wait_time = constant(0)

    @task(1)
    def home(self) -> None:
        self.client.get("/", name="home page")

    @task(3)
    def event_page(self) -> None:
        self.client.get(f"/events/{SLUG}", name="event page")

    @task(3)
    def register_with_the_form(self) -> None:
        page = self.client.get(f"/events/{SLUG}/register", name="register (form page)")
        token = CSRF.search(page.text or "")
        if token is None:
            return
        n = next(emails)
        fields = {**person(n), "consent": "y", "csrf_token": token.group(1)}
        with self.client.post(
            f"/events/{SLUG}/register",
            data=fields,
            name="register (form post)",
            allow_redirects=False,
            catch_response=True,
        ) as response:
            if response.status_code != 302 or "/r/" not in response.headers.get("Location", ""):
                response.failure(f"status {response.status_code}")
                return
            location = urlsplit(response.headers["Location"]).path
            accepted.append(location.rsplit("/", 1)[-1])
        self.client.get(location, name="manage page")

    @task(2)
    def register_with_the_api(self) -> None:
        register_through_the_api(self.client)


class ApiRegistrant(FastHttpUser):
    wait_time = constant(0)

    @task
    def register(self) -> None:
        register_through_the_api(self.client)


def register_through_the_api(client) -> None:
    body = {**person(next(emails)), "consent": True}
    with client.post(
        f"/api/v1/events/{SLUG}/registrations",
        json=body,
        name="register (API)",
        catch_response=True,
    ) as response:
        if response.status_code != 201:
            response.failure(f"status {response.status_code}")
            return
        accepted.append(response.json()["token"])


class CeilingClient(FastHttpUser):
    wait_time = constant(0)

    @task
    def insert(self) -> None:
        with self.client.post("/hit", name="insert", catch_response=True) as response:
            if response.status_code != 201:
                response.failure(f"status {response.status_code}")


@dataclass
class Figures:
    name: str
    requests: int
    failures: int
    rps: float
    p50: float
    p95: float
    p99: float


def drive(user_class, base: str, users: int, duration: float) -> tuple[list[Figures], float]:
    """Run `users` simulated people for `duration` seconds after a one-second warm-up."""
    environment = Environment(user_classes=[user_class], host=base, events=locust_events)
    runner = environment.create_local_runner()
    runner.start(users, spawn_rate=users)
    gevent.sleep(1.0)
    environment.stats.reset_all()
    started = time.monotonic()
    gevent.sleep(duration)
    elapsed = time.monotonic() - started
    runner.quit()
    figures = []
    for entry in sorted(environment.stats.entries.values(), key=lambda e: e.name):
        figures.append(_figures(entry.name, entry, elapsed))
    figures.append(_figures("all requests", environment.stats.total, elapsed))
    return figures, elapsed


def _figures(name: str, entry, elapsed: float) -> Figures:
    return Figures(
        name=name,
        requests=entry.num_requests,
        failures=entry.num_failures,
        rps=entry.num_requests / elapsed,
        p50=entry.get_response_time_percentile(0.50) or 0.0,
        p95=entry.get_response_time_percentile(0.95) or 0.0,
        p99=entry.get_response_time_percentile(0.99) or 0.0,
    )


def table(figures: list[Figures]) -> str:
    lines = [
        f"  {'request':<24} {'count':>7} {'errors':>6} {'req/s':>8} "
        f"{'p50 ms':>7} {'p95 ms':>7} {'p99 ms':>7}"
    ]
    for f in figures:
        lines.append(
            f"  {f.name:<24} {f.requests:>7} {f.failures:>6} {f.rps:>8.1f} "
            f"{f.p50:>7.0f} {f.p95:>7.0f} {f.p99:>7.0f}"
        )
    return "\n".join(lines)


def combined(figures: list[Figures], names: tuple[str, ...], elapsed: float) -> Figures:
    """Registrations by either way; latencies are the worse of the two ways'."""
    chosen = [f for f in figures if f.name in names]
    requests = sum(f.requests for f in chosen)
    return Figures(
        "registrations",
        requests,
        sum(f.failures for f in chosen),
        requests / elapsed,
        *(max((getattr(f, p) for f in chosen), default=0.0) for p in ("p50", "p95", "p99")),
    )


def mail_worker(env: dict[str, str]) -> subprocess.Popen:
    """The mail worker a busy site runs beside the web processes, at a lower CPU priority."""
    command = ["nice", "-n", "10", sys.executable, "-m", "flask", "--app", "wsgi", "mail-worker"]
    return subprocess.Popen(
        [*command, "--poll", "0.5"], cwd=ROOT, env={**os.environ, **env}, stdout=subprocess.DEVNULL
    )


MAIL_WAITING = "SELECT count(*) FROM outgoing_mail WHERE status = 'pending'"


def drain(engine: Engine, timeout: float = 600.0) -> tuple[int, float]:
    """Mail still waiting when the load stopped, and seconds until the worker had sent it all."""
    waiting = count(engine, MAIL_WAITING)
    started = time.monotonic()
    while count(engine, MAIL_WAITING) and time.monotonic() - started < timeout:
        time.sleep(0.5)
    return waiting, time.monotonic() - started


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--users", type=int, default=50)
    parser.add_argument("--duration", type=float, default=20.0, help="seconds per phase")
    parser.add_argument("--capacity", type=int, default=400, help="seats at the event")
    parser.add_argument("--workers", type=int, default=4, help="gunicorn worker processes")
    # Measured on 2 cores: 4 single-threaded workers gave the best tail (threads were no faster,
    # and a thread holding the seat lock waits for the GIL behind its siblings).
    parser.add_argument("--threads", type=int, default=1, help="threads per worker")
    parser.add_argument("--database-url", help="a PostgreSQL server (default: SQLite files)")
    args = parser.parse_args(argv)

    folder = Path(tempfile.mkdtemp(prefix="convene-load-"))
    convene_db = fresh_database(folder, args.database_url, "app")
    ceiling_db = fresh_database(folder, args.database_url, "ceiling")
    kind = make_url(convene_db.url).get_backend_name()
    print(
        f"Convene load test: {args.users} users, {args.duration:.0f} s per phase, "
        f"gunicorn {args.workers} workers x {args.threads} threads, {kind}, "
        f"{os.cpu_count()} cores (load generator on the same machine)"
    )
    try:
        instance = folder / "instance"
        prepare_convene(convene_db.url, instance, args.capacity)
        env = {
            "DATABASE_URL": convene_db.url,
            "CONVENE_INSTANCE_PATH": str(instance),
            "SECRET_KEY": secrets.token_hex(32),
            "CONVENE_ENV": "development",
            "REDIS_URL": "",
            "MAIL_DELIVERY": "worker",
            # See the module docstring: limits on, per-address allowances out of reach.
            "RATELIMIT_ENABLED": "1",
            "RATELIMIT_REGISTRATION_PER_ADDRESS": "1000000 per minute",
            "RATELIMIT_TOKEN_GUESSES": "1000000 per minute",
        }
        sender = mail_worker(env)
        process, base = gunicorn("wsgi:app", env, args.workers, args.threads)
        try:
            burst, _ = drive(ApiRegistrant, base, args.users, args.duration)
            mixed, elapsed = drive(Registrant, base, args.users, args.duration)
        finally:
            stop(process)
        convene = create_engine(convene_db.url)
        mail_backlog, mail_seconds = drain(convene)
        stop(sender)
        counts = registration_counts(convene, accepted)

        create_table(ceiling_db.url)
        ceiling_env = {"DATABASE_URL": ceiling_db.url}
        process, base = gunicorn(
            "benchmarks.ceiling:create_app()", ceiling_env, args.workers, args.threads
        )
        try:
            ceiling, _ = drive(CeilingClient, base, args.users, args.duration)
        finally:
            stop(process)
        ceiling_engine = create_engine(ceiling_db.url)
        inserts = count(ceiling_engine, "SELECT count(*) FROM ceiling_hit")
        ceiling_engine.dispose()
        mail_left = count(convene, MAIL_WAITING)
        convene.dispose()
    finally:
        convene_db.drop()
        ceiling_db.drop()
        shutil.rmtree(folder, ignore_errors=True)

    burst_registrations = next(f for f in burst if f.name == "register (API)")
    registrations = combined(mixed, REGISTRATIONS, elapsed)
    insert = next(f for f in ceiling if f.name == "insert")
    everything = next(f for f in mixed if f.name == "all requests")
    stored = sum(counts.get(status, 0) for status in ("confirmed", "waitlisted", "cancelled"))
    confirmed = counts.get("confirmed", 0)

    print("\n1. Registration burst (JSON API):")
    print(table(burst))
    print("\n2. Mixed (page views and registrations):")
    print(table(mixed))
    print("\n3. Ceiling (bare Flask endpoint, one INSERT):")
    print(table(ceiling))
    ratio = burst_registrations.rps / insert.rps if insert.rps else 0.0
    print("\nSummary:")
    print(
        f"  registration burst {burst_registrations.rps:.1f}/s vs ceiling inserts "
        f"{insert.rps:.1f}/s: {ratio:.2f} of the ceiling (target >= 0.50); "
        f"in the mixed phase {registrations.rps:.1f} registrations/s"
    )
    print(
        f"  p99 mixed: all requests {everything.p99:.0f} ms, registrations "
        f"{registrations.p99:.0f} ms; burst registrations {burst_registrations.p99:.0f} ms "
        "(target < 500 ms)"
    )
    errors = everything.failures + burst_registrations.failures + insert.failures
    print(f"  errors {errors} (target 0)")
    print(
        f"  stored registrations {stored} (answered as accepted {len(accepted)}; the rest were "
        "in flight when the clock stopped), "
        f"confirmed {confirmed} / capacity {args.capacity}, "
        f"waitlisted {counts.get('waitlisted', 0)}, duplicate tokens {counts['duplicate_tokens']}"
    )
    print(
        f"  mail: {mail_backlog} confirmations still waiting when the load stopped, all sent "
        f"{mail_seconds:.1f} s later by one worker at nice 10 ({mail_left} never sent)"
    )
    overbooked = confirmed > args.capacity
    lost = counts["missing"] > 0
    print(
        f"  overbooking: {'YES' if overbooked else 'none'}; lost registrations: "
        f"{counts['missing'] if lost else 'none'}; ceiling rows {inserts} "
        f"for {insert.requests} timed inserts"
    )
    summary = {"ratio": round(ratio, 3), "p99_ms": everything.p99, "mail_drain_s": mail_seconds}
    print(f"  (json) {json.dumps(summary)}")
    return 1 if overbooked or lost or mail_left else 0


if __name__ == "__main__":
    sys.exit(main())
