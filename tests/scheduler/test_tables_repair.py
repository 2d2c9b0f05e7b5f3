"""Repair mode: after late changes, a new plan keeping as many people in their seats as it can."""

from __future__ import annotations

from scheduler.people import Person
from scheduler.tables import SolveOptions, TableProblem, plan_tables
from tests.scheduler.test_tables_planner import assert_hard_constraints

OPTIONS = SolveOptions(time_limit=2, seed=3, workers=1, effort=0.05)
# The plan before the changes need only be a plan: above its bound, it would use all its time.
FIRST = SolveOptions(time_limit=1, seed=3, workers=1, effort=0.05)


def people(count: int, start: int = 0) -> list[Person]:
    return [
        Person(str(i), f"P{i}", f"o{i % 7}", f"s{i % 5}", f"v{i % 9}")
        for i in range(start, start + count)
    ]


def moved(previous, plan_rounds) -> int:
    """(person, round) seats that changed, among people in both plans."""
    count = 0
    for before, after in zip(previous, plan_rounds, strict=True):
        was = {pid: t for t, table in enumerate(before) for pid in table}
        now = {pid: t for t, table in enumerate(after) for pid in table}
        count += sum(1 for pid, t in now.items() if pid in was and was[pid] != t)
    return count


def first_plan():
    problem = TableProblem.with_table_size(people(40), 3, 6)
    return problem, plan_tables(problem, FIRST).rounds


def test_unchanged_event_keeps_every_seat() -> None:
    problem, previous = first_plan()
    problem.previous = previous
    plan = plan_tables(problem, OPTIONS)
    assert plan.moves == 0 and plan.rounds == previous
    assert plan.metrics["moves"] == {"value": 0, "bound": 0}


def test_late_registration_is_seated_without_moving_anyone() -> None:
    """The newcomer takes a free seat (the cancelled one, or one at a table that mixes
    better: the search uses its whole time and may find that) and nobody else moves."""
    problem, previous = first_plan()
    cancelled = previous[0][0][0]
    still_coming = [p for p in problem.people if p.id != cancelled]
    repaired = TableProblem.with_table_size(still_coming + people(1, start=100), 3, 6)
    repaired.previous = previous
    plan = plan_tables(repaired, OPTIONS)
    assert_hard_constraints(repaired, plan)
    assert plan.moves == moved(previous, plan.rounds) == 0
    assert all(any("100" in table for table in tables) for tables in plan.rounds)


def test_cancellations_from_one_table_move_at_most_one_person_a_round() -> None:
    """Two no-shows at one table of 6 among tables of 5-6: it drops to 4, below the balanced
    minimum of 5, so one person a round must come over from a full table; nobody else moves."""
    problem, previous = first_plan()
    table = next(t for t in previous[0] if len(t) == 6)
    gone = set(table[:2])
    repaired = TableProblem.with_table_size([p for p in problem.people if p.id not in gone], 3, 6)
    repaired.previous = previous
    plan = plan_tables(repaired, OPTIONS)
    assert_hard_constraints(repaired, plan)
    assert plan.moves == moved(previous, plan.rounds)
    assert plan.moves <= 3
