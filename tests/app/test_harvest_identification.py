"""The identification check finds every way a card can name someone, and redaction removes it."""

from __future__ import annotations

import pytest

from app.extensions import db
from app.models import (
    Card,
    Event,
    Organisation,
    OrganisationAlias,
    Registration,
    RegistrationStatus,
    SessionKind,
)
from app.services.harvest.identification import card_hits, known_identifiers, redact, redact_all
from app.services.organisations.names import normal_form
from app.services.tokens import new_token


def register(event: Event, name: str, email: str, organisation: Organisation) -> Registration:
    registration = Registration(
        event=event,
        token=new_token(),
        name=name,
        email=email,
        organisation=organisation,
        consent=True,
        status=RegistrationStatus.CONFIRMED,
    )
    db.session.add(registration)
    return registration


@pytest.fixture
def people(event):
    leeds = Organisation(name="Leeds City Council", sector="Local government")
    dwp = Organisation(name="Department for Work and Pensions", sector="Central government")
    dwp.aliases.append(OrganisationAlias(name="Jobcentre Plus", key=normal_form("Jobcentre Plus")))
    police = Organisation(name="West Yorkshire Police", sector="Police and justice")
    register(event, "Priya Shah", "priya.shah@leeds.gov.uk", leeds)
    register(event, "Tomás de la Cruz", "tomas@dwp.gov.uk", dwp)
    register(event, "Hope Adeyemi", "hope@wyp.police.uk", police)
    db.session.commit()
    return event


def hits_in(event: Event, text: str) -> list[tuple[str, str]]:
    session = event.sessions_of(SessionKind.TABLE_ROUND)[0]
    card = Card(
        event=event, session_id=session.id, table_id=event.tables[0].id, answers={"what": text}
    )
    return [(h.found, h.kind) for h in card_hits(card, known_identifiers(event))]


@pytest.mark.parametrize(
    "text, expected",
    [
        ("Priya Shah showed us the new form.", [("Priya Shah", "name")]),
        ("priya shah showed us", [("priya shah", "name")]),
        ("Priya's team rewrote it.", [("Priya", "name")]),
        ("As Shah said, it helps.", [("Shah", "name")]),
        ("We asked Priya\nShah twice.", [("Priya\nShah", "name")]),
        (
            "Tomás de la Cruz ran it; Tomás Cruz again.",
            [("Tomás de la Cruz", "name"), ("Tomás Cruz", "name")],
        ),
        (
            "Write to priya.shah@leeds.gov.uk for the template.",
            [("priya.shah@leeds.gov.uk", "email")],
        ),
        ("Anyone can mail someone@unknown.org.", [("someone@unknown.org", "email")]),
        ("Leeds City Council pooled the budget.", [("Leeds City Council", "organisation")]),
        ("The LCC pilot worked.", [("LCC", "organisation")]),
        ("the lcc pilot worked.", []),
        ("Jobcentre Plus referred people.", [("Jobcentre Plus", "organisation")]),
        ("The DWP data was late.", [("DWP", "organisation")]),
        ("We hope the pilot lasts.", []),
        ("Hope is what kept us going.", []),
        ("Ask Hope about the rota.", [("Hope", "name")]),
        ("Hope's rota saved us.", [("Hope", "name")]),
        ("The office on Hope Street closed.", []),
        ("Annual reviews took too long.", []),
    ],
)
def test_every_way_of_naming_someone_is_found(people, text, expected):
    assert hits_in(people, text) == expected


def test_registrants_of_another_event_are_not_identifiers_here(people, organiser):
    other = Event(
        slug="elsewhere",
        title="Elsewhere",
        timezone="UTC",
        starts_at=people.starts_at,
        ends_at=people.ends_at,
        capacity=10,
        organisers=[organiser],
    )
    db.session.add(other)
    register(other, "Zebedee Okonkwo", "z@example.org", None)
    db.session.commit()
    assert hits_in(people, "Zebedee Okonkwo chaired it.") == []


def test_replacements_are_neutral_words_from_the_organisation(people):
    session = people.sessions_of(SessionKind.TABLE_ROUND)[0]
    card = Card(
        event=people,
        session_id=session.id,
        table_id=people.tables[0].id,
        answers={"what": "Priya Shah of Leeds City Council and West Yorkshire Police met."},
        tags=["dwp", "DWP links"],
        commitments=[{"action": "Share Priya's template", "owner": "Leeds City Council"}],
    )
    replacements = {h.found: h.replacement for h in card_hits(card)}
    assert replacements == {
        "Priya Shah": "[a colleague]",
        "Leeds City Council": "[a city council]",
        "West Yorkshire Police": "[a police force]",
        "DWP": "[a government department]",
        "Priya": "[a colleague]",
    }
    first = next(h for h in card_hits(card) if h.found == "West Yorkshire Police")
    redact(card, first)
    assert card.answers["what"].endswith("and [a police force] met.")
    assert redact_all(card) == 5
    assert card_hits(card) == []
    assert card.answers["what"] == "[a colleague] of [a city council] and [a police force] met."
    assert card.tags == ["dwp", "[a government department] links"]
    assert card.commitments == [
        {"action": "Share [a colleague]'s template", "owner": "[a city council]"}
    ]
