"""Encounter history within a series: who already sat together at an earlier event.

A person is recognised across the events of one series by their email, compared without regard
to case, and only while their registration at the earlier event exists: an erased registration
(no email) or a cancelled one (they did not sit there) leaves no history, and nothing crosses
from one series to another. "Sat together" means sharing a table in a table round of the
earlier event's published tables plan.

May import: models, planning.plans.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable

from sqlalchemy import select

from app.extensions import db
from app.models import (
    Event,
    Plan,
    PlanKind,
    Registration,
    RegistrationStatus,
    Series,
    SessionKind,
    series_events,
)
from app.services.planning.plans import published_plan


def series_of(event: Event) -> Series | None:
    return db.session.scalar(
        select(Series).join(series_events).where(series_events.c.event_id == event.id)
    )


def earlier_events(event: Event) -> list[Event]:
    """The events of the event's series that start before it, in date order."""
    series = series_of(event)
    if series is None:
        return []
    return [e for e in series.events if e.starts_at < event.starts_at and e.id != event.id]


def tablemate_pairs(plan: Plan) -> set[tuple[int, int]]:
    """Registration id pairs (smaller first) who share a table in a table round of the plan."""
    rounds = {s.id for s in plan.event.sessions_of(SessionKind.TABLE_ROUND)}
    tables: dict[tuple[int, int], list[int]] = defaultdict(list)
    for a in plan.assignments:
        if a.table_id is not None and a.session_id in rounds:
            tables[a.session_id, a.table_id].append(a.registration_id)
    return {
        (min(x, y), max(x, y))
        for members in tables.values()
        for i, x in enumerate(members)
        for y in members[i + 1 :]
    }


def met_before(event: Event, people: Iterable[Registration]) -> set[tuple[int, int]]:
    """Pairs of `people` (registrations of `event`, as id pairs, smaller first) who sat
    together at an earlier event of its series (see the module docstring)."""
    earlier_ones = earlier_events(event)
    if not earlier_ones:  # most events: no series, or the first of one
        return set()
    mine: dict[str, list[int]] = defaultdict(list)
    for registration in people:
        if registration.email:
            mine[registration.email.lower()].append(registration.id)
    pairs: set[tuple[int, int]] = set()
    for earlier in earlier_ones:
        plan = published_plan(earlier, PlanKind.TABLES)
        if plan is None:
            continue
        known = {
            r.id: r.email.lower()
            for r in earlier.registrations
            if r.email and r.status != RegistrationStatus.CANCELLED and r.erased_at is None
        }
        for a, b in tablemate_pairs(plan):
            if a not in known or b not in known:
                continue
            for x in mine.get(known[a], ()):
                for y in mine.get(known[b], ()):
                    if x != y:
                        pairs.add((min(x, y), max(x, y)))
    return pairs
