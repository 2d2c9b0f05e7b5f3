"""The table planner: seat everyone at a table in every round, mixing organisations, sectors and
professions, with nobody meeting the same person twice.

Public API (plain dataclasses in and out)::

    from scheduler.tables import Table, TableProblem, SolveOptions, Weights, plan_tables

    problem = TableProblem(people, rounds=4, tables=[Table(8, accessible=True)] + [Table(8)] * 9,
                           keep_apart=[("p1", "p2")], keep_together=[("p3", "p4")],
                           pinned={("p5", 0): 2}, needs_accessible=["p6"],
                           previous=None)            # or an earlier plan: repair mode
    plan = plan_tables(problem, SolveOptions(time_limit=60, seed=0, workers=2),
                       on_progress=lambda progress: cancelled())   # True = stop now
    plan.rounds    # [round][table] -> person ids; table index = position (table number - 1)
    plan.metrics   # each measure with its bound (scheduler.metrics.table_plan_metrics)
    plan.status    # "optimal" | "feasible" | "infeasible" (plan.message names the conflict)
    plan.objective, plan.bound, plan.moves

Hard constraints: everyone sits at exactly one table per round; table sizes stay within
capacity and balanced (metrics.balanced_size_ranges: open tables differ by at most one); a
facilitator keeps one table for all rounds, at most one per table; keep-apart pairs never share
a table and keep-together groups always do; pinned seats hold; people with access needs sit at
accessible tables.

Objective (minimised; Weights, largest first):

    w_moves*moved + w_org*same_org_pairs + w_rep*repeat_pairs + w_hist*met_before_pairs
        + w_sec*(sector_bound - distinct_sectors) + w_prof*(profession_bound - distinct_professions)

where `moved` counts (person, round) seats that differ from `previous` (repair mode only) and
`met_before_pairs` the pairs of `met_before` (people who sat together at an earlier event) who
share a table in at least one round. Its lower bound, `plan.bound`, is w_org*(pigeonhole bound)
+ w_rep*(repeat bound) + w_hist*(met-before bound), where the repeat bound counts meetings
against pairs and, person by person, seats against the people each may meet: not keep-apart
partners, nor other facilitators, nor (traded against same-org pairs) colleagues
(objective_bound); when the objective reaches it the plan is proven optimal and the search stops.

Method: a greedy start (construct.py; when it repeats, a known design too if the problem is near
one: an affine plane, a projective packing, a Kirkman system, the finite-field grid ...,
scheduler/designs; for a large plain event the stride construction instead, shown at once; a CP-SAT
model of the hard constraints alone when the greedy gets stuck, which also names conflicting
constraints, feasibility.py); a plain plan from a design is first annealed over swaps of two
people in every design round at once, which keep its rounds free of repeats (designs/fit.py
relabel), then over every round while that pays; on large plans a descent that moves people
sharing a sector or profession needlessly to tables missing it (tabu.mend_mixes), then cycles
of tabu search on swaps (tabu.py), relabelling every round (from the second cycle, on plain
plans of up to TABLE_SAMPLE tables with no history; while it pays, and every LNS_RETRY-th cycle
after one where it found nothing), rotations of three people to seats among people new to
them (tabu.cycle_descent), re-seating one person from every table of a round at once,
optimally, as an assignment problem (assignment.py), CP-SAT large-neighbourhood search over a
few tables of one round at a time, hinted with the current plan (lns.py; skipped in cycles after
one where it found nothing, but for every LNS_RETRY-th), and tabu again; each cycle after the
first starts from the best plan so far, shaken.
While the plan is above its bound the search uses the whole time limit, then returns the best plan
found; `plan.stop_reason` says why it stopped. Within a cycle, work is counted in move evaluations
and deterministic solver time, and the clock is only consulted to stop, so a run that reaches its
bound before `time_limit` is reproducible for a fixed seed and worker count.
"""

from __future__ import annotations

import random
import time
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field

