"""Breakout planner: assign people to parallel breakouts by ranked preference, fairly, mixed.

Public API (plain dataclasses in and out; nothing here knows about Flask or files)::

    problem = BreakoutProblem(
        breakouts=(Breakout(id, title, slot, capacity, min_attendance=None), ...),
        people=(Person(..., preferences=("b3", "b1", ...)), ...),   # registration order
        pinned={(person_id, slot): breakout_id},
        previous=None,          # or an earlier plan {person_id: {slot: breakout_id}}: repair mode
    )
    plan = plan_breakouts(problem, BreakoutOptions(time_limit=60, seed=0, workers=2),
                          on_progress=None)
    baseline = first_come_first_served(problem)

`plan.assignments` is {person_id: {slot: breakout_id}}; `plan.status` is "optimal" (every stage
proven), "feasible" (a stage was cut short by the time limit or a cancel), "infeasible" (no plan
keeps the hard rules; `plan.message` says why) or "unknown" (none found in time).
`plan.cancelled` lists the breakouts cancelled for want of their minimum attendance, each with
the people re-assigned (those who ranked it above what they got in its slot);
`plan.metrics` and `plan.baseline` hold the same figures for the plan and first-come-first-served
(`scheduler.breakout_metrics`). Invalid input raises `scheduler.people.InputError`.
`on_progress(Progress)` is called at the start of every stage and about twice a second while
CP-SAT runs, from a helper thread (never two calls at once); returning True cancels the run,
which then returns the best complete plan found so far.

Hard rules: one breakout per person per slot, capacities, no topic (title) twice, minimum
attendance or cancellation, pinned seats. The objective is lexicographic: one CP-SAT solve per
stage, each stage's value then kept as a constraint (models in `scheduler.breakout_model`):

1. worst_off: maximise t such that everyone with a ranking gets at least min(t, potential) slots
   from it (potential: the most their ranking can fill, `scheduler.breakout_bounds`);
2. keep_baseline: keep, as far as the fairness level allows, first come first served's ranked
   assignments, fully served people and emptiest breakout fill as floors;
3. preferences: maximise rank-weighted satisfaction;
4. balance: maximise the emptiest breakout's fill (attendees / capacity), using the seats
   nobody ranked;
5. mix: maximise sectors per breakout and minimise same-organisation pairs.

Repair mode (`problem.previous` given: late registrations, cancellations, changed rooms) puts
one stage first, `moves`: keep as many earlier seats as possible, so only the people a change
forces to move do; then worst_off, preferences, balance and mix as above (keep_baseline is left
out: first come, first served would reseat everyone). `plan.moves` counts the seats moved.
Every repair stage runs on the exact model, hinted with the earlier plan; should none find a
plan in time, the earlier seats that still fit are kept and the others placed first come, first
served (`fcfs.keep_earlier`).

Stages 1-3 run on a small model with variables only for ranked choices; stages 4-5 then place
everyone else with the ranked seats kept. Should those seats leave no way to avoid a repeated
topic, every stage is solved again on the exact model. Each stage gets a weighted share of the
time left, as a CP-SAT deterministic-time budget under a wall-clock cap (twice the share, and
never past the deadline). With the seed, a fixed number of workers and interleaved
(deterministic) parallel search, the same input, seed and workers give the same plan; only a
run that the wall clock cuts short (a machine much slower than expected) can differ. A stage
that finds nothing in its share leaves the previous solution standing; the first-come-first-
served plan is the last resort.
"""

from __future__ import annotations

import time
from collections import Counter
from dataclasses import dataclass, field
from functools import partial

from ortools.sat.python import cp_model

from scheduler.breakout_bounds import potential
from scheduler.breakout_metrics import cancellations, measure
from scheduler.breakout_model import BreakoutModel, PreferenceModel
from scheduler.breakout_problem import (
    Breakout,
    BreakoutMetrics,
    BreakoutOptions,
    BreakoutPlan,
    BreakoutProblem,
    CancelledBreakout,
    Progress,
    ProgressCallback,
    validate,
)
from scheduler.fcfs import fill_in, first_come_first_served, keep_earlier
from scheduler.stages import StageWatch

__all__ = [
    "Breakout",
    "BreakoutMetrics",
    "BreakoutOptions",
    "BreakoutPlan",
    "BreakoutProblem",
    "CancelledBreakout",
    "Progress",
    "first_come_first_served",
    "plan_breakouts",
]

PREFERENCE_STAGES = ("worst_off", "keep_baseline", "preferences")
FILL_STAGES = ("balance", "mix")
STAGES = PREFERENCE_STAGES + FILL_STAGES
REPAIR_STAGES = ("moves", "worst_off", "preferences", *FILL_STAGES)
STAGE_WEIGHTS = {
    "moves": 2,
    "worst_off": 1,
    "keep_baseline": 2,
    "preferences": 2,
    "balance": 1,
    "mix": 1,
}
"""A stage's share of the time left is its weight over the weights of the stages still to run;
the floors and preference stages are where extra time buys proofs and better plans."""
DETERMINISTIC_TIME_PER_SECOND = 0.6
"""CP-SAT work units per second of a stage's share; two busy cores measured 0.3-0.9."""
OVERRUN = 2.0
"""A stage whose work budget takes longer than this many shares of wall time is cut off."""


