"""Planning an event: database rows to scheduler problems, solver results back to plans.

The scheduler package knows nothing of the database; this module is the only translation:
people are registration ids as strings, table index i is the event's i-th table by number,
round r is the event's r-th table-round session by start time, a breakout slot is its session id.
In a series, the pairs who sat together at its earlier events are the table problem's met_before.

A solve from a base plan (`base_plan_id`: re-solving, repairing after registrations changed) is a
repair: the base's locked seats are pinned and its other seats are the `previous` plan, so the
planner's first objective is to move as few people as it can; only a solve without a base
("start again from scratch") seats everyone afresh.

May import: models, planning.jobs (the protocol its planners follow), planning.plans,
series.history, scheduler.
"""

from __future__ import annotations

import re
import time
from collections import defaultdict
from collections.abc import Callable
from dataclasses import asdict, dataclass, replace
from typing import Any

from sqlalchemy import select

from app.extensions import db
from app.models import (
    Assignment,
    Event,
    Plan,
    PlanKind,
    PlanStatus,
    Registration,
    RegistrationStatus,
    SeatingRule,
    SeatingRuleKind,
    SessionKind,
    SolveJob,
)
from app.services.planning.jobs import JobError, Planner, Reporter
from app.services.planning.plans import changed_seats
from app.services.series.history import met_before
from scheduler import breakouts as breakout_planner
from scheduler import tables as table_planner
from scheduler.breakout_bounds import potential, ranked_upper_bound
from scheduler.breakout_metrics import measure
from scheduler.metrics import table_plan_metrics
from scheduler.people import InputError, Person

DEFAULT_TIME_LIMIT = 60
REPAIR_WEIGHT_FACTOR = 100
"""In a repair, one person moved weighs as much as this many of the worst other flaw (as the
default weights have it: 100,000 against 1,000 for two colleagues at one table)."""


def person_id(registration_id: int) -> str:
    """The scheduler's id for a registration: "r12" (so messages can be given names again)."""
    return f"r{registration_id}"


def registration_id(pid: str) -> int:
    return int(pid.removeprefix("r"))


def with_names(message: str, event: Event) -> str:
    """The scheduler's message with each person id replaced by that person's name."""
    names = {person_id(r.id): r.name for r in event.registrations}
    return re.sub(r"\br\d+\b", lambda m: names.get(m.group(0), m.group(0)), message)


def attendees(event: Event) -> list[Registration]:
    """Confirmed registrations in registration order: the people a plan seats."""
    return sorted(
        (r for r in event.registrations if r.status == RegistrationStatus.CONFIRMED),
        key=lambda r: (r.created_at, r.id),
    )


def facilitators(event: Event) -> dict[int, int]:
    """Registration id -> table index, for tables that have a facilitator."""
    return {t.facilitator_id: i for i, t in enumerate(event.tables) if t.facilitator_id}


def _person(registration: Registration, facilitator: bool = False) -> Person:
    organisation = registration.organisation
    return Person(
        id=person_id(registration.id),
        name=registration.name,
        # Without an organisation a person is their own, so they never count as a same-org pair.
        organisation=organisation.name if organisation else f"(none #{registration.id})",
        sector=registration.sector,  # the organisation's, or their own while it is unconfirmed
        profession=registration.profession,
        facilitator=facilitator,
        preferences=tuple(str(p.breakout_id) for p in registration.preferences),
    )


def seating_rules(event: Event) -> list[SeatingRule]:
    return list(db.session.scalars(select(SeatingRule).where(SeatingRule.event_id == event.id)))


# ---- tables ------------------------------------------------------------------------------