from scheduler.assignment import assignment_descent
from scheduler.construct import (
    TABLE_SAMPLE,
    facilitator_tables,
    greedy_plan,
    plain,
    stride_plan,
)
from scheduler.designs.fit import design_start, relabel
from scheduler.feasibility import solve_hard_constraints
from scheduler.lns import lns_search
from scheduler.metrics import (
    balanced_sizes,
    met_before_lower_bound,
    repeat_lower_bounds,
    same_label_pairs_lower_bound,
    table_plan_metrics,
)
from scheduler.seating import Seating, seating_from
from scheduler.table_problem import Instance, Table, TableProblem, Weights, compile_problem
from scheduler.tabu import cycle_descent, mend_mixes, movable, shake, tabu_search

TABU_BUDGET = 400_000  # move evaluations of a cycle's first tabu search, at effort 1
LNS_STEPS = 60  # CP-SAT neighbourhoods of a cycle, at effort 1
ROTATION_BUDGET = 2_000_000  # rotations of three people a cycle looks at, at effort 1
ASSIGNMENT_BUDGET = 200_000  # one-per-table re-seatings of a round a cycle tries, at effort 1
RELABEL_PATIENCE = 3  # relabel runs in a row that find nothing before the search moves on
LNS_RETRY = 4  # after neighbourhoods that found nothing, the cycles until they are tried again

__all__ = [
    "Progress",
    "SolveOptions",
    "Table",
    "TablePlan",
    "TableProblem",
    "Weights",
    "plan_tables",
]


@dataclass(frozen=True)
class SolveOptions:
    """time_limit in seconds (wall clock, always respected); effort scales the deterministic
    work budget (move evaluations and solver time) that a run spends before stopping."""

    time_limit: float = 60.0
    seed: int = 0
    workers: int = 2
    weights: Weights = field(default_factory=Weights)
    effort: float = 1.0


@dataclass
class Progress:
    """The best plan so far, as handed to on_progress (at most twice a second)."""

    elapsed: float
    objective: int
    bound: int
    metrics: dict
    rounds: list[list[list[str]]]


@dataclass
class TablePlan:
    """rounds[r][t] lists the ids at table t (0-based) in round r; metrics as in
    metrics.table_plan_metrics (plus "moves" in repair mode); objective and its lower bound
    (equal when status is "optimal"); moves: seats changed from `previous` (repair mode only);
    message: for "infeasible", the constraints that conflict; stop_reason: why the search
    stopped, "bound reached" (the plan is optimal), "time limit", "cancelled" (on_progress
    asked), "nothing to change" (one table, or everyone fixed in place) or "infeasible"."""

    rounds: list[list[list[str]]]
    metrics: dict
    status: str
    objective: int | None = None
    bound: int | None = None
    moves: int | None = None
    message: str = ""
    elapsed: float = 0.0
    stop_reason: str = ""


ProgressCallback = Callable[[Progress], "bool | None"]


def plan_tables(
    problem: TableProblem,
    options: SolveOptions | None = None,
    on_progress: ProgressCallback | None = None,
) -> TablePlan:
    """Seat everyone for every round (see the module docstring). Raises InputError on
    malformed input; contradictory constraints give status "infeasible" and a message."""
    options = options or SolveOptions()
    started = time.monotonic()
    # stop searching a little early: building the result must also fit in the time limit
    deadline = started + max(0.05, 0.97 * options.time_limit - 0.3)
    instance = compile_problem(problem)
    if instance.conflicts:
        return _infeasible(instance.conflicts, started)
    bound, offset = objective_bound(instance, options.weights)
    rng = random.Random(options.seed)
    reporter = _Reporter(offset, bound, started, on_progress)
    start = _start(instance, options, rng, deadline)
    if isinstance(start, list):
        return _infeasible(start, started)
    seating, design_rounds = start
    reporter.show(seating)
    stop_reason = _search(seating, options, rng, deadline, bound - offset, reporter, design_rounds)
    return _result(seating, offset, bound, started, stop_reason)


