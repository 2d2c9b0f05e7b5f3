"""Events whose tables wrote cards, for the harvest's tests."""

from __future__ import annotations

import pytest

from app.extensions import db
from app.models import (
    Assignment,
    Card,
    CardStatus,
    Organisation,
    Plan,
    PlanKind,
    PlanStatus,
    Registration,
    RegistrationStatus,
    SessionKind,
)
from app.services.tokens import new_token

NAMES = ["Priya Shah", "Tom Okafor", "Grace Lindqvist", "Omar Haddad", "Ines Moreau", "Kofi Mensah"]
ORGANISATIONS = [
    ("Riverside City Council", "Local government"),
    ("Riverside NHS Trust", "Health"),
    ("Northshire Police", "Policing"),
    ("Valley Housing Association", "Housing"),
    ("Citizens Advice Riverside", "Voluntary"),
    ("Department for Work and Pensions", "Central government"),
]


@pytest.fixture
def seated(event):
    """36 people from six organisations in six sectors, six a table at tables 1-6 in each round,
    in a published tables plan: table t holds one person of each organisation."""
    organisations = []
    for name, sector in ORGANISATIONS:
        found = db.session.scalar(db.select(Organisation).where(Organisation.name == name))
        organisations.append(found or Organisation(name=name, sector=sector))
    people = []
    for i in range(36):
        first, last = NAMES[i % 6].split()
        people.append(
            Registration(
                event=event,
                token=new_token(),
                name=f"{first} {last}{'' if i < 6 else i}",
                email=f"person{i}@example.org",
                organisation=organisations[i % 6],
                consent=True,
                status=RegistrationStatus.CONFIRMED,
            )
        )
    db.session.add_all(people)
    plan = Plan(event=event, kind=PlanKind.TABLES, status=PlanStatus.PUBLISHED)
    for session in event.sessions_of(SessionKind.TABLE_ROUND):
        for i, person in enumerate(people):
            table = event.tables[i // 6]
            plan.assignments.append(Assignment(registration=person, session=session, table=table))
    db.session.add(plan)
    db.session.commit()
    return people


def card(event, table_number=1, round_index=0, status=CardStatus.PENDING, **answers) -> Card:
    session = event.sessions_of(SessionKind.TABLE_ROUND)[round_index]
    table = event.tables[table_number - 1]
    made = Card(
        event_id=event.id,
        session_id=session.id,
        table_id=table.id,
        answers=answers or {"what": "Sharing data between services took months."},
        status=status,
    )
    db.session.add(made)
    db.session.commit()
    return made