def table_problem(event: Event, base: Plan | None = None, repair: bool = False):
    """The event as a TableProblem. Locked seats of `base` are pinned; in repair mode `base`
    is also the plan whose seats should be kept (minimal moves)."""
    people = attendees(event)
    if not people:
        raise JobError("There are no confirmed attendees to seat.")
    rounds = event.sessions_of(SessionKind.TABLE_ROUND)
    if not rounds:
        raise JobError("The event has no table rounds.")
    if not event.tables:
        raise JobError("The event has no tables.")
    hosts = facilitators(event)
    confirmed = {r.id for r in people}
    pinned = {
        (person_id(host_id), r): table
        for host_id, table in hosts.items()
        if host_id in confirmed
        for r in range(len(rounds))
    }
    if base is not None:
        pinned.update(
            ((person_id(a.registration_id), rounds.index(a.session)), event.tables.index(a.table))
            for a in base.assignments
            if a.locked
            and a.registration_id in confirmed
            and a.session in rounds
            and a.table in event.tables
        )
    rules = seating_rules(event)
    return table_planner.TableProblem(
        people=[_person(r, r.id in hosts) for r in people],
        rounds=len(rounds),
        tables=[table_planner.Table(t.capacity, t.accessible, t.number) for t in event.tables],
        keep_apart=[
            (person_id(x.first_id), person_id(x.second_id))
            for x in rules
            if x.kind == SeatingRuleKind.KEEP_APART
        ],
        keep_together=[
            (person_id(x.first_id), person_id(x.second_id))
            for x in rules
            if x.kind == SeatingRuleKind.KEEP_TOGETHER
        ],
        pinned=pinned,
        needs_accessible=[person_id(r.id) for r in people if r.needs_accessible_table],
        previous=table_rounds(base, confirmed) if repair and base is not None else None,
        met_before=_met_before(event, people),
    )


def _met_before(event: Event, people: list[Registration]) -> list[tuple[str, str]]:
    """Pairs of these people who sat together at an earlier event of the event's series."""
    return [(person_id(a), person_id(b)) for a, b in sorted(met_before(event, people))]


def table_rounds(plan: Plan, keep: set[int] | None = None) -> list[list[list[str]]]:
    """A table plan as rounds of tables of person ids (the scheduler's shape)."""
    event = plan.event
    rounds = event.sessions_of(SessionKind.TABLE_ROUND)
    result = [[[] for _ in event.tables] for _ in rounds]
    table_index = {t.id: i for i, t in enumerate(event.tables)}
    round_index = {s.id: i for i, s in enumerate(rounds)}
    for a in sorted(plan.assignments, key=lambda a: a.registration_id):
        if keep is not None and a.registration_id not in keep:
            continue
        if a.session_id in round_index and a.table_id in table_index:
            result[round_index[a.session_id]][table_index[a.table_id]].append(
                person_id(a.registration_id)
            )
    return result


def breakout_assignments(plan: Plan) -> dict[str, dict[str, str]]:
    """A breakouts plan as person id -> slot -> breakout id (the scheduler's shape)."""
    result: dict[str, dict[str, str]] = defaultdict(dict)
    for a in plan.assignments:
        if a.breakout_id is not None:
            result[person_id(a.registration_id)][str(a.session_id)] = str(a.breakout_id)
    return dict(result)


@dataclass
class Prepared:
    """What a solve needs, read from the database before it starts (the solve itself holds no
    transaction open), with the ids that map its answer back to rows."""

    problem: Any
    params: dict[str, Any]
    session_ids: list[int]
    group_ids: list[int]
    locked: set[tuple[int, int]]
    base_plan_id: int | None


def _base(job: SolveJob) -> Plan | None:
    plan_id = job.params.get("base_plan_id")
    return db.session.get(Plan, plan_id) if plan_id else None


def prepare_tables(job: SolveJob) -> Prepared:
    event, base = job.event, _base(job)
    return _prepared(
        job,
        base,
        lambda: table_problem(event, base, repair=base is not None),
        session_ids=[s.id for s in event.sessions_of(SessionKind.TABLE_ROUND)],
        group_ids=[t.id for t in event.tables],
    )


def _prepared(
    job: SolveJob,
    base: Plan | None,
    make_problem: Callable[[], Any],
    session_ids: list[int],
    group_ids: list[int],
) -> Prepared:
    try:
        problem = make_problem()
    except InputError as exc:
        raise JobError(str(exc)) from None
    return Prepared(
        problem=problem,
        params=dict(job.params),
        session_ids=session_ids,
        group_ids=group_ids,
        locked=_locked_seats(base),
        base_plan_id=base.id if base else None,
    )


def solve_tables(prepared: Prepared, reporter: Reporter):
    params = prepared.params
    weights = table_planner.Weights(**params.get("weights", {}))
    if prepared.problem.previous is not None:
        # Moving people stays the first objective however the organiser weighs the others.
        largest = max(weights.same_org, weights.repeats, weights.sector, weights.profession)
        weights = replace(weights, moves=max(weights.moves, REPAIR_WEIGHT_FACTOR * largest))
    options = table_planner.SolveOptions(
        time_limit=float(params.get("time_limit", DEFAULT_TIME_LIMIT)),
        seed=int(params.get("seed", 0)),
        weights=weights,
    )

    def progress(p) -> bool:
        return reporter.update({"objective": p.objective, "bound": p.bound, "metrics": p.metrics})

    try:
        result = table_planner.plan_tables(prepared.problem, options, progress)
    except InputError as exc:
        raise JobError(str(exc)) from None
    if result.status == "infeasible":
        raise JobError(f"No seating keeps every rule: {result.message}")
    return result


