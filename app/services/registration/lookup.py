"""Finding registrations: by private token or email, the organiser's filtered list, and counts.

Reads only; every change is in registration/lifecycle.py.

May import: models only.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from sqlalchemy import func, select
from sqlalchemy.orm import contains_eager, joinedload, selectinload
from sqlalchemy.sql.base import ExecutableOption

from app.extensions import db
from app.models import (
    BreakoutPreference,
    Event,
    Organisation,
    Registration,
    RegistrationStatus,
    Session,
)

TOKEN_PATTERN = re.compile(r"^[A-Za-z0-9_-]{20,64}$")


def by_email(event_id: int, email: str) -> Registration | None:
    return db.session.scalar(
        select(Registration).where(Registration.event_id == event_id, Registration.email == email)
    )


def emails_of(event: Event) -> set[str]:
    """Every email registered for the event (what by_email finds), in one query."""
    return set(
        db.session.scalars(
            select(Registration.email).where(
                Registration.event_id == event.id, Registration.email.is_not(None)
            )
        )
    )


def by_token(token: str, *load: ExecutableOption) -> Registration | None:
    """The registration this private token opens, or None (malformed tokens match nothing);
    `load` options fetch what the caller shows in the same query."""
    if not TOKEN_PATTERN.match(token):
        return None
    return (
        db.session.scalars(select(Registration).where(Registration.token == token).options(*load))
        .unique()
        .one_or_none()
    )


def for_own_page(token: str) -> Registration | None:
    """by_token() for the registrant's own page: the event, its programme and the organisation
    come in the same query instead of one query each as the page is drawn."""
    return by_token(
        token,
        joinedload(Registration.event).joinedload(Event.sessions).joinedload(Session.breakouts),
        joinedload(Registration.organisation),
    )


def registrations_of(
    event: Event,
    *,
    text: str = "",
    status: RegistrationStatus | None = None,
    sector: str = "",
    organisation_id: int | None = None,
) -> list[Registration]:
    """An event's registrations, filtered, in order of arrival."""
    query = (
        select(Registration)
        .outerjoin(Organisation, Registration.organisation_id == Organisation.id)
        .options(
            contains_eager(Registration.organisation),
            selectinload(Registration.preferences).selectinload(BreakoutPreference.breakout),
        )
        .where(Registration.event_id == event.id)
        .order_by(Registration.created_at, Registration.id)
    )
    if text := " ".join(text.split()).lower():
        query = query.where(
            func.lower(Registration.name).contains(text, autoescape=True)
            | func.lower(func.coalesce(Registration.email, "")).contains(text, autoescape=True)
            | func.lower(func.coalesce(Organisation.name, "")).contains(text, autoescape=True)
            | func.lower(Registration.profession).contains(text, autoescape=True)
        )
    if status is not None:
        query = query.where(Registration.status == status)
    if sector:
        query = query.where(Registration.sector == sector)
    if organisation_id is not None:
        query = query.where(Registration.organisation_id == organisation_id)
    return list(db.session.scalars(query))


def confirmed_counts(events: list[Event]) -> dict[int, int]:
    """Confirmed registrations per event id (events with none are left out), in one query."""
    return dict(
        db.session.execute(
            select(Registration.event_id, func.count(Registration.id))
            .where(
                Registration.event_id.in_([e.id for e in events]),
                Registration.status == RegistrationStatus.CONFIRMED,
            )
            .group_by(Registration.event_id)
        ).all()
    )


def status_counts(event: Event) -> dict[str, int]:
    """How many registrations the event has in each status, counted in the database."""
    counts = dict.fromkeys((s.value for s in RegistrationStatus), 0)
    counts.update(
        db.session.execute(
            select(Registration.status, func.count(Registration.id))
            .where(Registration.event_id == event.id)
            .group_by(Registration.status)
        ).all()
    )
    return counts


@dataclass
class Counts:
    by_status: dict[str, int]
    by_sector: list[tuple[str, int, int]]  # (sector, confirmed, waiting)
    by_organisation: list[tuple[Organisation, int, int]]
    checked_in: int
    organisations: list[Organisation]  # of every registration, cancelled too, by name


def counts(event: Event) -> Counts:
    """How many registrations by status, and (confirmed, waiting) by sector and organisation;
    plus every organisation registered from, for the list's filter."""
    rows = db.session.execute(
        select(
            Registration.status,
            Registration.organisation_id,
            Registration.sector,
            func.count(Registration.id),
        )
        .outerjoin(Organisation, Registration.organisation_id == Organisation.id)
        .where(Registration.event_id == event.id)
        .group_by(Registration.status, Registration.organisation_id, Registration.sector)
    ).all()
    organisations = {
        o.id: o
        for o in db.session.scalars(
            select(Organisation).where(Organisation.id.in_({r[1] for r in rows if r[1]}))
        )
    }
    by_status = dict.fromkeys((s.value for s in RegistrationStatus), 0)
    per_org: dict[int, list[int]] = {}
    per_sector: dict[str, list[int]] = {}
    for status, organisation_id, sector, n in rows:
        by_status[status.value] += n
        if status == RegistrationStatus.CANCELLED or organisation_id is None:
            continue
        column = 0 if status == RegistrationStatus.CONFIRMED else 1
        per_org.setdefault(organisation_id, [0, 0])[column] += n
        per_sector.setdefault(sector, [0, 0])[column] += n
    checked_in = db.session.scalar(
        select(func.count(Registration.id)).where(
            Registration.event_id == event.id, Registration.checked_in_at.is_not(None)
        )
    )
    return Counts(
        by_status=by_status,
        by_sector=sorted(((s, *n) for s, n in per_sector.items()), key=lambda t: (-t[1], t[0])),
        by_organisation=sorted(
            ((organisations[i], *n) for i, n in per_org.items()),
            key=lambda t: (-t[1], t[0].name),
        ),
        checked_in=checked_in,
        organisations=sorted(organisations.values(), key=lambda o: o.name.lower()),
    )
