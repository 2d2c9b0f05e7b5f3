"""Events and what they are made of: convenors, sessions, breakouts and tables.

Programme times (event start/end, sessions, registration window) are wall-clock times in the event's
own IANA timezone, stored without a zone; `Event.zone` turns them into instants where needed
(calendars, "is registration open now"). System timestamps are UTC instants.
"""

from __future__ import annotations

import enum
from datetime import datetime
from typing import TYPE_CHECKING
from zoneinfo import ZoneInfo

from sqlalchemy import (
    CheckConstraint,
    Column,
    Enum,
    ForeignKey,
    Integer,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy import (
    Table as SATable,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.extensions import db
from app.models.types import UTCDateTime, utcnow

if TYPE_CHECKING:
    from app.models.directory import OrganisationAlias
    from app.models.registration import Registration
    from app.models.user import User


class EventStatus(enum.StrEnum):
    DRAFT = "draft"
    PUBLISHED = "published"
    CLOSED = "closed"


class WaitlistPolicy(enum.StrEnum):
    AUTO_PROMOTE = "auto_promote"
    OFFER = "offer"


class SessionKind(enum.StrEnum):
    PLENARY = "plenary"
    TABLE_ROUND = "table_round"
    BREAKOUT_SLOT = "breakout_slot"

    @property
    def label(self) -> str:
        return {"plenary": "Plenary", "table_round": "Table round", "breakout_slot": "Breakouts"}[
            self.value
        ]


def _enum(kind: type[enum.Enum], name: str) -> Enum:
    # Stored as short strings with a CHECK constraint: portable, readable in SQL, easy to migrate.
    return Enum(
        kind,
        name=name,
        native_enum=False,
        values_callable=lambda e: [m.value for m in e],
        validate_strings=True,
        length=20,
        create_constraint=True,
    )


event_convenors = SATable(
    "event_convenor",
    db.metadata,
    Column("event_id", ForeignKey("event.id", ondelete="CASCADE"), primary_key=True),
    Column("organisation_id", ForeignKey("organisation.id", ondelete="RESTRICT"), primary_key=True),
)

event_organisers = SATable(
    "event_organiser",
    db.metadata,
    Column("event_id", ForeignKey("event.id", ondelete="CASCADE"), primary_key=True),
    Column("user_id", ForeignKey("user.id", ondelete="CASCADE"), primary_key=True),
)


class Organisation(db.Model):
    """One canonical organisation of the directory; other spellings are its aliases."""

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(200), unique=True)
    # The name's normal form, which typed names are matched on (services/organisations/names.py).
    key: Mapped[str] = mapped_column(String(200), index=True, default="", server_default="")
    # A sector's name from the managed list (services/organisations/sectors.py keeps them so).
    sector: Mapped[str] = mapped_column(String(100))
    # False for an organisation a registrant typed in: `sector` is then only what its first
    # registrant proposed, and each registrant counts in the sector they gave themselves
    # (Registration.sector) until an organiser confirms one in the directory.
    sector_confirmed: Mapped[bool] = mapped_column(default=True, server_default="1")

    aliases: Mapped[list[OrganisationAlias]] = relationship(
        back_populates="organisation",
        cascade="all, delete-orphan",
        order_by="OrganisationAlias.name",
    )

    def __repr__(self) -> str:
        return f"<Organisation {self.name!r} ({self.sector})>"


class Event(db.Model):
    __table_args__ = (
        CheckConstraint("capacity >= 0", name="capacity_non_negative"),
        CheckConstraint("ends_at > starts_at", name="ends_after_start"),
        CheckConstraint("offer_hours > 0", name="offer_hours_positive"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    slug: Mapped[str] = mapped_column(String(80), unique=True)
    title: Mapped[str] = mapped_column(String(200))
    description: Mapped[str] = mapped_column(Text, default="")
    venue: Mapped[str] = mapped_column(String(300), default="")
    # Where attendees reach the organisers: shown on the event page and in every message.
    contact_email: Mapped[str] = mapped_column(String(254), default="", server_default="")
    timezone: Mapped[str] = mapped_column(String(64))
    starts_at: Mapped[datetime]
    ends_at: Mapped[datetime]
    capacity: Mapped[int] = mapped_column(Integer)
    registration_opens_at: Mapped[datetime | None]
    registration_closes_at: Mapped[datetime | None]
    status: Mapped[EventStatus] = mapped_column(
        _enum(EventStatus, "event_status"), default=EventStatus.DRAFT
    )
    waitlist_policy: Mapped[WaitlistPolicy] = mapped_column(
        _enum(WaitlistPolicy, "waitlist_policy"), default=WaitlistPolicy.AUTO_PROMOTE
    )
    offer_hours: Mapped[int] = mapped_column(default=48)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    # Calendar revision (iCalendar SEQUENCE) and the time of the last change calendars can see;
    # kept by app/services/calendars/revisions.py so feeds and invites update in people's calendars.
    sequence: Mapped[int] = mapped_column(default=0, server_default="0")
    changed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # Capture pages take cards until the organiser closes the harvest.
    harvest_closed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    convenors: Mapped[list[Organisation]] = relationship(
        secondary=event_convenors, order_by=Organisation.name
    )
    organisers: Mapped[list[User]] = relationship(secondary=event_organisers)
    sessions: Mapped[list[Session]] = relationship(
        back_populates="event", cascade="all, delete-orphan", order_by="Session.starts_at"
    )
    tables: Mapped[list[Table]] = relationship(
        back_populates="event", cascade="all, delete-orphan", order_by="Table.number"
    )
    registrations: Mapped[list[Registration]] = relationship(
        back_populates="event", cascade="all, delete-orphan"
    )

    @property
    def zone(self) -> ZoneInfo:
        return ZoneInfo(self.timezone)

    def local_now(self) -> datetime:
        """The current wall-clock time at the event, comparable with its programme times."""
        return datetime.now(self.zone).replace(tzinfo=None)

    @property
    def contact(self) -> str:
        """Where attendees reach the organisers: the event's contact address, or else (for an
        event made without one, e.g. by the demo or before the address existed) an organiser's."""
        if self.contact_email:
            return self.contact_email
        return min(self.organisers, key=lambda u: u.id).email if self.organisers else ""

    def sessions_of(self, kind: SessionKind) -> list[Session]:
        return [s for s in self.sessions if s.kind == kind]

    def __repr__(self) -> str:
        return f"<Event {self.slug}>"


class Session(db.Model):
    __table_args__ = (CheckConstraint("ends_at > starts_at", name="ends_after_start"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    event_id: Mapped[int] = mapped_column(ForeignKey("event.id", ondelete="CASCADE"), index=True)
    kind: Mapped[SessionKind] = mapped_column(_enum(SessionKind, "session_kind"))
    title: Mapped[str] = mapped_column(String(200))
    description: Mapped[str] = mapped_column(Text, default="")
    location: Mapped[str] = mapped_column(String(200), default="")
    starts_at: Mapped[datetime]
    ends_at: Mapped[datetime]
    sequence: Mapped[int] = mapped_column(default=0, server_default="0")  # iCalendar SEQUENCE

    event: Mapped[Event] = relationship(back_populates="sessions")
    breakouts: Mapped[list[Breakout]] = relationship(
        back_populates="session", cascade="all, delete-orphan", order_by="Breakout.title"
    )


class Breakout(db.Model):
    __table_args__ = (
        CheckConstraint("capacity > 0", name="capacity_positive"),
        CheckConstraint(
            "min_attendance IS NULL OR (min_attendance >= 0 AND min_attendance <= capacity)",
            name="min_attendance_within_capacity",
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    session_id: Mapped[int] = mapped_column(
        ForeignKey("session.id", ondelete="CASCADE"), index=True
    )
    title: Mapped[str] = mapped_column(String(200))
    description: Mapped[str] = mapped_column(Text, default="")
    room: Mapped[str] = mapped_column(String(200))
    capacity: Mapped[int]
    min_attendance: Mapped[int | None]

    session: Mapped[Session] = relationship(back_populates="breakouts")


class Table(db.Model):
    __table_args__ = (
        UniqueConstraint("event_id", "number"),
        CheckConstraint("number > 0", name="number_positive"),
        CheckConstraint("capacity > 0", name="capacity_positive"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    event_id: Mapped[int] = mapped_column(ForeignKey("event.id", ondelete="CASCADE"), index=True)
    number: Mapped[int]
    capacity: Mapped[int]
    accessible: Mapped[bool] = mapped_column(default=False)
    facilitator_id: Mapped[int | None] = mapped_column(
        ForeignKey("registration.id", ondelete="SET NULL"), unique=True
    )

    event: Mapped[Event] = relationship(back_populates="tables")
    facilitator: Mapped[Registration | None] = relationship(foreign_keys=[facilitator_id])