def store_tables(job: SolveJob, prepared: Prepared, result) -> Plan:
    plan = Plan(
        event=job.event,
        kind=PlanKind.TABLES,
        status=PlanStatus.DRAFT,
        solver_status=result.status,
        metrics={
            **result.metrics,
            "objective": result.objective,
            "bound": result.bound,
            "moves": result.moves,
            "elapsed": round(result.elapsed, 1),
            "stop_reason": result.stop_reason,
            "base_plan_id": prepared.base_plan_id,
        },
    )
    for session_id, tables in zip(prepared.session_ids, result.rounds, strict=True):
        for table_id, ids in zip(prepared.group_ids, tables, strict=True):
            for pid in ids:
                key = (registration_id(pid), session_id)
                plan.assignments.append(
                    Assignment(
                        registration_id=key[0],
                        session_id=session_id,
                        table_id=table_id,
                        locked=key in prepared.locked,
                    )
                )
    db.session.add(plan)
    return plan


def _locked_seats(plan: Plan | None) -> set[tuple[int, int]]:
    if plan is None:
        return set()
    return {(a.registration_id, a.session_id) for a in plan.assignments if a.locked}


def table_metrics(plan: Plan) -> dict[str, Any]:
    """The plan's DESIGN.md measures, each beside its bound, recomputed from its seats."""
    people = {r.id: r for r in plan.event.registrations}
    rounds = [
        [[_labels(people[registration_id(pid)]) for pid in table] for table in tables]
        for tables in table_rounds(plan)
    ]
    seated = {people[a.registration_id] for a in plan.assignments}
    capacities = [t.capacity for t in plan.event.tables]
    return table_plan_metrics(
        rounds, capacities, _met_before(plan.event, list(seated)), _never_together(plan.event)
    )


def _never_together(event: Event) -> list[tuple[str, str]]:
    """Pairs who may never share a table: keep-apart rules, and any two facilitators."""
    hosts = sorted(facilitators(event))
    pairs = [(person_id(a), person_id(b)) for i, a in enumerate(hosts) for b in hosts[i + 1 :]]
    pairs += [
        (person_id(rule.first_id), person_id(rule.second_id))
        for rule in seating_rules(event)
        if rule.kind == SeatingRuleKind.KEEP_APART
    ]
    return pairs


def _labels(registration: Registration) -> tuple[str, str, str, str]:
    person = _person(registration)
    return person.id, person.organisation, person.sector, person.profession


SOLVED_MEASURES = ("same_org_pairs", "repeat_pairs", "sector_mix", "profession_mix", "plan")
"""The measures kept as `as_solved` when a plan is first edited, to show what edits changed."""


def refresh_metrics(plan: Plan, because: str = "edited") -> None:
    """After a hand edit ("edited") or a change to the directory of organisations
    ("directory_changed"): keep the solver's figures, replace the measures (and the seats
    moved from the plan it was made from), and say why, so no page calls the plan optimal on
    what it was solved on. The measures as the planner left them stay in `as_solved`."""
    metrics = dict(plan.metrics)
    if because == "edited" and "as_solved" not in metrics:
        metrics["as_solved"] = {k: metrics[k] for k in SOLVED_MEASURES if k in metrics}
    base_id = metrics.get("base_plan_id")
    base = db.session.get(Plan, base_id) if base_id else None
    if base is not None:
        metrics["moves"] = len(changed_seats(plan, base))
    if plan.kind == PlanKind.TABLES:
        metrics.update(table_metrics(plan))
    else:
        metrics["plan"] = breakout_metrics(plan)
    metrics[because] = True
    plan.metrics = metrics


def breakout_metrics(plan: Plan) -> dict[str, Any]:
    """The breakout plan's figures (scheduler.breakout_metrics) recomputed from its seats."""
    try:
        problem = breakout_problem(plan.event)
    except JobError:
        return plan.metrics.get("plan", {})
    potentials = {p.id: potential(problem, p) for p in problem.people}
    cancelled = {c["breakout_id"] for c in plan.metrics.get("cancelled", [])}
    figures = measure(
        problem,
        breakout_assignments(plan),
        cancelled,
        potentials,
        ranked_upper_bound(problem, potentials),
    )
    return asdict(figures)


