"""The directory of organisations people come from: one canonical name each, a sector, aliases.

A typed name is matched (`resolve`) on its normal form (organisations/names.py): first against
canonical names, then against aliases, so "Swale BC" finds "Swale Borough Council" and, once an
organiser has merged "SBC" into it, so does "SBC". Only organisers change the directory, each
change in one transaction with a record of who made it and what it was:

- `merge(source, into)`: every registration and convenorship of `source` moves to `into`; its
  name and aliases become aliases of `into`; the plans of the events affected are measured again.
- `rename`: the old name stays as an alias, so what people type keeps resolving.
- `change_sector`, which also confirms the sector, and `split(alias)`: a wrongly merged name
  becomes an organisation again, taking back the registrations whose typed name it is.

An organisation a registrant types in is *unconfirmed*: its sector is only what they proposed,
each registrant from it counts in the sector they gave (Registration.sector), and it is never
offered to the public until an organiser confirms its sector (`change_sector`, from the
directory page, which lists what its registrants proposed). One an organiser makes (a convenor,
an edit, a CSV import) is confirmed. The public sees only `publicly_known` names: confirmed and
registered from or convening a published event, so a draft's convenors stay private.

Merges and splits run in a write-locked transaction (registration/capacity.py's `begin_writing`:
SQLite's write lock; on PostgreSQL the organisations' rows, locked FOR UPDATE, which a
registration's insert must wait for), so a registration racing a merge either lands before it
and is moved, or after it and resolves to the merged organisation.

May import: models, organisations.{names, sectors}, planning.translation (measures after a
merge), registration.capacity (its write-locked transaction).
"""

from __future__ import annotations

from collections.abc import Iterable

from sqlalchemy import Select, func, or_, select, update

from app.extensions import db
from app.models import (
    Event,
    EventStatus,
    Member,
    Organisation,
    OrganisationAlias,
    OrganisationChange,
    Plan,
    PlanStatus,
    Registration,
    RegistrationStatus,
    User,
)
from app.models.event import event_convenors
from app.services.organisations import sectors
from app.services.organisations.names import normal_form
from app.services.planning.translation import refresh_metrics
from app.services.registration import capacity


class DirectoryError(ValueError):
    """A change to the directory that cannot be made; the message says why."""


# --- finding -------------------------------------------------------------------------------------


def existing_organisation(name: str) -> Organisation | None:
    """The organisation this typed name means, or None: its exact name (any case) first, then
    the same normal form as a canonical name, then as an alias."""
    name = " ".join(name.split())
    if not name:
        return None
    exact = db.session.scalar(
        select(Organisation).where(func.lower(Organisation.name) == name.lower())
    )
    if exact is not None:
        return exact
    key = normal_form(name)
    if not key:
        return None
    canonical = db.session.scalar(
        select(Organisation).where(Organisation.key == key).order_by(Organisation.id).limit(1)
    )
    if canonical is not None:
        return canonical
    return db.session.scalar(
        select(Organisation)
        .join(OrganisationAlias)
        .where(OrganisationAlias.key == key)
        .order_by(OrganisationAlias.id)
        .limit(1)
    )


def find_or_create_organisation(name: str, sector: str, *, confirmed: bool) -> Organisation:
    """The organisation this name means; else a new one, in the sector that name (or alias)
    means: `confirmed` when an organiser gives it, unconfirmed (a proposal) from a registrant.
    Callers check the sector against the list first (registration details, the event form); a
    name the list does not know is kept as given rather than lost."""
    name = " ".join(name.split())
    existing = existing_organisation(name)
    if existing is not None:
        return existing
    meant = sectors.resolve(sector)
    organisation = Organisation(
        name=name,
        key=normal_form(name),
        sector=meant.name if meant else " ".join(sector.split()),
        sector_confirmed=confirmed,
    )
    db.session.add(organisation)
    db.session.flush()
    return organisation


def all_organisations() -> list[Organisation]:
    return list(db.session.scalars(select(Organisation).order_by(Organisation.name)))


