"""A realistic cross-sector demo event, for trying Convene out and for `make run`.

Its registrations are seated as any others are, by registration/capacity.py.

May import: models, organisations, registration.capacity, tokens.
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta

from sqlalchemy import select

from app.extensions import db
from app.models import (
    Breakout,
    BreakoutPreference,
    Event,
    EventStatus,
    Registration,
    Session,
    SessionKind,
    Table,
    User,
    WaitlistPolicy,
)
from app.services.organisations.directory import find_or_create_organisation
from app.services.registration.capacity import admit, locked_event
from app.services.tokens import new_token

# (organisation, sector, relative size): several bodies per sector, as at a real regional event.
ORGANISATIONS = [
    ("Northshire County Council", "Local government", 9),
    ("Riverside City Council", "Local government", 8),
    ("Eastvale District Council", "Local government", 4),
    ("Northshire NHS Foundation Trust", "NHS and health", 8),
    ("Riverside Integrated Care Board", "NHS and health", 5),
    ("Valley Primary Care Network", "NHS and health", 3),
    ("Northshire Police", "Police and justice", 6),
    ("Regional Probation Service", "Police and justice", 3),
    ("Northshire Fire and Rescue Service", "Fire and rescue", 3),
    ("Riverside Housing Association", "Housing", 4),
    ("Homes for Northshire", "Housing", 3),
    ("Citizens Advice Riverside", "Voluntary and community", 3),
    ("Northshire Mind", "Voluntary and community", 3),
    ("Age UK Eastvale", "Voluntary and community", 2),
    ("Department for Work and Pensions", "Central government", 4),
    ("Ministry of Housing, Communities and Local Government", "Central government", 3),
    ("Northshire College", "Education", 2),
    ("Riverside Jobcentre Plus", "Central government", 2),
]

PROFESSIONS = {
    "Local government": [
        "Social worker",
        "Policy officer",
        "Commissioner",
        "Finance lead",
        "Service manager",
        "Public health consultant",
    ],
    "NHS and health": [
        "GP",
        "Nurse",
        "Commissioner",
        "Data analyst",
        "Service manager",
        "Public health consultant",
    ],
    "Police and justice": [
        "Police inspector",
        "Neighbourhood officer",
        "Probation officer",
        "Data analyst",
    ],
    "Fire and rescue": ["Prevention officer", "Station manager"],
    "Housing": ["Housing officer", "Tenancy support worker", "Service manager"],
    "Voluntary and community": ["Chief executive", "Volunteer coordinator", "Adviser"],
    "Central government": ["Policy officer", "Work coach", "Data analyst"],
    "Education": ["Lecturer", "Careers adviser"],
}

FIRST_NAMES = [
    "Aisha",
    "Ben",
    "Chloé",
    "Dev",
    "Eilidh",
    "Femi",
    "Gareth",
    "Hannah",
    "Imran",
    "Joanna",
    "Kwame",
    "Lucy",
    "Mohammed",
    "Niamh",
    "Oliver",
    "Priya",
    "Rhys",
    "Siobhán",
    "Tomasz",
    "Uma",
    "Victoria",
    "Wei",
    "Yusuf",
    "Zoë",
    "Amara",
    "Callum",
    "Deborah",
    "Ewan",
    "Fatima",
    "Grace",
]
LAST_NAMES = [
    "Adeyemi",
    "Brown",
    "Chaudhry",
    "Davies",
    "Evans",
    "Fitzgerald",
    "Green",
    "Hughes",
    "Iqbal",
    "Jones",
    "Kowalski",
    "Lewis",
    "MacLeod",
    "Nguyễn",
    "O'Brien",
    "Patel",
    "Quinn",
    "Roberts",
    "Singh",
    "Thompson",
    "Ward",
    "Williams",
    "Yilmaz",
    "Zhang",
    "Ó Súilleabháin",
    "Okafor",
]

BREAKOUTS = [
    ("Sharing data across organisations", "Room 1"),
    ("Preventing homelessness together", "Room 2"),
    ("Frequent attenders: one person, many services", "Room 3"),
    ("Pooled budgets that work", "Room 4"),
    ("Learning from what went wrong", "Main hall"),
]


@dataclass
class DemoResult:
    event: Event
    created: bool


def seed_demo(slug: str = "demo", attendees: int = 120, capacity: int = 150) -> DemoResult:
    """Create the demo event with `attendees` registrations, unless an event `slug` exists."""
    existing = db.session.scalar(select(Event).where(Event.slug == slug))
    if existing is not None:
        return DemoResult(existing, created=False)
    rng = random.Random(slug)
    day = date.today() + timedelta(days=30)

    def at(hour: int, minute: int = 0) -> datetime:
        return datetime.combine(day, time(hour, minute))

    convenors = [
        find_or_create_organisation(n, s, confirmed=True) for n, s, _ in ORGANISATIONS[:3:2]
    ]
    convenors.append(find_or_create_organisation(*ORGANISATIONS[3][:2], confirmed=True))
    event = Event(
        slug=slug,
        title="Working Together for Northshire: a cross-sector learning day",
        description=(
            "A day for leaders from councils, the NHS, police, housing, the voluntary sector and "
            "central government to learn from one another face to face.\n\n"
            "You will sit at a different mixed table in each round, so you meet colleagues you "
            "would not otherwise meet, and choose a breakout on a shared challenge."
        ),
        venue="Northshire Conference Centre, 1 Market Street, Northshire",
        contact_email="learning-day@example.org",
        timezone="Europe/London",
        starts_at=at(9, 30),
        ends_at=at(16, 30),
        capacity=capacity,
        status=EventStatus.PUBLISHED,
        waitlist_policy=WaitlistPolicy.AUTO_PROMOTE,
        convenors=convenors,
        organisers=list(db.session.scalars(select(User))),
    )
    event.sessions = [
        Session(
            kind=SessionKind.PLENARY,
            title="Welcome and why we are here",
            location="Main hall",
            starts_at=at(9, 30),
            ends_at=at(10, 0),
        ),
        Session(
            kind=SessionKind.TABLE_ROUND,
            title="Table round 1: what keeps you up at night",
            location="Main hall",
            starts_at=at(10, 0),
            ends_at=at(10, 45),
        ),
        Session(
            kind=SessionKind.TABLE_ROUND,
            title="Table round 2: a setback we learned from",
            location="Main hall",
            starts_at=at(11, 0),
            ends_at=at(11, 45),
        ),
        Session(
            kind=SessionKind.BREAKOUT_SLOT,
            title="Breakouts",
            starts_at=at(12, 30),
            ends_at=at(13, 30),
            breakouts=[
                Breakout(title=title, room=room, capacity=capacity // len(BREAKOUTS) + 10)
                for title, room in BREAKOUTS
            ],
        ),
        Session(
            kind=SessionKind.TABLE_ROUND,
            title="Table round 3: what we will do differently",
            location="Main hall",
            starts_at=at(13, 45),
            ends_at=at(14, 45),
        ),
        Session(
            kind=SessionKind.PLENARY,
            title="Commitments and close",
            location="Main hall",
            starts_at=at(15, 30),
            ends_at=at(16, 30),
        ),
    ]
    table_count = -(-capacity // 8)
    event.tables = [
        Table(number=n, capacity=8, accessible=n <= 2) for n in range(1, table_count + 1)
    ]
    db.session.add(event)
    db.session.commit()
    with locked_event(event.id) as locked:
        _add_registrations(locked, attendees, rng)
    return DemoResult(event, created=True)


def _add_registrations(event: Event, count: int, rng: random.Random) -> None:
    organisations = [find_or_create_organisation(n, s, confirmed=True) for n, s, _ in ORGANISATIONS]
    weights = [w for _, _, w in ORGANISATIONS]
    breakouts = event.sessions_of(SessionKind.BREAKOUT_SLOT)[0].breakouts
    used_names: set[str] = set()
    for i in range(count):
        name = _unique_name(rng, used_names)
        organisation = rng.choices(organisations, weights)[0]
        local = name.lower().replace(" ", ".").replace("'", "")
        # By id, not event=event, which would add it to the session before admit() seats it.
        registration = Registration(
            event_id=event.id,
            token=new_token(),
            name=name,
            email=f"{local.encode('ascii', 'ignore').decode()}.{i}@example.org",
            organisation=organisation,
            organisation_typed=organisation.name,
            profession=rng.choice(PROFESSIONS[organisation.sector]),
            role=rng.choice(["Director", "Head of service", "Manager", "Team leader", "Lead"]),
            dietary_needs=rng.choice(["", "", "", "Vegetarian", "Vegan", "Gluten-free"]),
            access_needs="Step-free access" if rng.random() < 0.03 else "",
            consent=True,
        )
        registration.needs_accessible_table = bool(registration.access_needs)
        ranked = rng.sample(breakouts, k=3)
        registration.preferences = [
            BreakoutPreference(breakout=b, rank=rank) for rank, b in enumerate(ranked, start=1)
        ]
        admit(event, registration)


def _unique_name(rng: random.Random, used: set[str]) -> str:
    """A name not used yet; middle initials come in once plain first/last pairs run short."""
    for attempt in range(1000):
        first, last = rng.choice(FIRST_NAMES), rng.choice(LAST_NAMES)
        name = (
            f"{first} {last}"
            if attempt < 20
            else f"{first} {rng.choice('ABCDEFGHJKLMNPRST')}. {last}"
        )
        if name not in used:
            used.add(name)
            return name
    raise RuntimeError("ran out of demo names")