def _search(
    seating: Seating,
    options: SolveOptions,
    rng: random.Random,
    deadline: float,
    target: int,
    reporter: _Reporter,
    design_rounds: int = 0,
) -> str:
    """Search until the penalty reaches `target`, the deadline passes or the caller cancels;
    leave the best plan found in `seating` and return why it stopped.

    A plain plan started from a design is first relabelled (fit.relabel) over its first
    `design_rounds` rounds: swapping two people in all of them at once keeps the design's
    rounds free of repeats while it mixes, which the moves below, one person in one round,
    cannot; then over every round, run after run, while it pays (_relabel_while_paying).

    On large plans, first a descent on the mixes (tabu.mend_mixes: quick, and often all the search
    needs); then cycles. One cycle is tabu search, then, from the second cycle on plain plans
    of up to TABLE_SAMPLE tables without history, relabelling every round (while it pays: it
    cannot mend who meets whom, so it waits for the others), rotations of three, re-seating by
    assignment, CP-SAT neighbourhoods (while they pay), tabu again. Each later cycle starts
    from the best plan so far, shaken by a few random moves (more the longer nothing improves),
    so the time left is spent leaving the basin the last cycle ended in."""
    inst = seating.instance
    if inst.tables < 2 or not any(
        movable(seating, r, u) for r in range(inst.rounds) for u in range(len(inst.units))
    ):
        return "bound reached" if seating.penalty <= target else "nothing to change"
    relabels = plain(inst) and not any(inst.met_before) and inst.tables <= TABLE_SAMPLE
    relabel_paid = True
    if design_rounds and seating.penalty > target:
        relabel(
            seating,
            design_rounds,
            rng,
            deadline,
            target,
            options.effort,
            reporter.report,
            reporter.tick,
        )
        if relabels:
            relabel_paid = _relabel_while_paying(seating, options, rng, deadline, target, reporter)
        reporter.report()
    if inst.tables > TABLE_SAMPLE:  # smaller plans: each tabu step weighs every table
        mend_mixes(seating, rng, deadline, reporter.tick)
        reporter.report()
    budget = int(options.effort * TABU_BUDGET)
    best_penalty, best = seating.penalty, seating.snapshot()
    fruitless = cycle = 0
    lns_paid = True

    def finished() -> bool:
        return seating.penalty <= target or reporter.cancelled or time.monotonic() >= deadline

    while not finished():
        cycle += 1
        tabu_search(seating, rng, budget, deadline, target, reporter.report, reporter.tick)
        if relabels and cycle > 1 and (relabel_paid or cycle % LNS_RETRY == 0) and not finished():
            relabel_paid = _relabel_while_paying(seating, options, rng, deadline, target, reporter)
        if not finished():
            rotations = int(options.effort * ROTATION_BUDGET)
            cycle_descent(seating, rng, rotations, deadline, target, reporter.report)
        if not finished():
            assignments = int(options.effort * ASSIGNMENT_BUDGET)
            assignment_descent(seating, rng, assignments, deadline, target, reporter.report)
        if not finished() and (lns_paid or cycle % LNS_RETRY == 0):
            before = seating.penalty
            lns_search(
                seating,
                rng,
                steps=int(options.effort * LNS_STEPS),
                deadline=deadline,
                target=target,
                workers=options.workers,
                on_best=reporter.report,
                on_tick=reporter.tick,
            )
            lns_paid = seating.penalty < before
        if not finished():
            tabu_search(seating, rng, budget // 2, deadline, target, reporter.report, reporter.tick)
        if seating.penalty < best_penalty:
            best_penalty, best, fruitless = seating.penalty, seating.snapshot(), 0
        else:
            fruitless += 1
        if not finished():
            seating.restore(best)
            shake(seating, rng, moves=2 + 2 * min(fruitless, 8))
    seating.restore(best)
    if seating.penalty <= target:
        return "bound reached"
    return "cancelled" if reporter.cancelled else "time limit"


def _relabel_while_paying(
    seating: Seating,
    options: SolveOptions,
    rng: random.Random,
    deadline: float,
    target: int,
    reporter: _Reporter,
) -> bool:
    """Relabel every round (fit.relabel) run after run, until RELABEL_PATIENCE runs in a row
    find nothing; True if any lowered the penalty. Swapping two people in every round keeps who
    meets whom, so no repeat is added while the labels move, which plain problems allow. Each
    run's walk starts from the last one's best plan: on 120 people in 12 tables of 10, runs in
    a row gain professions that fresh runs from the same start do not."""
    start = seating.penalty
    fruitless = 0
    while fruitless < RELABEL_PATIENCE and seating.penalty > target and not reporter.cancelled:
        before = seating.penalty
        relabel(
            seating,
            seating.instance.rounds,
            rng,
            deadline,
            target,
            options.effort,
            reporter.report,
            reporter.tick,
        )
        if time.monotonic() >= deadline:
            break
        fruitless = fruitless + 1 if seating.penalty == before else 0
    return seating.penalty < start


def objective_bound(instance: Instance, weights: Weights) -> tuple[int, int]:
    """(lower bound on the objective, offset = objective - Seating.penalty).

    Per round: same-org pairs >= the pigeonhole bound; distinct sectors (professions) <=
    min(max_sizes sum_t min(s_t, V), sum_v min(T, m_v)), the first term maximised over the
    balanced size ranges by giving the spare people to tables still below V. Over all rounds,
    repeats >= max(counting bound, pairs inside keep-together groups times (R - 1), the
    seat-excess bound of people who can never meet some others), repeats + same-org pairs >=
    the same bound with colleagues counted among those (_repeat_bounds), and met-before
    pairs >= max(metrics.met_before_lower_bound, such pairs inside a group). The weighted
    sum of same-org pairs and repeats is least at one of the two corners of those three
    bounds."""
    rounds, tables = instance.rounds, instance.tables
    org_lb = rounds * same_label_pairs_lower_bound(Counter(instance.org).values(), tables)
    repeat_lb, together_lb = _repeat_bounds(instance)
    corners = (
        (org_lb, max(repeat_lb, together_lb - org_lb)),
        (max(org_lb, together_lb - repeat_lb), repeat_lb),
    )
    history_lb = _met_before_bound(instance)
    offset = 0
    for labels, weight in (
        (instance.sector, weights.sector),
        (instance.profession, weights.profession),
    ):
        offset += weight * rounds * _distinct_upper_bound(instance, Counter(labels).values())
    bound = min(weights.same_org * org + weights.repeats * rep for org, rep in corners)
    return bound + weights.history * history_lb, offset


def _repeat_bounds(instance: Instance) -> tuple[int, int]:
    """(lower bound on repeats, lower bound on repeats + same-org pairs): the larger of
    metrics.repeat_lower_bounds, for people who never meet keep-apart partners nor other
    facilitators, and the pairs inside keep-together groups, who meet in every round."""
    rounds = instance.rounds
    sizes = [balanced_sizes(instance.people, instance.capacity)] * rounds
    forced = sum(len(u) * (len(u) - 1) // 2 for u in instance.units) * (rounds - 1)
    repeats, together = repeat_lower_bounds(sizes, instance.org, instance.never_meet)
    return max(repeats, forced), max(together, forced)


def _met_before_bound(instance: Instance) -> int:
    met = instance.met_before
    if not any(met):
        return 0
    inside_groups = sum(1 for u in instance.units for p in u for q in u if p < q and q in met[p])
    counted = met_before_lower_bound(instance.people, min(instance.lo), (len(m) for m in met))
    return max(counted, inside_groups)


def _distinct_upper_bound(instance: Instance, label_counts) -> int:
    kinds = len(label_counts)
    base = sum(min(lo, kinds) for lo in instance.lo)
    spare = instance.people - sum(instance.lo)
    room = sum(
        min(hi, kinds) - min(lo, kinds) for lo, hi in zip(instance.lo, instance.hi, strict=True)
    )
    by_tables = base + min(spare, room)
    return min(by_tables, sum(min(instance.tables, m) for m in label_counts))


def _start(
    instance: Instance,
    options: SolveOptions,
    rng: random.Random,
    deadline: float,
) -> tuple[Seating, int] | list[str]:
    """The better of the greedy start and, when that has repeats and the problem is near a known
    design, the design's (scheduler/designs), with how many rounds relabel may work on (0 unless
    the design's start wins); the hard-constraint model when the greedy gets stuck; or the list
    of conflicting constraints. A large plain event gets the stride plan
    (no repeat, colleagues apart, in a second for 5,000 people) instead of the greedy, which
    takes seconds there: the search's first step mends its mixes (tabu.mend_mixes)."""
    weights = options.weights
    stride = stride_plan(instance, rng) if instance.tables > TABLE_SAMPLE else None
    if stride:
        return seating_from(instance, weights, stride), 0
    hosts = facilitator_tables(instance)
    seating = Seating(instance, weights)
    if hosts is None or not greedy_plan(seating, hosts, rng):
        remaining = deadline - time.monotonic()
        result = solve_hard_constraints(instance, remaining / 2, options.seed, options.workers)
        if result.unit_table is None:
            return result.conflicts
        return seating_from(instance, weights, result.unit_table), 0
    if seating.repeats:  # a tight rotation: a known design may seat it without repeats
        remaining = deadline - time.monotonic()
        own_rng = random.Random(options.seed)  # the greedy start's search stays as it was
        design = design_start(instance, weights, own_rng, remaining / 4, options.workers)
        if design is not None and design[0].penalty < seating.penalty:
            return design
    return seating, 0


class _Reporter:
    """Calls on_progress with the best plan so far, at most twice a second (and always on the
    first call), and less often on plans so big that measuring them takes a while (at most a
    tenth of the time goes to it); remembers whether the caller asked to cancel. The search
    calls `report` after each new best of its own (reported only if it beats the best reported
    so far) and `tick` often, which re-sends the last report twice a second so that a cancel
    is heard while nothing improves; `show` reports a plan the search now works on."""

    def __init__(self, offset, bound, started, on_progress) -> None:
        self.offset, self.bound = offset, bound
        self.started, self.on_progress = started, on_progress
        self.seating: Seating | None = None
        self.last = self.last_tick = float("-inf")
        self.interval = 0.5
        self.best = None
        self.latest: Progress | None = None
        self.cancelled = False

    def show(self, seating: Seating) -> bool:
        self.seating = seating
        return self.report()

    def report(self) -> bool:
        if self.best is not None and self.seating.penalty >= self.best:
            return self.cancelled
        now = time.monotonic()
        if self.on_progress is None or now - self.last < self.interval:
            return self.cancelled
        self.best = self.seating.penalty
        self.latest = Progress(
            elapsed=now - self.started,
            objective=self.seating.penalty + self.offset,
            bound=self.bound,
            metrics=plan_metrics(self.seating),
            rounds=self.seating.table_ids(),
        )
        self.last = time.monotonic()
        self.interval = max(0.5, 10 * (self.last - now))
        self.cancelled = bool(self.on_progress(self.latest))
        return self.cancelled

    def tick(self) -> bool:
        now = time.monotonic()
        if self.latest is None or now - max(self.last, self.last_tick) < 0.5:
            return self.cancelled
        self.last_tick = now
        self.latest.elapsed = now - self.started
        self.cancelled = bool(self.on_progress(self.latest))
        return self.cancelled


def plan_metrics(seating: Seating) -> dict:
    inst = seating.instance
    labelled = [
        [
            [
                (inst.ids[p], str(inst.org[p]), str(inst.sector[p]), str(inst.profession[p]))
                for p in table
            ]
            for table in tables
        ]
        for tables in seating.members
    ]
    met_before = [
        (inst.ids[p], inst.ids[q]) for p, met in enumerate(inst.met_before) for q in met if p < q
    ]
    apart = [
        (inst.ids[p], inst.ids[q])
        for p, never in enumerate(inst.never_meet)
        for q in never
        if p < q
    ]
    metrics = table_plan_metrics(labelled, inst.capacity, met_before, apart)
    if inst.previous is not None:
        metrics["moves"] = {"value": seating.moved, "bound": 0}
    return metrics


def _result(
    seating: Seating, offset: int, bound: int, started: float, stop_reason: str
) -> TablePlan:
    objective = seating.penalty + offset
    return TablePlan(
        rounds=seating.table_ids(),
        metrics=plan_metrics(seating),
        status="optimal" if objective <= bound else "feasible",
        objective=objective,
        bound=bound,
        moves=seating.moved if seating.instance.previous is not None else None,
        elapsed=time.monotonic() - started,
        stop_reason=stop_reason,
    )


def _infeasible(conflicts: list[str], started: float) -> TablePlan:
    return TablePlan(
        rounds=[],
        metrics={},
        status="infeasible",
        message="conflicting constraints: " + "; ".join(conflicts),
        elapsed=time.monotonic() - started,
        stop_reason="infeasible",
    )
