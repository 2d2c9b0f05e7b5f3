"""Table-plan measures and bounds (scheduler.metrics)."""

from __future__ import annotations

from itertools import combinations, product
from math import comb

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from ortools.sat.python import cp_model

from scheduler.metrics import (
    balanced_size_ranges,
    balanced_sizes,
    excess_meetings_lower_bound,
    full_tables_bar_no_repeats,
    repeat_lower_bounds,
    repeat_pairs,
    round_overlap_lower_bound,
    size_spread,
    table_plan_metrics,
)


def test_repeat_pairs_counts_each_extra_meeting() -> None:
    rounds = [[["a", "b", "c"], ["d"]], [["a", "b"], ["c", "d"]], [["b", "a"], ["c", "d"]]]
    # a-b meet 3 times (2 extra), c-d twice (1 extra), a-c and b-c once.
    assert repeat_pairs(rounds) == 3


def test_balanced_size_ranges_fill_evenly_and_respect_small_tables() -> None:
    assert balanced_size_ranges(95, [10] * 10) == [(9, 10)] * 10
    assert balanced_size_ranges(100, [10] * 10) == [(10, 10)] * 10
    assert balanced_size_ranges(20, [10, 10, 3]) == [(8, 9), (8, 9), (3, 3)]
    assert balanced_sizes(20, [10, 10, 3]) == [9, 8, 3]
    assert size_spread(balanced_sizes(95, [10] * 10)) == 1


def test_table_plan_metrics_reports_values_beside_bounds() -> None:
    def p(pid, org, sector, profession):
        return (pid, org, sector, profession)

    rounds = [
        [
            [p("1", "A", "x", "u"), p("2", "A", "y", "v")],
            [p("3", "B", "x", "u"), p("4", "C", "y", "v")],
        ],
        [
            [p("1", "A", "x", "u"), p("3", "B", "x", "u")],
            [p("2", "A", "y", "v"), p("4", "C", "y", "v")],
        ],
    ]
    metrics = table_plan_metrics(rounds, [2, 2])
    assert metrics["same_org_pairs"] == {"value": 1, "bound": 0}
    assert metrics["repeat_pairs"] == {"value": 0, "bound": 0}
    assert metrics["sector_mix"] == {"value": 0.75, "distinct": 6, "bound": 8}
    assert metrics["balance"] == {"value": 0, "bound": 0}


groupings = st.lists(
    st.lists(
        st.tuples(st.sampled_from("ABCD"), st.sampled_from("xyz"), st.sampled_from("uv")),
        min_size=2,
        max_size=5,
    ),
    min_size=1,
    max_size=5,
)


@settings(max_examples=60, deadline=None)
@given(st.lists(groupings, min_size=1, max_size=3))
def test_measures_never_beat_their_bounds(raw_rounds) -> None:
    """Any plan (here: random rounds over the same people) sits on the right side of each bound."""
    people = [
        (f"p{i}", *labels) for i, labels in enumerate(x for table in raw_rounds[0] for x in table)
    ]
    sizes = [len(t) for t in raw_rounds[0]]
    rounds = []
    for shift in range(len(raw_rounds)):
        order = people[shift:] + people[:shift]
        tables, start = [], 0
        for size in sizes:
            tables.append(order[start : start + size])
            start += size
        rounds.append(tables)
    metrics = table_plan_metrics(rounds, [max(sizes)] * len(sizes))
    assert metrics["same_org_pairs"]["value"] >= metrics["same_org_pairs"]["bound"]
    assert metrics["repeat_pairs"]["value"] >= metrics["repeat_pairs"]["bound"]
    for name in ("sector_mix", "profession_mix"):
        assert metrics[name]["distinct"] <= metrics[name]["bound"]
        assert 0 < metrics[name]["value"] <= 1


@settings(max_examples=80, deadline=None)
@given(st.data())
def test_repeats_never_beat_their_bound_with_colleagues_and_strangers(data) -> None:
    """Random plans over random organisations and random pairs who should never meet (some of
    whom do meet here, and so are not counted as apart), some leaving a person out of a
    round: repeats stay at or above their bound."""
    sizes = data.draw(st.lists(st.integers(2, 4), min_size=2, max_size=4))
    people = [f"p{i}" for i in range(sum(sizes))]
    orgs = data.draw(st.lists(st.sampled_from("ABC"), min_size=len(people), max_size=len(people)))
    rounds = []
    for _ in range(data.draw(st.integers(2, 6))):
        order = data.draw(st.permutations(range(len(people))))
        cuts = [sum(sizes[:t]) for t in range(len(sizes) + 1)]
        rounds.append(
            [
                [(people[p], orgs[p], "s", "x") for p in order[cuts[t] : cuts[t + 1]]]
                for t in range(len(sizes))
            ]
        )
    if data.draw(st.booleans()):  # an edited plan: someone left out of the last round
        rounds[-1][0].pop()
    apart = data.draw(st.lists(st.tuples(st.sampled_from(people), st.sampled_from(people))))
    metrics = table_plan_metrics(rounds, sizes, apart=apart)
    assert metrics["repeat_pairs"]["value"] >= metrics["repeat_pairs"]["bound"]


