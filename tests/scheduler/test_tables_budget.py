"""The table planner spends its whole time limit while a plan is above its bound, stops as soon
as it reaches it, says why it stopped, and plans national events (thousands of people) at the
bounds of every measure."""

from __future__ import annotations

import random
import time

import pytest

from benchmarks.instances import golfers, national_people
from scheduler.construct import stride_plan
from scheduler.metrics import repeat_pairs
from scheduler.people import Person
from scheduler.seating import seating_from
from scheduler.table_problem import Weights, compile_problem
from scheduler.tables import (
    SolveOptions,
    Table,
    TablePlan,
    TableProblem,
    plan_metrics,
    plan_tables,
)
from tests.scheduler.test_tables_planner import assert_hard_constraints


def test_a_plan_above_its_bound_uses_the_whole_time_limit() -> None:
    """12 people in triples for 5 rounds: the counting bound is 0 repeats, but no plan has
    fewer than one (research/planner.md), so the search must run until its time limit."""
    problem = TableProblem.with_table_size(golfers(12), 5, 3)
    started = time.monotonic()
    plan = plan_tables(problem, SolveOptions(time_limit=2, seed=0, workers=1))
    elapsed = time.monotonic() - started
    assert_hard_constraints(problem, plan)
    assert plan.stop_reason == "time limit" and plan.status == "feasible"
    assert 1.5 <= elapsed <= 2.0
    assert repeat_pairs(plan.rounds) == plan.metrics["repeat_pairs"]["value"] >= 1


def test_a_plan_that_reaches_its_bound_stops_early_the_same_way_every_time() -> None:
    """24 people in fours for 5 rounds has a zero-repeat plan found by search (no grid fits)."""
    problem = TableProblem.with_table_size(golfers(24), 5, 4)
    options = SolveOptions(time_limit=20, seed=3, workers=1)
    first, second = plan_tables(problem, options), plan_tables(problem, options)
    assert_hard_constraints(problem, first)
    assert first.stop_reason == "bound reached" and first.status == "optimal"
    assert repeat_pairs(first.rounds) == 0 and first.elapsed < 10
    assert second.rounds == first.rounds and second.stop_reason == "bound reached"


def test_cancelling_while_nothing_improves_stops_within_a_second() -> None:
    """on_progress is asked now and then even when no better plan turns up, so a cancel is
    heard well before the time limit."""
    problem = TableProblem.with_table_size(golfers(12), 5, 3)
    started = time.monotonic()
    asked: list[float] = []

    def cancel_after_a_second(progress) -> bool:
        asked.append(progress.elapsed)
        return time.monotonic() - started > 1

    plan = plan_tables(problem, SolveOptions(time_limit=30, seed=0), cancel_after_a_second)
    assert plan.stop_reason == "cancelled" and time.monotonic() - started < 3
    assert len(asked) >= 2
    assert_hard_constraints(problem, plan)


@pytest.mark.slow
def test_2400_people_are_planned_at_the_bounds_of_every_measure() -> None:
    """Tables of 10, 4 rounds, organisations of 1 to 40: the first full plan comes within
    seconds, nobody meets a colleague or anyone twice (both bounds are 0 here), and the mixes
    reach their bounds too, so the search stops there."""
    problem = TableProblem.with_table_size(national_people(2400, seed=2), 4, 10)
    first: list[float] = []
    plan = plan_tables(
        problem,
        SolveOptions(time_limit=6, seed=0),
        lambda progress: first.append(progress.elapsed) and None,
    )
    assert_hard_constraints(problem, plan)
    assert first and first[0] < 10
    for name in ("same_org_pairs", "repeat_pairs", "balance"):
        assert plan.metrics[name]["value"] == plan.metrics[name]["bound"], name
    for name in ("sector_mix", "profession_mix"):
        assert plan.metrics[name]["distinct"] == plan.metrics[name]["bound"], name
    assert repeat_pairs(plan.rounds) == 0
    assert plan.stop_reason == "bound reached" and plan.objective == plan.bound


def test_a_plan_nobody_can_change_comes_back_at_once() -> None:
    """Everyone pinned to the same table in both rounds: two pairs meet twice, above the
    counting bound of 0, but there is no other plan to search for."""
    people = [Person(str(i), f"P{i}", f"o{i}", "s", "p") for i in range(4)]
    pinned = {(str(i), r): i // 2 for i in range(4) for r in range(2)}
    problem = TableProblem(people, 2, [Table(2), Table(2)], pinned=pinned)
    plan = plan_tables(problem, SolveOptions(time_limit=10, seed=0, workers=1))
    assert plan.stop_reason == "nothing to change" and plan.elapsed < 1
    assert plan.metrics["repeat_pairs"] == {"value": 2, "bound": 0}


@pytest.mark.parametrize(("count", "rounds"), [(450, 4), (455, 5), (1001, 4), (2400, 6)])
def test_the_stride_start_seats_everyone_without_repeats_or_colleagues(count, rounds) -> None:
    """The construction large plain events start from, checked on the plan it gives: balanced
    tables, nobody meets anyone twice, no colleagues together (organisations of up to 40)."""
    problem = TableProblem.with_table_size(national_people(count, seed=count), rounds, 10)
    instance = compile_problem(problem)
    unit_tables = stride_plan(instance, random.Random(0))
    assert unit_tables is not None
    seating = seating_from(instance, Weights(), unit_tables)
    plan = TablePlan(rounds=seating.table_ids(), metrics=plan_metrics(seating), status="feasible")
    assert_hard_constraints(problem, plan)
    assert repeat_pairs(plan.rounds) == 0
    assert plan.metrics["same_org_pairs"] == {"value": 0, "bound": 0}


def test_the_stride_start_is_not_used_where_its_proof_fails() -> None:
    """With too few tables for the rounds ((L - 1)(R - 1) >= T) two rows could meet twice."""
    problem = TableProblem.with_table_size(national_people(300, seed=1), 5, 10)
    assert stride_plan(compile_problem(problem), random.Random(0)) is None
