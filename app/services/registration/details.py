"""A registration's details: which fields there are, which are required, and how they are checked.

One list of fields and one `check_details` for the registration form, the JSON API, the
organiser's edit page and the CSV import, so all of them accept and refuse the same things.

The sector is the registrant's own (Registration.sector_given). A registrant must give one unless
their organisation is among those the public is shown (directory.publicly_known), so the answer
never tells a stranger whether a private name is in the directory; a new organisation they type
stays unconfirmed until an organiser confirms its sector. An organiser (edit page, CSV import)
need give one only for a new organisation, which is then confirmed.

May import: models, accounts.organisers (email addresses), organisations.{directory, sectors}.
"""

from __future__ import annotations

import unicodedata
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from app.extensions import db
from app.models import (
    Breakout,
    BreakoutPreference,
    Event,
    Registration,
    Sector,
    Session,
    SessionKind,
)
from app.services.accounts.organisers import AccountError, normalise_email
from app.services.organisations import sectors
from app.services.organisations.directory import (
    existing_organisation,
    find_or_create_organisation,
    is_publicly_known,
)

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


# What every registration must give, whichever way it arrives (form, API or CSV file).
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
    "share_tablemates": "Show me the people I sat with",
    "hear_of_programmes": "Tell me about mentoring schemes and secondments",
    "hear_of_peer_challenges": "Tell me about peer challenges",
}


class RegistrationInvalid(ValueError):
    """Field errors, by field name (the JSON field names), each a list of messages."""

    def __init__(self, errors: dict[str, list[str]]):
        super().__init__("; ".join(f"{k}: {' '.join(v)}" for k, v in errors.items()))
        self.errors = errors


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
    share_tablemates: bool = False
    hear_of_programmes: bool = False
    hear_of_peer_challenges: bool = False
    by_organiser: bool = False  # a new organisation in them is then confirmed


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


def check_contact(
    text: Mapping[str, str],
    errors: dict[str, list[str]],
    *,
    by_organiser: bool,
    resolve_sector: Callable[[str], Sector | None] = sectors.resolve,
) -> tuple[str, str]:
    """The email (normalised) and the sector (its name) of cleaned `text` fields email,
    organisation and sector, as registration and every programme's join form and import check
    them; what is wrong goes into `errors`: an email that is not one, a sector that is not one
    of the sectors, or an organisation new to us without its sector (one only organisers have
    seen counts as new, unless `by_organiser`). `resolve_sector`: what a sector name means (an
    import remembers each name's)."""
    email = text["email"]
    if email and "email" not in errors:
        try:
            email = normalise_email(email)
        except AccountError:
            errors["email"] = ["Enter a valid email address, like name@example.org."]
    sector = text["sector"]
    if sector and "sector" not in errors:
        meant = resolve_sector(sector)
        if meant is None:
            offered = ", ".join(s.name for s in sectors.offered())
            errors["sector"] = [f"“{sector}” is not one of the sectors; choose one of: {offered}."]
        else:
            sector = meant.name
    if text["organisation"] and "organisation" not in errors and not sector:
        known = existing_organisation(text["organisation"])
        if known is None or not (by_organiser or is_publicly_known(known)):
            errors.setdefault("sector", []).append(
                f"“{text['organisation']}” is new to us: give its sector."
            )
    return email, sector


def check_details(
    event: Event,
    raw: Mapping[str, Any],
    *,
    require_consent: bool = True,
    by_organiser: bool = False,
) -> Details:
    """Clean and check registration details (JSON field names); RegistrationInvalid if wrong.
    `by_organiser` for details an organiser gives (see the module's docstring)."""
    errors: dict[str, list[str]] = {}
    text = {name: _text(raw, name, errors) for name in TEXT_LIMITS}
    email, sector = check_contact(text, errors, by_organiser=by_organiser)
    needs_accessible_table = _flag(raw, "needs_accessible_table", errors)
    consent = _flag(raw, "consent", errors)
    share_tablemates = _flag(raw, "share_tablemates", errors)
    hear_of_programmes = _flag(raw, "hear_of_programmes", errors)
    hear_of_peer_challenges = _flag(raw, "hear_of_peer_challenges", errors)
    if require_consent and not consent and "consent" not in errors:
        errors["consent"] = ["We can only register you if you agree to how we use your details."]
    preferences = _preferences(event, raw, errors)
    if errors:
        raise RegistrationInvalid(errors)
    return Details(
        name=text["name"],
        email=email,
        organisation=text["organisation"],
        sector=sector,
        profession=text["profession"],
        role=text["role"],
        access_needs=text["access_needs"],
        dietary_needs=text["dietary_needs"],
        needs_accessible_table=needs_accessible_table,
        preferences=preferences,
        consent=consent,
        share_tablemates=share_tablemates,
        hear_of_programmes=hear_of_programmes,
        hear_of_peer_challenges=hear_of_peer_challenges,
        by_organiser=by_organiser,
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
        "share_tablemates": registration.share_tablemates,
        "hear_of_programmes": registration.hear_of_programmes,
        "hear_of_peer_challenges": registration.hear_of_peer_challenges,
    }


def apply_details(registration: Registration, details: Details) -> None:
    registration.name = details.name
    registration.email = details.email
    # Looked up again here, inside the caller's transaction: a merge may have moved the
    # organisation found when the details were checked.
    registration.organisation = find_or_create_organisation(
        details.organisation, details.sector, confirmed=details.by_organiser
    )
    registration.organisation_typed = details.organisation
    registration.sector_given = details.sector
    registration.profession = details.profession
    registration.role = details.role
    registration.access_needs = details.access_needs
    registration.dietary_needs = details.dietary_needs
    registration.needs_accessible_table = details.needs_accessible_table
    registration.consent = details.consent
    registration.share_tablemates = details.share_tablemates
    registration.hear_of_programmes = details.hear_of_programmes
    registration.hear_of_peer_challenges = details.hear_of_peer_challenges
    wanted = {b: rank for rank, b in enumerate(details.preferences, start=1)}
    current = [(p.breakout_id, p.rank) for p in registration.preferences]
    if current != list(wanted.items()):
        # Ranks are unique per registration: clear the old ones before writing new ones.
        registration.preferences.clear()
        db.session.flush()
        registration.preferences.extend(
            BreakoutPreference(breakout_id=b, rank=r) for b, r in wanted.items()
        )


def preferences_by_slot(registration: Registration) -> list[tuple[Session, list[Breakout]]]:
    """The person's ranked choices, grouped by breakout slot, best first."""
    slots = breakouts_by_slot(registration.event)  # first, so each choice's breakout is loaded
    chosen = [p.breakout for p in registration.preferences]
    return [(slot, [b for b in chosen if b.session_id == slot.id]) for slot, _ in slots]
