"""The table planner keeps every hard constraint (property-based) and reaches known bounds."""

from __future__ import annotations

from collections import Counter

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from scheduler.feasibility import solve_hard_constraints
from scheduler.metrics import balanced_size_ranges
from scheduler.people import InputError, Person
from scheduler.seating import seating_from
from scheduler.table_problem import Weights, compile_problem
from scheduler.tables import SolveOptions, Table, TablePlan, TableProblem, plan_metrics, plan_tables

QUICK = SolveOptions(time_limit=0.5, seed=1, workers=1, effort=0.05)


def person(i: int, org: str = "", sector: str = "s", profession: str = "p", host: bool = False):
    return Person(str(i), f"P{i}", org or f"org{i}", sector, profession, facilitator=host)


def assert_hard_constraints(problem: TableProblem, plan: TablePlan) -> None:
    """Every rule of the module docstring, checked on the plan as returned."""
    ids = [p.id for p in problem.people]
    ranges = balanced_size_ranges(len(ids), [t.capacity for t in problem.tables])
    assert len(plan.rounds) == problem.rounds
    host_table: dict[str, int] = {}
    hosts = {p.id for p in problem.people if p.facilitator}
    for r, tables in enumerate(plan.rounds):
        assert len(tables) == len(problem.tables)
        seated = [pid for table in tables for pid in table]
        assert sorted(seated) == sorted(ids), "everyone exactly once per round"
        where = {pid: t for t, table in enumerate(tables) for pid in table}
        for t, table in enumerate(tables):
            lo, hi = ranges[t]
            assert lo <= len(table) <= hi <= problem.tables[t].capacity
            assert len(hosts.intersection(table)) <= 1
        for pid in hosts:
            assert host_table.setdefault(pid, where[pid]) == where[pid]
        for a, b in problem.keep_apart:
            assert where[a] != where[b]
        for group in problem.keep_together:
            assert len({where[pid] for pid in group}) == 1
        for (pid, pin_round), t in problem.pinned.items():
            if pin_round == r:
                assert where[pid] == t
        for pid in problem.needs_accessible:
            assert problem.tables[where[pid]].accessible