@dataclass
class _Solution:
    """Seats {person_id: {slot: breakout_id}} (possibly only the ranked ones) and cancellations."""

    assignments: dict[str, dict[str, str]]
    cancelled: set[str] = field(default_factory=set)
    note: str = ""


def plan_breakouts(
    problem: BreakoutProblem,
    options: BreakoutOptions | None = None,
    on_progress: ProgressCallback | None = None,
) -> BreakoutPlan:
    """Solve the stages in order (module docstring) within `options.time_limit` seconds."""
    options = options or BreakoutOptions()
    stages = _Stages(options, on_progress)
    validate(problem)
    baseline = first_come_first_served(problem)
    potentials = {p.id: potential(problem, p) for p in problem.people}
    fallback = None
    if baseline.status == "feasible":
        fallback = _Solution(
            baseline.assignments,
            {c.breakout_id for c in baseline.cancelled},
            "no better plan than first come, first served was found in time",
        )
    floors = baseline.metrics if fallback else None
    if problem.previous is not None:
        stages.planned = list(REPAIR_STAGES)
        repaired = stages.solve(BreakoutModel(problem, potentials), REPAIR_STAGES)
        if repaired is None:
            kept = keep_earlier(problem)
            if _keeps_every_rule(problem, kept, set()):
                repaired = _Solution(
                    kept, set(), "earlier seats kept, the others placed first come, first served"
                )
        return _finish(problem, baseline, potentials, repaired or fallback, stages)

    preference = PreferenceModel(problem, potentials, floors)
    ranked = stages.solve(preference, PREFERENCE_STAGES)
    if ranked is None or stages.cancelled or stages.remaining() <= 0:
        stages.proven = False
        return _finish(problem, baseline, potentials, fallback, stages)
    fill = BreakoutModel(problem, potentials)
    fill.keep_ranked(ranked.assignments, ranked.cancelled)
    plan = stages.solve(fill, FILL_STAGES)
    if (plan is None and stages.infeasible) or _below_fill_floor(problem, plan, floors):
        # The small model counts the seats nobody ranked only as numbers, so the ranked seats
        # it chose may leave no way to avoid a repeated topic, or no way to fill every room as
        # well as first come, first served did (a floor it may have kept): solve every stage
        # again on the exact model.
        stages.restart()
        plan = stages.solve(BreakoutModel(problem, potentials, floors), STAGES) or plan
    elif plan is None:
        greedy = fill_in(problem, ranked.assignments, ranked.cancelled)
        if _keeps_every_rule(problem, greedy, ranked.cancelled):
            plan = _Solution(
                greedy, ranked.cancelled, "the seats nobody ranked were filled greedily"
            )
    return _finish(problem, baseline, potentials, plan or fallback, stages)


def _below_fill_floor(
    problem: BreakoutProblem, plan: _Solution | None, floors: BreakoutMetrics | None
) -> bool:
    """Whether a running breakout of `plan` is emptier than the baseline's emptiest."""
    if plan is None or floors is None:
        return False
    load = Counter(b for seats in plan.assignments.values() for b in seats.values())
    running = [b for b in problem.breakouts if b.id not in plan.cancelled]
    return any(load[b.id] / b.capacity < floors.emptiest_fill for b in running)


def _keeps_every_rule(
    problem: BreakoutProblem, assignments: dict[str, dict[str, str]], cancelled: set[str]
) -> bool:
    """Whether `fill_in` placed everyone in every slot and every running breakout meets its
    minimum (it already keeps capacities and topics)."""
    if any(len(assignments[p.id]) < len(problem.slots) for p in problem.people):
        return False
    load = Counter(b for given in assignments.values() for b in given.values())
    return all(
        load[b.id] >= (b.min_attendance or 0) for b in problem.breakouts if b.id not in cancelled
    )


