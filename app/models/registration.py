"""Registrations: who is coming, their private manage token and their breakout preferences."""

from __future__ import annotations

import enum
from datetime import datetime

from sqlalchemy import (
    CheckConstraint,
    ColumnElement,
    ForeignKey,
    Index,
    String,
    Text,
    UniqueConstraint,
    case,
    false,
    literal_column,
)
from sqlalchemy.ext.hybrid import hybrid_property
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.extensions import db
from app.models.event import Breakout, Event, Organisation, _enum
from app.models.types import UTCDateTime, utcnow


class RegistrationStatus(enum.StrEnum):
    CONFIRMED = "confirmed"
    WAITLISTED = "waitlisted"
    CANCELLED = "cancelled"


class Registration(db.Model):
    __table_args__ = (
        # One registration per email per event; erased registrations have no email (NULLs differ).
        UniqueConstraint("event_id", "email"),
        # Seats are counted on every registration (app/services/registration/capacity.py): from
        # this index alone, without reading the waiting list however long it grows.
        Index("ix_registration_seats", "event_id", "status", "offer_expires_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    event_id: Mapped[int] = mapped_column(ForeignKey("event.id", ondelete="CASCADE"), index=True)
    token: Mapped[str] = mapped_column(String(64), unique=True)
    name: Mapped[str] = mapped_column(String(200))
    email: Mapped[str | None] = mapped_column(String(254))
    organisation_id: Mapped[int | None] = mapped_column(
        ForeignKey("organisation.id", ondelete="RESTRICT"), index=True
    )
    # The organisation's name as they typed it, so that a name wrongly merged into another
    # organisation can be split off again with its people (services/organisations/directory.py).
    organisation_typed: Mapped[str] = mapped_column(String(200), default="", server_default="")
    # The sector they gave for it: theirs while the organisation's sector is unconfirmed, so the
    # first person to type a name does not choose everyone's sector (see `sector`).
    sector_given: Mapped[str] = mapped_column(String(100), default="", server_default="")
    profession: Mapped[str] = mapped_column(String(120), default="")
    role: Mapped[str] = mapped_column(String(200), default="")
    access_needs: Mapped[str] = mapped_column(Text, default="")
    dietary_needs: Mapped[str] = mapped_column(Text, default="")
    needs_accessible_table: Mapped[bool] = mapped_column(default=False)
    consent: Mapped[bool] = mapped_column(default=False)
    # Their consent, given when registering (and changeable on their page), to be listed to the
    # people they sat with, and to see those of them who consented too (names, organisations).
    share_tablemates: Mapped[bool] = mapped_column(default=False, server_default=false())
    # Their consent to be invited to programmes (mentoring schemes, secondments) by mail.
    hear_of_programmes: Mapped[bool] = mapped_column(default=False, server_default=false())
    # A consent of its own to be invited to peer challenges: those who agreed to hear of
    # mentoring schemes and secondments were not asked about them.
    hear_of_peer_challenges: Mapped[bool] = mapped_column(default=False, server_default=false())
    status: Mapped[RegistrationStatus] = mapped_column(
        _enum(RegistrationStatus, "registration_status"), index=True
    )
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)
    waitlisted_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    offer_expires_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    cancelled_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    checked_in_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    erased_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # Added to the iCalendar SEQUENCE of this person's calendar entries: raised when their status
    # or seats change, so calendars replace what they hold (app/services/calendars/revisions.py).
    calendar_sequence: Mapped[int] = mapped_column(default=0, server_default="0")
    # Which CSV file (its digest) this registration was imported from: sending the same file
    # again after an import stopped part way skips what it already wrote (csv_files.py).
    import_key: Mapped[str | None] = mapped_column(String(64))

    event: Mapped[Event] = relationship(back_populates="registrations")
    organisation: Mapped[Organisation | None] = relationship()
    preferences: Mapped[list[BreakoutPreference]] = relationship(
        back_populates="registration",
        cascade="all, delete-orphan",
        order_by="BreakoutPreference.rank",
    )

    @hybrid_property
    def sector(self) -> str:
        """The sector this person counts in, wherever one is read (plans, printed documents,
        counts, exports): their organisation's once an organiser has confirmed it, until then
        the one they gave themselves."""
        organisation = self.organisation
        if organisation is None:
            return ""
        if organisation.sector_confirmed or not self.sector_given:
            return organisation.sector
        return self.sector_given

    @sector.inplace.expression
    @classmethod
    def _sector_expression(cls) -> ColumnElement[str]:
        """The same in SQL, for a query joined to the registration's organisation. The empty
        string is written out, not bound, so that PostgreSQL can group by the expression."""
        empty = literal_column("''")
        return case(
            (Organisation.sector_confirmed | (cls.sector_given == empty), Organisation.sector),
            else_=cls.sector_given,
        )

    def __repr__(self) -> str:
        return f"<Registration {self.id} {self.status}>"


class BreakoutPreference(db.Model):
    """One ranked choice: rank 1 is the breakout the person wants most."""

    __table_args__ = (
        UniqueConstraint("registration_id", "rank"),
        CheckConstraint("rank > 0", name="rank_positive"),
    )

    registration_id: Mapped[int] = mapped_column(
        ForeignKey("registration.id", ondelete="CASCADE"), primary_key=True
    )
    breakout_id: Mapped[int] = mapped_column(
        ForeignKey("breakout.id", ondelete="CASCADE"), primary_key=True
    )
    rank: Mapped[int]

    registration: Mapped[Registration] = relationship(back_populates="preferences")
    breakout: Mapped[Breakout] = relationship()
