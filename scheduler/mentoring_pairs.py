"""Mentors, mentees, the acceptable pairs between them, and what each side prefers.

An *acceptable pair* is a mentor and a mentee from different organisations, from different
sectors (unless same-sector pairs are allowed), neither of whom marked the other `!id`.

What "prefers" means. Each person's explicit ranking (`prefs`, best first) comes first, in its
order; every acceptable partner they did not rank comes after all they ranked, ordered by topic
overlap (how many of the mentee's wanted topics the mentor offers; more is better), and
partners with the same overlap are equally good (a tie). So someone with no `prefs` ranks by
topic overlap alone. Anyone acceptable is better than no partner. A key per pair and side
encodes this (lower is better; equal keys are ties).

A *blocking pair* is an acceptable pair not matched together in which the mentee strictly
prefers the mentor to what she got (or has nobody) and the mentor has a free place or strictly
prefers the mentee to his least-preferred mentee (weak stability, the usual notion with ties).

A mentee's *rank* of her mentor is 1 + the number of acceptable mentors she strictly prefers.
A pair's *fit* is 2 points per shared topic plus, on each side that ranked the other, 4 points
for a first choice, 3 for a second, 2 for a third and 1 for any later one: so a first choice is
worth two shared topics.
"""

from __future__ import annotations

import heapq
from collections import Counter
from dataclasses import dataclass
from functools import cached_property

import numpy as np
from ortools.graph.python.max_flow import SimpleMaxFlow
from ortools.graph.python.min_cost_flow import SimpleMinCostFlow

from scheduler.people import InputError

TOPIC_POINTS = 2
RANK_POINTS = (4, 3, 2)
LATER_RANK_POINTS = 1
UNRANKED = 1 << 40
"""Keys of unranked partners start here (minus their topic overlap), after every ranked one."""


@dataclass(frozen=True)
class Mentor:
    """Someone offering mentoring (or a host offering placements: capacity = places).
    `preferences`: mentee ids best first; `unacceptable`: mentee ids never to pair with."""

    id: str
    name: str
    organisation: str
    sector: str
    profession: str
    capacity: int
    offers: tuple[str, ...] = ()
    preferences: tuple[str, ...] = ()
    unacceptable: frozenset[str] = frozenset()


@dataclass(frozen=True)
class Mentee:
    """Someone wanting a mentor (or a secondee). `preferences`: mentor ids best first."""

    id: str
    name: str
    organisation: str
    sector: str
    profession: str
    wants: tuple[str, ...] = ()
    preferences: tuple[str, ...] = ()
    unacceptable: frozenset[str] = frozenset()


@dataclass(frozen=True)
class MentoringProblem:
    """`fixed`: (mentor id, mentee id) pairs that must stay as they are, e.g. matches already
    published when the organiser repairs the ones a withdrawal broke; each must be acceptable,
    a mentee in at most one, a mentor in at most `capacity`."""

    mentors: tuple[Mentor, ...]
    mentees: tuple[Mentee, ...]
    allow_same_sector: bool = False
    fixed: tuple[tuple[str, str], ...] = ()

    @cached_property
    def pairs(self) -> PairTable:
        """The acceptable pairs and their keys, ranks and fits (checks the input first)."""
        validate(self)
        return PairTable.build(self)

    @cached_property
    def fixed_pairs(self) -> np.ndarray:
        """The indices of the `fixed` pairs in `pairs` (InputError for any the rules forbid)."""
        table = self.pairs
        if not self.fixed:  # the usual case: no index of a million pairs to build
            return np.zeros(0, dtype=np.int64)
        mentor_pos = {m.id: i for i, m in enumerate(self.mentors)}
        mentee_pos = {e.id: j for j, e in enumerate(self.mentees)}
        index = {
            (int(i), int(j)): k
            for k, (i, j) in enumerate(zip(table.mentor, table.mentee, strict=True))
        }
        found, load, seen = [], Counter[str](), set()
        for mentor_id, mentee_id in self.fixed:
            if mentor_id not in mentor_pos or mentee_id not in mentee_pos:
                raise InputError(f"fixed pair ({mentor_id!r}, {mentee_id!r}) names unknown people")
            if mentee_id in seen:
                raise InputError(f"mentee {mentee_id!r} is in two fixed pairs")
            seen.add(mentee_id)
            load[mentor_id] += 1
            mentor = self.mentors[mentor_pos[mentor_id]]
            if load[mentor_id] > mentor.capacity:
                raise InputError(f"mentor {mentor_id!r} has more fixed pairs than capacity")
            k = index.get((mentor_pos[mentor_id], mentee_pos[mentee_id]))
            if k is None:
                reason = unacceptable_reason(
                    mentor, self.mentees[mentee_pos[mentee_id]], self.allow_same_sector
                )
                raise InputError(f"fixed pair ({mentor_id!r}, {mentee_id!r}): {reason}")
            found.append(k)
        return np.array(sorted(found), dtype=np.int64)


