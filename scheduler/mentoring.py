"""Mentoring and secondment matching: pair mentees with mentors across organisations and sectors.

Public API (plain dataclasses in and out; nothing here knows about Flask or files)::

    from scheduler.mentoring import (Mentee, Mentor, MentoringOptions, MentoringProblem,
                                     match_mentoring)

    problem = MentoringProblem(mentors=(Mentor(id, name, organisation, sector, profession,
                                               capacity, offers=("housing",),
                                               preferences=("e2", "e1"),
                                               unacceptable=frozenset({"e9"})), ...),
                               mentees=(Mentee(..., wants=(...), preferences=(...)), ...),
                               allow_same_sector=False)
    result = match_mentoring(problem, MentoringOptions(mode="most-matched", time_limit=30),
                             on_progress=lambda progress: cancelled())   # True = stop now
    result.pairs       # [(mentor_id, mentee_id), ...]
    result.unmatched   # mentee ids without a mentor
    result.metrics     # MentoringMetrics: each figure beside its bound
    result.status      # "optimal" (every stage proven) | "feasible" (result.message says why)

Hard rules: a mentee has at most one mentor, a mentor at most `capacity` mentees, and only
acceptable pairs form (`scheduler.mentoring_pairs`: different organisations, different sectors
unless allowed, nobody marked `!id` by the other; that module also defines "prefers", rank, fit
and blocking pairs). Invalid input raises `scheduler.people.InputError`.

most-matched (default), lexicographic, each stage's value kept while the next is optimised:
  1. matched: the most mentees matched;
  2. worst_off: then the lowest worst rank a matched mentee gives her mentor;
  3. fit: then the most topic overlap and the best ranks.
Fairness comes before fit because the other order is unfair in practice: on the benchmark's
2,000 mentees, the fittest maximum matching gave one mentee her 222nd-best mentor when everyone
could have had one of their best (rank 1), for 0.5% more fit.
This mode is a bipartite b-matching, so flows solve it exactly, and every stage is proven:
stage 1 is a maximum flow over the acceptable pairs; stage 2 the smallest rank threshold t for
which the pairs of rank <= t alone still match as many (a binary search of maximum flows);
stage 3 OR-Tools' maximum flow of minimum cost (cost -fit per pair) over those pairs. Beside
the fit stands the same flow over all acceptable pairs, a bound that ignores fairness. A CP-SAT
model of the stages was tried first: on the benchmark it needed 10 s for stage 1 and found no
solution to the next stage in 10 s more, where the flows take about 3 s in all.

stable: no blocking pair; then the most matched, the best fit and the best worst-off among
stable matchings. With ties in the preferences (topic overlap makes many), stable matchings
differ in size and finding the largest is NP-hard (Manlove et al. 2002), so deferred acceptance
alone is not enough: a CP-SAT model with one clause per acceptable pair (the mentee gets
someone at least as good, or the mentor is full with mentees at least as good; Kwanashie and
Manlove's weak-stability constraint on cumulative literals) is solved in the same three stages
(`scheduler.stages`), started from deferred acceptance. Above STABLE_MODEL_PAIRS acceptable
pairs that model is too big for the time budget, and the deferred-acceptance matching is
returned as it is (stable by construction; its matched count is proven when it meets the
max-flow bound). In a stable matching every acceptable pair has its mentee matched or its mentor
full, so on well-connected instances deferred acceptance already meets that bound. The fit and
worst-off bounds hold for matchings of `matched_bound` mentees, so in stable mode they are a
yardstick, not a bound.

Either mode reports the other mode's matched count and blocking pairs (`metrics.other_mode`),
so organisers see the trade-off.
"""

from __future__ import annotations

import time
from collections import Counter
from dataclasses import dataclass, field

import numpy as np
from ortools.sat.python import cp_model

from scheduler.mentoring_pairs import (
    Mentee,
    Mentor,
    MentoringProblem,
    PairTable,
    best_fit_matching,
    blocking_pairs,
    deferred_acceptance,
    matched_bound,
    worst_off_rank_bound,
)
from scheduler.people import InputError
from scheduler.stages import Progress, ProgressCallback, StagedSolve, StageRun

__all__ = [
    "MODES",
    "Mentee",
    "Mentor",
    "MentoringMetrics",
    "MentoringOptions",
    "MentoringProblem",
    "MentoringResult",
    "OtherMode",
    "Progress",
    "match_mentoring",
]

