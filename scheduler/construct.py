"""Starting plans: a constrained greedy seating, optionally keeping units at preferred tables.

Greedy, round by round: facilitators (one table for all rounds), pinned units and, in repair
mode, units that can keep their earlier seat go first; then the rest, most constrained first
(accessible needs, keep-apart, group size), then largest organisation and rarest sector and
profession first. Preferred tables (a known design's seats, scheduler/designs) are kept the
same way as earlier seats in repair mode. Each unit takes the feasible table with the lowest
penalty increase (Seating.place_delta), ties going to the emptier table. Balance is kept by a
look-ahead: with R people still to seat and a deficit D = sum_t max(0, lo_t - size_t), a
placement is allowed only if R - |unit| >= D afterwards.
"""

from __future__ import annotations

import random
from collections import Counter

from scheduler.seating import UNSEATED, Seating
from scheduler.table_problem import Instance


def facilitator_tables(instance: Instance) -> dict[int, int] | None:
    """A table for every facilitator unit (pins, then earlier seats, then first free), or None."""
    hosts = [u for u in range(len(instance.units)) if instance.facilitator[u]]
    hosts.sort(key=lambda u: (not instance.pins[u], not instance.needs_accessible[u]))
    taken: dict[int, int] = {}
    for u in hosts:
        options = list(range(instance.tables))
        if instance.previous is not None:
            before = instance.previous[0][instance.units[u][0]]
            if before != -1:
                options.insert(0, before)
        if instance.pins[u]:
            options = [next(iter(instance.pins[u].values()))]
        free = [t for t in options if t not in taken.values() and instance.allowed(u, t)]
        if not free:
            return None
        taken[u] = free[0]
    return taken


def greedy_plan(
    seating: Seating,
    hosts: dict[int, int],
    rng: random.Random,
    first_round: int = 0,
    preferred: list[dict[int, int]] | None = None,
) -> bool:
    """Seat everyone in the rounds from `first_round` on; False if the greedy gets stuck.
    preferred[r] (when given for round r) maps units to the table they should keep if they can."""
    rounds = range(first_round, seating.instance.rounds)
    preferred = preferred or []
    return all(
        _greedy_round(seating, r, hosts, rng, preferred[r] if r < len(preferred) else None)
        for r in rounds
    )


def _greedy_round(
    seating: Seating,
    r: int,
    hosts: dict[int, int],
    rng: random.Random,
    preferred: dict[int, int] | None,
) -> bool:
    inst = seating.instance
    if preferred is None and inst.previous is not None:
        preferred = _earlier_tables(inst, r)
    fixed = dict(hosts)
    for u, pins in enumerate(inst.pins):
        if r in pins:
            fixed[u] = pins[r]
    for u, t in fixed.items():
        if not _fits(seating, r, u, t):
            return False
        seating.place(r, u, t)
    if preferred:
        _keep_seats(seating, r, fixed, preferred)
    org_size = Counter(inst.org)
    sector_size = Counter(inst.sector)
    profession_size = Counter(inst.profession)
    tiebreak = {u: rng.random() for u in range(len(inst.units))}

    def order(u: int) -> tuple:
        p = inst.units[u][0]
        return (
            not inst.needs_accessible[u],
            -len(inst.apart[u]),
            -len(inst.units[u]),
            -org_size[inst.org[p]],
            sector_size[inst.sector[p]],
            profession_size[inst.profession[p]],
            tiebreak[u],
        )

    waiting = sorted(
        (u for u in range(len(inst.units)) if seating.unit_table[r][u] == UNSEATED), key=order
    )
    unseated, deficit = _unseated_and_deficit(seating, r)
    for u in waiting:
        size = len(inst.units[u])
        # with R people still to seat and deficit D, R - |u| must still cover D afterwards
        options = [
            t
            for t in range(inst.tables)
            if _fits(seating, r, u, t)
            and unseated - size >= deficit - min(size, max(0, inst.lo[t] - seating.size(r, t)))
        ]
        if not options:
            return False
        best = min(
            options,
            key=lambda t: (
                sum(seating.place_delta(r, p, t) for p in inst.units[u]),
                seating.size(r, t),
                rng.random(),
            ),
        )
        deficit -= min(size, max(0, inst.lo[best] - seating.size(r, best)))
        unseated -= size
        seating.place(r, u, best)
    return True


def _unseated_and_deficit(seating: Seating, r: int) -> tuple[int, int]:
    """People still unseated in round r, and the seats tables lack to reach their lower size."""
    inst = seating.instance
    unseated = sum(1 for p in range(inst.people) if seating.table_of[r][p] == UNSEATED)
    deficit = sum(max(0, inst.lo[t] - seating.size(r, t)) for t in range(inst.tables))
    return unseated, deficit


def _fits(seating: Seating, r: int, u: int, t: int) -> bool:
    """Hard constraints for seating unit u at table t in round r, given who is seated already."""
    inst = seating.instance
    if not inst.allowed(u, t) or seating.size(r, t) + len(inst.units[u]) > inst.hi[t]:
        return False
    return not any(seating.unit_table[r][v] == t for v in inst.apart[u])


def _earlier_tables(inst: Instance, r: int) -> dict[int, int]:
    """Repair mode: the units whose people all sat at one table in round r, and that table."""
    assert inst.previous is not None
    earlier = {}
    for u, unit in enumerate(inst.units):
        before = {inst.previous[r][p] for p in unit}
        if len(before) == 1 and -1 not in before:
            earlier[u] = before.pop()
    return earlier


def _keep_seats(seating: Seating, r: int, fixed: dict[int, int], preferred: dict[int, int]) -> None:
    """Seat units at their preferred table where that is still allowed, then unseat a few from
    tables above their lower size until the rest can fill every table's deficit."""
    inst = seating.instance
    for u, t in preferred.items():
        if u in fixed:
            continue
        if _fits(seating, r, u, t):
            seating.place(r, u, t)
    while True:
        unseated, deficit = _unseated_and_deficit(seating, r)
        if unseated >= deficit:
            return
        spare = [
            u
            for u in range(len(inst.units))
            if u not in fixed
            and seating.unit_table[r][u] != UNSEATED
            and seating.size(r, seating.unit_table[r][u]) - len(inst.units[u])
            >= inst.lo[seating.unit_table[r][u]]
        ]
        if not spare:
            return
        seating.unseat(r, min(spare, key=lambda u: (len(inst.units[u]), u)))