def validate(problem: MentoringProblem) -> None:
    """Raise InputError naming the first person or preference the matcher cannot use."""
    for side, people, other in (
        ("mentor", problem.mentors, {e.id for e in problem.mentees}),
        ("mentee", problem.mentees, {m.id for m in problem.mentors}),
    ):
        seen: set[str] = set()
        for person in people:
            if not person.id:
                raise InputError(f"{side} {person.name!r} has an empty id")
            if person.id in seen:
                raise InputError(f"{side} id {person.id!r} appears twice")
            seen.add(person.id)
            if side == "mentor" and person.capacity < 1:
                raise InputError(
                    f"mentor {person.id!r} capacity must be at least 1, not {person.capacity}"
                )
            named = list(person.preferences) + sorted(person.unacceptable)
            unknown = [i for i in named if i not in other]
            if unknown:
                partner = "mentee" if side == "mentor" else "mentor"
                raise InputError(f"{side} {person.id!r} names unknown {partner} {unknown[0]!r}")
            if len(set(person.preferences)) != len(person.preferences):
                raise InputError(f"{side} {person.id!r} ranks the same person twice")
            both = set(person.preferences) & person.unacceptable
            if both:
                raise InputError(
                    f"{side} {person.id!r} both ranks and rules out {sorted(both)[0]!r}"
                )