MODES = ("most-matched", "stable")
STAGES = ("matched", "worst_off", "fit")
STABLE_MODEL_PAIRS = 60_000
"""Up to this many acceptable pairs, stable mode solves the exact stability model."""
BLOCKING_EXAMPLES = 20


@dataclass(frozen=True)
class MentoringOptions:
    """`mode`: "most-matched" or "stable"; `time_limit` in seconds for the whole run; `seed`
    and `workers` (CP-SAT threads, stable mode) fix the search."""

    mode: str = "most-matched"
    time_limit: float = 30.0
    seed: int = 0
    workers: int = 2


@dataclass(frozen=True)
class OtherMode:
    """The figures the other mode gives on the same people."""

    mode: str
    matched: int
    blocking_pairs: int


@dataclass(frozen=True)
class MentoringMetrics:
    """Each figure beside its bound (module docstring). `first_choices`: mentees matched to a
    mentor of rank 1 (one of their best: ties share a rank); `rank_counts`: {mentee's rank of
    her mentor: mentees}; `fit`: the points of the module docstring of
    `scheduler.mentoring_pairs`, `topic_overlap` the shared topics alone; `blocking_examples`:
    up to 20 blocking pairs as (mentor_id, mentee_id); `stages`: one record per stage (stage,
    status, objective, bound, seconds), solved by flows or CP-SAT."""

    mentees: int
    mentors: int
    places: int
    acceptable_pairs: int
    matched: int
    matched_bound: int
    topic_overlap: int
    fit: int
    fit_bound: int
    first_choices: int
    rank_counts: dict[int, int]
    worst_off_rank: int
    worst_off_rank_bound: int
    blocking_pairs: int
    blocking_examples: tuple[tuple[str, str], ...]
    other_mode: OtherMode
    stages: tuple[dict, ...] = field(default=())


@dataclass(frozen=True)
class MentoringResult:
    pairs: list[tuple[str, str]]
    unmatched: list[str]
    metrics: MentoringMetrics
    status: str
    message: str = ""


def match_mentoring(
    problem: MentoringProblem,
    options: MentoringOptions | None = None,
    on_progress: ProgressCallback | None = None,
) -> MentoringResult:
    """Match within `options.time_limit` seconds (module docstring)."""
    options = options or MentoringOptions()
    if options.mode not in MODES:
        raise InputError(f"mode must be one of {', '.join(MODES)}, not {options.mode!r}")
    if options.time_limit <= 0:
        raise InputError(f"time limit must be positive, not {options.time_limit}")
    clock = _Clock(options.time_limit, on_progress)
    pairs = problem.pairs
    clock.stage("matched", 1)
    bound = matched_bound(pairs)
    best_fit = best_fit_matching(pairs)
    bounds = _Bounds(bound, int(pairs.fit[best_fit].sum()), worst_off_rank_bound(pairs, bound))
    stable_start = deferred_acceptance(pairs)
    if options.mode == "most-matched":
        chosen, runs = _most_matched(pairs, bounds, clock)
        other = OtherMode("stable", len(stable_start), len(blocking_pairs(pairs, stable_start)))
        complete = True
    else:
        chosen, runs, complete = _stable(pairs, stable_start, bounds.matched, options, clock)
        other = OtherMode("most-matched", len(best_fit), len(blocking_pairs(pairs, best_fit)))
    metrics = _measure(problem, pairs, chosen, bounds, other, runs)
    if clock.cancelled:
        status, message = "feasible", "cancelled: the best matching found so far"
    elif not complete:
        status = "feasible"
        message = (
            "a stable matching by deferred acceptance: too many acceptable pairs to search "
            "among stable matchings for a larger or better one"
        )
    elif all(run.status == "optimal" for run in runs):
        status, message = "optimal", ""
    else:
        status, message = "feasible", "time limit reached before every stage was proven optimal"
    mentor_ids = [m.id for m in problem.mentors]
    mentee_ids = [e.id for e in problem.mentees]
    matched_mentees = {int(pairs.mentee[i]) for i in chosen}
    return MentoringResult(
        pairs=[(mentor_ids[pairs.mentor[i]], mentee_ids[pairs.mentee[i]]) for i in chosen],
        unmatched=[e for j, e in enumerate(mentee_ids) if j not in matched_mentees],
        metrics=metrics,
        status=status,
        message=message,
    )


