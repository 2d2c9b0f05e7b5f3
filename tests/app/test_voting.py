"""Plenary voting: statements from approved themes, one vote per person and statement that can
change until the vote closes, results by sector from 5 voters, and nobody's vote exposed."""

from __future__ import annotations

import io
import re

import pytest
from pypdf import PdfReader

from app.extensions import db
from app.models import (
    Ballot,
    Card,
    CardStatus,
    Event,
    Organisation,
    OutgoingMail,
    Registration,
    RegistrationStatus,
    SessionKind,
    Statement,
    Theme,
)
from app.services.accounts import api_tokens
from app.services.messaging.transport import outbox_messages
from app.services.tokens import new_token
from app.services.voting import ballots
from app.services.voting.ballots import VoteError
from app.services.voting.results import results
from tests.app.test_series import make_event


def person(event: Event, name: str, sector: str) -> Registration:
    name_of_org = f"{sector} body"
    organisation = db.session.scalar(
        db.select(Organisation).where(Organisation.name == name_of_org)
    ) or Organisation(name=name_of_org, sector=sector)
    registration = Registration(
        event=event,
        token=new_token(),
        name=name,
        email=f"{name.lower().replace(' ', '.')}@example.org",
        organisation=organisation,
        consent=True,
        status=RegistrationStatus.CONFIRMED,
    )
    db.session.add(registration)
    db.session.commit()
    return registration


def approved_theme(event: Event, title: str) -> Theme:
    theme = Theme(event=event, title=title)
    session = event.sessions_of(SessionKind.TABLE_ROUND)[0]
    card = Card(
        event_id=event.id,
        session_id=session.id,
        table_id=event.tables[0].id,
        answers={"what": title},
        status=CardStatus.APPROVED,
        theme=theme,
    )
    db.session.add_all([theme, card])
    db.session.commit()
    return theme


def crowd(event: Event, **sizes: int) -> dict[str, list[Registration]]:
    return {
        sector: [person(event, f"{sector} Person {i}", sector) for i in range(count)]
        for sector, count in sizes.items()
    }


def vote(client, registration: Registration, statement: Statement, choice: str):
    url = f"/r/{registration.token}/vote"
    token = client.csrf_token(url)
    return client.post(f"{url}/{statement.id}", data={"csrf_token": token, "choice": choice})


def test_the_vote_from_statements_to_close(signed_in, organiser):
    day = make_event(organiser, "learning-day-past", -1)
    theme = approved_theme(day, "Data sharing")
    amy = person(day, "Amy Ash", "Health")
    page_url = f"/organise/events/{day.slug}/vote"
    token = signed_in.csrf_token(page_url)

    # statements are worded from approved themes only
    unapproved = Theme(event=day, title="Not yet moderated")
    db.session.add(unapproved)
    db.session.commit()
    page = signed_in.get(page_url).get_data(as_text=True)
    assert "Not yet moderated" not in page
    response = signed_in.post(
        page_url, data={"csrf_token": token, "theme": str(theme.id), "text": "   "}
    )
    assert response.status_code == 400
    assert "Write the statement people will vote on." in response.get_data(as_text=True)
    for text in ("Sharing data takes too long.", "We should pool budgets."):
        response = signed_in.post(
            page_url, data={"csrf_token": token, "theme": str(theme.id), "text": text}
        )
        assert response.status_code == 302
    first, second = ballots.statements_of(day)

    # before opening there is nothing to vote on
    assert signed_in.get(f"/r/{amy.token}/vote").status_code == 404
    assert signed_in.get(f"/events/{day.slug}/vote").status_code == 404
    assert signed_in.post(f"{page_url}/open", data={"csrf_token": token}).status_code == 302
    assert ballots.vote_of(day).is_open
    assert "The vote is open" in signed_in.get(f"/r/{amy.token}").get_data(as_text=True)
    with pytest.raises(VoteError, match="can no longer change"):
        ballots.add_statement(day, "Late addition.", theme.id)

    # the room's QR code opens a page where people ask for their ballot link by email; it
    # answers the same whoever asks, and mails only a registrant's own address
    assert f"/events/{day.slug}/vote" in signed_in.get(page_url).get_data(as_text=True)
    room = f"/events/{day.slug}/vote"
    for email in ("AMY.ASH@example.org", "stranger@example.org"):
        response = signed_in.post(room, data={"csrf_token": token, "email": email})
        assert "If that address is registered for this event" in response.get_data(as_text=True)
    links = db.session.scalars(db.select(OutgoingMail).where(OutgoingMail.kind == "vote_link"))
    assert [row.registration_id for row in links] == [amy.id]
    [message] = [
        m
        for m in outbox_messages(signed_in.application.config["MAIL_OUTBOX_DIR"])
        if "vote" in m["Subject"].lower()
    ]
    assert message["To"] == amy.email
    assert f"/r/{amy.token}/vote" in message.get_body(("plain",)).get_content()

    # one vote per person and statement, changeable while open
    vote(signed_in, amy, first, "agree")
    vote(signed_in, amy, first, "disagree")
    vote(signed_in, amy, second, "pass")
    db.session.expire_all()
    mine = db.session.scalars(db.select(Ballot).where(Ballot.registration_id == amy.id)).all()
    assert sorted((b.statement_id, b.choice.value) for b in mine) == [
        (first.id, "disagree"),
        (second.id, "pass"),
    ]
    page = signed_in.get(f"/r/{amy.token}/vote").get_data(as_text=True)
    assert "Your vote: <strong>Disagree</strong>" in page
    assert vote(signed_in, amy, first, "maybe").status_code == 302
    assert db.session.get(Ballot, (amy.id, first.id)).choice.value == "disagree"

    # closing asks first; afterwards nobody can vote or change a vote
    assert "Close the vote?" in signed_in.get(f"{page_url}/close").get_data(as_text=True)
    signed_in.post(f"{page_url}/close", data={"csrf_token": token})
    assert not ballots.vote_of(day).is_open
    vote(signed_in, amy, first, "agree")
    db.session.expire_all()
    assert db.session.get(Ballot, (amy.id, first.id)).choice.value == "disagree"
    assert "The vote has closed" in signed_in.get(f"/r/{amy.token}/vote").get_data(as_text=True)
    with pytest.raises(VoteError, match="cannot open again"):
        ballots.open_vote(day)