# ---- breakouts ---------------------------------------------------------------------------


def breakout_problem(event: Event, base: Plan | None = None, repair: bool = False):
    """The event as a BreakoutProblem. Locked seats of `base` are pinned; in repair mode `base`
    is also the plan whose seats should be kept (fewest moves first)."""
    slots = [s for s in event.sessions_of(SessionKind.BREAKOUT_SLOT) if s.breakouts]
    if not slots:
        raise JobError("The event has no breakout slots with breakouts.")
    people = attendees(event)
    if not people:
        raise JobError("There are no confirmed attendees to place.")
    confirmed = {r.id for r in people}
    breakout_ids = {b.id for s in slots for b in s.breakouts}
    kept = (
        []
        if base is None
        else [
            a
            for a in base.assignments
            if a.breakout_id in breakout_ids and a.registration_id in confirmed
        ]
    )
    pinned = {
        (person_id(a.registration_id), str(a.session_id)): str(a.breakout_id)
        for a in kept
        if a.locked
    }
    previous: dict[str, dict[str, str]] = defaultdict(dict)
    for a in kept:
        previous[person_id(a.registration_id)][str(a.session_id)] = str(a.breakout_id)
    return breakout_planner.BreakoutProblem(
        breakouts=tuple(
            breakout_planner.Breakout(
                id=str(b.id),
                title=b.title,
                slot=str(s.id),
                capacity=b.capacity,
                min_attendance=b.min_attendance,
            )
            for s in slots
            for b in s.breakouts
        ),
        people=tuple(_person(r) for r in people),
        pinned=pinned,
        previous=dict(previous) if repair and base is not None else None,
    )


def prepare_breakouts(job: SolveJob) -> Prepared:
    event, base = job.event, _base(job)
    slots = event.sessions_of(SessionKind.BREAKOUT_SLOT)
    return _prepared(
        job,
        base,
        lambda: breakout_problem(event, base, repair=base is not None),
        session_ids=[s.id for s in slots],
        group_ids=[b.id for s in slots for b in s.breakouts],
    )


def solve_breakouts(prepared: Prepared, reporter: Reporter):
    params = prepared.params
    options = breakout_planner.BreakoutOptions(
        time_limit=float(params.get("time_limit", DEFAULT_TIME_LIMIT)),
        seed=int(params.get("seed", 0)),
    )

    def progress(p) -> bool:
        return reporter.update(
            {
                "stage": p.stage,
                "stage_number": p.stage_number,
                "stage_count": p.stage_count,
                "objective": p.objective,
            }
        )

    started = time.monotonic()
    try:
        result = breakout_planner.plan_breakouts(prepared.problem, options, progress)
    except InputError as exc:
        raise JobError(str(exc)) from None
    if result.status in ("infeasible", "unknown"):
        raise JobError(result.message or "No breakout plan was found in the time allowed.")
    # The plan keeps the time it took, as a table plan does: the job page shows it once done.
    return result, round(time.monotonic() - started, 1)


def store_breakouts(job: SolveJob, prepared: Prepared, solved) -> Plan:
    result, elapsed = solved
    plan = Plan(
        event=job.event,
        kind=PlanKind.BREAKOUTS,
        status=PlanStatus.DRAFT,
        solver_status=result.status,
        metrics={
            "plan": asdict(result.metrics),
            "first_come_first_served": asdict(result.baseline) if result.baseline else None,
            "cancelled": [asdict(c) for c in result.cancelled],
            "elapsed": elapsed,
            "moves": result.moves,
            "base_plan_id": prepared.base_plan_id,
        },
    )
    for pid, slots in result.assignments.items():
        for slot, breakout_id in slots.items():
            key = (registration_id(pid), int(slot))
            plan.assignments.append(
                Assignment(
                    registration_id=key[0],
                    session_id=key[1],
                    breakout_id=int(breakout_id),
                    locked=key in prepared.locked,
                )
            )
    db.session.add(plan)
    return plan


# What a solve job of each kind does; given to the job runner at start-up (app/__init__.py).
PLANNERS = {
    PlanKind.TABLES: Planner(prepare_tables, solve_tables, store_tables, with_names),
    PlanKind.BREAKOUTS: Planner(prepare_breakouts, solve_breakouts, store_breakouts, with_names),
}
