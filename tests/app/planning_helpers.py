"""Building attendees and waiting for solve jobs, for the planning tests."""

from __future__ import annotations

import time
from datetime import datetime, timedelta

from app.extensions import db
from app.models import (
    BreakoutPreference,
    Event,
    EventStatus,
    JobState,
    Organisation,
    Registration,
    RegistrationStatus,
    Session,
    SessionKind,
    SolveJob,
    Table,
    User,
)
from app.services.tokens import new_token
from tests.conftest import future

# The time limit (seconds) of a solve in a test that needs a plan, not the best plan: a plan
# above its bound (repairs and re-solves, whose moves keep it there) uses its whole limit
# (scheduler/tables.py), so a longer one only makes the test slower. Tests that check a plan's
# quality against its bounds give the time that needs, and say why.
PLAN_SECONDS = 1

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
PROFESSIONS = ["Social worker", "Nurse", "Analyst", "Manager", "Officer", "Adviser"]


def add_attendees(event: Event, count: int) -> list[Registration]:
    """`count` confirmed attendees spread over organisations and professions, each ranking the
    event's breakouts in a rotating order."""
    organisations = []
    for name, sector in ORGANISATIONS:
        organisation = db.session.scalar(db.select(Organisation).where(Organisation.name == name))
        organisations.append(organisation or Organisation(name=name, sector=sector))
    breakouts = [b for s in event.sessions_of(SessionKind.BREAKOUT_SLOT) for b in s.breakouts]
    people = []
    start = len(event.registrations)
    for i in range(start, start + count):
        registration = Registration(
            event=event,
            token=new_token(),
            name=f"Person {i:03d}",
            email=f"p{i}@example.org",
            organisation=organisations[i % len(organisations)],
            profession=PROFESSIONS[i % len(PROFESSIONS)],
            consent=True,
            status=RegistrationStatus.CONFIRMED,
        )
        turn = i % len(breakouts) if breakouts else 0
        ranked = breakouts[turn:] + breakouts[:turn]
        registration.preferences = [
            BreakoutPreference(breakout=b, rank=rank) for rank, b in enumerate(ranked, start=1)
        ]
        db.session.add(registration)
        people.append(registration)
    db.session.commit()
    return people


def one_round_event(
    organiser: User,
    slug: str,
    start: datetime,
    *,
    title: str = "",
    tables: int = 1,
    size: int = 6,
    capacity: int = 20,
    timezone: str = "UTC",
    hours: int = 3,
) -> Event:
    """A published event (not yet added to the session) of `hours` from `start` whose first
    hour is one table round at `tables` tables of `size`."""
    return Event(
        slug=slug,
        title=title or slug.replace("-", " ").title(),
        timezone=timezone,
        starts_at=start,
        ends_at=start + timedelta(hours=hours),
        capacity=capacity,
        status=EventStatus.PUBLISHED,
        organisers=[organiser],
        sessions=[
            Session(
                kind=SessionKind.TABLE_ROUND,
                title="Round one",
                starts_at=start,
                ends_at=start + timedelta(hours=1),
            )
        ],
        tables=[Table(number=n, capacity=size) for n in range(1, tables + 1)],
    )


def rotation_event(organiser: User, slug: str, rounds: int, tables: int, size: int) -> Event:
    """A published event of `rounds` hourly table rounds at `tables` tables of `size`, with
    as many attendees as seats, from the 8 organisations in turn."""
    start = future()
    event = Event(
        slug=slug,
        title=slug.replace("-", " ").title(),
        timezone="UTC",
        starts_at=start,
        ends_at=start + timedelta(hours=rounds + 1),
        capacity=tables * size,
        status=EventStatus.PUBLISHED,
        organisers=[organiser],
        sessions=[
            Session(
                kind=SessionKind.TABLE_ROUND,
                title=f"Round {r + 1}",
                starts_at=start + timedelta(hours=r),
                ends_at=start + timedelta(hours=r, minutes=50),
            )
            for r in range(rounds)
        ],
        tables=[Table(number=n, capacity=size) for n in range(1, tables + 1)],
    )
    db.session.add(event)
    db.session.commit()
    add_attendees(event, tables * size)
    return event


def golf_event(organiser: User) -> Event:
    """32 people from 8 organisations at 8 tables of 4 for 9 rounds: hard to finish early."""
    return rotation_event(organiser, "golf", rounds=9, tables=8, size=4)


def wait_for(job_id: int, timeout: float = 60) -> SolveJob:
    """The job once it has finished (succeeded, failed or cancelled)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        db.session.rollback()  # a new transaction sees what the worker has committed
        job = db.session.get(SolveJob, job_id)
        if job.state not in (JobState.QUEUED, JobState.RUNNING):
            return job
        time.sleep(0.1)
    raise AssertionError(f"job {job_id} still {job.state} after {timeout} s")


def wait_until_running(job_id: int, timeout: float = 30) -> SolveJob:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        db.session.rollback()  # a new transaction sees what the worker has committed
        job = db.session.get(SolveJob, job_id)
        if job.state != JobState.QUEUED and job.progress:
            return job
        time.sleep(0.05)
    raise AssertionError(f"job {job_id} did not start reporting within {timeout} s")