@dataclass(frozen=True)
class _Bounds:
    matched: int
    fit: int
    worst_off_rank: int


class _Clock:
    """The run's deadline, progress reports between flow solves, and cancelling."""

    def __init__(self, time_limit: float, on_progress: ProgressCallback | None) -> None:
        self.time_limit = time_limit
        self.on_progress = on_progress
        self.started = time.monotonic()
        self.cancelled = False

    def remaining(self) -> float:
        return self.started + self.time_limit - time.monotonic()

    def stage(self, name: str, number: int) -> None:
        """Report the start of a stage (flows take a second or two: they are not stopped)."""
        if self.on_progress is not None and not self.cancelled:
            progress = Progress(
                stage=name,
                stage_number=number,
                stage_count=len(STAGES),
                elapsed=time.monotonic() - self.started,
                time_limit=self.time_limit,
                objective=None,
            )
            self.cancelled = bool(self.on_progress(progress))


def _most_matched(
    pairs: PairTable, bounds: _Bounds, clock: _Clock
) -> tuple[np.ndarray, list[StageRun]]:
    """Stages 1 and 2 are the bounds themselves; stage 3 the minimum-cost flow within them."""
    seconds = round(time.monotonic() - clock.started, 2)
    runs = [
        StageRun("matched", "optimal", bounds.matched, bounds.matched, seconds),
        StageRun("worst_off", "optimal", bounds.worst_off_rank, bounds.worst_off_rank, 0.0),
    ]
    clock.stage("fit", 3)
    started = time.monotonic()
    chosen = best_fit_matching(pairs, pairs.rank <= bounds.worst_off_rank)
    fit = int(pairs.fit[chosen].sum())
    runs.append(StageRun("fit", "optimal", fit, fit, round(time.monotonic() - started, 2)))
    return chosen, runs


def _stable(
    pairs: PairTable, start: np.ndarray, bound: int, options: MentoringOptions, clock: _Clock
) -> tuple[np.ndarray, list[StageRun], bool]:
    """The CP-SAT stability model in three stages, started from deferred acceptance (stage 1
    is done when that meets the max-flow bound), or deferred acceptance alone when there are
    too many pairs; and whether the model covered every acceptable pair."""
    if len(pairs) > STABLE_MODEL_PAIRS:
        return start, [], False
    model = _StableModel(pairs)
    values = model.start_from(start)
    staged = StagedSolve(
        model.model,
        STAGES,
        clock.remaining(),
        seed=options.seed,
        workers=options.workers,
        on_progress=clock.on_progress,
        # Presolving 22,000 pairs took more than 15 s; without it the start is taken at once
        # and the worst-off rank fell from 32 to 6 in 5 s.
        presolve=False,
    )
    if len(start) == bound:
        staged.accept("matched", sum(model.x), bound, values)
    chosen = model.solve_stages(staged)
    clock.cancelled = staged.cancelled
    return (start if chosen is None else chosen), staged.runs, True