def _publicly_known_query() -> Select[tuple[Organisation]]:
    published = select(Event.id).where(Event.status != EventStatus.DRAFT)
    registered = select(Registration.organisation_id).where(Registration.event_id.in_(published))
    convening = select(event_convenors.c.organisation_id).where(
        event_convenors.c.event_id.in_(published)
    )
    return select(Organisation).where(
        Organisation.sector_confirmed,
        or_(Organisation.id.in_(registered), Organisation.id.in_(convening)),
    )


def publicly_known() -> list[Organisation]:
    """The organisations anyone may be shown (the public form's type-ahead): confirmed by an
    organiser and registered from or convening a published (or closed) event. Never one only
    a draft knows, nor a name a stranger typed that no organiser has looked at."""
    return list(db.session.scalars(_publicly_known_query().order_by(Organisation.name)))


def is_publicly_known(organisation: Organisation) -> bool:
    return (
        db.session.scalar(_publicly_known_query().where(Organisation.id == organisation.id))
        is not None
    )


def proposed_sectors() -> dict[int, list[tuple[str, int]]]:
    """For each unconfirmed organisation, the sectors its registrants (not cancelled) gave,
    most given first: what an organiser chooses from when confirming it."""
    rows = db.session.execute(
        select(Registration.organisation_id, Registration.sector, func.count(Registration.id))
        .join(Organisation, Registration.organisation_id == Organisation.id)
        .where(~Organisation.sector_confirmed, Registration.status != RegistrationStatus.CANCELLED)
        .group_by(Registration.organisation_id, Registration.sector)
    ).all()
    proposed: dict[int, list[tuple[str, int]]] = {}
    for organisation_id, sector, n in sorted(rows, key=lambda row: (-row[2], row[1])):
        proposed.setdefault(organisation_id, []).append((sector, n))
    return proposed


def registration_counts(events: Iterable[Event] | None = None) -> dict[int, int]:
    """Registrations (not cancelled) per organisation id, across these events (else every
    event), in one query."""
    query = (
        select(Registration.organisation_id, func.count(Registration.id))
        .where(
            Registration.status != RegistrationStatus.CANCELLED,
            Registration.organisation_id.is_not(None),
        )
        .group_by(Registration.organisation_id)
    )
    if events is not None:
        query = query.where(Registration.event_id.in_([e.id for e in events]))
    return dict(db.session.execute(query).all())


def changes(limit: int = 50) -> list[OrganisationChange]:
    """The latest changes to the directory, newest first."""
    return list(
        db.session.scalars(
            select(OrganisationChange).order_by(OrganisationChange.id.desc()).limit(limit)
        )
    )


# --- changing ------------------------------------------------------------------------------------


def merge(source: Organisation, into: Organisation, by: User | None = None) -> None:
    """Merge `source` into `into`: see the module's docstring. Commits."""
    if source.id == into.id:
        raise DirectoryError("Choose two different organisations to merge.")
    source_id, into_id = source.id, into.id
    capacity.begin_writing()
    source = _locked(source_id)
    into = _locked(into_id)
    events = _events_of(source_id)
    db.session.execute(
        update(Registration)
        .where(Registration.organisation_id == source_id)
        .values(organisation_id=into_id)
    )
    db.session.execute(
        update(Member).where(Member.organisation_id == source_id).values(organisation_id=into_id)
    )
    _move_convenorships(source_id, into_id)
    for alias in list(source.aliases):
        alias.organisation = into
    into.aliases.append(OrganisationAlias(name=source.name, key=normal_form(source.name)))
    summary = f"Merged “{source.name}” ({source.sector}) into “{into.name}”."
    db.session.delete(source)
    db.session.flush()
    _record(by, "merge", summary)
    _measure_again(events)
    db.session.commit()


def rename(organisation: Organisation, name: str, by: User | None = None) -> None:
    """Give an organisation a new canonical name; the old one becomes an alias. Commits."""
    name = " ".join(name.split())
    if not name:
        raise DirectoryError("Give the organisation a name.")
    clash = existing_organisation(name)
    if clash is not None and clash.id != organisation.id:
        raise DirectoryError(f"“{name}” is already the name of “{clash.name}”: merge them instead.")
    old = organisation.name
    if old == name:
        return
    organisation.name, organisation.key = name, normal_form(name)
    if normal_form(old) != organisation.key:
        organisation.aliases.append(OrganisationAlias(name=old, key=normal_form(old)))
    _record(by, "rename", f"Renamed “{old}” to “{name}”.")
    db.session.commit()


