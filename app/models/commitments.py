"""Commitments followed up: what tables (and the closing plenary) committed to, tracked as actions
with dated updates, and the follow-up messages each event's organisers get months later.

An action names an owner by role or sector, never a person (it comes from the harvest, which
holds nobody's name). A follow-up row per event and interval records that its message was queued,
so it is queued once however often the command runs. An event's follow-up intervals are the
months its organisers chose (FollowUpInterval rows), or 3 and 6 when they chose none.
"""

from __future__ import annotations

import enum
from datetime import date, datetime

from sqlalchemy import CheckConstraint, ForeignKey, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.extensions import db
from app.models.event import Event, _enum
from app.models.types import UTCDateTime, utcnow


class ActionStatus(enum.StrEnum):
    OPEN = "open"
    IN_PROGRESS = "in_progress"
    DONE = "done"
    DROPPED = "dropped"


class Action(db.Model):
    __table_args__ = (UniqueConstraint("event_id", "source"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    event_id: Mapped[int] = mapped_column(ForeignKey("event.id", ondelete="CASCADE"), index=True)
    # Where it came from: "card-<id>-<n>" for a card's n-th commitment, "plenary-<n>" when typed
    # in at the closing plenary; taking a card's commitments in again skips what is there.
    source: Mapped[str] = mapped_column(String(40))
    what: Mapped[str] = mapped_column(Text)
    owner: Mapped[str] = mapped_column(String(200), default="")
    due_on: Mapped[date | None]
    status: Mapped[ActionStatus] = mapped_column(
        _enum(ActionStatus, "action_status"), default=ActionStatus.OPEN
    )
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    event: Mapped[Event] = relationship()
    updates: Mapped[list[ActionUpdate]] = relationship(
        back_populates="action", cascade="all, delete-orphan", order_by="ActionUpdate.id"
    )


class ActionUpdate(db.Model):
    """A dated change of an action's status, with what was said about it."""

    id: Mapped[int] = mapped_column(primary_key=True)
    action_id: Mapped[int] = mapped_column(ForeignKey("action.id", ondelete="CASCADE"), index=True)
    status: Mapped[ActionStatus] = mapped_column(_enum(ActionStatus, "action_status"))
    note: Mapped[str] = mapped_column(Text, default="")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    action: Mapped[Action] = relationship(back_populates="updates")


class FollowUp(db.Model):
    """The follow-up `months` after the event was queued (to its organisers, through the outbox)."""

    event_id: Mapped[int] = mapped_column(
        ForeignKey("event.id", ondelete="CASCADE"), primary_key=True
    )
    months: Mapped[int] = mapped_column(primary_key=True, autoincrement=False)
    queued_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class FollowUpInterval(db.Model):
    """One interval, in whole months after the event ends, at which the organisers chose to be
    sent the commitments still open; an event without any has the default intervals."""

    __tablename__ = "follow_up_interval"
    __table_args__ = (CheckConstraint("months BETWEEN 1 AND 24", name="months_in_range"),)

    event_id: Mapped[int] = mapped_column(
        ForeignKey("event.id", ondelete="CASCADE"), primary_key=True
    )
    months: Mapped[int] = mapped_column(primary_key=True, autoincrement=False)
