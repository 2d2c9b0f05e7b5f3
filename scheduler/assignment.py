"""Re-seat one person from every table of a round at once, optimally: an assignment problem.

Take one movable person p_j out of each table t_j of round r (people in a penalty first). With
everyone else seated, the cost of putting p_i back at table t_j,

    c_ij = Seating.place_delta(r, p_i, t_j),

does not depend on where the other people taken out go: each table gets exactly one of them
back, so no two of them share a table. The best way to put them back is therefore a linear
assignment (scipy.optimize.linear_sum_assignment, O(T^3)); every table keeps its size. Putting
everyone back where they were costs what it did before, so the result is never worse, and it
may be a rotation through any number of tables, which swaps and rotations of three cannot find
where people must avoid many earlier tablemates (an event of a series). This is one of the
"very large-scale neighbourhoods" of Ahuja, Ergun, Orlin & Punnen (Discrete Applied
Mathematics 123, 2002), used for timetabling and graph colouring in the same way.

Equal-cost assignments are told apart by a small random tie-break, so a descent also walks
plateaus (the same penalty, a different plan) instead of repeating one assignment.
"""

from __future__ import annotations

import random
import time
from collections.abc import Callable

import numpy as np
from scipy.optimize import linear_sum_assignment

from scheduler.seating import Seating
from scheduler.tabu import TABLE_SAMPLE, label_counts, movable, pick_conflicted

FORBIDDEN = 1 << 40  # a table the person may not sit at (access, keep-apart)
TIE_BREAK = 1000  # random part of a cost, below one penalty point summed over every table
HOT = 0.7  # chance that a table gives up someone in a penalty, when it has one
FOCUS = 0.2  # chance that a table gives up its person of the short label drawn, if any
STALL = 30_000  # assignments without a better plan before the descent stops


def reassign_round(seating: Seating, r: int, rng: random.Random) -> bool:
    """Take one movable person out of each table of round r (of TABLE_SAMPLE tables, tables
    with someone in a penalty first, on larger plans) and put them back optimally; True if the
    plan got better (it never gets worse)."""
    inst = seating.instance
    hot = set(pick_conflicted(seating, r, rng, 3 * inst.tables))
    taken = _take_one_per_table(seating, r, hot, _short_label_people(seating, r, rng), rng)
    if len(taken) < 2:
        return False
    tables = [seating.table_of[r][p] for p in taken]
    before = seating.penalty
    for p in taken:
        seating.unseat(r, inst.unit_of[p])
    cost = _costs(seating, r, taken, tables)
    cost = cost * (TIE_BREAK * len(tables))
    cost += np.random.default_rng(rng.randrange(1 << 32)).integers(0, TIE_BREAK, cost.shape)
    rows, columns = linear_sum_assignment(cost)
    for i, j in zip(rows, columns, strict=True):
        seating.place(r, inst.unit_of[taken[i]], tables[j])
    return seating.penalty < before


def _short_labels(seating: Seating, r: int) -> list[tuple[list[int], int]]:
    """(everyone's labels, label) for each sector and profession that reaches fewer tables in
    round r than it could."""
    return [
        (labels, label)
        for _, present, most, labels in label_counts(seating, r)
        for label, (n, m) in enumerate(zip(present, most, strict=True))
        if n < m
    ]


def _short_label_people(seating: Seating, r: int, rng: random.Random) -> set[int]:
    """The people of one sector or profession (drawn at random) that reaches fewer tables
    in round r than it could, or nobody if none does."""
    short = _short_labels(seating, r)
    if not short:
        return set()
    labels, label = rng.choice(short)
    return {p for p, own in enumerate(labels) if own == label}


