"""Shared fixtures: an app on a fresh database per test (SQLite file, or TEST_DATABASE_URL)."""

from __future__ import annotations

import os
import re
import secrets
import shutil
import socket
from collections.abc import Iterator
from datetime import datetime, timedelta
from pathlib import Path

import pytest
from aiosmtpd.controller import Controller
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

from app import create_app
from app.extensions import db
from app.models import Breakout, Event, EventStatus, Organisation, Session, SessionKind, Table, User
from app.services.organisations import sectors
from config import TestingConfig

PASSWORD = "correct horse battery staple"
CSRF_INPUT = re.compile(r'name="csrf_token"[^>]*value="([^"]+)"')
_PRIVATE_DATABASE = pytest.StashKey[tuple]()


def pytest_configure(config) -> None:
    """With TEST_DATABASE_URL on PostgreSQL, this run works in a database of its own, created on
    that server now and dropped at the end: runs sharing the server (CI, several engineers)
    cannot drop each other's tables mid-test."""
    url = os.environ.get("TEST_DATABASE_URL", "")
    if not url.startswith("postgresql") or os.environ.get("CONVENE_TEST_DATABASE_PRIVATE"):
        return
    server = make_url(url)
    name = f"{server.database}_run{os.getpid()}_{secrets.token_hex(3)}"
    admin = create_engine(server.set(database="postgres"), isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        connection.execute(text(f'CREATE DATABASE "{name}"'))
    admin.dispose()
    os.environ["TEST_DATABASE_URL"] = server.set(database=name).render_as_string(False)
    os.environ["CONVENE_TEST_DATABASE_PRIVATE"] = "1"
    config.stash[_PRIVATE_DATABASE] = (server.set(database="postgres"), name)


def pytest_unconfigure(config) -> None:
    if (private := config.stash.get(_PRIVATE_DATABASE, None)) is None:
        return
    admin_url, name = private
    admin = create_engine(admin_url, isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    admin.dispose()


def make_config(tmp_path) -> TestingConfig:
    config = TestingConfig()
    config.INSTANCE_DIR = tmp_path / "instance"
    config.MAIL_OUTBOX_DIR = config.INSTANCE_DIR / "outbox"
    config.SQLALCHEMY_DATABASE_URI = os.environ.get(
        "TEST_DATABASE_URL", f"sqlite:///{tmp_path / 'test.sqlite3'}"
    )
    return config


def drop_everything() -> None:
    """Leave the database empty, including Alembic's bookkeeping table."""
    db.session.remove()
    db.drop_all()
    with db.engine.begin() as connection:
        connection.execute(text("DROP TABLE IF EXISTS alembic_version"))


@pytest.fixture
def app(tmp_path) -> Iterator[Flask]:
    yield from fresh_app(tmp_path)


def fresh_app(tmp_path, **settings) -> Iterator[Flask]:
    """An app on an empty database, inside its app context; `settings` override the config.
    A test module can redefine `app` with `yield from fresh_app(tmp_path, SETTING=value)`."""
    config = make_config(tmp_path)
    for name, value in settings.items():
        setattr(config, name, value)
    own_url = f"sqlite:///{tmp_path / 'test.sqlite3'}"
    own_file = own_url == config.SQLALCHEMY_DATABASE_URI
    if own_file:
        # A copy of the empty database made once per run: a test's own file needs no drop
        # before and after it, and copying is quicker than creating some fifty tables.
        shutil.copyfile(empty_sqlite_database(tmp_path.parent), tmp_path / "test.sqlite3")
    app = create_app(config)
    app.test_client_class = Client
    with app.app_context():
        if not own_file:
            drop_everything()
            db.create_all()
            sectors.install_defaults()
        yield app
        if not own_file:
            drop_everything()
        db.engine.dispose()


def empty_sqlite_database(folder: Path) -> Path:
    """An SQLite file in `folder` (this run's temporary folder) holding the models' tables and
    the default sectors, as each test starts with; made on first use."""
    path = folder / "empty.sqlite3"
    if not path.exists():
        config = make_config(folder / "empty")
        config.SQLALCHEMY_DATABASE_URI = f"sqlite:///{folder / 'empty-making.sqlite3'}"
        with create_app(config).app_context():
            db.create_all()
            sectors.install_defaults()
            db.session.remove()
            db.engine.dispose()
        # Renamed only once whole (and its write-ahead log folded in by the dispose).
        (folder / "empty-making.sqlite3").replace(path)
    return path


class Client(FlaskClient):
    """The test client, with a helper that posts a form the way a browser does (CSRF included).

    Responses are read to the end and closed before a request returns, as a WSGI server does
    (inline mail is sent when the response is closed)."""

    def open(self, *args, buffered: bool = True, **kwargs):
        return super().open(*args, buffered=buffered, **kwargs)

    def csrf_token(self, url: str) -> str:
        page = self.get(url)
        match = CSRF_INPUT.search(page.get_data(as_text=True))
        assert match, f"no CSRF token in the form at {url} (status {page.status_code})"
        return match.group(1)

    def submit(self, url: str, data: dict | None = None, *, form_url: str | None = None, **kw):
        """GET the page holding the form (form_url, default url), then POST data with its token."""
        data = dict(data or {})
        data["csrf_token"] = self.csrf_token(form_url or url)
        return self.post(url, data=data, **kw)


@pytest.fixture
def client(app: Flask) -> Client:
    return app.test_client()


@pytest.fixture
def organiser(app: Flask) -> User:
    user = User(email="org@example.org", name="Olu Organiser")
    user.set_password(PASSWORD)
    db.session.add(user)
    db.session.commit()
    return user


@pytest.fixture
def signed_in(client: Client, organiser: User) -> Client:
    response = client.submit("/login", {"email": organiser.email, "password": PASSWORD})
    assert response.status_code == 302
    return client


def future(days: int = 30, hour: int = 9, minute: int = 0) -> datetime:
    base = datetime.now().replace(hour=hour, minute=minute, second=0, microsecond=0)
    return base + timedelta(days=days)


@pytest.fixture
def event(app: Flask, organiser: User) -> Event:
    """A published event: two table rounds, a slot of two breakouts, and ten tables of six."""
    start = future()
    council = Organisation(name="Riverside City Council", sector="Local government")
    nhs = Organisation(name="Riverside NHS Trust", sector="Health")
    event = Event(
        slug="learning-day",
        title="Learning Day",
        description="Learning together.",
        venue="Town Hall",
        timezone="Europe/London",
        starts_at=start,
        ends_at=start + timedelta(hours=7),
        capacity=60,
        status=EventStatus.PUBLISHED,
        convenors=[council, nhs],
        organisers=[organiser],
        sessions=[
            Session(
                kind=SessionKind.TABLE_ROUND,
                title="Round one",
                starts_at=start,
                ends_at=start + timedelta(hours=1),
            ),
            Session(
                kind=SessionKind.TABLE_ROUND,
                title="Round two",
                starts_at=start + timedelta(hours=1, minutes=15),
                ends_at=start + timedelta(hours=2),
            ),
            Session(
                kind=SessionKind.BREAKOUT_SLOT,
                title="Breakouts",
                starts_at=start + timedelta(hours=3),
                ends_at=start + timedelta(hours=4),
                breakouts=[
                    Breakout(title="Sharing data", room="Room 1", capacity=30),
                    Breakout(title="Homelessness", room="Room 2", capacity=30),
                ],
            ),
        ],
        tables=[Table(number=n, capacity=6) for n in range(1, 11)],
    )
    db.session.add(event)
    db.session.commit()
    return event


def free_port() -> int:
    """A loopback port nobody listens on (aiosmtpd and gunicorn cannot be asked for port 0)."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


class SmtpSink:
    """A real SMTP server on loopback that keeps every envelope it is sent."""

    def __init__(self) -> None:
        self.port = free_port()
        self.envelopes: list = []

    async def handle_DATA(self, server, session, envelope):
        self.envelopes.append(envelope)
        return "250 OK"


@pytest.fixture
def smtp_sink() -> Iterator[SmtpSink]:
    sink = SmtpSink()
    controller = Controller(sink, hostname="127.0.0.1", port=sink.port)
    controller.start()
    yield sink
    controller.stop()
