"""The directory of where people come from: sectors (a managed list, with aliases), the other
names of organisations, and the record of every change organisers make to the directory.

Organisations themselves are in app/models/event.py (events' convenors are organisations).
Names are matched on their normal form (app/services/organisations/names.py), kept in `key`.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.extensions import db
from app.models.event import Organisation
from app.models.types import UTCDateTime, utcnow
from app.models.user import User


class Sector(db.Model):
    """One of the managed list of sectors. A retired sector is no longer offered, but the
    organisations in it keep it until an organiser moves them."""

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(100), unique=True)
    position: Mapped[int] = mapped_column(default=0)  # the order the list is offered in
    retired_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    aliases: Mapped[list[SectorAlias]] = relationship(
        back_populates="sector", cascade="all, delete-orphan", order_by="SectorAlias.name"
    )

    def __repr__(self) -> str:
        return f"<Sector {self.name!r}>"


class SectorAlias(db.Model):
    """Another name people give a sector ("NHS" for "NHS and health")."""

    id: Mapped[int] = mapped_column(primary_key=True)
    sector_id: Mapped[int] = mapped_column(ForeignKey("sector.id", ondelete="CASCADE"))
    name: Mapped[str] = mapped_column(String(100))
    key: Mapped[str] = mapped_column(String(100), unique=True)

    sector: Mapped[Sector] = relationship(back_populates="aliases")


class OrganisationAlias(db.Model):
    """Another name of an organisation: a merged organisation's name, or a former name."""

    id: Mapped[int] = mapped_column(primary_key=True)
    organisation_id: Mapped[int] = mapped_column(
        ForeignKey("organisation.id", ondelete="CASCADE"), index=True
    )
    name: Mapped[str] = mapped_column(String(200))
    key: Mapped[str] = mapped_column(String(200), index=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    organisation: Mapped[Organisation] = relationship(back_populates="aliases")


class OrganisationChange(db.Model):
    """One change an organiser made to the directory: who, when, and what, in words."""

    id: Mapped[int] = mapped_column(primary_key=True)
    at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, index=True)
    user_id: Mapped[int | None] = mapped_column(ForeignKey("user.id", ondelete="SET NULL"))
    action: Mapped[str] = mapped_column(String(20))  # merge, rename, sector, split
    summary: Mapped[str] = mapped_column(Text)

    user: Mapped[User | None] = relationship()
