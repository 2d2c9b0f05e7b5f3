"""The hard rules as checked on a finished seating (scheduler/rules.py) say exactly what the
planner's own guarantees say: nothing for the plans it makes, and each broken rule by name."""

from __future__ import annotations

import copy
from types import SimpleNamespace

import pytest
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

from scheduler.breakout_problem import Breakout, BreakoutProblem
from scheduler.rules import breakout_rule_breaches, table_rule_breaches
from scheduler.tables import Table, TableProblem, plan_tables
from tests.scheduler.test_breakouts import feasible_problems, solve
from tests.scheduler.test_breakouts import person as breakout_person
from tests.scheduler.test_tables_planner import QUICK, assert_hard_constraints, person, problems


def keeps_the_rules(problem: TableProblem, seating) -> bool:
    """The planner tests' own statement of the rules, as a yes or no."""
    try:
        assert_hard_constraints(problem, SimpleNamespace(rounds=seating))
    except AssertionError:
        return False
    return True


@settings(max_examples=20, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(problems(), st.data())
def test_a_moved_seat_breaks_a_rule_exactly_when_the_planner_tests_say_so(problem, data):
    plan = plan_tables(problem, QUICK)
    assume(plan.status != "infeasible")
    assert table_rule_breaches(problem, plan.rounds) == []
    seating = copy.deepcopy(plan.rounds)
    r = data.draw(st.integers(0, problem.rounds - 1))
    mover = data.draw(st.sampled_from([p.id for p in problem.people]))
    target = data.draw(st.integers(0, len(problem.tables) - 1))
    for table in seating[r]:
        if mover in table:
            table.remove(mover)
    seating[r][target].append(mover)
    assert (table_rule_breaches(problem, seating) == []) == keeps_the_rules(problem, seating)


def four_at_two_tables(**rules) -> TableProblem:
    hosts = rules.pop("hosts", ())
    people = [person(i, host=i in hosts) for i in range(4)]
    tables = rules.pop("tables", [Table(2, accessible=True), Table(2, number=7)])
    return TableProblem(people, 2, tables, **rules)


GOOD = [[["0", "1"], ["2", "3"]], [["0", "2"], ["1", "3"]]]


@pytest.mark.parametrize(
    ("rules", "seating", "breach"),
    [
        ({}, [[["0", "1", "2"], ["3"]], GOOD[1]], "table 1 would have 3 people; tables must"),
        ({"keep_apart": [("0", "1")]}, GOOD, "0 and 1 must be kept apart"),
        ({"keep_together": [("0", "1")]}, GOOD, "0 and 1 must sit together"),
        ({"needs_accessible": ["2"]}, GOOD, "2 needs an accessible table"),
        (
            {"hosts": [0], "pinned": {("0", 0): 0, ("0", 1): 0}},
            [GOOD[0], [["1", "2"], ["0", "3"]]],
            "0 facilitates table 1 and stays there every round",
        ),
        ({"hosts": [0, 1]}, GOOD, "0 and 1 both facilitate table 1"),
        ({"pinned": {("3", 1): 0}}, GOOD, "3's seat in round 2 is kept at table 1"),
        ({"pinned": {("0", 0): 1}}, GOOD, "0's seat in round 1 is kept at table 7"),
    ],
)
def test_each_broken_rule_is_named(rules, seating, breach):
    problem = four_at_two_tables(**rules)
    assert any(b.startswith(breach) for b in table_rule_breaches(problem, seating))


def test_only_the_rounds_asked_about_are_checked():
    problem = four_at_two_tables(keep_apart=[("0", "2")])
    assert table_rule_breaches(problem, GOOD, rounds=[0]) == []
    assert table_rule_breaches(problem, GOOD, rounds=[1]) == ["0 and 2 must be kept apart"]


@settings(max_examples=20, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(feasible_problems())
def test_the_breakout_planners_plans_break_no_rule(problem):
    plan = solve(problem)
    assert breakout_rule_breaches(problem, plan.assignments) == []


def test_a_full_breakout_and_a_repeated_topic_are_named():
    problem = BreakoutProblem(
        breakouts=(
            Breakout("a", "Data", "morning", 1),
            Breakout("b", "Housing", "morning", 2),
            Breakout("c", "Data", "afternoon", 2),
        ),
        people=(breakout_person("x"), breakout_person("y")),
    )
    breaches = breakout_rule_breaches(
        problem, {"x": {"morning": "a", "afternoon": "c"}, "y": {"morning": "a"}}
    )
    assert breaches == ["“Data” holds only 1 people", "x would attend “Data” twice"]