class _Stages:
    """Solves stages one after another, each maximising its objective with the previous stages'
    values kept as constraints, within its share of the time left; records what happened and
    reports progress."""

    def __init__(self, options: BreakoutOptions, on_progress: ProgressCallback | None) -> None:
        self.options = options
        self.on_progress = on_progress
        self.started = time.monotonic()
        self.records: list[dict] = []
        self.planned = list(STAGES)
        self.number = 0
        self.proven = True
        self.infeasible = False
        self.cancelled = False

    def remaining(self) -> float:
        return self.started + self.options.time_limit - time.monotonic()

    def _progress(self, name: str, objective: int | None) -> Progress:
        return Progress(
            stage=name,
            stage_number=self.number,
            stage_count=len(self.planned),
            elapsed=time.monotonic() - self.started,
            time_limit=self.options.time_limit,
            objective=objective,
        )

    def restart(self) -> None:
        """Plan every stage once more, for the exact model."""
        self.planned += STAGES
        self.infeasible = False
        self.proven = True

    def solve(
        self,
        model: PreferenceModel | BreakoutModel,
        names: tuple[str, ...],
    ) -> _Solution | None:
        """The last solution found, or None when no stage found one (then `infeasible` tells
        whether CP-SAT proved there is nothing to find)."""
        solution = None
        for name in names:
            self.number += 1
            watch = StageWatch(self, partial(self._progress, name))
            watch.report()
            if self.remaining() <= 0 or self.cancelled:
                self.proven = False
                break
            objective = getattr(model, f"{name}_objective")()
            model.model.maximize(objective)
            remaining = self.remaining()
            weights = [STAGE_WEIGHTS[stage] for stage in self.planned[self.number - 1 :]]
            solver = self._solver(remaining * weights[0] / sum(weights), remaining)
            status = watch.run(solver, model.model)
            self._record(name, solver, status)
            if status == cp_model.INFEASIBLE:
                self.infeasible = True
                return None
            self.proven = self.proven and status == cp_model.OPTIMAL
            if status not in (cp_model.OPTIMAL, cp_model.FEASIBLE):
                continue  # nothing found in its share: the previous solution still stands
            solution = _read_solution(model, solver)
            model.model.add(objective >= round(solver.objective_value))
        return solution

    def _solver(self, share: float, remaining: float) -> cp_model.CpSolver:
        """CP-SAT for one stage: its share of the time as a deterministic-time budget (so a
        stage cut short stops at the same point every run), under a wall-clock cap."""
        solver = cp_model.CpSolver()
        solver.parameters.random_seed = self.options.seed
        solver.parameters.num_workers = self.options.workers
        solver.parameters.interleave_search = self.options.workers > 1
        # The LP with every at-most-one row closes these assignment models at the root.
        solver.parameters.subsolvers.append("max_lp")
        solver.parameters.linearization_level = 2
        solver.parameters.max_deterministic_time = share * DETERMINISTIC_TIME_PER_SECOND
        solver.parameters.max_time_in_seconds = min(OVERRUN * share, remaining)
        return solver

    def _record(self, name: str, solver: cp_model.CpSolver, status: int) -> None:
        found = status in (cp_model.OPTIMAL, cp_model.FEASIBLE)
        self.records.append(
            {
                "stage": name,
                "status": solver.status_name(status).lower(),
                "objective": round(solver.objective_value) if found else None,
                "bound": round(solver.best_objective_bound) if found else None,
                "seconds": round(solver.wall_time, 2),
            }
        )


def _read_solution(model: PreferenceModel | BreakoutModel, solver: cp_model.CpSolver) -> _Solution:
    assignments: dict[str, dict[str, str]] = {p.id: {} for p in model.problem.people}
    for (person_id, breakout_id), var in model.x.items():
        if solver.boolean_value(var):
            assignments[person_id][model.problem.breakout(breakout_id).slot] = breakout_id
    cancelled = {
        b for b, run in model.run.items() if not isinstance(run, int) and not solver.value(run)
    }
    return _Solution(assignments, cancelled)


def _finish(
    problem: BreakoutProblem,
    baseline: BreakoutPlan,
    potentials: dict[str, int],
    solution: _Solution | None,
    stages: _Stages,
) -> BreakoutPlan:
    records = tuple(stages.records)
    if solution is None:
        return BreakoutPlan(
            assignments={},
            status="infeasible" if stages.infeasible else "unknown",
            metrics=None,
            baseline=baseline.metrics,
            message=(
                "no plan keeps every rule: pins, capacities, minimum attendances and the rule "
                "that nobody attends a topic twice conflict"
                if stages.infeasible
                else "no plan found within the time limit"
            ),
            stages=records,
        )
    status, message = "feasible", "time limit reached before every stage was proven optimal"
    if stages.proven:
        status, message = "optimal", ""
    elif stages.cancelled:
        message = "cancelled: the best plan found so far"
    if solution.note:
        message += f"; {solution.note}"
    bound = baseline.metrics.ranked_upper_bound
    return BreakoutPlan(
        assignments=solution.assignments,
        status=status,
        metrics=measure(problem, solution.assignments, solution.cancelled, potentials, bound),
        cancelled=cancellations(problem, solution.assignments, solution.cancelled),
        baseline=baseline.metrics,
        message=message,
        stages=records,
        moves=_moves(problem, solution.assignments),
    )


def _moves(problem: BreakoutProblem, assignments: dict[str, dict[str, str]]) -> int | None:
    """Repair mode: earlier seats now in another breakout (None outside repair mode)."""
    if problem.previous is None:
        return None
    return sum(
        1
        for (person_id, slot), breakout_id in problem.earlier_seats.items()
        if assignments.get(person_id, {}).get(slot) != breakout_id
    )
