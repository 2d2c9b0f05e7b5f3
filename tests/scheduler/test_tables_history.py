"""Encounter history: pairs who sat together at an earlier event are avoided, and the count of
those seated together again is reported beside its lower bound."""

from __future__ import annotations

import random

import pytest

from scheduler.construct import greedy_plan
from scheduler.metrics import met_before_lower_bound, met_before_pairs
from scheduler.people import InputError, Person
from scheduler.seating import Seating
from scheduler.table_problem import Weights, compile_problem
from scheduler.tables import SolveOptions, Table, TableProblem, plan_tables
from scheduler.tabu import cycle_descent, met_at, rotation_gain

QUICK = SolveOptions(time_limit=2, seed=3, workers=1, effort=0.1)


def people(count: int) -> list[Person]:
    return [Person(str(i), f"P{i}", f"org{i}", f"s{i % 4}", f"p{i % 3}") for i in range(count)]


def grid_history() -> list[tuple[str, str]]:
    """16 people on a 4x4 grid who sat by rows, then by columns, at an earlier event. Two
    orthogonal Latin squares of order 4 seat them twice more with no row- or column-mate and
    no repeat, so zero met-before pairs is reachable."""
    pairs = []
    for i in range(16):
        for j in range(i + 1, 16):
            if i // 4 == j // 4 or i % 4 == j % 4:
                pairs.append((str(i), str(j)))
    return pairs


def test_met_before_reaches_its_bound_of_zero_when_zero_is_reachable() -> None:
    history = grid_history()
    problem = TableProblem(people(16), rounds=2, tables=[Table(4)] * 4, met_before=history)
    plan = plan_tables(problem, QUICK)
    measure = plan.metrics["met_before_pairs"]
    assert measure["bound"] == 0
    assert measure["value"] == measure["bound"]
    assert met_before_pairs(plan.rounds, history) == 0
    assert plan.metrics["repeat_pairs"]["value"] == plan.metrics["repeat_pairs"]["bound"]


def test_without_history_the_same_event_seats_people_together_again() -> None:
    """The measure counts what the history changes: the plan that ignores it repeats pairs."""
    history = grid_history()
    plan = plan_tables(TableProblem(people(16), rounds=2, tables=[Table(4)] * 4), QUICK)
    assert "met_before_pairs" not in plan.metrics
    assert met_before_pairs(plan.rounds, history) > 0


def test_history_weighs_below_repeats_within_the_event() -> None:
    """8 people in two tables of 4 for 3 rounds: everyone met everyone before. Meeting someone
    again is unavoidable; the plan prefers met-before pairs to repeats within the day."""
    everyone = [(str(i), str(j)) for i in range(8) for j in range(i + 1, 8)]
    problem = TableProblem(people(8), rounds=3, tables=[Table(4)] * 2, met_before=everyone)
    plan = plan_tables(problem, QUICK)
    measure = plan.metrics["met_before_pairs"]
    # each person sits with 3 of the 7 others they all met: 8 * 3 / 2 = 12 pairs at least
    assert measure["bound"] == 12
    assert measure["value"] >= measure["bound"]
    assert plan.metrics["repeat_pairs"]["value"] == plan.metrics["repeat_pairs"]["bound"]
    assert Weights().repeats > Weights().history > Weights().sector


def test_met_before_bound_counts_people_who_met_nearly_everyone() -> None:
    # 5 people, smallest table 3: someone who met 3 of the 4 others meets at least 1 again
    assert met_before_lower_bound(5, 3, [3, 0, 0, 0, 0]) == 1
    assert met_before_lower_bound(5, 3, [2, 2, 0, 0, 0]) == 0
    assert met_before_lower_bound(5, 3, [4, 4, 4, 4, 4]) == 5


def test_deltas_match_the_penalty_change_with_history() -> None:
    """The incremental evaluation the local search relies on agrees with recomputation."""
    rng = random.Random(7)
    history = [(str(a), str(b)) for a in range(24) for b in range(a + 1, 24) if rng.random() < 0.3]
    problem = TableProblem(people(24), rounds=3, tables=[Table(4)] * 6, met_before=history)
    instance = compile_problem(problem)
    seating = Seating(instance, Weights())
    for r in range(3):
        order = list(range(24))
        rng.shuffle(order)
        for i, p in enumerate(order):
            seating.place(r, p, i % 6)
    for _ in range(300):
        r = rng.randrange(3)
        p, q = rng.sample(range(24), 2)
        a, b = seating.table_of[r][p], seating.table_of[r][q]
        if a == b:
            continue
        before = seating.penalty
        predicted = seating.swap_delta(r, p, q)
        seating.move(r, p, b)
        seating.move(r, q, a)
        assert seating.penalty - before == predicted
        before = seating.penalty
        predicted = seating.move_delta(r, p, a)
        seating.move(r, p, a)
        assert seating.penalty - before == predicted
        seating.move(r, p, b)
    recount = Seating(instance, Weights())
    recount.restore(seating.snapshot())
    assert recount.met_again == seating.met_again
    assert seating.met_again == met_before_pairs(seating.table_ids(), history)


