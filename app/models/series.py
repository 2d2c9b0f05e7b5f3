"""Series: events an organiser groups because they belong together (quarterly learning days, a
cohort's sessions), and the links that say a theme of one event is the same as one of an earlier.

An event is in at most one series (`series_event` has the event as its key). A series is seen
and changed by its organisers, who may add only events they organise themselves.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import CheckConstraint, Column, ForeignKey, String
from sqlalchemy import Table as SATable
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.extensions import db
from app.models.event import Event
from app.models.harvest import Theme
from app.models.types import UTCDateTime, utcnow
from app.models.user import User

series_events = SATable(
    "series_event",
    db.metadata,
    Column("event_id", ForeignKey("event.id", ondelete="CASCADE"), primary_key=True),
    Column("series_id", ForeignKey("series.id", ondelete="CASCADE"), nullable=False, index=True),
)

series_organisers = SATable(
    "series_organiser",
    db.metadata,
    Column("series_id", ForeignKey("series.id", ondelete="CASCADE"), primary_key=True),
    Column("user_id", ForeignKey("user.id", ondelete="CASCADE"), primary_key=True),
)


class Series(db.Model):
    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(200))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    events: Mapped[list[Event]] = relationship(
        secondary=series_events, order_by=(Event.starts_at, Event.id)
    )
    organisers: Mapped[list[User]] = relationship(secondary=series_organisers)

    def __repr__(self) -> str:
        return f"<Series {self.id} {self.name!r}>"


class ThemeLink(db.Model):
    """A theme of a later event that is the same theme as one of an earlier event of its
    series ("the same theme as in March"). A theme links back to at most one earlier theme."""

    __tablename__ = "theme_link"
    __table_args__ = (CheckConstraint("theme_id <> same_as_id", name="not_itself"),)

    theme_id: Mapped[int] = mapped_column(
        ForeignKey("theme.id", ondelete="CASCADE"), primary_key=True
    )
    same_as_id: Mapped[int] = mapped_column(ForeignKey("theme.id", ondelete="CASCADE"), index=True)

    theme: Mapped[Theme] = relationship(foreign_keys=[theme_id])
    same_as: Mapped[Theme] = relationship(foreign_keys=[same_as_id])
