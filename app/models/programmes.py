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

from sqlalchemy import JSON, CheckConstraint, Column, ForeignKey, String, Text, UniqueConstraint
from sqlalchemy import Table as SATable
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.extensions import db
from app.models.event import Organisation, _enum
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
    join_links: Mapped[list[JoinLink]] = relationship(
        back_populates="programme", cascade="all, delete-orphan", order_by="JoinLink.side"
    )
    members: Mapped[list[Member]] = relationship(
        back_populates="programme",
        cascade="all, delete-orphan",
        passive_deletes=True,
        order_by="Member.id",
    )

    def __repr__(self) -> str:
        return f"<Programme {self.id} {self.kind} {self.name!r}>"


class JoinLink(db.Model):
    """The private address through which people join one side of a programme (mentors,
    mentees; peers, hosts): whoever has it may join that side, nobody can guess it."""

    __tablename__ = "programme_join_link"

    programme_id: Mapped[int] = mapped_column(
        ForeignKey("programme.id", ondelete="CASCADE"), primary_key=True
    )
    side: Mapped[str] = mapped_column(String(20), primary_key=True)
    token: Mapped[str] = mapped_column(String(64), unique=True)

    programme: Mapped[Programme] = relationship(back_populates="join_links")


class Member(db.Model):
    """Someone taking part in a programme on one side, with the profile the other side may see.

    The published profile is name, organisation, sector, profession, topics and bio; the email
    is for the programme's organisers and for the person matched with them once published.
    `token` opens the member's own page (see, change, withdraw). `topics`: what a mentor or host
    offers, or what a mentee or secondee wants (a peer's skills); `capacity`: how many the
    member takes on (a mentor's mentees, a host's places; 1 on the other side).
    """

    __tablename__ = "programme_member"
    __table_args__ = (
        UniqueConstraint("programme_id", "side", "email"),
        CheckConstraint("capacity >= 1", name="capacity_positive"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    programme_id: Mapped[int] = mapped_column(
        ForeignKey("programme.id", ondelete="CASCADE"), index=True
    )
    side: Mapped[str] = mapped_column(String(20))
    token: Mapped[str] = mapped_column(String(64), unique=True)
    name: Mapped[str] = mapped_column(String(200))
    email: Mapped[str] = mapped_column(String(254))
    organisation_id: Mapped[int] = mapped_column(
        ForeignKey("organisation.id", ondelete="RESTRICT"), index=True
    )
    # As for a registration: the name as typed (to split a wrong merge off again) and the
    # sector they gave, theirs until an organiser confirms the organisation's.
    organisation_typed: Mapped[str] = mapped_column(String(200), default="")
    sector_given: Mapped[str] = mapped_column(String(100), default="")
    profession: Mapped[str] = mapped_column(String(120), default="")
    bio: Mapped[str] = mapped_column(Text, default="")
    topics: Mapped[list[str]] = mapped_column(JSON, default=list)
    capacity: Mapped[int] = mapped_column(default=1)
    # When someone matched with them left after the matches were published (withdrew or was
    # removed): they are to be matched again; None once they are (and told), or never.
    partner_left_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)

    programme: Mapped[Programme] = relationship(back_populates="members")
    organisation: Mapped[Organisation] = relationship()

    @property
    def sector(self) -> str:
        """The organisation's sector once confirmed, until then the one they gave (as
        Registration.sector)."""
        if self.organisation.sector_confirmed or not self.sector_given:
            return self.organisation.sector
        return self.sector_given

    def __repr__(self) -> str:
        return f"<Member {self.id} {self.side} of programme {self.programme_id}>"


class Invitation(db.Model):
    """An invitation to join a programme, mailed to a past event's registrant who consented
    (Registration.hear_of_programmes): one per programme and email address, so nobody is
    invited twice."""

    __tablename__ = "programme_invitation"

    programme_id: Mapped[int] = mapped_column(
        ForeignKey("programme.id", ondelete="CASCADE"), primary_key=True
    )
    email: Mapped[str] = mapped_column(String(254), primary_key=True)
    invited_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
