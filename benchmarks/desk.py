"""The registration desk on a big morning: 600 people seated in published plans.

    python -m benchmarks.desk [--people 600] [--walk-ins 5]

A fresh SQLite file holds one event: --people confirmed people from 8 organisations, seated in a
published tables plan (4 rounds, tables of 10 with a seat or two free at each) and a published
breakouts plan (2 slots of 4 breakouts). Through the Flask test client, as a signed-in organiser:
the desk page with everyone (what the script then filters as you type), a search sent without the
script, a check-in and its undo as the script sends them, and walk-ins registered from the desk,
each placed in both plans. Printed: server time per request, median and slowest of 5 (walk-ins:
each). Target: every request well under half a second, so the desk keeps up with a queue.
"""

from __future__ import annotations

import argparse
import re
import statistics
import tempfile
import time
from datetime import timedelta
from pathlib import Path

from flask import Flask

from app import create_app
from app.extensions import db
from app.models import (
    Assignment,
    Breakout,
    Organisation,
    Plan,
    PlanKind,
    PlanStatus,
    Registration,
    RegistrationStatus,
    Session,
    SessionKind,
    User,
)
from app.models.types import utcnow
from app.services.organisations import sectors
from app.services.tokens import new_token
from benchmarks.events import published_event, start_of
from config import TestingConfig

PASSWORD = "correct horse battery staple"
ORGANISATIONS = [
    ("Riverside City Council", "Local government"),
    ("Eastvale Council", "Local government"),
    ("Riverside NHS Trust", "Health"),
    ("Valley ICB", "Health"),
    ("Northshire Police", "Policing"),
    ("Riverside Housing", "Housing"),
    ("Citizens Advice", "Voluntary"),
    ("DWP", "Central government"),
]


def make_app(folder: Path) -> Flask:
    config = TestingConfig()
    config.INSTANCE_DIR = folder
    config.MAIL_OUTBOX_DIR = folder / "outbox"
    config.SQLALCHEMY_DATABASE_URI = f"sqlite:///{folder / 'desk.sqlite3'}"
    config.RATELIMIT_ENABLED = False
    config.MAIL_DELIVERY = "worker"  # building mail is not what is measured
    return create_app(config)