@pytest.mark.parametrize(
    ("pairs", "message"),
    [([("0", "nobody")], "unknown person 'nobody'"), ([("3", "3")], "names '3' twice")],
)
def test_bad_history_pairs_raise_input_error(pairs, message: str) -> None:
    problem = TableProblem(people(8), rounds=1, tables=[Table(4)] * 2, met_before=pairs)
    with pytest.raises(InputError, match=message):
        plan_tables(problem, QUICK)


def earlier_event_pairs(count: int, table_size: int) -> list[tuple[str, str]]:
    """Who sat together at an earlier one-round event seated in order: tables of consecutive ids."""
    return [
        (str(i), str(j))
        for i in range(count)
        for j in range(i + 1, count)
        if i // table_size == j // table_size
    ]


def test_greedy_start_avoids_met_before_pairs() -> None:
    """The first plan, before any search, already keeps apart who met before: 24 people who sat
    in 6 tables of 4 can take one round in 6 tables of 4 with no two of a table together
    again (a Latin transversal), so the greedy has room to find zero."""
    history = earlier_event_pairs(24, 4)
    problem = TableProblem(people(24), rounds=1, tables=[Table(4)] * 6, met_before=history)
    seating = Seating(compile_problem(problem), Weights())
    assert greedy_plan(seating, {}, random.Random(5))
    assert met_before_pairs(seating.table_ids(), history) == 0
    assert seating.met_again == 0


def test_met_before_and_within_event_measures_at_their_bounds() -> None:
    """40 people who sat in tables of 5 at an earlier event, now in tables of 5 for 2 rounds:
    zero met-before pairs is reachable (each met 4 of 39), and so are no repeats and no
    colleagues together; the plan reaches all three bounds at once."""
    history = earlier_event_pairs(40, 5)
    problem = TableProblem(people(40), rounds=2, tables=[Table(5)] * 8, met_before=history)
    plan = plan_tables(problem, QUICK)
    for name in ("met_before_pairs", "repeat_pairs", "same_org_pairs"):
        assert plan.metrics[name]["value"] == plan.metrics[name]["bound"], name
    assert plan.metrics["met_before_pairs"]["bound"] == 0
    assert met_before_pairs(plan.rounds, history) == 0


def test_rotations_lower_the_penalty_and_never_seat_people_who_met() -> None:
    """Rotating three people (each to the next one's seat) only where each sits with people
    new to them: the label count never promises more than the plan gains, no met-before pair
    or repeat is added, and the measures kept move by move agree with a recount."""
    rng = random.Random(11)
    history = [(str(a), str(b)) for a in range(30) for b in range(a + 1, 30) if rng.random() < 0.05]
    problem = TableProblem(people(30), rounds=2, tables=[Table(5)] * 6, met_before=history)
    instance = compile_problem(problem)
    seating = Seating(instance, Weights())
    for r in range(2):
        order = list(range(30))
        rng.shuffle(order)
        for i, p in enumerate(order):
            seating.place(r, p, i % 6)
    checked = 0
    for _ in range(20_000):
        r = rng.randrange(2)
        p, q, s = rng.sample(range(30), 3)
        a, b, c = (seating.table_of[r][x] for x in (p, q, s))
        if len({a, b, c}) < 3 or met_at(seating, r, p, b, but=q):
            continue
        if met_at(seating, r, q, c, but=s) or met_at(seating, r, s, a, but=p):
            continue
        gain = rotation_gain(seating, r, (p, a), (q, b), (s, c))
        before, met, repeats = seating.penalty, seating.met_again, seating.repeats
        for x, t in ((p, b), (q, c), (s, a)):
            seating.move(r, x, t)
        assert before - seating.penalty >= gain
        assert seating.met_again <= met and seating.repeats <= repeats
        checked += 1
    assert checked > 20

    before, met, repeats = seating.penalty, seating.met_again, seating.repeats
    cycle_descent(seating, rng, budget=50_000, deadline=float("inf"), target=-(10**9))
    assert seating.penalty <= before
    assert seating.met_again <= met and seating.repeats <= repeats
    recount = Seating(instance, Weights())
    recount.restore(seating.snapshot())
    assert recount.penalty == seating.penalty
    assert seating.met_again == met_before_pairs(seating.table_ids(), history)
