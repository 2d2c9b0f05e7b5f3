"""Programmes: schemes that match people across organisations and sectors, one level up from
seating (issue 21): mentoring schemes, secondment rounds and peer-challenge rounds.

A programme belongs to its organisers, like a series: only they see it. What a programme holds
depends on its kind; each kind keeps its own models beside this one (app/models/mentoring.py for
mentoring schemes and secondment rounds, which share one engine: a host offering placements is a
mentor whose capacity is its places, a secondee a mentee).
"""

from __future__ import annotations

import enum
from datetime import datetime

from sqlalchemy import Column, ForeignKey, String, Text
from sqlalchemy import Table as SATable
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.extensions import db
from app.models.event import _enum
from app.models.types import UTCDateTime, utcnow
from app.models.user import User


class ProgrammeKind(enum.StrEnum):
    MENTORING = "mentoring"
    SECONDMENT = "secondment"
    PEER_CHALLENGE = "peer_challenge"

    @property
    def label(self) -> str:
        return {
            "mentoring": "Mentoring scheme",
            "secondment": "Secondment round",
            "peer_challenge": "Peer-challenge round",
        }[self.value]


class ProgrammeStatus(enum.StrEnum):
    """`open`: people join and the organiser matches; `published`: everyone has been told."""

    OPEN = "open"
    PUBLISHED = "published"


programme_organisers = SATable(
    "programme_organiser",
    db.metadata,
    Column("programme_id", ForeignKey("programme.id", ondelete="CASCADE"), primary_key=True),
    Column("user_id", ForeignKey("user.id", ondelete="CASCADE"), primary_key=True),
)


class Programme(db.Model):
    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[ProgrammeKind] = mapped_column(_enum(ProgrammeKind, "programme_kind"))
    name: Mapped[str] = mapped_column(String(200))
    description: Mapped[str] = mapped_column(Text, default="")
    status: Mapped[ProgrammeStatus] = mapped_column(
        _enum(ProgrammeStatus, "programme_status"), default=ProgrammeStatus.OPEN
    )
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    published_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    organisers: Mapped[list[User]] = relationship(secondary=programme_organisers)

    def __repr__(self) -> str:
        return f"<Programme {self.id} {self.kind} {self.name!r}>"