def seed(people: int) -> None:
    start = start_of()
    slots = [
        Session(
            kind=SessionKind.BREAKOUT_SLOT,
            title=f"Breakouts {s}",
            starts_at=start + timedelta(hours=5 + s),
            ends_at=start + timedelta(hours=5 + s, minutes=50),
            breakouts=[
                Breakout(title=f"Topic {s}.{b}", room=f"Room {b}", capacity=people // 4 + 2)
                for b in range(1, 5)
            ],
        )
        for s in (1, 2)
    ]
    tables = -(-people // 9)  # nine a table: a seat free at each
    event = published_event(
        "desk",
        "Desk",
        "",
        capacity=people + 20,
        rounds=4,
        tables=tables,
        table_size=10,
        breakout_slots=slots,
    )
    organiser = User(email="o@example.org", name="Olu")
    organiser.set_password(PASSWORD)
    event.organisers = [organiser]
    organisations = [Organisation(name=n, sector=s) for n, s in ORGANISATIONS]
    db.session.add(event)
    registrations = [
        Registration(
            event=event,
            token=new_token(),
            name=f"Person {i:04d}",
            email=f"p{i}@example.org",
            organisation=organisations[i % len(organisations)],
            profession="Officer",
            consent=True,
            status=RegistrationStatus.CONFIRMED,
        )
        for i in range(people)
    ]
    db.session.add_all(registrations)
    db.session.flush()
    now = utcnow()
    tables_plan = Plan(event=event, kind=PlanKind.TABLES, status=PlanStatus.PUBLISHED)
    breakouts_plan = Plan(event=event, kind=PlanKind.BREAKOUTS, status=PlanStatus.PUBLISHED)
    tables_plan.published_at = breakouts_plan.published_at = now
    rounds = event.sessions_of(SessionKind.TABLE_ROUND)
    for r, session in enumerate(rounds):
        for i, person in enumerate(registrations):
            table = event.tables[(i + r * 7) % tables]
            tables_plan.assignments.append(
                Assignment(registration=person, session=session, table=table)
            )
    for slot in slots:
        for i, person in enumerate(registrations):
            breakouts_plan.assignments.append(
                Assignment(registration=person, session=slot, breakout=slot.breakouts[i % 4])
            )
    db.session.add_all([tables_plan, breakouts_plan])
    db.session.commit()


def timed(call) -> float:
    started = time.perf_counter()
    response = call()
    elapsed = time.perf_counter() - started
    assert response.status_code in (200, 302), response.status_code
    return elapsed


def run(people: int, walk_ins: int) -> list[tuple[str, list[float]]]:
    with tempfile.TemporaryDirectory() as folder:
        app = make_app(Path(folder))
        with app.app_context():
            db.create_all()
            sectors.install_defaults()
            seed(people)
            client = app.test_client()
            login = client.get("/login").get_data(as_text=True)
            token = re.search(r'name="csrf_token"[^>]*value="([^"]+)"', login).group(1)
            client.post(
                "/login", data={"email": "o@example.org", "password": PASSWORD, "csrf_token": token}
            )
            desk = "/organise/events/desk/desk"
            page = client.get(desk).get_data(as_text=True)
            assert page.count('class="desk-person"') == people
            token = re.search(r'name="csrf_token"[^>]*value="([^"]+)"', page).group(1)
            json = {"Accept": "application/json"}
            results = [
                ("desk page, everyone", [timed(lambda: client.get(desk)) for _ in range(5)]),
                (
                    "search without the script",
                    [timed(lambda: client.get(f"{desk}?q=person 01")) for _ in range(5)],
                ),
                (
                    "check in",
                    [
                        timed(
                            lambda i=i: client.post(
                                f"{desk}/{i}/check-in", data={"csrf_token": token}, headers=json
                            )
                        )
                        for i in range(1, 6)
                    ],
                ),
                (
                    "undo",
                    [
                        timed(
                            lambda i=i: client.post(
                                f"{desk}/{i}/check-in",
                                data={"csrf_token": token, "arrived": "0"},
                                headers=json,
                            )
                        )
                        for i in range(1, 6)
                    ],
                ),
            ]
            form = client.get(f"{desk}/walk-in").get_data(as_text=True)
            token = re.search(r'name="csrf_token"[^>]*value="([^"]+)"', form).group(1)
            results.append(
                (
                    "walk-in, registered and placed",
                    [
                        timed(
                            lambda n=n: client.post(
                                f"{desk}/walk-in",
                                data={
                                    "csrf_token": token,
                                    "name": f"Walker {n}",
                                    "email": f"w{n}@example.org",
                                    "organisation": "Riverside Housing",
                                    "profession": "Officer",
                                    "consent": "y",
                                },
                            )
                        )
                        for n in range(walk_ins)
                    ],
                )
            )
            placed = db.session.scalar(
                db.select(db.func.count(Assignment.id))
                .join(Registration)
                .where(Registration.name.like("Walker %"))
            )
            assert placed == walk_ins * 6, placed  # 4 rounds and 2 slots each
            return results


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--people", type=int, default=600)
    parser.add_argument("--walk-ins", type=int, default=5)
    args = parser.parse_args()
    results = run(args.people, args.walk_ins)
    print(f"Registration desk, {args.people} people seated (server time, test client)")
    print(f"{'request':34} {'median':>9} {'slowest':>9}")
    for name, times in results:
        print(f"{name:34} {statistics.median(times) * 1000:7.0f} ms {max(times) * 1000:7.0f} ms")


if __name__ == "__main__":
    main()
