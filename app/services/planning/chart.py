"""The seating chart's checks: what a move or a swap would do, found before anything is saved.

A proposed change is tried on a copy of the plan's seating (the scheduler's shape), checked
against the hard rules the planner keeps (scheduler/rules.py, on the problem the planner would be
given now), and described: who would share a table with someone from their own organisation, who
would meet someone again, what happens to keep-apart rules and accessible tables, which choice a
breakout is. Saving stays with edits.py, so the chart and the plain forms save alike; this
module also reads a plan in bulk (load) and lets a save keep what was read (kept_in_memory), so a
600-person chart is drawn again quickly after each change.

May import: models, extensions (the session), planning.translation, planning.jobs (its error),
planning.summaries (ordinals), scheduler.
"""

from __future__ import annotations

import copy
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field

from sqlalchemy import select
from sqlalchemy.orm import selectinload

from app.extensions import db
from app.models import Event, Plan, PlanKind, Registration, SeatingRuleKind, SessionKind
from app.services.planning.jobs import JobError
from app.services.planning.summaries import ordinal
from app.services.planning.translation import (
    breakout_assignments,
    breakout_problem,
    person_id,
    registration_id,
    seating_rules,
    table_problem,
    table_rounds,
    with_names,
)
from scheduler.people import InputError
from scheduler.rules import breakout_rule_breaches, table_rule_breaches


@dataclass
class Outcome:
    """A proposed change: refused (with the rule it breaks) or allowed, with what it does."""

    refusal: str = ""  # empty when the change keeps every hard rule
    effects: list[str] = field(default_factory=list)


def load(plan: Plan) -> None:
    """Read the plan's seats and the event's people (with their organisations and breakout
    choices) in a few queries, not one per person: the chart and its checks read them all.
    They are loaded into the plan's and the event's collections, which keep them in the
    session for the request."""
    people = selectinload(Plan.event).selectinload(Event.registrations)
    db.session.scalars(
        select(Plan)
        .where(Plan.id == plan.id)
        .options(
            selectinload(Plan.assignments),
            people.selectinload(Registration.organisation),
            people.selectinload(Registration.preferences),
        )
        .execution_options(populate_existing=True)
    ).one()


@contextmanager
def kept_in_memory() -> Iterator[None]:
    """Save without expiring what was read: the chart draws the round again from it at once,
    and reading 600 people afresh would double the time a change takes. (A refused edit rolls
    back, which expires everything whatever this says.)"""
    session = db.session()
    before = session.expire_on_commit
    session.expire_on_commit = False
    try:
        yield
    finally:
        session.expire_on_commit = before


def check_move(plan: Plan, registration_id_: int, session_id: int, target_id: int) -> Outcome:
    """What seating one person at another table (or breakout) in one session would do."""
    return _check(plan, session_id, {registration_id_: target_id})


def check_swap(plan: Plan, first_id: int, second_id: int, session_id: int) -> Outcome:
    """What exchanging two people's places in one session would do."""
    places = _places(plan, session_id)
    if first_id not in places or second_id not in places:
        return Outcome(refusal="That person has no seat in that session of this plan.")
    if first_id == second_id:
        return Outcome(refusal="Choose two different people to swap.")
    return _check(plan, session_id, {first_id: places[second_id], second_id: places[first_id]})


def seat_effects(plan: Plan, session_id: int, registration_ids: list[int]) -> list[str]:
    """What the places these people have now mean (shown once a change made without
    JavaScript is saved): their places checked as if they had just been put there."""
    places = _places(plan, session_id)
    if not registration_ids or any(r not in places for r in registration_ids):
        return []
    return _check(plan, session_id, {r: places[r] for r in registration_ids}).effects


def _places(plan: Plan, session_id: int) -> dict[int, int]:
    """Registration id -> table (or breakout) id, in one session."""
    return {
        a.registration_id: a.table_id or a.breakout_id
        for a in plan.assignments
        if a.session_id == session_id
    }


def _check(plan: Plan, session_id: int, moves: dict[int, int]) -> Outcome:
    places = _places(plan, session_id)
    if any(r not in places for r in moves):
        return Outcome(refusal="That person has no seat in that session of this plan.")
    try:
        if plan.kind == PlanKind.TABLES:
            return _check_tables(plan, session_id, moves)
        return _check_breakouts(plan, session_id, moves)
    except (JobError, InputError) as error:
        return Outcome(refusal=_sentence(str(error), plan))


def _sentence(message: str, plan: Plan) -> str:
    message = with_names(message, plan.event).rstrip(".")
    return message[:1].upper() + message[1:] + "."


# ---- tables ------------------------------------------------------------------------------


