"""Moderating cards: who may, and approve, edit, reject and redact.

A card is approved only while the identification check finds nothing in it; an edit runs the
check again and sends an approved card that now names someone back to pending. Imports models,
harvest.identification and harvest.templates.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import or_, select

from app.extensions import db
from app.models import (
    Breakout,
    Card,
    CardStatus,
    Event,
    Session,
    Table,
    User,
    event_harvest_editors,
)
from app.models.event import event_organisers
from app.services.harvest import identification
from app.services.harvest.identification import Hit, Identifiers


def event_for_harvest(slug: str, user: User) -> Event | None:
    """The event, if `user` organises it or edits its harvest; else None (no hint it exists)."""
    organises = select(event_organisers.c.event_id).where(event_organisers.c.user_id == user.id)
    edits = select(event_harvest_editors.c.event_id).where(
        event_harvest_editors.c.user_id == user.id
    )
    return db.session.scalar(
        select(Event).where(Event.slug == slug, or_(Event.id.in_(organises), Event.id.in_(edits)))
    )


def harvest_events(user: User) -> list[Event]:
    """The events whose harvest this harvest editor was given, newest first."""
    edits = select(event_harvest_editors.c.event_id).where(
        event_harvest_editors.c.user_id == user.id
    )
    return list(
        db.session.scalars(
            select(Event).where(Event.id.in_(edits)).order_by(Event.starts_at.desc())
        )
    )


def cards_of(event: Event) -> list[Card]:
    """Every card of the event, in programme order, then by table number or breakout title."""
    return list(
        db.session.scalars(
            select(Card)
            .join(Session, Card.session_id == Session.id)
            .outerjoin(Table, Card.table_id == Table.id)
            .outerjoin(Breakout, Card.breakout_id == Breakout.id)
            .where(Card.event_id == event.id)
            .order_by(Session.starts_at, Table.number, Breakout.title, Card.id)
        )
    )


def card_of(event: Event, card_id: int) -> Card | None:
    return db.session.scalar(select(Card).where(Card.id == card_id, Card.event_id == event.id))


class Refused(Exception):
    """A moderation step that cannot be done; the message says why in plain words."""


def approve(card: Card, known: Identifiers | None = None) -> None:
    """Approve the card, or raise Refused naming what still identifies someone. Caller commits."""
    hits = identification.card_hits(card, known)
    if hits:
        raise Refused(
            f"This card still mentions {describe(hits)}. Redact or edit it before approving."
        )
    card.status = CardStatus.APPROVED


def reject(card: Card) -> None:
    """Keep the card out of themes and the briefing (it stays listed, folded). Caller commits."""
    card.status = CardStatus.REJECTED
    card.theme_id = None


def back_to_pending(card: Card) -> None:
    card.status = CardStatus.PENDING


@dataclass(frozen=True)
class Edit:
    """A card's new content, already validated by its form."""

    answers: dict[str, str]
    tags: list[str]
    commitments: list[dict[str, str]]


def edit(card: Card, change: Edit, known: Identifiers | None = None) -> list[Hit]:
    """Replace the card's content and check it again; an approved card that now names someone
    goes back to pending. Returns the hits found. Caller commits."""
    card.answers = dict(change.answers)
    card.tags = list(change.tags)
    card.commitments = [dict(c) for c in change.commitments]
    hits = identification.card_hits(card, known)
    if hits and card.status == CardStatus.APPROVED:
        card.status = CardStatus.PENDING
        card.theme_id = None
    return hits


def redact_one(card: Card, field: str, start: int, end: int) -> bool:
    """Redact the hit at that place if the check still finds it there (the page may be stale).
    Returns whether something was replaced. Caller commits."""
    for hit in identification.card_hits(card):
        if (hit.field, hit.start, hit.end) == (field, start, end):
            identification.redact(card, hit)
            return True
    return False


def describe(hits: list[Hit]) -> str:
    """Plain words for what the check found, without repeating it: "2 names and an email"."""
    kinds = {"name": ("a name", "names"), "email": ("an email", "emails")}
    kinds["organisation"] = ("an organisation", "organisations")
    parts = []
    for kind in ("name", "email", "organisation"):
        count = sum(1 for hit in hits if hit.kind == kind)
        if count:
            one, many = kinds[kind]
            parts.append(one if count == 1 else f"{count} {many}")
    return " and ".join(parts) if len(parts) < 3 else f"{parts[0]}, {parts[1]} and {parts[2]}"
