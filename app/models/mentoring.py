"""Mentoring schemes and secondment rounds: what members prefer, the pairs, and the check-ins.

Both kinds use one engine (scheduler/mentoring.py): mentors (or hosts offering placements,
capacity = places) on side "mentor", mentees (or secondees) on side "mentee". The hard rules
(one mentor per mentee, capacities, different organisations and sectors, nobody ruled out) are
the engine's and app/services/programmes/mentoring_pairs.py's; the database keeps what it can:
a mentee in at most one pair of her programme.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, CheckConstraint, ForeignKey, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.extensions import db
from app.models.programmes import Member, Programme
from app.models.types import UTCDateTime, utcnow

MENTOR, MENTEE = "mentor", "mentee"


class MentoringPreference(db.Model):
    """What a member said about one member of the other side: `rank` 1 is their first choice;
    no rank means "not acceptable" (the `!id` of the CSV files): they are never paired."""

    __table_args__ = (
        UniqueConstraint("member_id", "rank"),
        CheckConstraint("member_id <> other_id", name="not_themselves"),
        CheckConstraint("rank IS NULL OR rank > 0", name="rank_positive"),
    )

    member_id: Mapped[int] = mapped_column(
        ForeignKey("programme_member.id", ondelete="CASCADE"), primary_key=True
    )
    other_id: Mapped[int] = mapped_column(
        ForeignKey("programme_member.id", ondelete="CASCADE"), primary_key=True, index=True
    )
    rank: Mapped[int | None]

    member: Mapped[Member] = relationship(foreign_keys=[member_id])
    other: Mapped[Member] = relationship(foreign_keys=[other_id])


class MentoringPair(db.Model):
    """A mentor (or host) and a mentee (or secondee) matched in a programme. `published_at`:
    when its two members were told; None while it is a change not yet published (every pair
    before the programme's matches are, and after, a pair made to repair one someone left)."""

    __table_args__ = (UniqueConstraint("programme_id", "mentee_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    programme_id: Mapped[int] = mapped_column(
        ForeignKey("programme.id", ondelete="CASCADE"), index=True
    )
    mentor_id: Mapped[int] = mapped_column(
        ForeignKey("programme_member.id", ondelete="CASCADE"), index=True
    )
    mentee_id: Mapped[int] = mapped_column(ForeignKey("programme_member.id", ondelete="CASCADE"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    published_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    programme: Mapped[Programme] = relationship()
    mentor: Mapped[Member] = relationship(foreign_keys=[mentor_id])
    mentee: Mapped[Member] = relationship(foreign_keys=[mentee_id])
    check_ins: Mapped[list[MentoringCheckIn]] = relationship(
        back_populates="pair", cascade="all, delete-orphan", order_by="MentoringCheckIn.id"
    )


class MentoringMatching(db.Model):
    """The last matching run of a programme: its mode and the engine's figures (each beside its
    bound, and the other mode's), kept for the review page."""

    programme_id: Mapped[int] = mapped_column(
        ForeignKey("programme.id", ondelete="CASCADE"), primary_key=True
    )
    mode: Mapped[str] = mapped_column(String(20))
    solver_status: Mapped[str] = mapped_column(String(20), default="")
    message: Mapped[str] = mapped_column(Text, default="")
    metrics: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    programme: Mapped[Programme] = relationship()


class MentoringCheckIn(db.Model):
    """The "is this working?" check-in `months` after publishing, sent to one side of a pair
    (queued once, through the outbox); `working` is their answer, None until they give it."""

    __table_args__ = (UniqueConstraint("pair_id", "member_id", "months"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    pair_id: Mapped[int] = mapped_column(
        ForeignKey("mentoring_pair.id", ondelete="CASCADE"), index=True
    )
    member_id: Mapped[int] = mapped_column(ForeignKey("programme_member.id", ondelete="CASCADE"))
    months: Mapped[int]
    token: Mapped[str] = mapped_column(String(64), unique=True)
    queued_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    answered_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    working: Mapped[bool | None]
    note: Mapped[str] = mapped_column(Text, default="")
    # When the organisers were emailed that this check-in's round puts the pair at risk (once).
    organisers_told_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    pair: Mapped[MentoringPair] = relationship(back_populates="check_ins")
    member: Mapped[Member] = relationship()
