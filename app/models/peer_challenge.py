"""Peer-challenge rounds: peers who review, hosts who are reviewed, the teams and the timeline.

Peers and hosts are a programme's members (Member) on side "peer" or "host"; what only they have
is kept here, one row per member. A peer's `topics` are their skills and `capacity` how many
challenges they take on this round; a host member's name and email are its contact's, and its
`topics` the themes the challenge should look at.

The hard rules of a team (scheduler/peer_teams.py; checked again on every adjustment by
app/services/programmes/peer_challenge_teams.py): a place is filled by a peer of the slot's role,
never from the host's organisation nor one the peer excludes, a peer at most `capacity` teams,
and every team of two or more has peers from at least two sectors. The database keeps what it
can: a peer is on a host's team at most once.
"""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import JSON, CheckConstraint, ForeignKey, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, backref, mapped_column, relationship

from app.extensions import db
from app.models.programmes import Member, Programme
from app.models.types import UTCDateTime, utcnow

PEER, HOST = "peer", "host"
REMINDER_DAYS_DEFAULT = 7
REMINDER_DAYS_MAX = 60


class PeerRoundSettings(db.Model):
    """What an organiser chooses for a whole round: how many days ahead of each milestone its
    reminder goes (a round without a row has the default)."""

    __tablename__ = "peer_challenge_round"
    __table_args__ = (
        CheckConstraint(
            f"reminder_days BETWEEN 1 AND {REMINDER_DAYS_MAX}", name="reminder_days_range"
        ),
    )

    programme_id: Mapped[int] = mapped_column(
        ForeignKey("programme.id", ondelete="CASCADE"), primary_key=True
    )
    reminder_days: Mapped[int] = mapped_column(default=REMINDER_DAYS_DEFAULT)


class PeerDetails(db.Model):
    """What a peer adds to their member profile: `role` (scheduler.peer_teams.ROLES),
    `exclude` (organisations they must not review, e.g. neighbours) and, for a member peer,
    their political group (empty when not given)."""

    __tablename__ = "peer_challenge_peer"

    member_id: Mapped[int] = mapped_column(
        ForeignKey("programme_member.id", ondelete="CASCADE"), primary_key=True
    )
    role: Mapped[str] = mapped_column(String(20))
    exclude: Mapped[list[str]] = mapped_column(JSON, default=list)
    political_group: Mapped[str] = mapped_column(String(100), default="")

    member: Mapped[Member] = relationship(
        backref=backref("peer_details", uselist=False, cascade="all, delete-orphan")
    )


class HostDetails(db.Model):
    """What a host adds: `slots` {role: peers wanted} and the first day on site (from which
        its milestones are first dated). `published_team`: the team as its people were last told,
        [[role, peer's token, peer's name], ...] (None until the round is published; a token as
    it is never reused, unlike an id): a change
        after publishing (a withdrawal, a removal, an adjustment) shows against it until the
        organiser publishes the changes, and only those whose team changed are told."""

    __tablename__ = "peer_challenge_host"

    member_id: Mapped[int] = mapped_column(
        ForeignKey("programme_member.id", ondelete="CASCADE"), primary_key=True
    )
    slots: Mapped[dict[str, int]] = mapped_column(JSON, default=dict)
    on_site: Mapped[date | None]
    published_team: Mapped[list[list] | None] = mapped_column(JSON)

    member: Mapped[Member] = relationship(
        backref=backref("host_details", uselist=False, cascade="all, delete-orphan")
    )


class PeerPlace(db.Model):
    """A peer on a host's team, in the role they hold there (their own)."""

    __tablename__ = "peer_challenge_place"
    __table_args__ = (UniqueConstraint("host_id", "peer_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    programme_id: Mapped[int] = mapped_column(
        ForeignKey("programme.id", ondelete="CASCADE"), index=True
    )
    host_id: Mapped[int] = mapped_column(ForeignKey("programme_member.id", ondelete="CASCADE"))
    peer_id: Mapped[int] = mapped_column(
        ForeignKey("programme_member.id", ondelete="CASCADE"), index=True
    )
    role: Mapped[str] = mapped_column(String(20))

    programme: Mapped[Programme] = relationship()
    host: Mapped[Member] = relationship(foreign_keys=[host_id])
    peer: Mapped[Member] = relationship(foreign_keys=[peer_id])


class PeerTeamsRun(db.Model):
    """The last team-building run of a round: the engine's status ("optimal", "feasible",
    "infeasible", "unknown") and its message, for the review page."""

    __tablename__ = "peer_challenge_run"

    programme_id: Mapped[int] = mapped_column(
        ForeignKey("programme.id", ondelete="CASCADE"), primary_key=True
    )
    solver_status: Mapped[str] = mapped_column(String(20))
    message: Mapped[str] = mapped_column(Text, default="")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class PeerMilestone(db.Model):
    """One dated step of a host's challenge (scoping, on site, feedback, report, action plan,
    progress review); `reminded_at` is set when its reminder is queued, so it goes once."""

    __tablename__ = "peer_challenge_milestone"
    __table_args__ = (UniqueConstraint("host_id", "stage"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    host_id: Mapped[int] = mapped_column(ForeignKey("programme_member.id", ondelete="CASCADE"))
    stage: Mapped[str] = mapped_column(String(20))
    due: Mapped[date]
    reminded_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    host: Mapped[Member] = relationship(
        backref=backref("milestones", cascade="all, delete-orphan", order_by="PeerMilestone.due")
    )
