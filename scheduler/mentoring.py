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
    result.status      # "optimal" (every stage proven over all acceptable pairs) | "feasible"

Hard rules: a mentee has at most one mentor, a mentor at most `capacity` mentees, and only
acceptable pairs form (`scheduler.mentoring_pairs`: different organisations, different sectors
unless allowed, nobody marked `!id` by the other; that module also defines "prefers", rank, fit
and blocking pairs). Invalid input raises `scheduler.people.InputError`.

most-matched (default), lexicographic, one CP-SAT stage each with the earlier values kept:
  1. matched: the most mentees matched (bound: a maximum flow over the acceptable pairs);
  2. fit: the most topic overlap and the best ranks (bound: OR-Tools' maximum flow of minimum
     cost, which also starts the search);
  3. worst_off: the lowest worst rank a matched mentee gives her mentor (bound: the smallest
     rank threshold under which the maximum flow still matches as many).
On large instances the CP-SAT model holds only each mentee's and each mentor's best few
candidates plus the flow's pairs, so stages 1 and 2 still reach their global bounds.

stable: no blocking pair; then the most matched, the best fit and the best worst-off among
stable matchings. With ties in the preferences (topic overlap makes many), stable matchings
differ in size and finding the largest is NP-hard (Manlove et al. 2002), so deferred acceptance
alone is not enough: a CP-SAT model with one clause per acceptable pair (the mentee gets
someone at least as good, or the mentor is full with mentees at least as good; Kwanashie and
Manlove's weak-stability constraint on cumulative literals) is solved in stages, started from
deferred acceptance. Above STABLE_MODEL_PAIRS acceptable pairs that model is too big for the time
budget, and the deferred-acceptance matching is returned as it is (stable by construction; its
matched count is proven when it meets the max-flow bound). In a stable matching every
acceptable pair has its mentee matched or its mentor full, so on well-connected instances deferred
acceptance already meets that bound.

Either mode reports the other mode's matched count and blocking pairs (`metrics.other_mode`),
so organisers see the trade-off.
"""

from __future__ import annotations

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
from scheduler.stages import Progress, ProgressCallback, StagedSolve

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
STAGES = ("matched", "fit", "worst_off")
FULL_MODEL_PAIRS = 50_000
"""Up to this many acceptable pairs, most-matched's model holds every one of them."""
STABLE_MODEL_PAIRS = 60_000
"""Up to this many acceptable pairs, stable mode solves the exact stability model."""
BLOCKING_EXAMPLES = 20


@dataclass(frozen=True)
class MentoringOptions:
    """`mode`: "most-matched" or "stable"; `time_limit` in seconds for the whole run;
    `candidates`: how many best partners per person a large most-matched model keeps."""

    mode: str = "most-matched"
    time_limit: float = 30.0
    seed: int = 0
    workers: int = 2
    candidates: int = 12


@dataclass(frozen=True)
class OtherMode:
    """The figures the other mode gives on the same people."""

    mode: str
    matched: int
    blocking_pairs: int


@dataclass(frozen=True)
class MentoringMetrics:
    """Each figure beside its bound. `rank_counts`: {mentee's rank of her mentor: mentees};
    `blocking_examples`: up to 20 blocking pairs as (mentor_id, mentee_id); `stages`: one record
    per CP-SAT stage (stage, status, objective, bound, seconds)."""

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
    pairs = problem.pairs
    bounds = _Bounds.of(pairs)
    stable_start = deferred_acceptance(pairs)
    if options.mode == "most-matched":
        chosen, staged, complete = _most_matched(pairs, bounds, options, on_progress)
        other = OtherMode("stable", len(stable_start), len(blocking_pairs(pairs, stable_start)))
    else:
        chosen, staged, complete = _stable(pairs, stable_start, options, on_progress)
        other = OtherMode(
            "most-matched", len(bounds.flow_pairs), len(blocking_pairs(pairs, bounds.flow_pairs))
        )
    metrics = _measure(problem, pairs, chosen, bounds, other, staged)
    at_bounds = (metrics.matched, metrics.fit, metrics.worst_off_rank) == (
        bounds.matched,
        bounds.fit,
        bounds.worst_off_rank,
    )
    if staged.cancelled:
        status, message = "feasible", "cancelled: the best matching found so far"
    elif (complete and staged.proven) or (options.mode == "most-matched" and at_bounds):
        status, message = "optimal", ""
    elif complete:
        status, message = "feasible", "time limit reached before every stage was proven optimal"
    else:
        status = "feasible"
        message = (
            "stable matching by deferred acceptance (too many acceptable pairs to search "
            "among stable matchings)"
            if options.mode == "stable"
            else "the last stages searched each person's best candidates only"
        )
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
    flow_pairs: np.ndarray

    @classmethod
    def of(cls, pairs: PairTable) -> _Bounds:
        flow_pairs = best_fit_matching(pairs)
        matched = matched_bound(pairs)
        return cls(
            matched=matched,
            fit=int(pairs.fit[flow_pairs].sum()),
            worst_off_rank=worst_off_rank_bound(pairs, matched),
            flow_pairs=flow_pairs,
        )


class _Model:
    """x[pair] for the candidate pairs; at most one mentor per mentee, capacities."""

    def __init__(self, pairs: PairTable, candidates: np.ndarray) -> None:
        self.pairs = pairs
        self.candidates = candidates
        self.model = cp_model.CpModel()
        self.x = {int(i): self.model.new_bool_var(f"x{i}") for i in candidates}
        by_mentee: dict[int, list] = {}
        by_mentor: dict[int, list] = {}
        for i, var in self.x.items():
            by_mentee.setdefault(int(pairs.mentee[i]), []).append(var)
            by_mentor.setdefault(int(pairs.mentor[i]), []).append(var)
        for variables in by_mentee.values():
            self.model.add_at_most_one(variables)
        for m, variables in by_mentor.items():
            if len(variables) > pairs.capacity[m]:
                self.model.add(sum(variables) <= int(pairs.capacity[m]))

    def start_from(self, chosen: np.ndarray) -> None:
        picked = {int(i) for i in chosen}
        variables = list(self.x.values())
        self.model.clear_hints()
        for i, var in zip(self.x, variables, strict=True):
            self.model.add_hint(var, int(i in picked))

    def solve_stages(self, staged: StagedSolve) -> np.ndarray | None:
        """The three stages in order; the pairs of the last solution (None: none found)."""
        pairs = self.pairs
        staged.solve("matched", sum(self.x.values()))
        staged.solve("fit", sum(int(pairs.fit[i]) * v for i, v in self.x.items()))
        worst = self.model.new_int_var(0, int(pairs.rank.max(initial=0)), "worst_off")
        for i, var in self.x.items():
            self.model.add(worst >= int(pairs.rank[i])).only_enforce_if(var)
        if staged.values is not None:
            ranks = [int(pairs.rank[i]) for i, v in self.x.items() if staged.value(v)]
            self.model.add_hint(worst, max(ranks, default=0))
        staged.solve("worst_off", worst, maximize=False)
        if staged.values is None:
            return None
        return np.array(sorted(i for i, v in self.x.items() if staged.value(v)), np.int64)


def _most_matched(
    pairs: PairTable,
    bounds: _Bounds,
    options: MentoringOptions,
    on_progress: ProgressCallback | None,
) -> tuple[np.ndarray, StagedSolve, bool]:
    complete = len(pairs) <= FULL_MODEL_PAIRS
    if complete:
        candidates = np.arange(len(pairs))
    else:
        candidates = _candidates(pairs, bounds.flow_pairs, options.candidates)
    model = _Model(pairs, candidates)
    model.start_from(bounds.flow_pairs)
    staged = _staged(model.model, options, on_progress)
    chosen = model.solve_stages(staged)
    return (bounds.flow_pairs if chosen is None else chosen), staged, complete


def _candidates(pairs: PairTable, must: np.ndarray, per_person: int) -> np.ndarray:
    """Each mentee's and each mentor's `per_person` best pairs (by their own preference, then
    fit), and the pairs `must`."""
    keep = np.zeros(len(pairs), bool)
    keep[must] = True
    for group, key in ((pairs.mentee, pairs.mentee_key), (pairs.mentor, pairs.mentor_key)):
        order = np.lexsort((-pairs.fit, key, group))
        sorted_group = group[order]
        starts = np.r_[0, np.nonzero(sorted_group[1:] != sorted_group[:-1])[0] + 1]
        position = np.arange(len(order)) - np.repeat(starts, np.diff(np.r_[starts, len(order)]))
        keep[order[position < per_person]] = True
    return np.nonzero(keep)[0]


def _stable(
    pairs: PairTable,
    start: np.ndarray,
    options: MentoringOptions,
    on_progress: ProgressCallback | None,
) -> tuple[np.ndarray, StagedSolve, bool]:
    if len(pairs) > STABLE_MODEL_PAIRS:
        staged = _staged(cp_model.CpModel(), options, on_progress)
        return start, staged, False
    model = _Model(pairs, np.arange(len(pairs)))
    _add_stability(model)
    model.start_from(start)
    staged = _staged(model.model, options, on_progress)
    chosen = model.solve_stages(staged)
    return (start if chosen is None else chosen), staged, True


def _add_stability(model: _Model) -> None:
    """No blocking pair: for every acceptable pair (mentor m, mentee e), e gets a mentor she
    likes at least as well as m, or m is full with mentees he likes at least as well as e.
    One literal per (mentee, preference level) and per (mentor, level), one clause per pair."""
    pairs, cp, x = model.pairs, model.model, model.x
    gets: dict[tuple[int, int], cp_model.IntVar] = {}
    full: dict[tuple[int, int], cp_model.IntVar] = {}
    mentee_pairs: dict[int, list[int]] = {}
    mentor_pairs: dict[int, list[int]] = {}
    for i in range(len(pairs)):
        mentee_pairs.setdefault(int(pairs.mentee[i]), []).append(i)
        mentor_pairs.setdefault(int(pairs.mentor[i]), []).append(i)
    for e, members in mentee_pairs.items():
        for key in {int(pairs.mentee_key[i]) for i in members}:
            literal = cp.new_bool_var(f"gets{e}_{key}")
            as_good = [x[i] for i in members if pairs.mentee_key[i] <= key]
            cp.add(sum(as_good) >= 1).only_enforce_if(literal)
            gets[e, key] = literal
    for m, members in mentor_pairs.items():
        capacity = int(pairs.capacity[m])
        for key in {int(pairs.mentor_key[i]) for i in members}:
            literal = cp.new_bool_var(f"full{m}_{key}")
            as_good = [x[i] for i in members if pairs.mentor_key[i] <= key]
            if len(as_good) < capacity:
                cp.add(literal == 0)
            else:
                cp.add(sum(as_good) >= capacity).only_enforce_if(literal)
            full[m, key] = literal
    for i in range(len(pairs)):
        cp.add_bool_or(
            [
                gets[int(pairs.mentee[i]), int(pairs.mentee_key[i])],
                full[int(pairs.mentor[i]), int(pairs.mentor_key[i])],
            ]
        )


def _staged(
    model: cp_model.CpModel, options: MentoringOptions, on_progress: ProgressCallback | None
) -> StagedSolve:
    return StagedSolve(
        model,
        STAGES,
        options.time_limit,
        seed=options.seed,
        workers=options.workers,
        on_progress=on_progress,
    )


def _measure(
    problem: MentoringProblem,
    pairs: PairTable,
    chosen: np.ndarray,
    bounds: _Bounds,
    other: OtherMode,
    staged: StagedSolve,
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
        stages=tuple(run.record() for run in staged.runs),
    )