class _StableModel:
    """x[pair] for every acceptable pair; at most one mentor per mentee, capacities, and no
    blocking pair: for every pair (mentor m, mentee e), e gets a mentor she likes at least as
    well as m, or m is full with mentees he likes at least as well as e. One literal per
    (mentee, preference level) and per (mentor, level), one clause per pair."""

    def __init__(self, pairs: PairTable) -> None:
        self.pairs = pairs
        self.model = cp = cp_model.CpModel()
        self.x = [cp.new_bool_var(f"x{i}") for i in range(len(pairs))]
        mentee_pairs: dict[int, list[int]] = {}
        mentor_pairs: dict[int, list[int]] = {}
        for i in range(len(pairs)):
            mentee_pairs.setdefault(int(pairs.mentee[i]), []).append(i)
            mentor_pairs.setdefault(int(pairs.mentor[i]), []).append(i)
        self.mentee_pairs, self.mentor_pairs = mentee_pairs, mentor_pairs
        self.gets: dict[tuple[int, int], cp_model.IntVar] = {}
        gets = self.gets
        for e, members in mentee_pairs.items():
            cp.add_at_most_one(self.x[i] for i in members)
            for key in {int(pairs.mentee_key[i]) for i in members}:
                gets[e, key] = literal = cp.new_bool_var(f"gets{e}_{key}")
                as_good = [self.x[i] for i in members if pairs.mentee_key[i] <= key]
                cp.add(sum(as_good) >= 1).only_enforce_if(literal)
        self.full: dict[tuple[int, int], cp_model.IntVar] = {}
        full = self.full
        for m, members in mentor_pairs.items():
            capacity = int(pairs.capacity[m])
            cp.add(sum(self.x[i] for i in members) <= capacity)
            for key in {int(pairs.mentor_key[i]) for i in members}:
                full[m, key] = literal = cp.new_bool_var(f"full{m}_{key}")
                as_good = [self.x[i] for i in members if pairs.mentor_key[i] <= key]
                cp.add(sum(as_good) >= capacity).only_enforce_if(literal)
        for i in range(len(pairs)):
            cp.add_bool_or(
                [
                    gets[int(pairs.mentee[i]), int(pairs.mentee_key[i])],
                    full[int(pairs.mentor[i]), int(pairs.mentor_key[i])],
                ]
            )

    def start_from(self, chosen: np.ndarray) -> dict[int, int]:
        """Hint every variable from a stable matching (a complete hint is tried as a solution
        at once; an incomplete one was not even found in 10 s on 22,000 pairs); the values
        {variable index: value}."""
        pairs = self.pairs
        picked = set(chosen.tolist())
        value = {var.index: int(i in picked) for i, var in enumerate(self.x)}
        got = {int(pairs.mentee[i]): int(pairs.mentee_key[i]) for i in picked}
        for (e, key), literal in self.gets.items():
            value[literal.index] = int(e in got and got[e] <= key)
        for (m, key), literal in self.full.items():
            as_good = sum(
                1 for i in self.mentor_pairs[m] if i in picked and pairs.mentor_key[i] <= key
            )
            value[literal.index] = int(as_good >= pairs.capacity[m])
        for var in [*self.x, *self.gets.values(), *self.full.values()]:
            self.model.add_hint(var, value[var.index])
        return value

    def solve_stages(self, staged: StagedSolve) -> np.ndarray | None:
        """The stages in order (stage 1 unless already accepted); the pairs of the last
        solution (None: none found)."""
        pairs = self.pairs
        if not staged.runs:
            staged.solve("matched", sum(self.x))
        worst = self.model.new_int_var(0, int(pairs.rank.max(initial=0)), "worst_off")
        for i, var in enumerate(self.x):
            self.model.add(worst >= int(pairs.rank[i])).only_enforce_if(var)
        if staged.values is not None:
            ranks = [int(pairs.rank[i]) for i, v in enumerate(self.x) if staged.value(v)]
            self.model.add_hint(worst, max(ranks, default=0))
        staged.solve("worst_off", worst, maximize=False)
        staged.solve("fit", sum(int(pairs.fit[i]) * v for i, v in enumerate(self.x)))
        if staged.values is None:
            return None
        return np.array([i for i, v in enumerate(self.x) if staged.value(v)], np.int64)


def _measure(
    problem: MentoringProblem,
    pairs: PairTable,
    chosen: np.ndarray,
    bounds: _Bounds,
    other: OtherMode,
    runs: list[StageRun],
) -> MentoringMetrics:
    ranks = Counter(int(r) for r in pairs.rank[chosen])
    blocking = blocking_pairs(pairs, chosen)
    mentor_ids = [m.id for m in problem.mentors]
    mentee_ids = [e.id for e in problem.mentees]
    return MentoringMetrics(
        mentees=len(problem.mentees),
        mentors=len(problem.mentors),
        places=int(pairs.capacity.sum()),
        acceptable_pairs=len(pairs),
        matched=len(chosen),
        matched_bound=bounds.matched,
        topic_overlap=int(pairs.overlap[chosen].sum()),
        fit=int(pairs.fit[chosen].sum()),
        fit_bound=bounds.fit,
        first_choices=ranks.get(1, 0),
        rank_counts=dict(sorted(ranks.items())),
        worst_off_rank=max(ranks, default=0),
        worst_off_rank_bound=bounds.worst_off_rank,
        blocking_pairs=len(blocking),
        blocking_examples=tuple(
            (mentor_ids[pairs.mentor[i]], mentee_ids[pairs.mentee[i]])
            for i in blocking[:BLOCKING_EXAMPLES]
        ),
        other_mode=other,
        stages=tuple(run.record() for run in runs),
    )
