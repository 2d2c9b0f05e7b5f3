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

stable: no blocking pair; then the most matched, the best worst-off rank and the best fit
among stable matchings. With ties in the preferences (topic overlap makes many), stable
matchings differ in size and finding the largest is NP-hard (Manlove et al. 2002), so deferred
acceptance alone is not enough: a CP-SAT model in which, for every acceptable pair, the mentee
gets someone at least as good or the mentor is full with mentees at least as good (Kwanashie
and Manlove's weak-stability constraint, on one literal per person and preference level) is
solved in the same three stages (`scheduler.stages`), started from deferred acceptance (which
settles stage 1 when it meets the max-flow bound). Above STABLE_MODEL_PAIRS acceptable pairs,
only each mentee's CANDIDATES most preferred mentors (and her deferred-acceptance one) may be
paired, while stability still holds against every acceptable pair, one constraint per mentor
and preference level; on the benchmark (965,000 pairs) that takes 10 s to build and improves
on deferred acceptance a little within 30 s. In a stable matching every acceptable pair has
its mentee matched or its mentor full, so on well-connected instances deferred acceptance
already meets the max-flow bound. The fit and worst-off bounds hold for matchings of
`matched_bound` mentees, so in stable mode they are a yardstick, not a bound.

Either mode reports the other mode's matched count and blocking pairs (`metrics.other_mode`),
so organisers see the trade-off.

Fixed pairs (`MentoringProblem.fixed`: matches already published, when a withdrawal broke
some) stay as they are: the fixed mentees are taken and their mentors' capacities lowered, the
rest matched as above (`PairTable.around`), and everything measured on all pairs with the
fixed ones in. The bounds are then those of the fixed pairs plus the rest's (the most matched
beside them, not over a free choice); blocking pairs through a fixed pair are counted but not
undone, and stable mode is stable among the open pairs.
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
"""Up to this many acceptable pairs, stable mode may pair any of them; above, each mentee's
CANDIDATES most preferred mentors (and her deferred-acceptance mentor)."""
CANDIDATES = 8
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
    every_pair, fixed = problem.pairs, problem.fixed_pairs
    # With fixed pairs only the rest is matched, then measured with them (module docstring).
    pairs, open_rows = every_pair.around(fixed) if len(fixed) else (every_pair, None)

    def with_fixed(chosen: np.ndarray) -> np.ndarray:
        return chosen if open_rows is None else np.sort(np.r_[fixed, open_rows[chosen]])

    clock.stage("matched", 1)
    bound = matched_bound(pairs)
    best_fit = best_fit_matching(pairs)
    bounds = _Bounds(bound, int(pairs.fit[best_fit].sum()), worst_off_rank_bound(pairs, bound))
    stable_start = deferred_acceptance(pairs)
    if options.mode == "most-matched":
        chosen, runs = _most_matched(pairs, bounds, clock)
        other_mode, other = "stable", with_fixed(stable_start)
        complete = True
    else:
        chosen, runs, complete = _stable(pairs, stable_start, bounds.matched, options, clock)
        other_mode, other = "most-matched", with_fixed(best_fit)
    other_figures = OtherMode(other_mode, len(other), len(blocking_pairs(every_pair, other)))
    fixed_ranks = every_pair.rank[fixed]
    bounds = _Bounds(
        bounds.matched + len(fixed),
        bounds.fit + int(every_pair.fit[fixed].sum()),
        max(bounds.worst_off_rank, int(fixed_ranks.max(initial=0))),
    )
    pairs, chosen = every_pair, with_fixed(chosen)
    metrics = _measure(problem, pairs, chosen, bounds, other_figures, runs)
    if clock.cancelled:
        status, message = "feasible", "cancelled: the best matching found so far"
    elif not complete:
        status = "feasible"
        message = (
            f"stable among all acceptable pairs, but with so many only each mentee's "
            f"{CANDIDATES} most preferred mentors were searched"
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
    complete = len(pairs) <= STABLE_MODEL_PAIRS
    candidates = np.arange(len(pairs)) if complete else _candidates(pairs, start, CANDIDATES)
    model = _StableModel(pairs, candidates)
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
        staged.accept("matched", sum(model.x.values()), bound, values)
    chosen = model.solve_stages(staged)
    clock.cancelled = staged.cancelled
    return (start if chosen is None else chosen), staged.runs, complete


class _StableModel:
    """x[pair] for the candidate pairs (the others stay apart); at most one mentor per mentee,
    capacities, and no blocking pair among all acceptable pairs: for every pair (mentor m,
    mentee e), e gets a mentor she likes at least as well as m, or m is full with mentees he
    likes at least as well as e. One literal per (mentee, preference level) and per (mentor,
    level); per mentor level, "not full" implies every mentee at that level gets as good."""

    def __init__(self, pairs: PairTable, candidates: np.ndarray) -> None:
        self.pairs = pairs
        self.model = cp = cp_model.CpModel()
        self.x = {int(i): cp.new_bool_var(f"x{i}") for i in candidates}
        self.mentee_pairs: dict[int, list[int]] = {}
        self.mentor_pairs: dict[int, list[int]] = {}
        for i in self.x:
            self.mentee_pairs.setdefault(int(pairs.mentee[i]), []).append(i)
            self.mentor_pairs.setdefault(int(pairs.mentor[i]), []).append(i)
        for members in self.mentee_pairs.values():
            cp.add_at_most_one(self.x[i] for i in members)
        for m, members in self.mentor_pairs.items():
            if len(members) > pairs.capacity[m]:
                cp.add(sum(self.x[i] for i in members) <= int(pairs.capacity[m]))
        gets_level, self.gets = self._levels(pairs.mentee, pairs.mentee_key, "gets")
        full_level, self.full = self._levels(pairs.mentor, pairs.mentor_key, "full")
        for (e, key), literal in self.gets.items():
            as_good = [
                self.x[i] for i in self.mentee_pairs.get(e, []) if pairs.mentee_key[i] <= key
            ]
            cp.add_bool_or(as_good).only_enforce_if(literal)
        for (m, key), literal in self.full.items():
            as_good = [
                self.x[i] for i in self.mentor_pairs.get(m, []) if pairs.mentor_key[i] <= key
            ]
            capacity = int(pairs.capacity[m])
            if len(as_good) < capacity:
                cp.add(literal == 0)
            else:
                cp.add(sum(as_good) >= capacity).only_enforce_if(literal)
        gets_literals = list(self.gets.values())
        full_literals = list(self.full.values())
        order = np.argsort(full_level, kind="stable")
        bounds = np.searchsorted(full_level[order], np.arange(len(full_literals) + 1))
        for level, literal in enumerate(full_literals):
            members = gets_level[order[bounds[level] : bounds[level + 1]]]
            cp.add_bool_and([gets_literals[g] for g in members.tolist()]).only_enforce_if(~literal)

    def _levels(
        self, person: np.ndarray, key: np.ndarray, name: str
    ) -> tuple[np.ndarray, dict[tuple[int, int], cp_model.IntVar]]:
        """Each pair's (person, key) level number, and one literal per level."""
        levels, level_of = np.unique(np.stack([person, key]), axis=1, return_inverse=True)
        literals = {
            (int(p), int(k)): self.model.new_bool_var(f"{name}{p}_{k}")
            for p, k in zip(levels[0].tolist(), levels[1].tolist(), strict=True)
        }
        return level_of.reshape(-1), literals

    def start_from(self, chosen: np.ndarray) -> dict[int, int]:
        """Hint every variable from a stable matching (a complete hint is tried as a solution
        at once; an incomplete one was not even found in 10 s on 22,000 pairs); the values
        {variable index: value}."""
        pairs = self.pairs
        picked = set(chosen.tolist())
        value = {var.index: int(i in picked) for i, var in self.x.items()}
        got = {int(pairs.mentee[i]): int(pairs.mentee_key[i]) for i in picked}
        for (e, key), literal in self.gets.items():
            value[literal.index] = int(e in got and got[e] <= key)
        for (m, key), literal in self.full.items():
            as_good = sum(
                1
                for i in self.mentor_pairs.get(m, [])
                if i in picked and pairs.mentor_key[i] <= key
            )
            value[literal.index] = int(as_good >= pairs.capacity[m])
        for var in [*self.x.values(), *self.gets.values(), *self.full.values()]:
            self.model.add_hint(var, value[var.index])
        return value

    def solve_stages(self, staged: StagedSolve) -> np.ndarray | None:
        """The stages in order (stage 1 unless already accepted); the pairs of the last
        solution (None: none found)."""
        pairs = self.pairs
        if not staged.runs:
            staged.solve("matched", sum(self.x.values()))
        worst = self.model.new_int_var(0, int(pairs.rank.max(initial=0)), "worst_off")
        for i, var in self.x.items():
            self.model.add(worst >= int(pairs.rank[i])).only_enforce_if(var)
        if staged.values is not None:
            ranks = [int(pairs.rank[i]) for i, v in self.x.items() if staged.value(v)]
            self.model.add_hint(worst, max(ranks, default=0))
        staged.solve("worst_off", worst, maximize=False)
        staged.solve("fit", sum(int(pairs.fit[i]) * v for i, v in self.x.items()))
        if staged.values is None:
            return None
        return np.array(sorted(i for i, v in self.x.items() if staged.value(v)), np.int64)


def _candidates(pairs: PairTable, start: np.ndarray, per_mentee: int) -> np.ndarray:
    """Each mentee's `per_mentee` most preferred pairs (ties by fit) and the pairs of `start`."""
    order = np.lexsort((-pairs.fit, pairs.mentee_key, pairs.mentee))
    mentee = pairs.mentee[order]
    first = np.r_[True, mentee[1:] != mentee[:-1]]
    group_start = np.maximum.accumulate(np.where(first, np.arange(len(order)), 0))
    keep = np.zeros(len(pairs), bool)
    keep[order[np.arange(len(order)) - group_start < per_mentee]] = True
    keep[start] = True
    return np.nonzero(keep)[0]


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
