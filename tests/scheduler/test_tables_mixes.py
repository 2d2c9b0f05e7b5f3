"""Sector and profession mixes on large plans: the search chases only the namesakes a better
plan could part (with 6 sectors at tables of 10 most are forced), and the descent on the mixes
brings the stride plan of a national event to every bound without losing a pair measure."""

from __future__ import annotations

import random
from collections import Counter

import pytest

from benchmarks.instances import national_people
from scheduler.construct import stride_plan
from scheduler.people import Person
from scheduler.seating import seating_from
from scheduler.table_problem import Weights, compile_problem
from scheduler.tables import SolveOptions, Table, TableProblem, plan_metrics, plan_tables
from scheduler.tabu import mend_mixes, pick_conflicted, shake
from tests.scheduler.test_tables_planner import assert_hard_constraints


def at_bound(metrics: dict) -> dict[str, bool]:
    """Each measure against its bound (mixes by their distinct count)."""
    return {
        name: measure.get("distinct", measure["value"]) == measure["bound"]
        for name, measure in metrics.items()
    }


def test_the_seating_counts_the_tables_each_label_reaches() -> None:
    """Kept move by move: after a few hundred random swaps, the counts match a recount."""
    problem = TableProblem.with_table_size(national_people(450, seed=4), 3, 10)
    instance = compile_problem(problem)
    seating = seating_from(instance, Weights(), stride_plan(instance, random.Random(0)))
    shake(seating, random.Random(1), moves=300)
    for r in range(instance.rounds):
        for labels, present, most in (
            (instance.sector, seating.sec_tables[r], seating.sec_most),
            (instance.profession, seating.prof_tables[r], seating.prof_most),
        ):
            reached: Counter[int] = Counter()
            for table in seating.members[r]:
                reached.update({labels[p] for p in table})
            members = Counter(labels)
            assert present == [reached[label] for label in range(len(present))]
            assert most == [min(instance.tables, members[label]) for label in range(len(most))]


def test_only_namesakes_a_better_plan_could_part_are_chased() -> None:
    """Two tables of 4, two sectors of 4: a sector present at both tables cannot do better, so
    two namesakes at a table are no conflict; with one sector missing from a table they are."""
    people = [Person(str(i), f"P{i}", f"o{i}", f"s{i % 2}", "p") for i in range(8)]
    instance = compile_problem(TableProblem(people, 1, [Table(4), Table(4)]))
    mixed = seating_from(instance, Weights(), [[0, 0, 1, 1, 0, 0, 1, 1]])
    assert pick_conflicted(mixed, 0, random.Random(0), count=8) == []
    apart = seating_from(instance, Weights(), [[0, 1, 0, 1, 0, 1, 0, 1]])
    assert sorted(pick_conflicted(apart, 0, random.Random(0), count=50)) == list(range(8))


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_the_descent_mends_the_mixes_of_the_stride_plan(seed: int) -> None:
    """450 people at 45 tables of 10 for 4 rounds: the stride plan has no colleague together
    and no repeat; the descent raises both mixes to their bounds, or within one namesake of
    them (the tabu search after it finishes), and keeps every pair measure at its bound."""
    problem = TableProblem.with_table_size(national_people(450, seed=seed), 4, 10)
    instance = compile_problem(problem)
    seating = seating_from(instance, Weights(), stride_plan(instance, random.Random(seed)))
    before = plan_metrics(seating)
    mend_mixes(seating, random.Random(seed), deadline=float("inf"))
    after = plan_metrics(seating)
    for name in ("same_org_pairs", "repeat_pairs", "balance"):
        assert after[name]["value"] == after[name]["bound"] == before[name]["value"], name
    assert before["profession_mix"]["distinct"] < before["profession_mix"]["bound"]
    for name in ("sector_mix", "profession_mix"):
        assert after[name]["bound"] - 1 <= after[name]["distinct"] <= after[name]["bound"]
        assert after[name]["distinct"] >= before[name]["distinct"]


@pytest.mark.parametrize(("event", "seed"), [(1, 0), (1, 1), (2, 0), (3, 0), (5, 0)])
def test_a_large_plain_event_stops_at_every_bound(event: int, seed: int) -> None:
    """The planner on the same kind of event: every measure at its bound, so the plan is proven
    optimal and the search stops there rather than at its time limit. (Event 1 with seed 0
    needs a chain of swaps: CP-SAT over tables missing the profession finds it.)"""
    problem = TableProblem.with_table_size(national_people(450, seed=event), 4, 10)
    plan = plan_tables(problem, SolveOptions(time_limit=60, seed=seed, workers=1))
    assert_hard_constraints(problem, plan)
    assert all(at_bound(plan.metrics).values()), plan.metrics
    assert plan.stop_reason == "bound reached" and plan.objective == plan.bound