def seating_model(sizes: list[int], rounds: int) -> tuple[cp_model.CpModel, dict]:
    """The exact models' common part: seat[p, r, t] for sum(sizes) people, everyone at one
    table a round, every table at its size."""
    people, tables = range(sum(sizes)), range(len(sizes))
    model = cp_model.CpModel()
    seat = {
        (p, r, t): model.new_bool_var("") for p in people for r in range(rounds) for t in tables
    }
    for p, r in product(people, range(rounds)):
        model.add_exactly_one(seat[p, r, t] for t in tables)
    for r, (t, size) in product(range(rounds), enumerate(sizes)):
        model.add(sum(seat[p, r, t] for p in people) == size)
    return model, seat


def exact_solver() -> cp_model.CpSolver:
    solver = cp_model.CpSolver()
    solver.parameters.max_time_in_seconds = 60
    solver.parameters.num_workers = 2
    return solver


def least_repeats(sizes: list[int], rounds: int, organisations: list[int], hosts: int) -> int:
    """An exact CP-SAT model, independent of the planner: the fewest repeats of any plan at
    tables of these sizes where no two colleagues share a table and person h < hosts keeps
    table h in every round."""
    people, tables = range(len(organisations)), range(len(sizes))
    model, seat = seating_model(sizes, rounds)
    for h, r in product(range(hosts), range(rounds)):
        model.add(seat[h, r, h] == 1)
    excess = []
    for p, q in combinations(people, 2):
        if organisations[p] == organisations[q]:
            for r, t in product(range(rounds), tables):
                model.add(seat[p, r, t] + seat[q, r, t] <= 1)
            continue
        meetings = []
        for r, t in product(range(rounds), tables):
            meet = model.new_bool_var("")
            model.add(meet >= seat[p, r, t] + seat[q, r, t] - 1)
            meetings.append(meet)
        extra = model.new_int_var(0, rounds, "")
        model.add(extra >= sum(meetings) - 1)
        excess.append(extra)
    model.minimize(sum(excess))
    solver = exact_solver()
    assert solver.solve(model) == cp_model.OPTIMAL
    return round(solver.objective_value)


@pytest.mark.parametrize(
    ("sizes", "rounds", "organisations", "hosts"),
    [
        # 8 people in 4 pairs of colleagues at 2 tables of 4 for 3 rounds: each sits with 9
        # people but may meet only 6, so 8 * 3 / 2 = 12 repeats; counting says 8
        ([4, 4], 3, [0, 0, 1, 1, 2, 2, 3, 3], 0),
        # 9 strangers at 3 hosted tables of 3 for 4 rounds: each host sits with 8 people but
        # may meet only the 6 who are not hosts; counting says 0
        ([3, 3, 3], 4, list(range(9)), 3),
    ],
)
def test_who_may_never_meet_forces_repeats_that_counting_misses(
    sizes: list[int], rounds: int, organisations: list[int], hosts: int
) -> None:
    people = len(organisations)
    never = [set(range(hosts)) - {p} if p < hosts else set() for p in range(people)]
    repeats, with_colleagues = repeat_lower_bounds(
        [sizes] * rounds, [str(o) for o in organisations], never
    )
    bound = with_colleagues if len(set(organisations)) < people else repeats
    assert bound > excess_meetings_lower_bound([sizes] * rounds, people)
    assert least_repeats(sizes, rounds, organisations, hosts) == bound


def test_two_tables_of_three_twice_repeat_twice_though_counting_says_none() -> None:
    """Each second-round table of 3 takes two people from one first-round table."""
    sizes = [[3, 3], [3, 3]]
    assert excess_meetings_lower_bound(sizes, 6) == 0
    assert round_overlap_lower_bound(sizes) == 2 == least_repeats([3, 3], 2, list(range(6)), 0)
    # 12 people at 3 tables of 4: per later round 3 tables of 1 pair, less with more tables
    assert round_overlap_lower_bound([[4, 4, 4]] * 3) == 6
    assert round_overlap_lower_bound([[4, 4, 4, 0]] * 3) == 6  # an empty table seats nobody
    assert round_overlap_lower_bound([[3, 3, 3, 3]] * 3) == 0
    assert round_overlap_lower_bound([[5, 5], [5, 5], [4, 3, 3]]) == 8 + 4  # against round 1