def _check_tables(plan: Plan, session_id: int, moves: dict[int, int]) -> Outcome:
    event = plan.event
    round_ids = [s.id for s in event.sessions_of(SessionKind.TABLE_ROUND)]
    if session_id not in round_ids:
        return Outcome(refusal="That is not a table round of this event.")
    position = {t.id: i for i, t in enumerate(event.tables)}
    if any(target not in position for target in moves.values()):
        return Outcome(refusal="No such table.")
    r = round_ids.index(session_id)
    seating = copy.deepcopy(table_rounds(plan))
    for who, target in moves.items():
        pid = person_id(who)
        for table in seating[r]:
            if pid in table:
                table.remove(pid)
        seating[r][position[target]].append(pid)
    # Only a breach the change adds refuses it (as edits.py does): an old one is not its doing.
    problem = table_problem(event)
    known = set(table_rule_breaches(problem, table_rounds(plan), rounds=[r]))
    breaches = [b for b in table_rule_breaches(problem, seating, rounds=[r]) if b not in known]
    if breaches:
        return Outcome(refusal=_sentence(breaches[0], plan))
    people = {reg.id: reg for reg in event.registrations}
    titles = [s.title for s in event.sessions_of(SessionKind.TABLE_ROUND)]
    effects = []
    for who, target in moves.items():
        table = event.tables[position[target]]
        effects += _table_effects(people, seating, titles, r, who, f"Table {table.number}")
        if people[who].needs_accessible_table:
            effects.append(f"Table {table.number} is accessible, as {people[who].name} needs.")
    effects += _keep_apart_effects(plan, moves, people)
    return Outcome(effects=effects)


def _table_effects(
    people: dict[int, Registration],
    seating: list[list[list[str]]],
    titles: list[str],
    r: int,
    who: int,
    label: str,
) -> list[str]:
    person = people[who]
    pid = person_id(who)
    mates = next(table for table in seating[r] if pid in table)
    others = [people[registration_id(m)] for m in mates if m != pid]
    effects = []
    colleagues = [
        o.name
        for o in others
        if person.organisation_id is not None and o.organisation_id == person.organisation_id
    ]
    if colleagues:
        effects.append(
            f"{person.name} shares {label} with {_names(colleagues)}, from the same"
            f" organisation ({person.organisation.name})."
        )
    for other in others:
        oid = person_id(other.id)
        together = [
            titles[i]
            for i, tables in enumerate(seating)
            if i != r and any(pid in t and oid in t for t in tables)
        ]
        if together:
            effects.append(
                f"{person.name} meets {other.name} again (together in {_names(together)} too)."
            )
    if not effects:
        effects.append(
            f"At {label}, {person.name} meets no one from their own organisation"
            " and no one met before."
        )
    return effects


def _keep_apart_effects(plan: Plan, moves: dict[int, int], people: dict[int, Registration]):
    effects = []
    for rule in seating_rules(plan.event):
        if rule.kind != SeatingRuleKind.KEEP_APART:
            continue
        for who in moves:
            if who in (rule.first_id, rule.second_id):
                other = rule.second_id if who == rule.first_id else rule.first_id
                if other in people:
                    effects.append(f"{people[who].name} stays apart from {people[other].name}.")
    return effects


def _names(names: list[str]) -> str:
    return names[0] if len(names) == 1 else ", ".join(names[:-1]) + " and " + names[-1]


# ---- breakouts ---------------------------------------------------------------------------


def _check_breakouts(plan: Plan, session_id: int, moves: dict[int, int]) -> Outcome:
    event = plan.event
    slot = next(
        (s for s in event.sessions_of(SessionKind.BREAKOUT_SLOT) if s.id == session_id), None
    )
    if slot is None:
        return Outcome(refusal="That is not a breakout slot of this event.")
    breakouts = {b.id: b for b in slot.breakouts}
    if any(target not in breakouts for target in moves.values()):
        return Outcome(refusal="No such breakout in that slot.")
    assignments = copy.deepcopy(breakout_assignments(plan))
    for who, target in moves.items():
        assignments.setdefault(person_id(who), {})[str(session_id)] = str(target)
    problem = breakout_problem(event)
    known = set(breakout_rule_breaches(problem, breakout_assignments(plan)))
    breaches = [b for b in breakout_rule_breaches(problem, assignments) if b not in known]
    if breaches:
        return Outcome(refusal=_sentence(breaches[0], plan))
    people = {reg.id: reg for reg in event.registrations}
    effects = []
    for who, target in moves.items():
        person, breakout = people[who], breakouts[target]
        rank = next((p.rank for p in person.preferences if p.breakout_id == target), None)
        choice = f"their {ordinal(rank)} choice" if rank else "not one they chose"
        effects.append(f"{person.name} goes to “{breakout.title}”, {choice}.")
    return Outcome(effects=effects)
