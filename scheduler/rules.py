"""The hard rules of a plan, checked on a seating someone made: what a hand edit must keep.

The planners keep these rules by construction (feasibility.py and breakout_model.py state them as
constraints); a seating changed elsewhere (by hand, in the web app) is checked here, against the
same problem the planner was given, so there is one statement of what a plan must keep. Each check
returns one sentence per broken rule, naming people by id and tables by number; none when the
seating keeps every rule.

Tables, for each round checked (seating: rounds, then tables by position, then person ids):
- sizes:          lo_t <= |table t| <= hi_t, the balanced ranges for the people seated that round
- pinned seats:   a facilitator, or a locked seat, is where it was pinned
- facilitators:   each at one table in every round, at most one at a table
- accessibility:  whoever needs an accessible table sits at one
- keep-apart:     the two never share a table; keep-together: the group always does

Breakouts (assignments: person id -> slot -> breakout id):
- capacity:       |breakout b| <= capacity_b
- topics:         nobody attends two breakouts with the same title
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Mapping, Sequence

from scheduler.breakout_problem import BreakoutProblem
from scheduler.metrics import balanced_size_ranges
from scheduler.table_problem import TableProblem

Seating = Sequence[Sequence[Sequence[str]]]


def table_rule_breaches(
    problem: TableProblem, seating: Seating, rounds: Iterable[int] | None = None
) -> list[str]:
    """The hard rules `seating` breaks in `rounds` (every round when None), as sentences."""
    checked = range(len(seating)) if rounds is None else rounds
    breaches: list[str] = []
    for r in checked:
        table_at = {pid: t for t, table in enumerate(seating[r]) for pid in table}
        breaches += _size_breaches(problem, seating[r])
        breaches += _pin_breaches(problem, r, table_at)
        breaches += _host_breaches(problem, seating, r)
        breaches += _accessibility_breaches(problem, table_at)
        breaches += _pair_breaches(problem, table_at)
    return breaches


def table_number(problem: TableProblem, position: int) -> int:
    """The number people know a table by: its own, else its position counted from 1."""
    number = problem.tables[position].number
    return position + 1 if number is None else number


def _size_breaches(problem: TableProblem, tables: Sequence[Sequence[str]]) -> list[str]:
    seated = sum(len(table) for table in tables)
    capacities = [t.capacity for t in problem.tables]
    if seated > sum(capacities):
        return [f"{seated} people but the tables seat only {sum(capacities)}"]
    ranges = balanced_size_ranges(seated, capacities)
    return [
        f"table {table_number(problem, t)} would have {len(table)} people; tables must stay "
        f"balanced ({low}–{high} there)"
        for t, (table, (low, high)) in enumerate(zip(tables, ranges, strict=True))
        if not low <= len(table) <= high
    ]


def _host_breaches(problem: TableProblem, seating: Seating, round_: int) -> list[str]:
    hosts = [p.id for p in problem.people if p.facilitator]
    breaches = []
    for t, table in enumerate(seating[round_]):
        here = [pid for pid in table if pid in hosts]
        if len(here) > 1:
            breaches.append(
                f"{' and '.join(here)} both facilitate table {table_number(problem, t)}, "
                "which has room for one facilitator"
            )
    for pid in hosts:
        tables = {t for tables in seating for t, table in enumerate(tables) if pid in table}
        if len(tables) > 1 and any(pid in table for table in seating[round_]):
            breaches.append(f"{pid} facilitates one table and stays there every round")
    return breaches


def _pin_breaches(problem: TableProblem, round_: int, table_at: Mapping[str, int]) -> list[str]:
    hosts = {p.id for p in problem.people if p.facilitator}
    breaches = []
    for (pid, r), table in problem.pinned.items():
        if r != round_ or pid not in table_at or table_at[pid] == table:
            continue
        number = table_number(problem, table)
        if pid in hosts:
            breaches.append(f"{pid} facilitates table {number} and stays there every round")
        else:
            breaches.append(f"{pid}'s seat in round {r + 1} is kept at table {number}")
    return breaches


def _accessibility_breaches(problem: TableProblem, table_at: Mapping[str, int]) -> list[str]:
    return [
        f"{pid} needs an accessible table"
        for pid in problem.needs_accessible
        if pid in table_at and not problem.tables[table_at[pid]].accessible
    ]


def _pair_breaches(problem: TableProblem, table_at: Mapping[str, int]) -> list[str]:
    breaches = [
        f"{a} and {b} must be kept apart"
        for a, b in problem.keep_apart
        if a in table_at and b in table_at and table_at[a] == table_at[b]
    ]
    for group in problem.keep_together:
        present = [pid for pid in group if pid in table_at]
        if len({table_at[pid] for pid in present}) > 1:
            breaches.append(f"{' and '.join(present)} must sit together")
    return breaches


def breakout_rule_breaches(
    problem: BreakoutProblem, assignments: Mapping[str, Mapping[str, str]]
) -> list[str]:
    """The hard rules `assignments` break, as sentences."""
    load = Counter(b for slots in assignments.values() for b in slots.values())
    breaches = [
        f"“{b.title}” holds only {b.capacity} people"
        for b in problem.breakouts
        if load[b.id] > b.capacity
    ]
    for pid, slots in assignments.items():
        titles = Counter(problem.breakout(b).title for b in slots.values())
        breaches += [f"{pid} would attend “{title}” twice" for title, n in titles.items() if n > 1]
    return breaches