@st.composite
def problems(draw) -> TableProblem:
    n = draw(st.integers(4, 24))
    size = draw(st.integers(2, 6))
    rounds = draw(st.integers(1, 4))
    orgs = draw(st.integers(1, 5))
    people = [
        person(
            i,
            org=f"o{draw(st.integers(0, orgs - 1))}",
            sector=f"s{draw(st.integers(0, 3))}",
            profession=f"p{draw(st.integers(0, 4))}",
        )
        for i in range(n)
    ]
    tables = [
        Table(size, accessible=draw(st.booleans()))
        for _ in range(-(-n // size) + draw(st.integers(0, 1)))
    ]
    hosts = draw(st.sets(st.integers(0, n - 1), max_size=min(2, len(tables))))
    people = [
        person(i, p.organisation, p.sector, p.profession, i in hosts) for i, p in enumerate(people)
    ]
    ids = [p.id for p in people]
    pair = st.tuples(st.sampled_from(ids), st.sampled_from(ids)).filter(lambda ab: ab[0] != ab[1])
    keep_apart = draw(st.lists(pair, max_size=2))
    keep_together = draw(st.lists(pair, max_size=1))
    pinned = {}
    if draw(st.booleans()):
        pinned[(draw(st.sampled_from(ids)), draw(st.integers(0, rounds - 1)))] = draw(
            st.integers(0, len(tables) - 1)
        )
    needs = draw(st.lists(st.sampled_from(ids), max_size=1))
    return TableProblem(people, rounds, tables, keep_apart, keep_together, pinned, needs)


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(problems())
def test_every_plan_keeps_the_hard_constraints(problem: TableProblem) -> None:
    plan = plan_tables(problem, QUICK)
    if plan.status == "infeasible":
        assert plan.message.startswith("conflicting constraints: ")
        assert plan.rounds == []
    else:
        assert_hard_constraints(problem, plan)
        assert plan.objective >= plan.bound


def test_contradictory_keep_together_and_apart_is_named() -> None:
    people = [person(i) for i in range(6)]
    problem = TableProblem(
        people, 2, [Table(3)] * 2, keep_apart=[("0", "1")], keep_together=[("0", "1")]
    )
    plan = plan_tables(problem, QUICK)
    assert plan.status == "infeasible"
    assert "keep-apart 0/1" in plan.message and "keep-together" in plan.message


def test_two_groups_too_big_for_one_table_are_named() -> None:
    """Two keep-together groups joined by a third need one table of 6: tables hold 4."""
    people = [person(i) for i in range(8)]
    problem = TableProblem(
        people, 1, [Table(4)] * 2, keep_together=[("0", "1", "2"), ("3", "4", "5"), ("2", "3")]
    )
    plan = plan_tables(problem, QUICK)
    assert plan.status == "infeasible"
    assert "keep-together group 0+1+2+3+4+5" in plan.message


def test_conflict_found_by_the_solver_names_its_constraints() -> None:
    """Three people kept pairwise apart cannot sit at two tables; the solver proves it."""
    people = [person(i) for i in range(4)]
    apart = [("0", "1"), ("1", "2"), ("0", "2")]
    plan = plan_tables(TableProblem(people, 1, [Table(2)] * 2, keep_apart=apart), QUICK)
    assert plan.status == "infeasible"
    for a, b in apart:
        assert f"keep-apart {a}/{b}" in plan.message


@pytest.mark.parametrize(
    ("tables", "message"),
    [([Table(1), Table(5)], "fewer than 2"), ([Table(2)], "seat only 2")],
)
def test_malformed_problems_raise_input_error(tables, message) -> None:
    with pytest.raises(InputError, match=message):
        plan_tables(TableProblem([person(i) for i in range(4)], 2, tables), QUICK)


def test_more_facilitators_than_tables_is_input_error() -> None:
    people = [person(i, host=i < 3) for i in range(6)]
    with pytest.raises(InputError, match="3 facilitators but only 2 tables"):
        plan_tables(TableProblem.with_table_size(people, 2, 3), QUICK)


def test_cancel_from_progress_returns_a_valid_plan() -> None:
    people = [
        person(i, org=f"o{i % 9}", sector=f"s{i % 5}", profession=f"p{i % 11}") for i in range(60)
    ]
    problem = TableProblem.with_table_size(people, 4, 6)
    seen = []
    plan = plan_tables(
        problem, SolveOptions(time_limit=30), lambda progress: seen.append(progress) or True
    )
    assert len(seen) == 1 and seen[0].metrics["repeat_pairs"]["bound"] == 0
    assert plan.status in ("feasible", "optimal") and plan.elapsed < 10
    assert plan.stop_reason == "cancelled"
    assert_hard_constraints(problem, plan)


def test_facilitators_stay_and_spread() -> None:
    people = [person(i, org=f"o{i % 4}", host=i in (0, 5, 10)) for i in range(24)]
    problem = TableProblem.with_table_size(people, 3, 6)
    plan = plan_tables(problem, QUICK)
    assert_hard_constraints(problem, plan)
    assert Counter(len(t) for t in plan.rounds[0]) == Counter({6: 4})


def test_hard_constraint_model_seats_a_tight_instance() -> None:
    """The CP-SAT fallback alone (used when the greedy gets stuck) meets every hard rule."""
    people = [person(i, host=i == 0) for i in range(9)]
    problem = TableProblem(
        people,
        3,
        [Table(3, accessible=True), Table(3), Table(3)],
        keep_apart=[("2", "3"), ("3", "4"), ("2", "4")],
        keep_together=[("5", "6")],
        pinned={("7", 1): 0},
        needs_accessible=["8"],
    )
    instance = compile_problem(problem)
    result = solve_hard_constraints(instance, time_limit=10, seed=0, workers=1)
    assert result.conflicts == []
    seating = seating_from(instance, Weights(), result.unit_table)
    plan = TablePlan(seating.table_ids(), plan_metrics(seating), "feasible")
    assert_hard_constraints(problem, plan)