def change_sector(organisation: Organisation, sector_name: str, by: User | None = None) -> None:
    """Put the organisation in this sector, confirmed: from now on it is the sector of everyone
    registered from it, whatever they gave themselves. Commits."""
    sector = sectors.resolve(sector_name)
    if sector is None:
        raise DirectoryError(f"“{sector_name}” is not one of the sectors.")
    old = organisation.sector
    if organisation.sector_confirmed and old == sector.name:
        return
    if organisation.sector_confirmed:
        summary = f"Moved “{organisation.name}” from {old} to {sector.name}."
    else:
        summary = f"Confirmed “{organisation.name}” in {sector.name}."
    organisation.sector, organisation.sector_confirmed = sector.name, True
    _record(by, "sector", summary)
    _measure_again(_events_of(organisation.id))
    db.session.commit()


def split(alias: OrganisationAlias, by: User | None = None) -> Organisation:
    """Make a wrongly merged name an organisation of its own again (same sector), taking back
    every registration whose typed name is that name. Commits; returns the new organisation."""
    alias_id = alias.id
    capacity.begin_writing()
    alias = db.session.get(OrganisationAlias, alias_id)
    if alias is None:
        raise DirectoryError("That name is no longer an alias.")
    parent = alias.organisation
    events = _events_of(parent.id)
    organisation = Organisation(
        name=alias.name,
        key=alias.key,
        sector=parent.sector,
        sector_confirmed=parent.sector_confirmed,
    )
    db.session.add(organisation)
    db.session.delete(alias)
    db.session.flush()
    typed_here = [
        r
        for r in db.session.scalars(
            select(Registration).where(Registration.organisation_id == parent.id)
        )
        if normal_form(r.organisation_typed) == organisation.key
    ]
    for registration in typed_here:
        registration.organisation_id = organisation.id
    _record(
        by,
        "split",
        f"Split “{organisation.name}” off “{parent.name}” again, with "
        f"{len(typed_here)} registration{'s' if len(typed_here) != 1 else ''}.",
    )
    _measure_again(events)
    db.session.commit()
    return organisation


def _locked(organisation_id: int) -> Organisation:
    """The organisation, its row locked until commit (PostgreSQL; SQLite holds its write lock)."""
    organisation = db.session.scalar(
        select(Organisation)
        .where(Organisation.id == organisation_id)
        .with_for_update()
        .execution_options(populate_existing=True)
    )
    if organisation is None:
        db.session.rollback()
        raise DirectoryError("That organisation is no longer in the directory.")
    return organisation


def _events_of(organisation_id: int) -> list[Event]:
    return list(
        db.session.scalars(
            select(Event)
            .join(Registration, Registration.event_id == Event.id)
            .where(Registration.organisation_id == organisation_id)
            .distinct()
        )
    )


def _move_convenorships(source_id: int, into_id: int) -> None:
    convened = event_convenors.c
    both = select(convened.event_id).where(convened.organisation_id == into_id)
    db.session.execute(
        event_convenors.delete().where(
            convened.organisation_id == source_id, convened.event_id.in_(both)
        )
    )
    db.session.execute(
        event_convenors.update()
        .where(convened.organisation_id == source_id)
        .values(organisation_id=into_id)
    )


def _measure_again(events: Iterable[Event]) -> None:
    """The events' unarchived plans, measured again on the directory as it is now, and marked so
    that no page calls them optimal on the categories they were solved on."""
    db.session.flush()
    db.session.expire_all()  # rows were moved by UPDATE: read registrations afresh
    for event in events:
        for plan in db.session.scalars(
            select(Plan).where(Plan.event_id == event.id, Plan.status != PlanStatus.ARCHIVED)
        ):
            refresh_metrics(plan, because="directory_changed")


def _record(by: User | None, action: str, summary: str) -> None:
    db.session.add(OrganisationChange(user=by, action=action, summary=summary))
