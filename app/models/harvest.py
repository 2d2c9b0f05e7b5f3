"""The learning harvest: what tables wrote, the themes it was grouped into and the briefing.

Chatham House by construction: a card holds its event, session and table or breakout, what was
written, its tags and commitments, and when; nothing that could link it to a person (no
registration, no address, no account, no organisation). Keep it so: the harvest's privacy tests
check the columns.
"""

from __future__ import annotations

import enum
from datetime import datetime
from typing import Any

from sqlalchemy import (
    JSON,
    CheckConstraint,
    Column,
    ForeignKey,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy import (
    Table as SATable,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.extensions import db
from app.models.event import Breakout, Event, Session, Table, _enum
from app.models.types import UTCDateTime, utcnow


class ReflectionTemplate(enum.StrEnum):
    """The prompts a table answers; their wording lives in app/services/harvest/templates.py."""

    WHAT_SO_WHAT = "what_so_what"
    AFTER_ACTION = "after_action"
    WHAT_WENT_WRONG = "what_went_wrong"


class CardStatus(enum.StrEnum):
    PENDING = "pending"
    APPROVED = "approved"
    REJECTED = "rejected"


class BriefingStatus(enum.StrEnum):
    DRAFT = "draft"
    APPROVED = "approved"
    PUBLISHED = "published"


class Reflection(db.Model):
    """The template a table round or breakout slot carries, with the organiser's own wording.

    `prompts` is a list of {"key", "label", "did_not_work": bool}: the template's prompts as the
    organiser edited them. Exactly one prompt asks what did not work.
    """

    id: Mapped[int] = mapped_column(primary_key=True)
    session_id: Mapped[int] = mapped_column(
        ForeignKey("session.id", ondelete="CASCADE"), unique=True
    )
    template: Mapped[ReflectionTemplate] = mapped_column(
        _enum(ReflectionTemplate, "reflection_template"), default=ReflectionTemplate.WHAT_SO_WHAT
    )
    prompts: Mapped[list[dict[str, Any]]] = mapped_column(JSON, default=list)

    session: Mapped[Session] = relationship()


class CapturePoint(db.Model):
    """One table in one round, or one breakout: the place a capture address `/t/<token>` opens."""

    __table_args__ = (
        UniqueConstraint("session_id", "table_id"),
        UniqueConstraint("breakout_id"),
        CheckConstraint("(table_id IS NULL) <> (breakout_id IS NULL)", name="table_or_breakout"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    event_id: Mapped[int] = mapped_column(ForeignKey("event.id", ondelete="CASCADE"), index=True)
    session_id: Mapped[int] = mapped_column(ForeignKey("session.id", ondelete="CASCADE"))
    table_id: Mapped[int | None] = mapped_column(ForeignKey("table.id", ondelete="CASCADE"))
    breakout_id: Mapped[int | None] = mapped_column(ForeignKey("breakout.id", ondelete="CASCADE"))
    token: Mapped[str] = mapped_column(String(64), unique=True)

    event: Mapped[Event] = relationship()
    session: Mapped[Session] = relationship()
    table: Mapped[Table | None] = relationship()
    breakout: Mapped[Breakout | None] = relationship()


class Theme(db.Model):
    """Approved cards grouped under one title by a moderator."""

    id: Mapped[int] = mapped_column(primary_key=True)
    event_id: Mapped[int] = mapped_column(ForeignKey("event.id", ondelete="CASCADE"), index=True)
    title: Mapped[str] = mapped_column(String(200))
    summary: Mapped[str] = mapped_column(Text, default="")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    event: Mapped[Event] = relationship()
    cards: Mapped[list[Card]] = relationship(back_populates="theme", order_by="Card.id")


class Card(db.Model):
    """What one table (or breakout) wrote: answers to its reflection's prompts, tags, commitments.

    `answers` maps a prompt key to the text written for it. `commitments` is a list of
    {"action", "owner"}, the owner a role or sector, never a name.
    """

    __table_args__ = (
        CheckConstraint("(table_id IS NULL) <> (breakout_id IS NULL)", name="table_or_breakout"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    event_id: Mapped[int] = mapped_column(ForeignKey("event.id", ondelete="CASCADE"), index=True)
    session_id: Mapped[int] = mapped_column(ForeignKey("session.id", ondelete="CASCADE"))
    table_id: Mapped[int | None] = mapped_column(ForeignKey("table.id", ondelete="CASCADE"))
    breakout_id: Mapped[int | None] = mapped_column(ForeignKey("breakout.id", ondelete="CASCADE"))
    answers: Mapped[dict[str, str]] = mapped_column(JSON, default=dict)
    tags: Mapped[list[str]] = mapped_column(JSON, default=list)
    commitments: Mapped[list[dict[str, str]]] = mapped_column(JSON, default=list)
    status: Mapped[CardStatus] = mapped_column(
        _enum(CardStatus, "card_status"), default=CardStatus.PENDING
    )
    theme_id: Mapped[int | None] = mapped_column(
        ForeignKey("theme.id", ondelete="SET NULL"), index=True
    )
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)

    event: Mapped[Event] = relationship()
    session: Mapped[Session] = relationship()
    table: Mapped[Table | None] = relationship()
    breakout: Mapped[Breakout | None] = relationship()
    theme: Mapped[Theme | None] = relationship(back_populates="cards")


class Briefing(db.Model):
    """The harvest written up for policymakers; public at /events/<slug>/briefing once published."""

    id: Mapped[int] = mapped_column(primary_key=True)
    event_id: Mapped[int] = mapped_column(ForeignKey("event.id", ondelete="CASCADE"), unique=True)
    status: Mapped[BriefingStatus] = mapped_column(
        _enum(BriefingStatus, "briefing_status"), default=BriefingStatus.DRAFT
    )
    summary: Mapped[str] = mapped_column(Text, default="")
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)
    published_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    event: Mapped[Event] = relationship()


# Harvest editors: accounts that may moderate and write the briefing of these events, nothing else.
event_harvest_editors = SATable(
    "event_harvest_editor",
    db.metadata,
    Column("event_id", ForeignKey("event.id", ondelete="CASCADE"), primary_key=True),
    Column("user_id", ForeignKey("user.id", ondelete="CASCADE"), primary_key=True),
)
