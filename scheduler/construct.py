"""Starting plans: a constrained greedy seating, optionally keeping units at preferred tables.

Greedy, round by round: facilitators (one table for all rounds), pinned units and, in repair
mode, units that can keep their earlier seat go first; then the rest, most constrained first
(accessible needs, keep-apart, group size), then largest organisation and rarest sector and
profession first. Preferred tables (a known design's seats, scheduler/designs) are kept the
same way as earlier seats in repair mode. Each unit takes the feasible table with the lowest
penalty increase (Seating.place_delta), ties going to the emptier table. Balance is kept by a
look-ahead: with R people still to seat and a deficit D = sum_t max(0, lo_t - size_t), a
placement is allowed only if R - |unit| >= D afterwards.

Stride (for large plain events, where the greedy is slow): deal everyone, sorted by sector and
organisation, into L rows of T columns (L the largest balanced table size, the last row maybe
short) and seat person (i, g) in round b at table g + i*b mod T. Two people in rows i != j
share a table in rounds b and b' only if T divides (i - j)(b - b'), impossible while
T > (L - 1)(R - 1), so nobody meets anyone twice; row-mates never meet, so an organisation
within a row never sits together, nor one that runs over into the next row while it has fewer
than T - R members; every table takes one person from each row, so sectors mix as the rows do.
"""

from __future__ import annotations

import random
from collections import Counter

from scheduler.seating import UNSEATED, Seating
from scheduler.table_problem import Instance

TABLE_SAMPLE = 40  # on plans with more tables, the emptiest tables each placement weighs


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
    emptiest = _EmptiestTables(seating, r, rng) if inst.tables > TABLE_SAMPLE else None
    w = seating.weights

    def allowed(u: int, t: int) -> bool:
        # with R people still to seat and deficit D, R - |u| must still cover D afterwards
        size = len(inst.units[u])
        if unseated - size < deficit - min(size, max(0, inst.lo[t] - seating.size(r, t))):
            return False
        if plain[u]:
            return len(seating.members[r][t]) < inst.hi[t]
        return _fits(seating, r, u, t)

    def cost(u: int, t: int) -> tuple[int, int, float]:
        unit = inst.units[u]
        if len(unit) == 1 and inst.previous is None:  # Seating.place_delta, inlined for speed
            p, table = unit[0], seating.members[r][t]
            row = seating.meet[p]
            history = inst.met_before[p]
            delta = (
                w.repeats * sum(1 for x in table if row[x])
                + w.history * sum(1 for x in table if not row[x] and x in history)
                + w.same_org * seating.org_n[r][t][inst.org[p]]
                - w.sector * (seating.sec_n[r][t][inst.sector[p]] == 0)
                - w.profession * (seating.prof_n[r][t][inst.profession[p]] == 0)
            )
        else:
            delta = sum(seating.place_delta(r, p, t) for p in unit)
        return delta, len(seating.members[r][t]), rng.random()

    plain = [
        len(unit) == 1 and not inst.apart[u] and not inst.needs_accessible[u]
        for u, unit in enumerate(inst.units)
    ]
    for u in waiting:
        candidates = emptiest.take() if emptiest else range(inst.tables)
        options = [t for t in candidates if allowed(u, t)]
        if not options and emptiest:
            options = [t for t in range(inst.tables) if allowed(u, t)]
        if not options:
            return False
        best = min(options, key=lambda t: cost(u, t))
        size = len(inst.units[u])
        deficit -= min(size, max(0, inst.lo[best] - seating.size(r, best)))
        unseated -= size
        if emptiest:
            emptiest.leaving(best)
        seating.place(r, u, best)
        if emptiest:
            emptiest.arrived(best)
    return True


class _EmptiestTables:
    """On plans with many tables, the greedy weighs only TABLE_SAMPLE of the tables furthest
    below their lower size (drawn at random among equals), so seating N people costs O(N), not
    O(N T); balance holds as tables fill level by level. Tables are kept in lists by level
    (size - lower size)."""

    def __init__(self, seating: Seating, r: int, rng: random.Random) -> None:
        self.seating, self.r, self.rng = seating, r, rng
        self.levels: dict[int, list[int]] = {}
        for t in range(seating.instance.tables):
            self.levels.setdefault(self._level(t), []).append(t)

    def _level(self, t: int) -> int:
        return self.seating.size(self.r, t) - self.seating.instance.lo[t]

    def take(self) -> list[int]:
        tables: list[int] = []
        for level in sorted(self.levels):
            need = TABLE_SAMPLE - len(tables)
            if need <= 0:
                break
            at_level = self.levels[level]
            tables += self.rng.sample(at_level, need) if len(at_level) > need else at_level
        return tables

    def leaving(self, t: int) -> None:
        level = self._level(t)
        self.levels[level].remove(t)
        if not self.levels[level]:
            del self.levels[level]

    def arrived(self, t: int) -> None:
        self.levels.setdefault(self._level(t), []).append(t)


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


def plain(instance: Instance) -> bool:
    """No rule but the table sizes: single people, no facilitator, pin, keep-apart, access
    need or earlier plan."""
    return (
        all(len(u) == 1 for u in instance.units)
        and not any(instance.facilitator)
        and not any(instance.pins)
        and not any(instance.apart)
        and not any(instance.needs_accessible)
        and instance.previous is None
    )


def stride_plan(instance: Instance, rng: random.Random) -> list[list[int]] | None:
    """Unit tables for every round from the stride construction (module docstring), or None
    when the instance is not plain, its tables differ in capacity or it has too few tables."""
    tables, rounds, people = instance.tables, instance.rounds, instance.people
    level = max(instance.hi)
    if (
        not plain(instance)
        or len(set(instance.capacity)) != 1
        or tables <= (level - 1) * (rounds - 1)
        or not (level - 1) * tables < people <= level * tables
    ):
        return None
    org_size = Counter(instance.org)
    sector_size = Counter(instance.sector)
    tiebreak = [rng.random() for _ in range(people)]
    order = sorted(
        range(people),
        key=lambda p: (
            -sector_size[instance.sector[p]],
            instance.sector[p],
            -org_size[instance.org[p]],
            instance.org[p],
            tiebreak[p],
        ),
    )
    cell = [(0, 0)] * people  # person -> (row, column)
    for k, p in enumerate(order):
        cell[p] = divmod(k, tables)
    return [[(g + i * b) % tables for i, g in cell] for b in range(rounds)]