@dataclass(frozen=True)
class PairTable:
    """Acceptable pairs as parallel arrays, one entry per pair, sorted by (mentee, key).
    `mentee_key`/`mentor_key`: each side's preference key for the other (lower is better);
    `rank`: the mentee's rank of the mentor; `fit` and `overlap` as in the module docstring."""

    mentor: np.ndarray
    mentee: np.ndarray
    mentee_key: np.ndarray
    mentor_key: np.ndarray
    rank: np.ndarray
    overlap: np.ndarray
    fit: np.ndarray
    capacity: np.ndarray
    mentee_count: int

    @classmethod
    def build(cls, problem: MentoringProblem) -> PairTable:
        mentors, mentees = problem.mentors, problem.mentees
        acceptable = _acceptable(problem)
        overlap = _overlap(mentors, mentees)
        mentor_idx, mentee_idx = np.nonzero(acceptable)
        overlap = overlap[mentor_idx, mentee_idx]
        mentee_key = UNRANKED - overlap
        mentor_key = UNRANKED - overlap
        fit = TOPIC_POINTS * overlap
        index = np.full(acceptable.shape, -1, dtype=np.int64)
        index[mentor_idx, mentee_idx] = np.arange(len(mentor_idx))
        mentor_pos = {m.id: i for i, m in enumerate(mentors)}
        mentee_pos = {e.id: j for j, e in enumerate(mentees)}
        for j, e in enumerate(mentees):
            for position, mentor_id in enumerate(e.preferences):
                i = index[mentor_pos[mentor_id], j]
                if i >= 0:
                    mentee_key[i] = position
                    fit[i] += _rank_points(position)
        for m_pos, m in enumerate(mentors):
            for position, mentee_id in enumerate(m.preferences):
                i = index[m_pos, mentee_pos[mentee_id]]
                if i >= 0:
                    mentor_key[i] = position
                    fit[i] += _rank_points(position)
        order = np.lexsort((mentee_key, mentee_idx))
        mentor_idx, mentee_idx = mentor_idx[order], mentee_idx[order]
        mentee_key, mentor_key = mentee_key[order], mentor_key[order]
        overlap, fit = overlap[order], fit[order]
        return cls(
            mentor=mentor_idx,
            mentee=mentee_idx,
            mentee_key=mentee_key,
            mentor_key=mentor_key,
            rank=_competition_rank(mentee_idx, mentee_key),
            overlap=overlap,
            fit=fit,
            capacity=np.array([m.capacity for m in mentors], dtype=np.int64),
            mentee_count=len(mentees),
        )

    def __len__(self) -> int:
        return len(self.mentor)

    def around(self, fixed: np.ndarray) -> tuple[PairTable, np.ndarray]:
        """The pairs still open beside the `fixed` ones (their mentees taken, their mentors'
        capacities lowered; rows of mentors left with no place dropped), and each open row's
        index in this table. Ranks, keys and fits stay this table's: preferences are over
        everyone, whoever is taken."""
        capacity = self.capacity - np.bincount(self.mentor[fixed], minlength=len(self.capacity))
        taken = np.zeros(self.mentee_count, bool)
        taken[self.mentee[fixed]] = True
        kept = np.nonzero(~taken[self.mentee] & (capacity[self.mentor] > 0))[0]
        table = PairTable(
            mentor=self.mentor[kept],
            mentee=self.mentee[kept],
            mentee_key=self.mentee_key[kept],
            mentor_key=self.mentor_key[kept],
            rank=self.rank[kept],
            overlap=self.overlap[kept],
            fit=self.fit[kept],
            capacity=capacity,
            mentee_count=self.mentee_count,
        )
        return table, kept


def _rank_points(position: int) -> int:
    return RANK_POINTS[position] if position < len(RANK_POINTS) else LATER_RANK_POINTS


def unacceptable_reason(
    mentor: Mentor, mentee: Mentee, allow_same_sector: bool = False
) -> str | None:
    """Which hard rule keeps this one pair apart ("same organisation", "same sector",
    "ruled out by the mentor", "ruled out by the mentee"), or None when it may form: the rules
    of `_acceptable`, for one pair (an organiser's hand-made pair is checked with it)."""
    if mentor.organisation.casefold() == mentee.organisation.casefold():
        return "same organisation"
    if not allow_same_sector and mentor.sector.casefold() == mentee.sector.casefold():
        return "same sector"
    if mentee.id in mentor.unacceptable:
        return "ruled out by the mentor"
    if mentor.id in mentee.unacceptable:
        return "ruled out by the mentee"
    return None


def _acceptable(problem: MentoringProblem) -> np.ndarray:
    """[mentor, mentee] -> whether the pair may form (module docstring)."""
    mentors, mentees = problem.mentors, problem.mentees
    orgs = {o: k for k, o in enumerate({p.organisation.casefold() for p in mentors + mentees})}
    sectors = {s: k for k, s in enumerate({p.sector.casefold() for p in mentors + mentees})}
    mentor_org = np.array([orgs[m.organisation.casefold()] for m in mentors], dtype=np.int64)
    mentee_org = np.array([orgs[e.organisation.casefold()] for e in mentees], dtype=np.int64)
    ok = mentor_org[:, None] != mentee_org[None, :]
    if not problem.allow_same_sector:
        mentor_sector = np.array([sectors[m.sector.casefold()] for m in mentors], dtype=np.int64)
        mentee_sector = np.array([sectors[e.sector.casefold()] for e in mentees], dtype=np.int64)
        ok &= mentor_sector[:, None] != mentee_sector[None, :]
    mentor_pos = {m.id: i for i, m in enumerate(mentors)}
    for j, e in enumerate(mentees):
        for mentor_id in e.unacceptable:
            ok[mentor_pos[mentor_id], j] = False
    mentee_pos = {e.id: j for j, e in enumerate(mentees)}
    for i, m in enumerate(mentors):
        for mentee_id in m.unacceptable:
            ok[i, mentee_pos[mentee_id]] = False
    return ok


