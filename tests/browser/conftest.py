"""Browser fixtures: Debian's Chromium driven by Playwright against the app served on loopback,
each test with a fresh SQLite file database and mail written to an outbox folder.

Screenshots of every page a journey reaches are kept under test-artifacts/browser/<test>/.
Without Chromium (`apt-get install chromium`) or Playwright these tests skip and say so."""

from __future__ import annotations

import os
import re
import shutil
from collections.abc import Iterator
from datetime import datetime, timedelta
from pathlib import Path

import pytest
from flask import Flask

from app import create_app
from app.extensions import db
from app.models import (
    Breakout,
    Event,
    EventStatus,
    Organisation,
    Session,
    SessionKind,
    Table,
    User,
)
from app.services.organisations import sectors
from config import TestingConfig
from tests.browser import axe
from tests.browser.harness import Journey, KeyboardUser, LiveServer, MouseUser, date_field_layout

CHROMIUM = os.environ.get("CONVENE_CHROMIUM", "/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
ARTEFACTS = Path(__file__).resolve().parents[2] / "test-artifacts" / "browser"
ORGANISER_EMAIL = "olu@example.org"
ORGANISER_PASSWORD = "correct horse battery staple"
TIMEOUT_MS = 15_000


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(item, call):
    """Keep each phase's report on the test, so its teardown knows whether it failed."""
    report = yield
    setattr(item, f"report_{report.when}", report)
    return report


@pytest.fixture(scope="session")
def playwright_browser():
    if not Path(CHROMIUM).exists():
        pytest.skip(
            f"browser tests need Chromium at {CHROMIUM} (apt-get install chromium, "
            "or set CONVENE_CHROMIUM to its path)"
        )
    sync_api = pytest.importorskip(
        "playwright.sync_api",
        reason="browser tests need Playwright (pip install -e '.[dev]')",
        exc_type=ImportError,
    )
    axe.ensure_installed()
    with sync_api.sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield browser
        browser.close()


@pytest.fixture(scope="session")
def date_layout(playwright_browser):
    return date_field_layout(playwright_browser)


class BrowserConfig(TestingConfig):
    """Testing settings with a real SQLite file (shared by the server's threads) and an outbox."""

    def __init__(self, folder: Path) -> None:
        super().__init__()
        self.INSTANCE_DIR = folder / "instance"
        self.MAIL_OUTBOX_DIR = self.INSTANCE_DIR / "outbox"
        self.SQLALCHEMY_DATABASE_URI = f"sqlite:///{folder / 'browser.sqlite3'}"
        self.REDIS_URL = None  # solves run in the server's own worker thread
        self.MAIL_SERVER = None  # mail goes to the outbox folder, where the journeys read it


@pytest.fixture
def live_app(tmp_path) -> Iterator[Flask]:
    app = create_app(BrowserConfig(tmp_path))
    with app.app_context():
        db.create_all()
        sectors.install_defaults()
        organiser = User(email=ORGANISER_EMAIL, name="Olu Organiser")
        organiser.set_password(ORGANISER_PASSWORD)
        db.session.add(organiser)
        db.session.commit()
        db.session.remove()
    yield app
    with app.app_context():
        db.engine.dispose()


def event_start(days: int = 40) -> datetime:
    day = datetime.now() + timedelta(days=days)
    return day.replace(hour=9, minute=0, second=0, microsecond=0)


@pytest.fixture
def learning_day(live_app: Flask) -> str:
    """A published event, as journey 1 leaves it: two convenors, three table rounds, a slot of
    two breakouts, five tables of six. Returns its slug."""
    start = event_start()
    hours = lambda h, m=0: start + timedelta(hours=h, minutes=m)  # noqa: E731
    with live_app.app_context():
        organiser = db.session.scalar(db.select(User).where(User.email == ORGANISER_EMAIL))
        event = Event(
            slug="learning-day",
            title="Learning Day",
            description="Learning together across Riverside.",
            venue="Riverside Town Hall",
            timezone="Europe/London",
            starts_at=start,
            ends_at=hours(7),
            capacity=40,
            status=EventStatus.PUBLISHED,
            convenors=[
                Organisation(name="Riverside City Council", sector="Local government"),
                Organisation(name="Riverside NHS Trust", sector="Health"),
            ],
            organisers=[organiser],
            sessions=[
                Session(
                    kind=SessionKind.TABLE_ROUND,
                    title=title,
                    starts_at=hours(h, 30),
                    ends_at=hours(h + 1, 15),
                )
                for h, title in [(0, "Round one"), (1, "Round two"), (2, "Round three")]
            ]
            + [
                Session(
                    kind=SessionKind.BREAKOUT_SLOT,
                    title="Afternoon breakouts",
                    starts_at=hours(4, 30),
                    ends_at=hours(5, 30),
                    breakouts=[
                        Breakout(title="Sharing data", room="Room 1", capacity=20),
                        Breakout(title="Homelessness", room="Room 2", capacity=20),
                    ],
                )
            ],
            tables=[Table(number=n, capacity=6, accessible=n == 1) for n in range(1, 6)],
        )
        db.session.add(event)
        db.session.commit()
        db.session.remove()
    return "learning-day"


@pytest.fixture
def server(live_app: Flask) -> Iterator[LiveServer]:
    server = LiveServer(live_app).start()
    yield server
    server.stop()


@pytest.fixture
def journey(request, playwright_browser, server: LiveServer) -> Iterator[Journey]:
    folder = ARTEFACTS / re.sub(r"[^A-Za-z0-9_.-]+", "-", request.node.name).strip("-")
    shutil.rmtree(folder, ignore_errors=True)
    folder.mkdir(parents=True)
    context = playwright_browser.new_context(
        locale="en-GB",
        timezone_id="Europe/London",
        viewport={"width": 1280, "height": 900},
        accept_downloads=True,
    )
    context.set_default_timeout(TIMEOUT_MS)
    page = context.new_page()
    journey = Journey(page, server, folder)
    yield journey
    report = getattr(request.node, "report_call", None)
    if report is not None and report.failed:
        # What the browser showed when the test failed, beside the steps before it.
        page.screenshot(path=str(folder / "failure.png"), full_page=True)
        (folder / "failure.html").write_text(page.content(), encoding="utf-8")
    context.close()


@pytest.fixture(params=["keyboard"])
def user(request, journey: Journey, date_layout):
    """Someone taking the journey with the keyboard alone: it reaches every control with Tab
    and checks focus can be seen on each, so it proves all the mouse would and accessibility
    besides (a click and a key send the same form; the Flask-client tests check what it does).
    A journey where the mouse does something of its own runs twice with @BOTH_WAYS."""
    if request.param == "mouse":
        return MouseUser(journey)
    return KeyboardUser(journey, *date_layout)


# Run a journey with the mouse as well as with the keyboard alone (see `user`).
BOTH_WAYS = pytest.mark.parametrize("user", ["mouse", "keyboard"], indirect=True)
