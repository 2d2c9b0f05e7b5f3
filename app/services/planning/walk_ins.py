"""Walk-ins: someone registered by an organiser at the desk on the day, checked in, and seated
in the published plans with the fewest moves: nobody else moves.

In one transaction under the event's lock (registration/capacity.py's contract): the details
are checked as an organiser's, the seat is decided by capacity.py (beyond capacity only when the
organiser has said so: `over_capacity`), the person is checked in, placed in each published plan
and sent the one confirmation every registrant gets. A refusal writes nothing.

Placing one person into a published plan (the full re-solve of drafts is the planner's):

- tables, each round: a table with a free seat where the hard rules the planner keeps still hold
  (scheduler/rules.py: balanced sizes, accessible tables, keep-apart and keep-together); among
  those, the fewest people from their own organisation and then the fewest people they would
  meet again in another round (the rounds are chosen together), then the emptiest table. If the
  plan's tables were unbalanced by hand already, any table with a free seat that keeps the other
  rules will do;
- breakouts, each slot: their best choice with room, never a topic they already attend; when no
  choice has room, the breakout with the most room;
- where nothing has room, they are left out of that round or slot, and the result says where.

May import: models, planning.{jobs, plans, translation}, registration.{capacity, details, lookup},
messaging.outbox, tokens, scheduler.
"""

from __future__ import annotations

import itertools
from collections import Counter
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import selectinload
from sqlalchemy.orm.attributes import set_committed_value

from app.extensions import db
from app.models import (
    Assignment,
    Breakout,
    Event,
    MailKind,
    PlanKind,
    Registration,
    RegistrationStatus,
    SessionKind,
)
from app.models.types import utcnow
from app.services.messaging import outbox
from app.services.planning.jobs import JobError
from app.services.planning.plans import published_plan
from app.services.planning.translation import (
    person_id,
    table_metrics,
    table_problem,
    table_rounds,
)
from app.services.registration import capacity
from app.services.registration.details import apply_details, check_details
from app.services.registration.lookup import by_email
from app.services.tokens import new_token
from scheduler.metrics import balanced_size_ranges
from scheduler.people import InputError
from scheduler.rules import table_rule_breaches

# How many ways of choosing a table in every round are compared (the rounds are chosen together):
# each round's shortlist is its best tables by organisation and size, as many as keep the
# combinations within this (64 a round for two rounds, 8 for four), a few milliseconds.
COMBINATIONS = 4096


class EventFull(Exception):
    """No seat is free; the organiser may confirm the walk-in beyond capacity."""

    def __init__(self, taken: int, of: int) -> None:
        super().__init__(f"The event is full: {taken} of {of} places are taken.")
        self.taken, self.of = taken, of


class AlreadyRegistered(Exception):
    """This email is registered for the event already: `registration` is theirs."""

    def __init__(self, registration: Registration) -> None:
        super().__init__(f"{registration.email} is already registered, as {registration.name}.")
        self.registration = registration


@dataclass
class WalkIn:
    """A walk-in once registered: where they were placed, and where there was no room."""

    registration: Registration
    placed: list[str] = field(default_factory=list)  # "Round 1: Table 4", "Morning: Housing"
    unplaced: list[str] = field(default_factory=list)  # "Round 2: no table has room"
    over_capacity: bool = False


def register(event: Event, raw: Mapping[str, Any], *, over_capacity: bool = False) -> WalkIn:
    """Register, check in and seat a walk-in; committed before returning.

    Raises RegistrationInvalid (details), AlreadyRegistered, or EventFull when no seat is free
    and `over_capacity` is false (then nothing is written).
    """
    details = check_details(event, raw, by_organiser=True)
    with capacity.locked_event(event.id) as locked:
        existing = by_email(locked.id, details.email)
        if existing is not None:
            raise AlreadyRegistered(existing)
        registration = Registration(event_id=locked.id, token=new_token())
        apply_details(registration, details)
        capacity.admit(locked, registration)
        _reload_registrations(locked)  # the planner's view of the event must include them
        if registration.status != RegistrationStatus.CONFIRMED:
            taken = capacity.seats_taken(locked)
            if not over_capacity:
                raise EventFull(taken, locked.capacity)
            capacity.promote(locked, registration)
        registration.checked_in_at = utcnow()
        walk_in = WalkIn(registration, over_capacity=capacity.seats_taken(locked) > locked.capacity)
        _seat_at_tables(locked, registration, walk_in)
        _place_in_breakouts(locked, registration, walk_in)
        outbox.queue(MailKind.CONFIRMATION, registration)
    return walk_in


def _reload_registrations(event: Event) -> None:
    """Everyone registered, the walk-in included, with their organisations and choices in two
    more queries (not two per person as the planner's problem is built)."""
    db.session.flush()
    everyone = db.session.scalars(
        select(Registration)
        .where(Registration.event_id == event.id)
        .options(selectinload(Registration.organisation), selectinload(Registration.preferences))
        .execution_options(populate_existing=True)  # all flushed: nothing unsaved is lost
    ).all()
    set_committed_value(event, "registrations", everyone)


# ---- tables ------------------------------------------------------------------------------