def _overlap(mentors: tuple[Mentor, ...], mentees: tuple[Mentee, ...]) -> np.ndarray:
    """[mentor, mentee] -> shared topics (compared case-insensitively)."""
    topics: dict[str, int] = {}
    for person_topics in [m.offers for m in mentors] + [e.wants for e in mentees]:
        for topic in person_topics:
            topics.setdefault(topic.casefold(), len(topics))
    offers = np.zeros((len(mentors), len(topics)), dtype=np.int64)
    wants = np.zeros((len(mentees), len(topics)), dtype=np.int64)
    for i, m in enumerate(mentors):
        offers[i, [topics[t.casefold()] for t in m.offers]] = 1
    for j, e in enumerate(mentees):
        wants[j, [topics[t.casefold()] for t in e.wants]] = 1
    return offers @ wants.T


def _competition_rank(group: np.ndarray, key: np.ndarray) -> np.ndarray:
    """For entries sorted by (group, key): 1 + entries of the same group with a smaller key."""
    n = len(group)
    if n == 0:
        return np.zeros(0, dtype=np.int64)
    positions = np.arange(n)
    new_group = np.r_[True, group[1:] != group[:-1]]
    new_key = new_group | np.r_[True, key[1:] != key[:-1]]
    group_start = np.maximum.accumulate(np.where(new_group, positions, 0))
    key_start = np.maximum.accumulate(np.where(new_key, positions, 0))
    return key_start - group_start + 1


def _flow_network(pairs: PairTable, chosen: np.ndarray) -> tuple[np.ndarray, np.ndarray, int]:
    """Tails and heads: source 0 -> mentor 1+i -> mentee 1+M+j -> sink, for `chosen` pairs
    first (so arc k is pair chosen[k]), then the mentor and mentee arcs; and the sink."""
    mentors = len(pairs.capacity)
    sink = 1 + mentors + pairs.mentee_count
    tails = np.concatenate(
        [
            1 + pairs.mentor[chosen],
            np.zeros(mentors, np.int64),
            1 + mentors + np.arange(pairs.mentee_count),
        ]
    )
    heads = np.concatenate(
        [
            1 + mentors + pairs.mentee[chosen],
            1 + np.arange(mentors),
            np.full(pairs.mentee_count, sink),
        ]
    )
    return tails, heads, sink


def matched_bound(pairs: PairTable, within: np.ndarray | None = None) -> int:
    """Most mentees any matching can pair (over `within`, a mask of pairs; default all): a
    maximum flow source -> mentor (capacity) -> mentee (1) -> sink (1)."""
    chosen = np.nonzero(within if within is not None else np.ones(len(pairs), bool))[0]
    if len(chosen) == 0:
        return 0
    tails, heads, sink = _flow_network(pairs, chosen)
    capacities = np.concatenate(
        [np.ones(len(chosen), np.int64), pairs.capacity, np.ones(pairs.mentee_count, np.int64)]
    )
    flow = SimpleMaxFlow()
    flow.add_arcs_with_capacity(tails, heads, capacities)
    if flow.solve(0, sink) != flow.OPTIMAL:
        raise RuntimeError("max flow failed")
    return flow.optimal_flow()


