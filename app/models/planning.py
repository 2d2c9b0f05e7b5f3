"""Plans (solver results: one assignment per person and session) and the jobs that make them."""

from __future__ import annotations

import enum
from datetime import datetime
from typing import Any

from sqlalchemy import JSON, CheckConstraint, ForeignKey, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.extensions import db
from app.models.event import Breakout, Event, Session, Table, _enum
from app.models.programmes import Programme
from app.models.registration import Registration
from app.models.types import UTCDateTime, utcnow


class PlanKind(enum.StrEnum):
    TABLES = "tables"
    BREAKOUTS = "breakouts"


class JobKind(enum.StrEnum):
    """What a solve job makes: a plan of an event (a PlanKind's value), or a programme's
    matching (its pairs; a peer-challenge round's teams)."""

    TABLES = "tables"
    BREAKOUTS = "breakouts"
    MENTORING = "mentoring"
    PEER_TEAMS = "peer_teams"


class PlanStatus(enum.StrEnum):
    DRAFT = "draft"
    PUBLISHED = "published"
    ARCHIVED = "archived"


class SeatingRuleKind(enum.StrEnum):
    KEEP_APART = "keep_apart"
    KEEP_TOGETHER = "keep_together"


class JobState(enum.StrEnum):
    QUEUED = "queued"
    RUNNING = "running"
    SUCCEEDED = "succeeded"
    FAILED = "failed"
    CANCELLED = "cancelled"


class Plan(db.Model):
    id: Mapped[int] = mapped_column(primary_key=True)
    event_id: Mapped[int] = mapped_column(ForeignKey("event.id", ondelete="CASCADE"), index=True)
    kind: Mapped[PlanKind] = mapped_column(_enum(PlanKind, "plan_kind"))
    status: Mapped[PlanStatus] = mapped_column(
        _enum(PlanStatus, "plan_status"), default=PlanStatus.DRAFT
    )
    solver_status: Mapped[str] = mapped_column(String(20), default="")
    metrics: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    published_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    event: Mapped[Event] = relationship()
    assignments: Mapped[list[Assignment]] = relationship(
        back_populates="plan", cascade="all, delete-orphan"
    )


class Assignment(db.Model):
    """A person's place in one session of a plan: a table in a round, or a breakout in a slot."""

    __table_args__ = (
        UniqueConstraint("plan_id", "registration_id", "session_id"),
        CheckConstraint("(table_id IS NULL) <> (breakout_id IS NULL)", name="table_or_breakout"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    plan_id: Mapped[int] = mapped_column(ForeignKey("plan.id", ondelete="CASCADE"), index=True)
    registration_id: Mapped[int] = mapped_column(
        ForeignKey("registration.id", ondelete="CASCADE"), index=True
    )
    session_id: Mapped[int] = mapped_column(ForeignKey("session.id", ondelete="CASCADE"))
    table_id: Mapped[int | None] = mapped_column(ForeignKey("table.id", ondelete="CASCADE"))
    breakout_id: Mapped[int | None] = mapped_column(ForeignKey("breakout.id", ondelete="CASCADE"))
    locked: Mapped[bool] = mapped_column(default=False)

    plan: Mapped[Plan] = relationship(back_populates="assignments")
    registration: Mapped[Registration] = relationship()
    session: Mapped[Session] = relationship()
    table: Mapped[Table | None] = relationship()
    breakout: Mapped[Breakout | None] = relationship()


class SolveJob(db.Model):
    """A planning or matching run in the background; its row is the one truth every page and
    worker reads. It belongs to an event (a plan) or to a programme (its matching).

    `lease_expires_at` is set while a process holds the job (it renews it as it works: see
    app/services/planning/jobs.py); NULL while the job waits in a durable queue or has ended.
    """

    __table_args__ = (
        CheckConstraint("(event_id IS NULL) <> (programme_id IS NULL)", name="one_owner"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    event_id: Mapped[int | None] = mapped_column(
        ForeignKey("event.id", ondelete="CASCADE"), index=True
    )
    programme_id: Mapped[int | None] = mapped_column(
        ForeignKey("programme.id", ondelete="CASCADE"), index=True
    )
    kind: Mapped[JobKind] = mapped_column(_enum(JobKind, "job_kind"))
    state: Mapped[JobState] = mapped_column(_enum(JobState, "job_state"), default=JobState.QUEUED)
    params: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    progress: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    error: Mapped[str] = mapped_column(Text, default="")
    cancel_requested: Mapped[bool] = mapped_column(default=False)
    plan_id: Mapped[int | None] = mapped_column(ForeignKey("plan.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    started_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    finished_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    lease_expires_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    event: Mapped[Event | None] = relationship()
    programme: Mapped[Programme | None] = relationship()
    plan: Mapped[Plan | None] = relationship()

    @property
    def owner(self) -> Event | Programme:
        """The event or programme the job works for."""
        return self.event if self.event_id is not None else self.programme


class SeatingRule(db.Model):
    """Two people the table planner must keep apart, or always seat together."""

    __table_args__ = (
        UniqueConstraint("first_id", "second_id"),
        CheckConstraint("first_id < second_id", name="ordered_pair"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    event_id: Mapped[int] = mapped_column(ForeignKey("event.id", ondelete="CASCADE"), index=True)
    kind: Mapped[SeatingRuleKind] = mapped_column(_enum(SeatingRuleKind, "seating_rule_kind"))
    first_id: Mapped[int] = mapped_column(ForeignKey("registration.id", ondelete="CASCADE"))
    second_id: Mapped[int] = mapped_column(ForeignKey("registration.id", ondelete="CASCADE"))

    event: Mapped[Event] = relationship()
    first: Mapped[Registration] = relationship(foreign_keys=[first_id])
    second: Mapped[Registration] = relationship(foreign_keys=[second_id])
