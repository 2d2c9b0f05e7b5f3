"""What the organiser's plan review shows: each session's groups with their people, each
group's measures, and the conflicts (same organisation, meeting again, organisations that look
like duplicates of each other in the directory) highlighted; how many seats differ from the
published plan and from the plan this one was made from; what hand edits made worse.

May import: models, organisations.suggestions, planning.plans, planning.summaries,
scheduler.metrics.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from itertools import combinations

from app.models import (
    Assignment,
    Plan,
    PlanKind,
    Registration,
    RegistrationStatus,
    Session,
    SessionKind,
)
from app.services.organisations.suggestions import suggested_duplicates
from app.services.planning.plans import changed_seats, earlier_plan, published_plan
from app.services.planning.summaries import ordinal
from scheduler.metrics import same_label_pairs


@dataclass
class Seat:
    registration: Registration
    locked: bool
    same_org: bool = False
    repeat_with: list[str] = field(default_factory=list)
    # Tablemates from an organisation the directory suggests is the same as this person's.
    likely_same_org_as: list[str] = field(default_factory=list)
    # In a breakout: which of the person's choices it is ("second choice"), in words.
    choice: str = ""


@dataclass
class Group:
    """A table in a round, or a breakout in a slot."""

    id: int
    label: str
    capacity: int
    seats: list[Seat]
    facilitator: str = ""
    accessible: bool = False
    same_org_pairs: int = 0
    sectors: int = 0
    professions: int = 0


@dataclass
class SessionReview:
    session: Session
    groups: list[Group]

    @property
    def places(self) -> list[tuple[Registration, Group]]:
        """Everyone seated in the session with where they sit, by name (the person pickers)."""
        return sorted(
            ((s.registration, g) for g in self.groups for s in g.seats),
            key=lambda place: (place[0].name.lower(), place[0].id),
        )


@dataclass
class Drift:
    """How far registrations have moved since the plan was made."""

    cancelled: list[Registration]
    unseated: list[Registration]

    def __bool__(self) -> bool:
        return bool(self.cancelled or self.unseated)


def drift(plan: Plan) -> Drift:
    seated = {a.registration_id for a in plan.assignments}
    confirmed = {
        r.id: r for r in plan.event.registrations if r.status == RegistrationStatus.CONFIRMED
    }
    return Drift(
        cancelled=sorted(
            {a.registration for a in plan.assignments if a.registration_id not in confirmed},
            key=lambda r: r.name,
        ),
        unseated=sorted((r for i, r in confirmed.items() if i not in seated), key=lambda r: r.name),
    )


def review(plan: Plan, session_id: int | None = None) -> list[SessionReview]:
    """Every session of the plan, or only `session_id` (the chart draws one again)."""
    event = plan.event
    by_session: dict[int, list[Assignment]] = {}
    for a in plan.assignments:
        by_session.setdefault(a.session_id, []).append(a)
    if plan.kind == PlanKind.TABLES:
        sessions = event.sessions_of(SessionKind.TABLE_ROUND)
        met = _meetings(plan)
        likely = suggested_duplicates()
        return [
            _table_round(s, by_session.get(s.id, []), met, likely)
            for s in sessions
            if session_id in (None, s.id)
        ]
    slots = event.sessions_of(SessionKind.BREAKOUT_SLOT)
    return [
        _breakout_slot(s, by_session.get(s.id, [])) for s in slots if session_id in (None, s.id)
    ]


def _meetings(plan: Plan) -> Counter[tuple[int, int]]:
    tables: dict[tuple[int, int], list[int]] = {}
    for a in plan.assignments:
        tables.setdefault((a.session_id, a.table_id), []).append(a.registration_id)
    return Counter(pair for people in tables.values() for pair in combinations(sorted(people), 2))


def _table_round(
    session: Session, seats: list[Assignment], met: Counter, likely: set[frozenset[int]]
) -> SessionReview:
    groups = []
    at_table: dict[int, list[Assignment]] = {}
    for a in seats:  # one pass: the chart of a 600-person event is drawn in one request
        at_table.setdefault(a.table_id, []).append(a)
    for table in session.event.tables:
        here = sorted(at_table.get(table.id, []), key=lambda a: a.registration.name.lower())
        orgs = Counter(a.registration.organisation_id for a in here)
        group = Group(
            id=table.id,
            label=f"Table {table.number}",
            capacity=table.capacity,
            facilitator=table.facilitator.name if table.facilitator else "",
            accessible=table.accessible,
            seats=[
                Seat(
                    a.registration,
                    a.locked,
                    same_org=a.registration.organisation_id is not None
                    and orgs[a.registration.organisation_id] > 1,
                )
                for a in here
            ],
            same_org_pairs=same_label_pairs(
                [
                    [
                        str(a.registration.organisation_id)
                        for a in here
                        if a.registration.organisation_id
                    ]
                ]
            ),
            sectors=len({a.registration.sector for a in here}),
            professions=len({a.registration.profession for a in here}),
        )
        people = [seat.registration for seat in group.seats]
        for seat, person in zip(group.seats, people, strict=True):
            seat.repeat_with = [
                other.name
                for other in people
                if other is not person
                and met[(min(person.id, other.id), max(person.id, other.id))] > 1
            ]
            if likely:  # usually none: then no pair need be looked at
                seat.likely_same_org_as = [
                    other.name
                    for other in people
                    if frozenset((person.organisation_id, other.organisation_id)) in likely
                ]
        groups.append(group)
    return SessionReview(session, groups)


def _breakout_slot(session: Session, seats: list[Assignment]) -> SessionReview:
    groups = []
    for breakout in session.breakouts:
        here = sorted(
            (a for a in seats if a.breakout_id == breakout.id),
            key=lambda a: a.registration.name.lower(),
        )
        groups.append(
            Group(
                id=breakout.id,
                label=f"{breakout.title} — {breakout.room}",
                capacity=breakout.capacity,
                seats=[Seat(a.registration, a.locked, choice=_choice(a)) for a in here],
                sectors=len({a.registration.sector for a in here}),
                professions=len({a.registration.profession for a in here}),
            )
        )
    return SessionReview(session, groups)


def _choice(assignment: Assignment) -> str:
    """Which of the person's ranked choices their breakout is, in words."""
    ranked = [p.breakout_id for p in assignment.registration.preferences]
    if not ranked:
        return "chose no breakouts"
    if assignment.breakout_id not in ranked:
        return "not one they chose"
    return f"{ordinal(ranked.index(assignment.breakout_id) + 1)} choice"


@dataclass
class Comparison:
    """This plan's seats against another plan of the same kind."""

    plan: Plan
    changed: int  # seats (person, session) whose table or breakout differs
    people: int  # people with at least one changed seat


@dataclass
class SeatChanges:
    published: Comparison | None  # None: nothing published, or this is the published plan
    previous: Comparison | None  # the plan this one was made from, else the one before it


def seat_changes(plan: Plan) -> SeatChanges:
    published = published_plan(plan.event, plan.kind)
    previous = earlier_plan(plan)
    return SeatChanges(
        published=_compare(plan, published) if published and published.id != plan.id else None,
        previous=_compare(plan, previous) if previous else None,
    )


def _compare(plan: Plan, other: Plan) -> Comparison:
    changes = changed_seats(plan, other)
    return Comparison(other, len(changes), len({person for person, _ in changes}))
