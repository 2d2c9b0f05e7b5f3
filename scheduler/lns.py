"""Large-neighbourhood search with CP-SAT: re-seat a few tables of one round optimally.

A neighbourhood is a round r and a set K of tables; the movable units seated at K in round r
are freed and everyone else stays put. The sub-model, built in three steps:

- variables: x[u, t] = 1 if free unit u sits at table t in K (only where u is allowed at t);
- constraints: each free unit at exactly one table; lo_t <= fixed_t + sum_u |u| x[u, t] <= hi_t;
  keep-apart free units never share a table (x[u, t] + x[v, t] <= 1);
- objective: the Seating penalty restricted to K in round r. For free units u, v with pair cost
  c_uv = sum_{p in u, q in v} (w_org [same organisation] + w_rep [p, q meet in another round]
  + w_hist [p, q met at an earlier event and meet in no other round])
  a Boolean y_uv >= x[u, t] + x[v, t] - 1 (for every t) pays c_uv; people who stay at t add a
  linear cost to x[u, t]; d[t, s] <= sum_{u with sector s} x[u, t] earns w_sec for each sector
  new to table t (and likewise professions); a moved person pays w_moves in repair mode.

The current seating is the hint, so CP-SAT starts from it and only returns something at least as
good. Each solve is limited in deterministic time (max_deterministic_time) and seeded, so for a
fixed seed and worker count the search is reproducible; the wall-clock deadline is only a guard.
"""

from __future__ import annotations

import random
import time
from collections.abc import Callable
from dataclasses import dataclass

from ortools.sat.python import cp_model

from scheduler.seating import Seating
from scheduler.tabu import TABLE_SAMPLE, movable, pick_conflicted, tables_lacking


@dataclass
class SubModel:
    model: cp_model.CpModel
    x: dict[tuple[int, int], cp_model.IntVar]
    free: list[int]
    tables: list[int]


def lns_search(
    seating: Seating,
    rng: random.Random,
    steps: int,
    deadline: float,
    target: int,
    workers: int,
    step_time: float = 0.5,
    on_best: Callable[[], bool] | None = None,
    on_tick: Callable[[], bool] | None = None,
) -> None:
    """Run up to `steps` neighbourhood solves, keeping each result that is no worse; on_best
    is called after each improvement, on_tick after every solve; True from either stops."""
    inst = seating.instance
    size = min(3, inst.tables)
    stale = 0
    for _ in range(steps):
        if seating.penalty <= target or time.monotonic() > deadline or inst.tables < 2:
            return
        r = rng.randrange(inst.rounds)
        picked = pick_conflicted(seating, r, rng)
        first = seating.table_of[r][picked[0]] if picked else rng.randrange(inst.tables)
        tables = [first, *_partner_tables(seating, r, first, picked, size - 1, rng)]
        before = seating.penalty
        improved = reseat(seating, r, tables, rng.randrange(1 << 30), workers, step_time, deadline)
        if on_tick is not None and on_tick():
            return
        if improved and seating.penalty < before:
            stale = 0
            if on_best is not None and on_best():
                return
        else:
            stale += 1
            if stale >= 5 and size < min(8, inst.tables):
                size += 1
                stale = 0


