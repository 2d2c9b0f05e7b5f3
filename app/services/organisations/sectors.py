"""The managed list of sectors: the UK public-service default, and what organisers change.

A sector is given by its name or one of its aliases, in any case and spacing ("nhs", "Health",
"Police" for "Police and justice"); `resolve` answers the sector meant, or None. Organisations
store their sector's name (and registrants the one they gave, Registration.sector_given), so
renaming a sector renames it for every organisation and registration in it in the same
transaction; a retired sector is no longer offered to new registrants.

May import: models, organisations.names.
"""

from __future__ import annotations

from sqlalchemy import select, update

from app.extensions import db
from app.models import Organisation, OrganisationChange, Registration, Sector, SectorAlias, User
from app.models.types import utcnow
from app.services.organisations.names import words

# The default list, in the order it is offered, each with the other names people give it.
DEFAULT_SECTORS: list[tuple[str, tuple[str, ...]]] = [
    ("Local government", ("council", "local authority", "councils", "local gov")),
    ("NHS and health", ("nhs", "health", "healthcare", "health care", "nhs and health care")),
    ("Social care", ("adult social care", "childrens social care", "care")),
    ("Police and justice", ("police", "policing", "justice", "policing and justice", "probation")),
    ("Fire and rescue", ("fire", "fire service", "fire and rescue service")),
    ("Housing", ("social housing", "housing association")),
    ("Education", ("schools", "further education", "college")),
    ("Central government", ("civil service", "government", "central gov", "whitehall")),
    (
        "Voluntary and community",
        ("voluntary", "charity", "third sector", "vcs", "vcse", "community", "voluntary sector"),
    ),
    ("Business", ("private sector", "private", "industry")),
    ("Academic and research", ("academic", "research", "university", "higher education")),
]


def install_defaults() -> None:
    """Fill an empty list with the defaults (a database made without the migrations, which
    install them, such as the tests'). Commits."""
    if db.session.scalar(select(Sector.id).limit(1)) is not None:
        return
    for position, (name, aliases) in enumerate(DEFAULT_SECTORS, start=1):
        db.session.add(
            Sector(
                name=name,
                position=position,
                aliases=[SectorAlias(name=a, key=key(a)) for a in aliases],
            )
        )
    db.session.commit()


class SectorError(ValueError):
    """A change to the list that cannot be made; the message says why."""


def key(name: str) -> str:
    """What a sector's name is matched on: its words, lower case ("&" as "and")."""
    return " ".join(words(name))


def offered() -> list[Sector]:
    """The sectors new registrants choose from, in list order."""
    return list(
        db.session.scalars(
            select(Sector).where(Sector.retired_at.is_(None)).order_by(Sector.position, Sector.name)
        )
    )


def every_sector() -> list[Sector]:
    return list(db.session.scalars(select(Sector).order_by(Sector.position, Sector.name)))


def resolve(name: str) -> Sector | None:
    """The offered sector this name or alias means, or None."""
    wanted = key(name)
    if not wanted:
        return None
    for sector in offered():
        if key(sector.name) == wanted:
            return sector
    alias = db.session.scalar(select(SectorAlias).where(SectorAlias.key == wanted))
    if alias is not None and alias.sector.retired_at is None:
        return alias.sector
    return None


def add(name: str, by: User | None = None) -> Sector:
    name = " ".join(name.split())
    if not name:
        raise SectorError("Give the sector a name.")
    if _taken(name):
        raise SectorError(f"“{name}” is already a sector or another name of one.")
    position = max((s.position for s in every_sector()), default=0) + 1
    sector = Sector(name=name, position=position)
    db.session.add(sector)
    _record(by, f"Added the sector “{name}”.")
    db.session.commit()
    return sector


def rename(sector: Sector, name: str, by: User | None = None) -> None:
    """Rename a sector, for every organisation and registrant in it too; the old name stays as
    an alias."""
    name = " ".join(name.split())
    if not name:
        raise SectorError("Give the sector a name.")
    old = sector.name
    if key(name) == key(old):
        sector.name = name
    elif _taken(name):
        raise SectorError(f"“{name}” is already a sector or another name of one.")
    else:
        sector.name = name
        sector.aliases.append(SectorAlias(name=old, key=key(old)))
    db.session.execute(update(Organisation).where(Organisation.sector == old).values(sector=name))
    db.session.execute(
        update(Registration).where(Registration.sector_given == old).values(sector_given=name)
    )
    _record(by, f"Renamed the sector “{old}” to “{name}”.")
    db.session.commit()


def retire(sector: Sector, by: User | None = None) -> None:
    sector.retired_at = utcnow()
    _record(by, f"Retired the sector “{sector.name}”: it is no longer offered.")
    db.session.commit()


def restore(sector: Sector, by: User | None = None) -> None:
    sector.retired_at = None
    _record(by, f"Offered the sector “{sector.name}” again.")
    db.session.commit()


def _taken(name: str) -> bool:
    wanted = key(name)
    return any(key(s.name) == wanted for s in every_sector()) or (
        db.session.scalar(select(SectorAlias).where(SectorAlias.key == wanted)) is not None
    )


def _record(by: User | None, summary: str) -> None:
    db.session.add(OrganisationChange(user=by, action="sectors", summary=summary))
