"""The registration desk on the day: finding people as the organiser types, where each sits
next, and how many have arrived. Check-in itself is registration/lifecycle.py's `check_in`.

May import: models, registration.lookup, planning.places.
"""

from __future__ import annotations

import unicodedata
from dataclasses import dataclass

from sqlalchemy import func, select
from sqlalchemy.orm import joinedload

from app.extensions import db
from app.models import Event, Registration, RegistrationStatus, Session, SessionKind
from app.services.planning.places import Place, places_of_people
from app.services.registration import lookup


@dataclass
class Entry:
    """One person at the desk: their table in the next table round and their next breakout."""

    person: Registration
    table: Place | None
    breakout: Place | None

    @property
    def organisation(self) -> str:
        return self.person.organisation.name if self.person.organisation else ""

    @property
    def can_check_in(self) -> bool:
        return self.person.status == RegistrationStatus.CONFIRMED

    @property
    def search_text(self) -> str:
        """What the page's script matches typed text against: name, email and organisation,
        folded as `fold` folds what is typed."""
        return _haystack(self.person)


def fold(text: str) -> str:
    """Lower case without accents, so "zoe" finds Zoë (the script folds alike)."""
    decomposed = unicodedata.normalize("NFKD", text)
    return " ".join("".join(c for c in decomposed if not unicodedata.combining(c)).lower().split())


def next_session(event: Event, kind: SessionKind) -> Session | None:
    """The first session of `kind` not yet over at the event's wall-clock time."""
    now = event.local_now()
    return next((s for s in event.sessions_of(kind) if s.ends_at > now), None)


def entries(event: Event, text: str = "", only: int | None = None) -> list[Entry]:
    """Everyone not erased whose name, email or organisation holds `text` (or only the person
    with id `only`), by name, each with their next table and breakout."""
    wanted = fold(text[:200])
    query = (
        select(Registration)
        .where(Registration.event_id == event.id, Registration.erased_at.is_(None))
        .options(joinedload(Registration.organisation))
    )
    if only is not None:
        query = query.where(Registration.id == only)
    found = [r for r in db.session.scalars(query) if not wanted or wanted in _haystack(r)]
    found.sort(key=lambda r: (fold(r.name), r.id))
    confirmed = [r.id for r in found if r.status == RegistrationStatus.CONFIRMED]
    next_round = next_session(event, SessionKind.TABLE_ROUND)
    next_slot = next_session(event, SessionKind.BREAKOUT_SLOT)
    seats = places_of_people(event, confirmed, [s for s in (next_round, next_slot) if s])
    return [
        Entry(
            person=r,
            table=seats.get(r.id, {}).get(next_round.id) if next_round else None,
            breakout=seats.get(r.id, {}).get(next_slot.id) if next_slot else None,
        )
        for r in found
    ]


def _haystack(registration: Registration) -> str:
    """Name, email and organisation, folded: the desk searches these (the organiser's list also
    searches professions, which at the desk would only bring in strangers). Folded here rather
    than in SQL, so that "zoe" finds Zoë on every database."""
    organisation = registration.organisation.name if registration.organisation else ""
    return fold(" ".join((registration.name, registration.email or "", organisation)))


def arrived(event: Event) -> tuple[int, int]:
    """(checked in, confirmed) for the desk's header."""
    return (
        db.session.scalar(
            select(func.count(Registration.id)).where(
                Registration.event_id == event.id,
                Registration.status == RegistrationStatus.CONFIRMED,
                Registration.checked_in_at.is_not(None),
            )
        ),
        lookup.status_counts(event)[RegistrationStatus.CONFIRMED.value],
    )
