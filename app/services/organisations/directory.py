"""The organisations people come from: found by name, or added with a sector.

May import: models only.
"""

from __future__ import annotations

from sqlalchemy import func, select

from app.extensions import db
from app.models import Organisation


def existing_organisation(name: str) -> Organisation | None:
    """The organisation of this name, ignoring case and runs of space; None if there is none."""
    name = " ".join(name.split())
    return db.session.scalar(
        select(Organisation).where(func.lower(Organisation.name) == name.lower())
    )


def find_or_create_organisation(name: str, sector: str) -> Organisation:
    """Organisations are matched by name, ignoring case and surrounding space."""
    name, sector = " ".join(name.split()), " ".join(sector.split())
    existing = existing_organisation(name)
    if existing is not None:
        return existing
    organisation = Organisation(name=name, sector=sector)
    db.session.add(organisation)
    db.session.flush()
    return organisation


def all_organisations() -> list[Organisation]:
    return list(db.session.scalars(select(Organisation).order_by(Organisation.name)))