def test_colleagues_kept_apart_at_a_near_design_size() -> None:
    """23 people in fives for 6 rounds, in 3 organisations of 3 and 7 of 2: a person may meet
    20 or 21 others but sits with 18 + f, f the rounds at a table of 5, whose 90 seats a
    round need 30 more than 9 * 2 + 14 * 3, so 15 repeats; counting (with the full-table
    argument) says 1."""
    organisations = [f"a{i // 3}" for i in range(9)] + [f"b{i // 2}" for i in range(14)]
    sizes = sizes_per_round(23, 5, 6)
    assert repeat_lower_bounds(sizes, organisations, [set()] * 23) == (1, 15)


def nobody_meets_twice(sizes: list[int], rounds: int) -> bool | None:
    """An exact CP-SAT model, independent of the planner: can people at tables of these sizes
    play `rounds` rounds without any pair meeting twice? None if it cannot tell."""
    people, tables = range(sum(sizes)), range(len(sizes))
    model, seat = seating_model(sizes, rounds)
    first_round = [t for t, size in enumerate(sizes) for _ in range(size)]
    for p, t in zip(people, first_round, strict=True):
        model.add(seat[p, 0, t] == 1)  # the first round's tables only name the people
    for p, q in combinations(people, 2):
        for (r1, r2), t1, t2 in product(combinations(range(rounds), 2), tables, tables):
            model.add_bool_or(
                [~seat[p, r1, t1], ~seat[q, r1, t1], ~seat[p, r2, t2], ~seat[q, r2, t2]]
            )
    status = exact_solver().solve(model)
    if status == cp_model.INFEASIBLE:
        return False
    return True if status in (cp_model.FEASIBLE, cp_model.OPTIMAL) else None


@pytest.mark.parametrize(
    ("sizes", "rounds"),
    # 14 at tables of 4, 4, 3, 3: 75 meetings among 91 pairs; 7 at 3, 2, 2: 20 among 21; the
    # first fails the count of short tables, the second the graph of who never meets
    [([4, 4, 3, 3], 5), ([3, 2, 2], 4)],
)
def test_a_full_table_argument_proves_a_repeat_where_counting_does_not(
    sizes: list[int], rounds: int
) -> None:
    """Counting allows nobody to meet twice, yet an exact model finds no such plan; the bound
    says 1. One round fewer can be played without a repeat, and the bound stays 0 there."""
    people = sum(sizes)
    assert sum(comb(s, 2) for s in sizes) * rounds <= comb(people, 2)
    assert excess_meetings_lower_bound([sizes] * rounds, people) == 1
    assert nobody_meets_twice(sizes, rounds) is False
    assert excess_meetings_lower_bound([sizes] * (rounds - 1), people) == 0
    assert nobody_meets_twice(sizes, rounds - 1) is True


def sizes_per_round(people: int, table_size: int, rounds: int) -> list[list[int]]:
    """The balanced table sizes of `people` at tables of `table_size`, for every round."""
    tables = -(-people // table_size)
    return [balanced_sizes(people, [table_size] * tables)] * rounds


@pytest.mark.parametrize(
    ("people", "table_size", "rounds"),
    [(23, 5, 6), (22, 5, 6), (45, 7, 8), (46, 7, 8), (47, 7, 8), (14, 4, 5), (7, 3, 4)],
)
def test_near_design_sizes_where_nobody_meeting_twice_is_impossible(
    people: int, table_size: int, rounds: int
) -> None:
    sizes = sizes_per_round(people, table_size, rounds)
    assert full_tables_bar_no_repeats(sizes, people)
    assert excess_meetings_lower_bound(sizes, people) == 1


@pytest.mark.parametrize(
    ("people", "table_size", "rounds"),
    # sizes with a known plan without a repeat: designs (16, 25, 49 people), the planner's
    # (24 in fours, test_tables_budget) and the exact model's (the rest, run once here)
    [(16, 4, 5), (25, 5, 6), (49, 7, 8), (15, 4, 5), (14, 4, 4), (24, 4, 5), (7, 3, 3)],
)
def test_the_argument_stays_silent_where_it_proves_nothing(
    people: int, table_size: int, rounds: int
) -> None:
    assert not full_tables_bar_no_repeats(sizes_per_round(people, table_size, rounds), people)
    assert not full_tables_bar_no_repeats([[4, 4, 3, 3]] * 4 + [[4, 4, 4, 2]], 14)