def _take_one_per_table(
    seating: Seating, r: int, hot: set[int], focus: set[int], rng: random.Random
) -> list[int]:
    """One movable person seated alone (not in a group) per table: with probability FOCUS
    one of `focus` (a label short of its most tables: moving its people among the tables is
    how it reaches one more), else with probability HOT one in a penalty, else anyone; on
    plans of more than TABLE_SAMPLE tables, from that many tables, those with someone in a
    penalty first."""
    inst = seating.instance
    tables = list(range(inst.tables))
    if inst.tables > TABLE_SAMPLE:
        with_hot = list(dict.fromkeys(seating.table_of[r][p] for p in hot))[: TABLE_SAMPLE // 2]
        chosen = set(with_hot)
        rest = [t for t in tables if t not in chosen]
        tables = with_hot + rng.sample(rest, TABLE_SAMPLE - len(with_hot))
    taken = []
    for t in tables:
        candidates = [
            p
            for p in seating.members[r][t]
            if len(inst.units[inst.unit_of[p]]) == 1 and movable(seating, r, inst.unit_of[p])
        ]
        if candidates:
            of_label = [p for p in candidates if p in focus]
            in_penalty = [p for p in candidates if p in hot]
            if of_label and rng.random() < FOCUS:
                candidates = of_label
            elif in_penalty and rng.random() < HOT:
                candidates = in_penalty
            taken.append(rng.choice(candidates))
    return taken


def _costs(seating: Seating, r: int, taken: list[int], tables: list[int]) -> np.ndarray:
    """c[i, j] = Seating.place_delta(r, taken[i], tables[j]) for the unseated people `taken`,
    FORBIDDEN where they may not sit; counted with numpy over the meeting matrix's rows."""
    inst, w = seating.instance, seating.weights
    k = len(tables)
    column = np.full(inst.tables + 1, -1, dtype=np.int64)  # index -1: unseated
    column[tables] = np.arange(k)
    col_of = column[np.asarray(seating.table_of[r], dtype=np.int64)]
    around = col_of >= 0  # seated at one of `tables`
    cost = np.zeros((k, k), dtype=np.int64)
    for i, p in enumerate(taken):
        row = np.asarray(seating.meet[p], dtype=np.uint8)
        cost[i] += w.repeats * np.bincount(col_of[around & (row >= 1)], minlength=k)
        if inst.met_before[p]:
            before = np.fromiter(inst.met_before[p], dtype=np.int64)
            new = before[around[before] & (row[before] == 0)]
            cost[i] += w.history * np.bincount(col_of[new], minlength=k)
        o, s, v = inst.org[p], inst.sector[p], inst.profession[p]
        org_n, sec_n, prof_n = seating.org_n[r], seating.sec_n[r], seating.prof_n[r]
        cost[i] += [
            w.same_org * org_n[t][o]
            - w.sector * (sec_n[t][s] == 0)
            - w.profession * (prof_n[t][v] == 0)
            for t in tables
        ]
        u = inst.unit_of[p]
        if inst.previous is not None and inst.previous[r][p] != -1:
            cost[i] += [w.moves * (t != inst.previous[r][p]) for t in tables]
        if inst.needs_accessible[u] or inst.apart[u]:
            apart = {seating.unit_table[r][v] for v in inst.apart[u]}
            for j, t in enumerate(tables):
                if not inst.allowed(u, t) or t in apart:
                    cost[i, j] = FORBIDDEN
    return cost


def assignment_descent(
    seating: Seating,
    rng: random.Random,
    budget: int,
    deadline: float,
    target: int,
    on_best: Callable[[], bool] | None = None,
) -> None:
    """Re-seat rounds by assignment (reassign_round), a round drawn with weight one more than
    the sectors and professions it has short of their most tables, until the penalty reaches
    `target`, `budget` assignments are spent, STALL of them in a row change nothing for the
    better, or the deadline passes; on_best after each improvement (True stops)."""
    inst = seating.instance
    stale = 0
    for _ in range(budget):
        if seating.penalty <= target or stale >= STALL or time.monotonic() > deadline:
            return
        r = rng.choices(range(inst.rounds), weights=_short_labels_per_round(seating))[0]
        if reassign_round(seating, r, rng):
            stale = 0
            if on_best is not None and on_best():
                return
        else:
            stale += 1


def _short_labels_per_round(seating: Seating) -> list[int]:
    """Per round, one more than the sectors and professions short of their most tables."""
    return [1 + len(_short_labels(seating, r)) for r in range(seating.instance.rounds)]