def _seat_at_tables(event: Event, registration: Registration, walk_in: WalkIn) -> None:
    plan = published_plan(event, PlanKind.TABLES)
    if plan is None:
        return
    rounds = event.sessions_of(SessionKind.TABLE_ROUND)
    db.session.flush()
    try:
        problem = table_problem(event)
    except (InputError, JobError):  # e.g. more people than the tables seat
        problem = None
    seating = table_rounds(plan)
    pid = person_id(registration.id)
    options = [
        _table_options(problem, seating, r, pid) if problem is not None else []
        for r in range(len(rounds))
    ]
    # The rounds with room are chosen together (people met twice count across rounds).
    with_room = {r: tables for r, tables in enumerate(options) if tables}
    chosen = _best_tables(problem, seating, with_room, pid) if with_room else {}
    for r, session in enumerate(rounds):
        if r not in chosen:
            walk_in.unplaced.append(f"{session.title}: no table has room")
            continue
        t = chosen[r]
        table = event.tables[t]
        plan.assignments.append(Assignment(registration=registration, session=session, table=table))
        seating[r][t].append(pid)
        walk_in.placed.append(f"{session.title}: Table {table.number}")
    db.session.flush()
    plan.metrics = {**plan.metrics, **table_metrics(plan)}


def _table_options(problem, seating, r: int, pid: str) -> list[int]:
    """Tables of round r where the walk-in may sit: no rule broken that was kept before; if the
    round was unbalanced already, any table with room that breaks no rule but balance."""
    sizes = [len(table) for table in seating[r]]
    capacities = [t.capacity for t in problem.tables]
    room = [t for t, size in enumerate(sizes) if size < capacities[t]]
    if not room:
        return []
    # Only a table below its balanced size for one more person keeps the round balanced: the
    # full check (a few milliseconds a table) runs on those alone.
    ranges = balanced_size_ranges(sum(sizes) + 1, capacities)
    before = set(table_rule_breaches(problem, seating, rounds=[r]))

    def new_breaches(t: int) -> set[str]:
        trial = list(seating)
        trial[r] = [list(people) for people in seating[r]]
        trial[r][t].append(pid)
        return set(table_rule_breaches(problem, trial, rounds=[r])) - before

    strict = [t for t in room if sizes[t] < ranges[t][1] and not new_breaches(t)]
    if strict:
        return strict
    return [t for t in room if all("balanced" in sentence for sentence in new_breaches(t))]


def _best_tables(problem, seating, options: dict[int, list[int]], pid: str) -> dict[int, int]:
    """A table for each round in `options` (round -> tables allowed): fewest of their own
    organisation, then fewest people met twice, then the emptiest tables."""
    organisation = {p.id: p.organisation for p in problem.people}
    own = organisation[pid]

    def colleagues(r: int, t: int) -> int:
        return sum(organisation.get(other) == own for other in seating[r][t])

    rounds = list(options)
    per_round = max(2, int(COMBINATIONS ** (1 / len(rounds))))
    shortlists = [
        sorted(options[r], key=lambda t, r=r: (colleagues(r, t), len(seating[r][t]), t))[:per_round]
        for r in rounds
    ]

    def cost(choice: tuple[int, ...]) -> tuple[int, int, int]:
        pairs = list(zip(rounds, choice, strict=True))
        met = Counter(other for r, t in pairs for other in seating[r][t])
        return (
            sum(colleagues(r, t) for r, t in pairs),
            sum(n - 1 for n in met.values()),
            sum(len(seating[r][t]) for r, t in pairs),
        )

    return dict(zip(rounds, min(itertools.product(*shortlists), key=cost), strict=True))


# ---- breakouts ---------------------------------------------------------------------------


def _place_in_breakouts(event: Event, registration: Registration, walk_in: WalkIn) -> None:
    plan = published_plan(event, PlanKind.BREAKOUTS)
    if plan is None:
        return
    load = Counter(
        dict(
            db.session.execute(
                select(Assignment.breakout_id, func.count())
                .where(Assignment.plan_id == plan.id, Assignment.breakout_id.is_not(None))
                .group_by(Assignment.breakout_id)
            ).all()
        )
    )
    ranked = [p.breakout for p in registration.preferences]
    attending: set[str] = set()
    for slot in event.sessions_of(SessionKind.BREAKOUT_SLOT):
        open_ = [b for b in slot.breakouts if load[b.id] < b.capacity and b.title not in attending]
        if not open_:
            if slot.breakouts:
                walk_in.unplaced.append(f"{slot.title}: no breakout has room")
            continue
        choice = _best_breakout(open_, ranked, load)
        db.session.add(
            Assignment(plan_id=plan.id, registration=registration, session=slot, breakout=choice)
        )
        load[choice.id] += 1
        attending.add(choice.title)
        how = "" if choice in ranked else " (none of their choices had room)"
        walk_in.placed.append(f"{slot.title}: {choice.title}, {choice.room}{how}")
    db.session.flush()


def _best_breakout(open_: list[Breakout], ranked: list[Breakout], load: Counter) -> Breakout:
    for breakout in ranked:
        if breakout in open_:
            return breakout
    return max(open_, key=lambda b: (b.capacity - load[b.id], -b.id))