def test_the_vote_opens_only_after_the_last_round(app, organiser):
    later = make_event(organiser, "later", 10)
    theme = approved_theme(later, "Housing first")
    ballots.add_statement(later, "Housing first works.", theme.id)
    with pytest.raises(VoteError, match="after the last table round"):
        ballots.open_vote(later)


def test_results_by_sector_from_five_voters_bridging_and_dividing(app, organiser):
    day = make_event(organiser, "results-day", -1)
    theme = approved_theme(day, "Working together")
    people = crowd(day, Council=6, Health=5, Police=5)
    agreed = ballots.add_statement(day, "We should share data by default.", theme.id)
    split = ballots.add_statement(day, "Budgets should be pooled.", theme.id)
    few = ballots.add_statement(day, "Meet monthly.", theme.id)
    ballots.open_vote(day)
    for sector, members in people.items():
        for i, registration in enumerate(members):
            ballots.cast(registration, agreed.id, "agree" if i < 4 else "pass")
            ballots.cast(registration, split.id, "agree" if sector == "Council" else "disagree")
    for registration in people["Health"][:4]:
        ballots.cast(registration, few.id, "agree")

    outcome = {r.statement.id: r for r in results(day).statements}
    assert outcome[agreed.id].overall.voters == 16 and outcome[agreed.id].overall.agree == 12
    assert [s for s, _ in outcome[agreed.id].sectors] == ["Council", "Health", "Police"]
    assert outcome[agreed.id].bridging and not outcome[split.id].bridging
    assert outcome[split.id].spread == 1.0
    assert [r.statement.id for r in results(day).dividing] == [split.id]
    assert [r.statement.id for r in results(day).bridging] == [agreed.id]
    # 4 voters: no figure at all
    assert outcome[few.id].overall is None and outcome[few.id].sectors == []

    # two voters of a fourth sector: not shown, and not to be worked out from the total either,
    # so the smallest shown sector joins them
    for registration in crowd(day, Housing=2)["Housing"]:
        ballots.cast(registration, agreed.id, "disagree")
    result = {r.statement.id: r for r in results(day).statements}[agreed.id]
    shown = [s for s, _ in result.sectors]
    assert shown == ["Council", "Health"]
    assert result.overall.voters - sum(t.voters for _, t in result.sectors) >= 5


def test_nobody_sees_how_anyone_voted(signed_in, organiser):
    day = make_event(organiser, "private-day", -1)
    theme = approved_theme(day, "Trust")
    people = crowd(day, Council=5, Health=5)
    statement = ballots.add_statement(day, "Trust is built at the table.", theme.id)
    ballots.open_vote(day)
    everyone = people["Council"] + people["Health"]
    for i, registration in enumerate(everyone):
        ballots.cast(registration, statement.id, "agree" if i % 2 else "disagree")

    page = signed_in.get(f"/organise/events/{day.slug}/vote").get_data(as_text=True)
    csv_text = signed_in.get(f"/organise/events/{day.slug}/vote.csv").get_data(as_text=True)
    assert "10 voters: 5 agree, 5 disagree, 0 pass" in page
    assert "Everyone,10,5,5,0,0.50" in csv_text
    api_token = api_tokens.create(organiser, "Dashboard")[1]
    answer = signed_in.get(
        f"/api/v1/events/{day.slug}/vote", headers={"Authorization": f"Bearer {api_token}"}
    )
    assert answer.status_code == 200
    data = answer.get_json()
    assert data["state"] == "open"
    [counted] = data["statements"]
    assert counted["overall"] == {
        "voters": 10,
        "agree": 5,
        "disagree": 5,
        "pass": 0,
        "agreement": 0.5,
    }
    assert [s["sector"] for s in counted["sectors"]] == ["Council", "Health"]
    json_text = answer.get_data(as_text=True)
    for registration in everyone:
        for document in (page, csv_text, json_text):
            assert registration.name not in document and registration.email not in document
            assert registration.token not in document
    # once closed, the briefing (page and PDF) names bridging and dividing statements only
    ballots.close_vote(day)
    briefing = f"/organise/events/{day.slug}/harvest/briefing"
    page = signed_in.get(briefing).get_data(as_text=True)
    assert "What the room agreed on, and where it divided" in page
    pdf = signed_in.get(f"{briefing}.pdf")
    text = "".join(p.extract_text() for p in PdfReader(io.BytesIO(pdf.data)).pages)
    assert "Trust is built at the table." in " ".join(text.split())
    for registration in everyone:
        for document in (page, text):
            assert registration.name not in document and registration.email not in document
    # an attendee's ballot page shows their own vote only
    mine = signed_in.get(f"/r/{everyone[0].token}/vote").get_data(as_text=True)
    assert "Your vote: <strong>Disagree</strong>" in mine
    assert not re.search(r"\d+ (agree|disagree)", mine)
    for other in everyone[1:]:
        assert other.name not in mine