def best_fit_matching(pairs: PairTable, within: np.ndarray | None = None) -> np.ndarray:
    """Indices of the pairs of a matching with the most mentees and, among those, the most fit
    (over `within`, a mask of pairs; default all): OR-Tools' maximum flow of minimum cost, with
    cost -fit per pair."""
    chosen = np.nonzero(within if within is not None else np.ones(len(pairs), bool))[0]
    if len(chosen) == 0:
        return np.zeros(0, np.int64)
    tails, heads, sink = _flow_network(pairs, chosen)
    capacities = np.concatenate(
        [np.ones(len(chosen), np.int64), pairs.capacity, np.ones(pairs.mentee_count, np.int64)]
    )
    costs = np.concatenate(
        [-pairs.fit[chosen], np.zeros(len(pairs.capacity) + pairs.mentee_count, np.int64)]
    )
    flow = SimpleMinCostFlow()
    flow.add_arcs_with_capacity_and_unit_cost(tails, heads, capacities, costs)
    total = int(pairs.capacity.sum()) + pairs.mentee_count
    flow.set_node_supply(0, total)
    flow.set_node_supply(sink, -total)
    if flow.solve_max_flow_with_min_cost() != flow.OPTIMAL:
        raise RuntimeError("min cost flow failed")
    return chosen[np.nonzero(flow.flows(np.arange(len(chosen))))[0]]


def worst_off_rank_bound(pairs: PairTable, matched: int) -> int:
    """The lowest worst-off rank any matching of `matched` mentees can give: the smallest t
    for which pairs of rank <= t alone still match that many (binary search on max flows).
    0 when nobody can be matched."""
    if matched == 0:
        return 0
    ranks = np.unique(pairs.rank)
    low, high = 0, len(ranks) - 1
    while low < high:
        middle = (low + high) // 2
        if matched_bound(pairs, pairs.rank <= ranks[middle]) >= matched:
            high = middle
        else:
            low = middle + 1
    return int(ranks[low])


def deferred_acceptance(pairs: PairTable) -> np.ndarray:
    """A stable matching by mentee-proposing deferred acceptance (Gale-Shapley for many-to-one
    matching), ties broken towards the better fit, then by position: pair indices."""
    mentee_lists: list[list[int]] = [[] for _ in range(pairs.mentee_count)]
    order = np.lexsort((-pairs.fit, pairs.mentee_key, pairs.mentee))
    for i in order.tolist():
        mentee_lists[pairs.mentee[i]].append(i)
    next_choice = [0] * pairs.mentee_count
    held: list[list[tuple[int, int, int]]] = [[] for _ in range(len(pairs.capacity))]
    free = list(range(pairs.mentee_count - 1, -1, -1))
    mentor_key, fit, mentor = pairs.mentor_key.tolist(), pairs.fit.tolist(), pairs.mentor.tolist()
    capacity = pairs.capacity.tolist()
    while free:
        mentee = free.pop()
        options = mentee_lists[mentee]
        if next_choice[mentee] >= len(options):
            continue
        pair = options[next_choice[mentee]]
        next_choice[mentee] += 1
        m = mentor[pair]
        # A max-heap on the mentor's dislike: the least preferred held mentee is on top.
        heapq.heappush(held[m], (-mentor_key[pair], fit[pair], pair))
        if len(held[m]) > capacity[m]:
            _, _, rejected = heapq.heappop(held[m])
            free.append(int(pairs.mentee[rejected]))
    return np.array(sorted(p for heap in held for _, _, p in heap), dtype=np.int64)


def blocking_pairs(pairs: PairTable, matched: np.ndarray) -> np.ndarray:
    """Indices of the acceptable pairs that block the matching `matched` (pair indices)."""
    mentors = len(pairs.capacity)
    mentee_got = np.full(pairs.mentee_count, np.iinfo(np.int64).max)
    mentee_got[pairs.mentee[matched]] = pairs.mentee_key[matched]
    load = np.bincount(pairs.mentor[matched], minlength=mentors)
    worst = np.full(mentors, -1, dtype=np.int64)
    np.maximum.at(worst, pairs.mentor[matched], pairs.mentor_key[matched])
    mentor_threshold = np.where(load < pairs.capacity, np.iinfo(np.int64).max, worst)
    together = np.zeros(len(pairs), bool)
    together[matched] = True
    blocking = (
        ~together
        & (pairs.mentee_key < mentee_got[pairs.mentee])
        & (pairs.mentor_key < mentor_threshold[pairs.mentor])
    )
    return np.nonzero(blocking)[0]
