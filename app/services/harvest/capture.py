"""Capture at the table: the places that write cards, their private addresses, and taking a card.

Each table in each table round, and each breakout, is a capture point with an unguessable token
(`/t/<token>`, printed as a QR code on its table tent and facilitator sheet). A card taken here
keeps only where it was written and what it says: nothing about who wrote it. Cards are taken
until the organiser closes the harvest.

Imports models, harvest.templates, tokens, urls.
"""

from __future__ import annotations

from dataclasses import dataclass

import segno
from sqlalchemy import select

from app.extensions import db
from app.models import CapturePoint, Card, Event, SessionKind
from app.models.types import utcnow
from app.services.harvest.templates import prompts_for
from app.services.tokens import new_token
from app.services.urls import external_url

ANSWER_LENGTH = 4000
MAX_TAGS = 10
TAG_LENGTH = 40
MAX_COMMITMENTS = 5
COMMITMENT_LENGTH = 300
OWNER_LENGTH = 100


class CardRefused(Exception):
    """The card cannot be taken; the message says why, in words for the table."""


def capture_points(event: Event) -> list[CapturePoint]:
    """Every (table round, table) and every breakout of the event, in programme order; missing
    points are made (and committed) so their addresses stay the same from then on."""
    existing = {
        (p.session_id, p.table_id, p.breakout_id): p
        for p in db.session.scalars(select(CapturePoint).where(CapturePoint.event_id == event.id))
    }
    points, made = [], False
    for session in event.sessions:
        if session.kind == SessionKind.TABLE_ROUND:
            places = [(table.id, None) for table in event.tables]
        elif session.kind == SessionKind.BREAKOUT_SLOT:
            places = [(None, breakout.id) for breakout in session.breakouts]
        else:
            continue
        for table_id, breakout_id in places:
            point = existing.get((session.id, table_id, breakout_id))
            if point is None:
                point = CapturePoint(
                    event_id=event.id,
                    session_id=session.id,
                    table_id=table_id,
                    breakout_id=breakout_id,
                    token=new_token(),
                )
                db.session.add(point)
                made = True
            points.append(point)
    if made:
        db.session.commit()
    return points


def point_for_token(token: str) -> CapturePoint | None:
    return db.session.scalar(select(CapturePoint).where(CapturePoint.token == token))


def is_open(event: Event) -> bool:
    return event.harvest_closed_at is None


def close_harvest(event: Event) -> None:
    event.harvest_closed_at = utcnow()
    db.session.commit()


def reopen_harvest(event: Event) -> None:
    event.harvest_closed_at = None
    db.session.commit()


@dataclass(frozen=True)
class Draft:
    """What a table typed: answers by prompt key, tags as typed, commitments as (action, owner)."""

    answers: dict[str, str]
    tags: str
    commitments: list[tuple[str, str]]


def _tags(typed: str) -> list[str]:
    tags = list(dict.fromkeys(t.strip().lower() for t in typed.split(",") if t.strip()))
    if len(tags) > MAX_TAGS:
        raise CardRefused(f"Give at most {MAX_TAGS} tags.")
    for tag in tags:
        if len(tag) > TAG_LENGTH:
            raise CardRefused(f"A tag can be at most {TAG_LENGTH} characters: “{tag[:20]}…”.")
    return tags


def take_card(point: CapturePoint, draft: Draft) -> Card:
    """Check and store one card for this table (committed), or raise CardRefused."""
    if not is_open(point.event):
        raise CardRefused(
            "The organisers have closed the harvest, so new cards are no longer taken. "
            "Your text is still below: copy it if you want to keep it."
        )
    keys = [p["key"] for p in prompts_for(point.session)]
    answers = {key: draft.answers.get(key, "").replace("\r\n", "\n").strip() for key in keys}
    if not any(answers.values()):
        raise CardRefused("Write something for at least one question.")
    for text in answers.values():
        if len(text) > ANSWER_LENGTH:
            raise CardRefused(f"Each answer can be at most {ANSWER_LENGTH:,} characters.")
    commitments = []
    for action, owner in draft.commitments:
        if not action.strip():
            continue
        if len(action) > COMMITMENT_LENGTH or len(owner) > OWNER_LENGTH:
            raise CardRefused(
                f"A commitment can be at most {COMMITMENT_LENGTH} characters, "
                f"its owner {OWNER_LENGTH}."
            )
        commitments.append({"action": action.strip(), "owner": owner.strip()})
    if len(commitments) > MAX_COMMITMENTS:
        raise CardRefused(f"Give at most {MAX_COMMITMENTS} commitments on one card.")
    card = Card(
        event_id=point.event_id,
        session_id=point.session_id,
        table_id=point.table_id,
        breakout_id=point.breakout_id,
        answers={key: text for key, text in answers.items() if text},
        tags=_tags(draft.tags),
        commitments=commitments,
    )
    db.session.add(card)
    db.session.commit()
    return card


@dataclass(frozen=True)
class Code:
    """A capture point's public address and its QR code (an SVG data: URI, safe to print)."""

    point: CapturePoint
    url: str
    qr: str


def codes(event: Event) -> dict[tuple[int, int], Code]:
    """Each capture point's address and QR code by (session id, table or breakout id)."""
    found = {}
    for point in capture_points(event):
        url = external_url("capture.card", token=point.token)
        qr = segno.make(url, error="m").svg_data_uri(scale=4, border=2)
        found[(point.session_id, point.table_id or point.breakout_id or 0)] = Code(point, url, qr)
    return found
