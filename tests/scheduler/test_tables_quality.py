"""Solver quality, always measured against bounds computed for the instance."""

from __future__ import annotations

import pytest

from benchmarks.instances import golfers, realistic_people
from scheduler.people import Person
from scheduler.tables import SolveOptions, TableProblem, plan_tables
from tests.scheduler.test_tables_planner import assert_hard_constraints


def at_bound(plan, *names: str) -> bool:
    return all(plan.metrics[n]["value"] == plan.metrics[n]["bound"] for n in names)


def test_kirkman_schoolgirls_meet_nobody_twice() -> None:
    problem = TableProblem.with_table_size(golfers(15), 7, 3)
    plan = plan_tables(problem, SolveOptions(time_limit=20, seed=0, workers=1))
    assert_hard_constraints(problem, plan)
    assert plan.metrics["repeat_pairs"] == {"value": 0, "bound": 0}
    assert plan.status == "optimal"


def test_32_golfers_in_fours_for_nine_rounds_meet_nobody_twice() -> None:
    problem = TableProblem.with_table_size(golfers(32), 9, 4)
    plan = plan_tables(problem, SolveOptions(time_limit=10, seed=0, workers=1))
    assert_hard_constraints(problem, plan)
    assert at_bound(plan, "repeat_pairs") and plan.status == "optimal"


def test_every_measure_reaches_its_bound_when_a_perfect_plan_exists() -> None:
    """25 people (a, b) with organisation a, sector b, profession a + b (mod 5): seating
    {(a, k*a + t)} at table t in round k = 1, 2, 3 mixes everything, so every bound is reachable."""
    people = [
        Person(f"{a}{b}", f"{a}{b}", f"o{a}", f"s{b}", f"v{(a + b) % 5}")
        for a in range(5)
        for b in range(5)
    ]
    problem = TableProblem.with_table_size(people, 3, 5)
    plan = plan_tables(problem, SolveOptions(time_limit=20, seed=0, workers=1))
    assert_hard_constraints(problem, plan)
    assert at_bound(plan, "same_org_pairs", "repeat_pairs", "balance")
    assert plan.metrics["sector_mix"]["value"] == plan.metrics["profession_mix"]["value"] == 1.0
    assert plan.status == "optimal" and plan.objective == plan.bound


def test_realistic_event_meets_the_quality_bars() -> None:
    problem = TableProblem.with_table_size(realistic_people(120, seed=5, facilitators=6), 4, 8)
    plan = plan_tables(problem, SolveOptions(time_limit=8, seed=0, workers=1, effort=0.3))
    assert_hard_constraints(problem, plan)
    assert at_bound(plan, "same_org_pairs", "repeat_pairs", "balance")
    assert plan.metrics["sector_mix"]["value"] >= 0.98


@pytest.mark.parametrize(
    ("people", "table_size", "rounds", "organisation_size", "hosts"),
    [
        (9, 3, 4, 3, 0),  # colleagues apart leave 6 people to meet in 8 seats
        (16, 4, 5, 4, 0),  # the same: 12 people to meet in 15 seats
        (9, 3, 4, 1, 3),  # a host at every table may meet only the 6 others
        (16, 4, 9, 1, 4),
    ],
)
def test_a_plan_at_the_repeats_that_colleagues_or_hosts_force_is_proven_best(
    people: int, table_size: int, rounds: int, organisation_size: int, hosts: int
) -> None:
    """Counting alone says these need fewer repeats (or none); with the bound that knows who
    may not meet, the planner proves its plan the best and stops long before its limit."""
    crowd = [
        Person(f"p{i}", f"P{i}", f"o{i // organisation_size}", "s", "x", facilitator=i < hosts)
        for i in range(people)
    ]
    problem = TableProblem.with_table_size(crowd, rounds, table_size)
    plan = plan_tables(problem, SolveOptions(time_limit=30, seed=0, workers=1))
    assert_hard_constraints(problem, plan)
    assert at_bound(plan, "same_org_pairs", "repeat_pairs") and plan.status == "optimal"
    assert plan.metrics["repeat_pairs"]["bound"] > 0 and plan.stop_reason == "bound reached"


@pytest.mark.parametrize(
    ("people", "table_size", "rounds", "least"),
    [
        (12, 4, 3, 6),  # a table of 4 over 3 earlier tables: 1 pair met, 3 tables, 2 rounds
        (20, 5, 4, 12),
        (24, 8, 3, 42),  # 3 + 3 + 1 pairs met at each of 3 tables, in 2 rounds
    ],
)
def test_a_few_large_tables_force_repeats_and_the_plan_reaching_them_is_proven_best(
    people: int, table_size: int, rounds: int, least: int
) -> None:
    """A small workshop with more seats at a table than tables: from the second round on,
    every table holds people who sat together before (metrics.round_overlap_lower_bound).
    Counting alone says no repeat is needed; the planner reaches the pigeonhole count, which
    proves its plan the best, and stops at once."""
    problem = TableProblem.with_table_size(golfers(people), rounds, table_size)
    plan = plan_tables(problem, SolveOptions(time_limit=30, seed=0, workers=1))
    assert_hard_constraints(problem, plan)
    assert plan.metrics["repeat_pairs"] == {"value": least, "bound": least}
    assert plan.stop_reason == "bound reached" and plan.elapsed < 30
