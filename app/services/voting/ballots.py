"""The vote's life: statements worded from the harvest's approved themes, opened after the last
table round, ballots cast and changed until the organiser closes it.

Statements are fixed once the vote opens (everyone votes on the same ones); a vote once closed
stays closed. Only a confirmed, not erased registration votes, one ballot per statement. In the
room, a QR code leads to a page where people ask for their ballot link by email (it goes only to
a confirmed registrant's own address, and the page answers the same whoever asks).

May import: models, accounts.organisers (normalise_email), messaging.outbox, registration.lookup,
urls.
"""

from __future__ import annotations

import segno
from sqlalchemy import exists, select

from app.extensions import db
from app.models import (
    Ballot,
    Card,
    CardStatus,
    Choice,
    Event,
    MailKind,
    PlenaryVote,
    Registration,
    RegistrationStatus,
    SessionKind,
    Statement,
    Theme,
)
from app.models.types import utcnow
from app.services.accounts.organisers import AccountError, normalise_email
from app.services.messaging import outbox
from app.services.registration.lookup import by_email
from app.services.urls import external_url

TEXT_LENGTH = 300


class VoteError(ValueError):
    """What the rules do not allow, in plain words."""


def vote_of(event: Event) -> PlenaryVote | None:
    return db.session.get(PlenaryVote, event.id)


def statements_of(event: Event) -> list[Statement]:
    return list(
        db.session.scalars(
            select(Statement).where(Statement.event_id == event.id).order_by(Statement.id)
        )
    )


def statement_of(event: Event, statement_id: int) -> Statement | None:
    return db.session.scalar(
        select(Statement).where(Statement.id == statement_id, Statement.event_id == event.id)
    )


def approved_themes(event: Event) -> list[Theme]:
    """The event's themes holding at least one approved card: what statements are worded from."""
    approved = exists().where(Card.theme_id == Theme.id, Card.status == CardStatus.APPROVED)
    return list(
        db.session.scalars(
            select(Theme).where(Theme.event_id == event.id, approved).order_by(Theme.id)
        )
    )


def last_round_over(event: Event) -> bool:
    """Has the last table round ended (or, with no rounds, the event begun)?"""
    rounds = event.sessions_of(SessionKind.TABLE_ROUND)
    after = rounds[-1].ends_at if rounds else event.starts_at
    return event.local_now() >= after


def _editable(event: Event) -> None:
    vote = vote_of(event)
    if vote is not None and vote.opened_at is not None:
        raise VoteError("The vote has opened: its statements can no longer change.")


def add_statement(event: Event, text: str, theme_id: int) -> Statement:
    """Put a statement to the vote, worded from one of the event's approved themes."""
    _editable(event)
    text = " ".join((text or "").split())
    if not text:
        raise VoteError("Write the statement people will vote on.")
    if len(text) > TEXT_LENGTH:
        raise VoteError(f"A statement must be at most {TEXT_LENGTH} characters ({len(text)}).")
    if theme_id not in {t.id for t in approved_themes(event)}:
        raise VoteError("Choose one of the harvest's themes with approved cards.")
    if any(s.text.casefold() == text.casefold() for s in statements_of(event)):
        raise VoteError("That statement is already on the list.")
    statement = Statement(event_id=event.id, theme_id=theme_id, text=text)
    db.session.add(statement)
    db.session.commit()
    return statement


def remove_statement(statement: Statement) -> None:
    _editable(statement.event)
    db.session.delete(statement)
    db.session.commit()


def open_vote(event: Event) -> PlenaryVote:
    vote = vote_of(event) or PlenaryVote(event_id=event.id)
    if vote.closed_at is not None:
        raise VoteError("The vote has closed; it cannot open again.")
    if vote.opened_at is not None:
        return vote
    if not statements_of(event):
        raise VoteError("Add at least one statement before opening the vote.")
    if not last_round_over(event):
        raise VoteError("The vote opens after the last table round.")
    vote.opened_at = utcnow()
    db.session.add(vote)
    db.session.commit()
    return vote


def close_vote(event: Event) -> None:
    vote = vote_of(event)
    if vote is None or not vote.is_open:
        raise VoteError("The vote is not open.")
    vote.closed_at = utcnow()
    db.session.commit()


def can_vote(registration: Registration) -> bool:
    vote = vote_of(registration.event)
    return (
        vote is not None
        and vote.is_open
        and registration.status == RegistrationStatus.CONFIRMED
        and registration.erased_at is None
    )


def cast(registration: Registration, statement_id: int, choice: str) -> None:
    """Record (or change) this registration's vote on one statement."""
    if not can_vote(registration):
        raise VoteError("Voting is not open for you.")
    statement = statement_of(registration.event, statement_id)
    if statement is None:
        raise VoteError("That statement is not part of this vote.")
    try:
        chosen = Choice(choice)
    except ValueError:
        raise VoteError("Choose agree, disagree or pass.") from None
    ballot = db.session.get(Ballot, (registration.id, statement.id))
    if ballot is None:
        db.session.add(
            Ballot(registration_id=registration.id, statement_id=statement.id, choice=chosen)
        )
    else:
        ballot.choice = chosen
    db.session.commit()


def my_ballots(registration: Registration) -> dict[int, Choice]:
    """This registration's own votes, statement id -> choice: for their own page only."""
    rows = db.session.execute(
        select(Ballot.statement_id, Ballot.choice).where(Ballot.registration_id == registration.id)
    )
    return dict(rows.all())


def room_code(event: Event) -> tuple[str, str]:
    """The address the plenary's QR code opens, and the code (an SVG data: URI)."""
    url = external_url("voting.room", slug=event.slug)
    return url, segno.make(url, error="m").svg_data_uri(scale=5, border=2)


def send_ballot_link(event: Event, email: str) -> None:
    """Email the ballot link to the confirmed registrant with this address, if there is one
    and the vote is open; nothing otherwise (the caller answers the same either way)."""
    vote = vote_of(event)
    if vote is None or not vote.is_open:
        return
    try:
        registration = by_email(event.id, normalise_email(email or ""))
    except AccountError:
        return
    if registration is None:
        return
    if registration.status == RegistrationStatus.CONFIRMED and registration.erased_at is None:
        outbox.queue(MailKind.VOTE_LINK, registration)
        db.session.commit()
