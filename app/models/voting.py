"""Plenary voting: statements from the harvest put to the room after the last round, and each
attendee's agree / disagree / pass on them.

A ballot is one registration's vote on one statement (its key), changeable until the vote
closes. Ballots are read only as counts (app/services/voting/results.py): nothing shows how any
one person voted, to anyone but themselves on their own page.
"""

from __future__ import annotations

import enum
from datetime import datetime

from sqlalchemy import ForeignKey, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.extensions import db
from app.models.event import Event, _enum
from app.models.harvest import Theme
from app.models.registration import Registration
from app.models.types import UTCDateTime, utcnow


class Choice(enum.StrEnum):
    AGREE = "agree"
    DISAGREE = "disagree"
    PASS = "pass"


class PlenaryVote(db.Model):
    """An event's vote: open from `opened_at` until `closed_at` (one per event)."""

    event_id: Mapped[int] = mapped_column(
        ForeignKey("event.id", ondelete="CASCADE"), primary_key=True
    )
    opened_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    closed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    event: Mapped[Event] = relationship()

    @property
    def is_open(self) -> bool:
        return self.opened_at is not None and self.closed_at is None


class Statement(db.Model):
    """A short statement put to the vote, worded by the organiser from an approved theme."""

    __table_args__ = (UniqueConstraint("event_id", "text"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    event_id: Mapped[int] = mapped_column(ForeignKey("event.id", ondelete="CASCADE"), index=True)
    theme_id: Mapped[int | None] = mapped_column(ForeignKey("theme.id", ondelete="SET NULL"))
    text: Mapped[str] = mapped_column(String(300))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    event: Mapped[Event] = relationship()
    theme: Mapped[Theme | None] = relationship()


class Ballot(db.Model):
    registration_id: Mapped[int] = mapped_column(
        ForeignKey("registration.id", ondelete="CASCADE"), primary_key=True
    )
    statement_id: Mapped[int] = mapped_column(
        ForeignKey("statement.id", ondelete="CASCADE"), primary_key=True, index=True
    )
    choice: Mapped[Choice] = mapped_column(_enum(Choice, "vote_choice"))
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)

    registration: Mapped[Registration] = relationship()
    statement: Mapped[Statement] = relationship()
