"""Registering for an event and looking after a registration.

The rules live here once and are used by the registration form, the JSON API, the registrant's
own page, the organiser's pages, the CSV import and the CLI. Seats are decided by
app/services/capacity.py (lock, re-check, write); this module never counts seats itself.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import contains_eager, joinedload, selectinload
from sqlalchemy.sql.base import ExecutableOption

from app.extensions import db
from app.formatting import format_datetime
from app.models import (
    Assignment,
    Breakout,
    BreakoutPreference,
    Event,
    EventStatus,
    Organisation,
    Registration,
    RegistrationStatus,
    Session,
    SessionKind,
    Table,
)
from app.models.types import utcnow
from app.services import capacity, notifications
from app.services.accounts import AccountError, normalise_email
from app.services.events import (
    existing_organisation,
    find_or_create_organisation,
    upcoming_events,
)
from app.services.planning import published_plans
from app.services.tokens import new_token

# Longest accepted text per field (within the database columns' sizes).
TEXT_LIMITS = {
    "name": 200,
    "email": 254,
    "organisation": 200,
    "sector": 100,
    "profession": 120,
    "role": 200,
    "access_needs": 2000,
    "dietary_needs": 1000,
}
REQUIRED = ("name", "email", "organisation", "profession")
MULTILINE = ("access_needs", "dietary_needs")
LABELS = {
    "name": "Name",
    "email": "Email",
    "organisation": "Organisation",
    "sector": "Sector",
    "profession": "Profession",
    "role": "Role",
    "access_needs": "Access needs",
    "dietary_needs": "Dietary needs",
    "needs_accessible_table": "Accessible table",
    "preferences": "Breakout preferences",
    "consent": "Consent",
}
TOKEN_PATTERN = re.compile(r"^[A-Za-z0-9_-]{20,64}$")


class RegistrationInvalid(ValueError):
    """Field errors, by field name (the JSON field names), each a list of messages."""

    def __init__(self, errors: dict[str, list[str]]):
        super().__init__("; ".join(f"{k}: {' '.join(v)}" for k, v in errors.items()))
        self.errors = errors


class RegistrationClosed(Exception):
    """Registration is not open; the message says why (for the registrant's eyes)."""


class AlreadyRegistered(Exception):
    """This email is already registered for the event; its manage link has been mailed again."""

    message = (
        "This email address is already registered for this event. We have emailed the link "
        "to that registration to it again; use it to see or change the registration."
    )

    def __init__(self) -> None:
        super().__init__(self.message)


@dataclass
class Details:
    """Checked, cleaned registration details."""

    name: str
    email: str
    organisation: str
    sector: str
    profession: str
    role: str = ""
    access_needs: str = ""
    dietary_needs: str = ""
    needs_accessible_table: bool = False
    preferences: list[int] = field(default_factory=list)
    consent: bool = False
    # The organisation already known by that name, if any (else one is created on saving).
    organisation_id: int | None = None


# --- rules ------------------------------------------------------------------------------------


def closed_reason(event: Event) -> str | None:
    """Why registration is not open now, or None when it is (the window is in event time)."""
    if event.status != EventStatus.PUBLISHED:
        return "Registration for this event is closed."
    now = event.local_now()
    if event.registration_opens_at and now < event.registration_opens_at:
        return f"Registration opens on {format_datetime(event.registration_opens_at)}."
    if now >= (event.registration_closes_at or event.starts_at):
        return "Registration for this event has closed."
    return None


def breakouts_by_slot(event: Event) -> list[tuple[Session, list[Breakout]]]:
    return [(slot, list(slot.breakouts)) for slot in event.sessions_of(SessionKind.BREAKOUT_SLOT)]


def _text(raw: Mapping[str, Any], name: str, errors: dict[str, list[str]]) -> str:
    value = raw.get(name)
    if value is None:
        value = ""
    if not isinstance(value, str):
        errors.setdefault(name, []).append("Must be text.")
        return ""
    value = value.strip()
    allowed = "\n\r\t" if name in MULTILINE else ""
    if any(unicodedata.category(c) == "Cc" and c not in allowed for c in value):
        errors.setdefault(name, []).append("Contains control characters; please retype it.")
        return ""
    if name not in MULTILINE:
        value = " ".join(value.split())
    if name in REQUIRED and not value:
        errors.setdefault(name, []).append(f"Enter your {LABELS[name].lower()}.")
    elif len(value) > TEXT_LIMITS[name]:
        errors.setdefault(name, []).append(
            f"Must be at most {TEXT_LIMITS[name]} characters (this is {len(value)})."
        )
    return value


def _flag(raw: Mapping[str, Any], name: str, errors: dict[str, list[str]]) -> bool:
    value = raw.get(name, False)
    if value is None:
        return False
    if not isinstance(value, bool):
        errors.setdefault(name, []).append("Must be true or false.")
        return False
    return value


def _preferences(event: Event, raw: Mapping[str, Any], errors: dict[str, list[str]]) -> list[int]:
    value = raw.get("preferences")
    if value is None:
        return []
    if not isinstance(value, list) or not all(
        isinstance(v, int) and not isinstance(v, bool) for v in value
    ):
        errors["preferences"] = ["Must be a list of breakout ids, best first."]
        return []
    offered = {b.id for _, breakouts in breakouts_by_slot(event) for b in breakouts}
    unknown = [v for v in value if v not in offered]
    if unknown:
        errors["preferences"] = [
            "Not breakouts of this event: " + ", ".join(str(v) for v in unknown[:10]) + "."
        ]
    elif len(set(value)) != len(value):
        errors["preferences"] = ["Choose each breakout only once."]
    return value


def check_details(event: Event, raw: Mapping[str, Any], *, require_consent: bool = True) -> Details:
    """Clean and check registration details (JSON field names); RegistrationInvalid if wrong."""
    errors: dict[str, list[str]] = {}
    text = {name: _text(raw, name, errors) for name in TEXT_LIMITS}
    email = text["email"]
    if email and "email" not in errors:
        try:
            email = normalise_email(email)
        except AccountError:
            errors["email"] = ["Enter a valid email address, like name@example.org."]
    known = None
    if text["organisation"] and "organisation" not in errors:
        known = existing_organisation(text["organisation"])
    if text["organisation"] and known is None and not text["sector"]:
        errors.setdefault("sector", []).append(
            f"“{text['organisation']}” is new to us: give its sector."
        )
    needs_accessible_table = _flag(raw, "needs_accessible_table", errors)
    consent = _flag(raw, "consent", errors)
    if require_consent and not consent and "consent" not in errors:
        errors["consent"] = ["We can only register you if you agree to how we use your details."]
    preferences = _preferences(event, raw, errors)
    if errors:
        raise RegistrationInvalid(errors)
    return Details(
        name=text["name"],
        email=email,
        organisation=text["organisation"],
        sector=text["sector"],
        profession=text["profession"],
        role=text["role"],
        access_needs=text["access_needs"],
        dietary_needs=text["dietary_needs"],
        needs_accessible_table=needs_accessible_table,
        preferences=preferences,
        consent=consent,
        organisation_id=known.id if known else None,
    )


def details_of(registration: Registration) -> dict[str, Any]:
    """A registration's details in the JSON field names (what check_details reads)."""
    return {
        "name": registration.name,
        "email": registration.email or "",
        "organisation": registration.organisation.name if registration.organisation else "",
        "sector": registration.sector,
        "profession": registration.profession,
        "role": registration.role,
        "access_needs": registration.access_needs,
        "dietary_needs": registration.dietary_needs,
        "needs_accessible_table": registration.needs_accessible_table,
        "preferences": [p.breakout_id for p in registration.preferences],
        "consent": registration.consent,
    }


def apply_details(registration: Registration, details: Details) -> None:
    registration.name = details.name
    registration.email = details.email
    known = details.organisation_id
    if known is None or registration.organisation_id != known:
        organisation = find_or_create_organisation(details.organisation, details.sector)
        registration.organisation = organisation
    registration.profession = details.profession
    registration.role = details.role
    registration.access_needs = details.access_needs
    registration.dietary_needs = details.dietary_needs
    registration.needs_accessible_table = details.needs_accessible_table
    registration.consent = details.consent
    wanted = {b: rank for rank, b in enumerate(details.preferences, start=1)}
    current = [(p.breakout_id, p.rank) for p in registration.preferences]
    if current != list(wanted.items()):
        # Ranks are unique per registration: clear the old ones before writing new ones.
        registration.preferences.clear()
        db.session.flush()
        registration.preferences.extend(
            BreakoutPreference(breakout_id=b, rank=r) for b, r in wanted.items()
        )


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


def _retrying(operation):
    """Run a locked operation; once more if a concurrent insert (a new organisation, the same
    email) clashed."""
    try:
        return operation()
    except IntegrityError:
        db.session.rollback()
        return operation()


# --- the registrant ---------------------------------------------------------------------------


def register(event: Event, raw: Mapping[str, Any]) -> Registration:
    """Register someone: stored and committed (with its confirmation queued) before returning.

    Raises RegistrationClosed, RegistrationInvalid, or AlreadyRegistered (after mailing the
    existing registration's link to its address).
    """
    if reason := closed_reason(event):
        raise RegistrationClosed(reason)
    details = check_details(event, raw)
    event_id = event.id

    def attempt() -> Registration | None:
        # Looked up before the seat lock, to hold it briefly; a twin registering at the same
        # moment is stopped by the unique (event, email) constraint, and the retry finds it.
        existing = by_email(event_id, details.email)
        if existing is not None:
            with capacity.locked_event(event_id):
                notifications.send("manage_link", existing)
            return None
        registration = Registration(
            event_id=event_id, token=new_token(), organisation_id=details.organisation_id
        )
        with capacity.locked_event(event_id) as locked:
            if reason := closed_reason(locked):
                raise RegistrationClosed(reason)
            apply_details(registration, details)
            capacity.admit(locked, registration)
            notifications.send("confirmation", registration)
        return registration

    registration = _retrying(attempt)
    if registration is None:
        raise AlreadyRegistered()
    return registration


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


def can_edit(registration: Registration) -> bool:
    event = registration.event
    return (
        registration.status != RegistrationStatus.CANCELLED
        and registration.erased_at is None
        and event.local_now() < event.starts_at
    )


def update_own(registration: Registration, raw: Mapping[str, Any]) -> Registration:
    """The registrant changes their details; their email (the registration's identity) stays."""
    if not can_edit(registration):
        raise RegistrationClosed("This registration can no longer be changed.")
    raw = {**raw, "email": registration.email, "consent": registration.consent}
    details = check_details(registration.event, raw, require_consent=False)
    registration_id = registration.id

    def attempt() -> Registration:
        with capacity.locked_event(registration.event_id):
            locked = db.session.get(Registration, registration_id)
            apply_details(locked, details)
        return locked

    return _retrying(attempt)


def cancel(registration: Registration, *, by_organiser: bool = False) -> None:
    """Cancel a registration or leave the waiting list; the seat passes on by the event's policy."""
    with capacity.locked_event(registration.event_id) as event:
        db.session.refresh(registration)
        if registration.status == RegistrationStatus.CANCELLED:
            return
        capacity.release(event, registration)
        if registration.email:
            notifications.send("cancellation", registration, by_organiser=by_organiser)


def claim(registration: Registration) -> bool:
    """Claim an offered seat; False when the offer has lapsed or there was none."""
    with capacity.locked_event(registration.event_id) as event:
        db.session.refresh(registration)
        claimed = capacity.claim_offer(event, registration)
        if claimed:
            notifications.send("seat_confirmed", registration)
    return claimed


def rejoin(registration: Registration) -> None:
    """Book again after cancelling (or after an offer lapsed): a seat if free, else the list."""
    if registration.erased_at is not None:
        raise RegistrationClosed("This registration can no longer be changed.")
    if reason := closed_reason(registration.event):
        raise RegistrationClosed(reason)
    with capacity.locked_event(registration.event_id) as event:
        db.session.refresh(registration)
        if registration.status != RegistrationStatus.CANCELLED:
            return
        if reason := closed_reason(event):
            raise RegistrationClosed(reason)
        capacity.admit(event, registration)
        notifications.send("confirmation", registration)


# --- what the registrant sees -----------------------------------------------------------------


@dataclass
class ScheduleItem:
    session: Session
    table: Table | None = None
    breakout: Breakout | None = None


def for_own_page(token: str) -> Registration | None:
    """by_token() for the registrant's own page: the event, its programme and the organisation
    come in the same query instead of one query each as the page is drawn."""
    return by_token(
        token,
        joinedload(Registration.event).joinedload(Event.sessions).joinedload(Session.breakouts),
        joinedload(Registration.organisation),
    )


def personal_schedule(registration: Registration) -> list[ScheduleItem]:
    """The programme for a confirmed person, with their table or breakout where a plan is
    published; nothing for anyone without a seat."""
    if registration.status != RegistrationStatus.CONFIRMED:
        return []
    event = registration.event
    plans = published_plans(event)
    placed: dict[int, Assignment] = {}
    if plans:
        rows = db.session.scalars(
            select(Assignment)
            .where(
                Assignment.plan_id.in_([p.id for p in plans]),
                Assignment.registration_id == registration.id,
            )
            .options(joinedload(Assignment.table), joinedload(Assignment.breakout))
        )
        placed = {a.session_id: a for a in rows}
    items = []
    for session in event.sessions:
        assignment = placed.get(session.id)
        items.append(
            ScheduleItem(
                session=session,
                table=assignment.table if assignment else None,
                breakout=assignment.breakout if assignment else None,
            )
        )
    return items


def preferences_by_slot(registration: Registration) -> list[tuple[Session, list[Breakout]]]:
    """The person's ranked choices, grouped by breakout slot, best first."""
    slots = breakouts_by_slot(registration.event)  # first, so each choice's breakout is loaded
    chosen = [p.breakout for p in registration.preferences]
    return [(slot, [b for b in chosen if b.session_id == slot.id]) for slot, _ in slots]


# --- the organiser ----------------------------------------------------------------------------


def update_by_organiser(registration: Registration, raw: Mapping[str, Any]) -> Registration:
    """The organiser corrects any detail, the email included (still one per event); consent
    stays the registrant's."""
    raw = {**raw, "consent": registration.consent}
    details = check_details(registration.event, raw, require_consent=False)
    registration_id = registration.id

    def attempt() -> Registration:
        with capacity.locked_event(registration.event_id) as event:
            locked = db.session.get(Registration, registration_id)
            other = by_email(event.id, details.email)
            if other is not None and other.id != locked.id:
                raise RegistrationInvalid(
                    {"email": ["Another registration for this event uses this email."]}
                )
            apply_details(locked, details)
        return locked

    return _retrying(attempt)


def promote(registration: Registration) -> int:
    """Confirm a waitlisted person now; returns how many seats the event is over capacity."""
    with capacity.locked_event(registration.event_id) as event:
        db.session.refresh(registration)
        was_waiting = registration.status == RegistrationStatus.WAITLISTED
        over = capacity.promote(event, registration)
        if was_waiting and registration.status == RegistrationStatus.CONFIRMED:
            notifications.send("seat_confirmed", registration)
    return over


def check_in(registration: Registration, arrived: bool = True) -> None:
    """Record (or undo) arrival on the day, with the time; only confirmed people check in."""
    with capacity.locked_event(registration.event_id):
        db.session.refresh(registration)
        if arrived and registration.status != RegistrationStatus.CONFIRMED:
            raise RegistrationClosed("Only confirmed registrations can be checked in.")
        if arrived and registration.checked_in_at is None:
            registration.checked_in_at = utcnow()
        elif not arrived:
            registration.checked_in_at = None


ERASED_NAME = "Erased"


def erase(registration: Registration) -> None:
    """Remove a person's personal data for good, keeping what anonymous counts need.

    Their organisation (and so sector), status and check-in stay; the name becomes "Erased", the
    email and everything they wrote are cleared, and the private link stops working. Someone who
    still holds a seat for an event yet to end gives it up first, so it passes on.
    """
    with capacity.locked_event(registration.event_id) as event:
        db.session.refresh(registration)
        if registration.erased_at is not None:
            return
        now = utcnow()
        active = registration.status != RegistrationStatus.CANCELLED
        if active and event.local_now() < event.ends_at:
            capacity.release(event, registration, now)
        _erase_fields(registration, now)


def _erase_fields(registration: Registration, now: datetime) -> None:
    registration.name = ERASED_NAME
    registration.email = None
    registration.profession = ""
    registration.role = ""
    registration.access_needs = ""
    registration.dietary_needs = ""
    registration.needs_accessible_table = False
    registration.consent = False
    registration.preferences.clear()
    registration.token = new_token()
    registration.erased_at = now


def erase_ended_events(older_than_days: int) -> int:
    """Erase personal data of every event that ended more than N days ago; returns how many."""
    erased = 0
    for event in db.session.scalars(select(Event)).all():
        if event.ends_at > event.local_now() - timedelta(days=older_than_days):
            continue
        with capacity.locked_event(event.id):
            now = utcnow()
            for registration in db.session.scalars(
                select(Registration).where(
                    Registration.event_id == event.id, Registration.erased_at.is_(None)
                )
            ).all():
                _erase_fields(registration, now)
                erased += 1
    return erased


def expire_offers() -> int:
    """Withdraw lapsed offers and fill free seats for every event still to come; returns how
    many events were looked at (for `flask --app wsgi expire-offers`, run e.g. every 15 min)."""
    events = upcoming_events()
    for event in events:
        with capacity.locked_event(event.id) as locked:
            capacity.touch(locked)
    return len(events)


# --- the organiser's list ---------------------------------------------------------------------


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
        query = query.where(Organisation.sector == sector)
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
        select(Registration.status, Registration.organisation_id, func.count(Registration.id))
        .where(Registration.event_id == event.id)
        .group_by(Registration.status, Registration.organisation_id)
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
    for status, organisation_id, n in rows:
        by_status[status.value] += n
        if status == RegistrationStatus.CANCELLED or organisation_id is None:
            continue
        column = 0 if status == RegistrationStatus.CONFIRMED else 1
        per_org.setdefault(organisation_id, [0, 0])[column] += n
        sector = organisations[organisation_id].sector
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