def _partner_tables(
    seating: Seating, r: int, first: int, picked: list[int], count: int, rng: random.Random
) -> list[int]:
    """`count` tables to re-seat with `first`, drawn at random; on large plans, where a random
    table rarely helps, up to half of them missing a sector or profession the picked person
    shares needlessly at `first`, so that a chain of swaps can hand it over."""
    inst = seating.instance
    wanted: list[int] = []
    if picked and inst.tables > TABLE_SAMPLE:
        lacking = dict.fromkeys(tables_lacking(seating, r, picked[0], rng))
        wanted = [t for t in lacking if t != first][: (count + 1) // 2]
    others = [t for t in range(inst.tables) if t != first and t not in wanted]
    return wanted + rng.sample(others, count - len(wanted))


def reseat(
    seating: Seating,
    r: int,
    tables: list[int],
    seed: int,
    workers: int,
    step_time: float,
    deadline: float,
) -> bool:
    """Re-seat the movable units at `tables` in round r; True if the seating changed for the
    better or equal (a worse answer, e.g. after a time-out, is never applied)."""
    sub = build_variables(seating, r, tables)
    if not sub.free:
        return False
    add_constraints(seating, r, sub)
    add_objective(seating, r, sub)
    for (u, t), var in sub.x.items():
        sub.model.add_hint(var, seating.unit_table[r][u] == t)
    solver = cp_model.CpSolver()
    solver.parameters.random_seed = seed
    solver.parameters.num_workers = workers
    solver.parameters.interleave_search = workers > 1
    solver.parameters.max_deterministic_time = step_time
    solver.parameters.max_time_in_seconds = max(
        0.01, min(10 * step_time, deadline - time.monotonic())
    )
    status = solver.solve(sub.model)
    if status not in (cp_model.OPTIMAL, cp_model.FEASIBLE):
        return False
    before, old = seating.penalty, {u: seating.unit_table[r][u] for u in sub.free}
    for u in sub.free:
        seating.unseat(r, u)
    for (u, t), var in sub.x.items():
        if solver.boolean_value(var):
            seating.place(r, u, t)
    if seating.penalty > before:
        for u in sub.free:
            seating.move(r, u, old[u])
        return False
    return True


def build_variables(seating: Seating, r: int, tables: list[int]) -> SubModel:
    """x[u, t] for every movable unit at `tables` and every table there it may sit at."""
    inst = seating.instance
    model = cp_model.CpModel()
    free = [
        u
        for t in tables
        for u in sorted({inst.unit_of[p] for p in seating.members[r][t]})
        if movable(seating, r, u)
    ]
    free_set = set(free)
    x = {}
    for u in free:
        for t in tables:
            fixed_apart = any(
                v not in free_set and seating.unit_table[r][v] == t for v in inst.apart[u]
            )
            if inst.allowed(u, t) and not fixed_apart:
                x[u, t] = model.new_bool_var(f"x_{u}_{t}")
    return SubModel(model, x, free, tables)


def add_constraints(seating: Seating, r: int, sub: SubModel) -> None:
    inst = seating.instance
    free_set = set(sub.free)
    for u in sub.free:
        sub.model.add_exactly_one(sub.x[u, t] for t in sub.tables if (u, t) in sub.x)
    for t in sub.tables:
        fixed = sum(1 for p in seating.members[r][t] if inst.unit_of[p] not in free_set)
        seated = sum(len(inst.units[u]) * sub.x[u, t] for u in sub.free if (u, t) in sub.x)
        sub.model.add_linear_constraint(fixed + seated, inst.lo[t], inst.hi[t])
    for u in sub.free:
        for v in inst.apart[u]:
            if v in free_set and u < v:
                for t in sub.tables:
                    if (u, t) in sub.x and (v, t) in sub.x:
                        sub.model.add_at_most_one(sub.x[u, t], sub.x[v, t])


def add_objective(seating: Seating, r: int, sub: SubModel) -> None:
    inst, w = seating.instance, seating.weights
    free_set = set(sub.free)

    def pair_cost(p: int, q: int) -> int:
        met_elsewhere = seating.meet[p][q] - (seating.table_of[r][p] == seating.table_of[r][q])
        return (
            w.same_org * (inst.org[p] == inst.org[q])
            + w.repeats * (met_elsewhere >= 1)
            + w.history * (met_elsewhere == 0 and q in inst.met_before[p])
        )

    terms = []
    for i, u in enumerate(sub.free):
        for v in sub.free[i + 1 :]:
            cost = sum(pair_cost(p, q) for p in inst.units[u] for q in inst.units[v])
            shared = [t for t in sub.tables if (u, t) in sub.x and (v, t) in sub.x]
            if cost and shared:
                y = sub.model.new_bool_var(f"y_{u}_{v}")
                for t in shared:
                    sub.model.add(y >= sub.x[u, t] + sub.x[v, t] - 1)
                terms.append(cost * y)
    for (u, t), var in sub.x.items():
        stay = [q for q in seating.members[r][t] if inst.unit_of[q] not in free_set]
        cost = sum(pair_cost(p, q) for p in inst.units[u] for q in stay)
        if inst.previous is not None:
            cost += w.moves * sum(1 for p in inst.units[u] if inst.previous[r][p] not in (-1, t))
        if cost:
            terms.append(cost * var)
    for labels, weight in ((inst.sector, w.sector), (inst.profession, w.profession)):
        for t in sub.tables:
            present = {labels[q] for q in seating.members[r][t] if inst.unit_of[q] not in free_set}
            carriers: dict[int, list] = {}
            for u in sub.free:
                if (u, t) in sub.x:
                    for label in {labels[p] for p in inst.units[u]} - present:
                        carriers.setdefault(label, []).append(sub.x[u, t])
            for label, xs in carriers.items():
                d = sub.model.new_bool_var(f"d_{weight}_{t}_{label}")
                sub.model.add(d <= sum(xs))
                terms.append(-weight * d)
    sub.model.minimize(sum(terms))
