"""Re-seating one person from every table of a round at once by an assignment
(scheduler.assignment): never worse and every hard rule kept; with it the search takes an
event whose people must avoid their earlier tablemates to every bound."""

from __future__ import annotations

import random

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from scheduler.assignment import reassign_round
from scheduler.feasibility import solve_hard_constraints
from scheduler.metrics import met_before_pairs
from scheduler.people import Person
from scheduler.seating import seating_from
from scheduler.table_problem import Weights, compile_problem
from scheduler.tables import SolveOptions, Table, TablePlan, TableProblem, plan_tables
from tests.scheduler.test_tables_history import grid_history
from tests.scheduler.test_tables_planner import assert_hard_constraints, problems


def grid_people() -> list[Person]:
    """16 people on a 4x4 grid (grid_history): the column is the sector, row XOR column the
    profession. The Latin squares of GF(4) orthogonal to that one seat them in two rounds with
    every sector and profession at every table and nobody met again, so every bound is
    reachable."""
    return [
        Person(str(i), f"P{i}", f"org{i}", f"s{i % 4}", f"p{(i // 4) ^ (i % 4)}") for i in range(16)
    ]


@st.composite
def problems_with_history(draw) -> TableProblem:
    problem = draw(problems())
    ids = [p.id for p in problem.people]
    pair = st.tuples(st.sampled_from(ids), st.sampled_from(ids)).filter(lambda ab: ab[0] != ab[1])
    problem.met_before = draw(st.lists(pair, max_size=3 * len(ids)))
    return problem


@settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(problems_with_history(), st.integers(0, 1000))
def test_reassigning_never_worsens_and_keeps_every_hard_rule(problem, seed) -> None:
    instance = compile_problem(problem)
    start = solve_hard_constraints(instance, 5, 0, 1).unit_table
    if instance.conflicts or start is None:
        return
    seating = seating_from(instance, Weights(), start)
    rng = random.Random(seed)
    for _ in range(40):
        before = seating.penalty
        improved = reassign_round(seating, rng.randrange(problem.rounds), rng)
        assert seating.penalty <= before
        assert improved == (seating.penalty < before)
        # the measures kept move by move agree with the plan counted afresh
        assert seating_from(instance, Weights(), seating.snapshot()).penalty == seating.penalty
    plan = TablePlan(rounds=seating.table_ids(), metrics={}, status="feasible")
    assert_hard_constraints(problem, plan)


def test_a_plain_event_with_history_reaches_every_bound() -> None:
    history = grid_history()
    problem = TableProblem(grid_people(), rounds=2, tables=[Table(4)] * 4, met_before=history)
    plan = plan_tables(problem, SolveOptions(time_limit=5, seed=1, workers=1, effort=0.1))
    assert met_before_pairs(plan.rounds, history) == 0
    for name in ("sector_mix", "profession_mix"):
        assert plan.metrics[name]["distinct"] == plan.metrics[name]["bound"], plan.metrics
    assert plan.objective == plan.bound and plan.stop_reason == "bound reached"


def test_on_a_plan_of_many_tables_a_sample_of_them_is_reassigned() -> None:
    """Above TABLE_SAMPLE tables, each assignment takes one person from each of a sample of
    tables; the same guarantees hold."""
    people = [
        Person(str(i), f"P{i}", f"org{i % 30}", f"s{i % 7}", f"p{i % 11}") for i in range(180)
    ]
    problem = TableProblem(people, rounds=3, tables=[Table(4)] * 45)
    instance = compile_problem(problem)
    start = solve_hard_constraints(instance, 10, 0, 1).unit_table
    seating = seating_from(instance, Weights(), start)
    rng = random.Random(0)
    before = seating.penalty
    for _ in range(30):
        reassign_round(seating, rng.randrange(3), rng)
        assert seating_from(instance, Weights(), seating.snapshot()).penalty == seating.penalty
    assert seating.penalty < before
    plan = TablePlan(rounds=seating.table_ids(), metrics={}, status="feasible")
    assert_hard_constraints(problem, plan)
