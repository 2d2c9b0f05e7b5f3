"""Known designs (scheduler/designs): each construction checked by its properties, and the table
planner seating design-sized events from them, with organisations and hard rules."""

from __future__ import annotations

import random
import time
from collections import Counter
from dataclasses import replace
from itertools import combinations

import pytest

from benchmarks.instances import golfers, national_people
from scheduler.designs import (
    Design,
    catalogue,
    grid_design,
    nearby_designs,
    rectangle_design,
    search,
)
from scheduler.designs.cyclic import FOUND, CyclicSpec, develop, develop_groups
from scheduler.designs.doubling import (
    doubled_affine_planes,
    lifts,
    solve_gf2,
    two_planes,
    unmet_pairs,
)
from scheduler.designs.field import GaloisField
from scheduler.designs.fit import design_start, relabel
from scheduler.designs.geometry import affine_plane, projective_lines
from scheduler.designs.rectangles import difference_rows
from scheduler.metrics import repeat_pairs, same_label_pairs_lower_bound
from scheduler.people import Person
from scheduler.seating import Seating
from scheduler.table_problem import Weights, compile_problem
from scheduler.tables import SolveOptions, Table, TableProblem, plan_metrics, plan_tables
from tests.scheduler.test_tables_planner import assert_hard_constraints

FAST = SolveOptions(time_limit=5, seed=0, workers=1, effort=0.1)


def meetings(rounds) -> dict[tuple[int, int], int]:
    met: dict[tuple[int, int], int] = {}
    for tables in rounds:
        for table in tables:
            for pair in combinations(sorted(table), 2):
                met[pair] = met.get(pair, 0) + 1
    return met


def assert_resolvable(design: Design, every_pair: bool) -> None:
    """Every round seats every point once at balanced tables (of one size, or of two a seat
    apart, the same in every round); no pair meets twice; with every_pair, everyone meets
    everyone."""
    points = design.points
    sizes = sorted(len(table) for table in design.rounds[0])
    assert sizes[-1] == design.block_size and sizes[-1] - sizes[0] <= 1  # balanced tables
    for tables in design.rounds:
        assert sorted(p for table in tables for p in table) == list(range(points))
        assert sorted(len(table) for table in tables) == sizes
    met = meetings(design.rounds)
    assert max(met.values()) == 1
    if every_pair:
        assert len(met) == points * (points - 1) // 2


@pytest.mark.parametrize("design", catalogue(), ids=lambda d: d.name)
def test_every_catalogued_design_is_a_resolvable_design(design: Design) -> None:
    pairs_seated = sum(len(table) * (len(table) - 1) for table in design.rounds[0])
    complete = len(design.rounds) * pairs_seated == design.points * (design.points - 1)
    assert_resolvable(design, every_pair=complete)
    groups = design.groups_for(len(design.rounds))
    if not complete and groups is not None:  # a partition whose members never meet
        assert sorted(p for group in groups for p in group) == list(range(design.points))
        unmet = set(combinations(range(design.points), 2)) - set(meetings(design.rounds))
        assert {pair for group in groups for pair in combinations(group, 2)} <= unmet
    assert complete or design.name in (
        "18/3/8",
        "doubled AG(2, 4)",
        "44/4/13",
        "26/5/6",
        "36/4/11",
        "24/4/7",
        "24/3/11",
        "36/3/17",
        "30/3/14",
        "30/5/6",
        "42/3/20",
        "48/3/23",
        "54/3/26",
    )
    most_rounds = (design.points - 1) // (design.block_size - 1)
    # not found here: 44 people for 14 rounds (a resolvable 4-GDD of type 2^22), 30 in fives
    # for 7 (each meeting 28 of 29)
    assert len(design.rounds) == most_rounds - (design.name in ("44/4/13", "30/5/6"))


def test_thirty_two_people_meet_in_fours_for_ten_rounds_everyone_but_their_partner() -> None:
    """The doubled affine planes (8-4-10): every round 8 tables of 4 seating all 32, no pair
    twice, and the 16 pairs that never meet are (x, 0), (x, 1): a resolvable 4-GDD of type 2^16."""
    design = Design("doubled", doubled_affine_planes())
    assert (design.points, design.block_size, len(design.rounds)) == (32, 4, 10)
    assert_resolvable(design, every_pair=False)
    met = meetings(design.rounds)
    assert len(met) == 480
    assert set(combinations(range(32), 2)) - set(met) == set(unmet_pairs())
    assert sorted(p for pair in unmet_pairs() for p in pair) == list(range(32))


def test_the_lifts_solve_the_pair_equations_and_one_plane_twice_cannot() -> None:
    """e_L(x) + e_L(y) + e_M(x) + e_M(y) = 1 for the lines L, M of the two planes through each
    pair; with the same plane twice no lift exists (L = M: the sum is always 0)."""
    first, second = two_planes()
    design_lifts = lifts((first, second))
    through = [
        {pair: line for cls in p for line in cls for pair in combinations(line, 2)}
        for p in (first, second)
    ]
    assert not set(through[0].values()) & set(through[1].values())  # no common line
    for pair, line in through[0].items():
        other = through[1][pair]
        total = sum(design_lifts[line][x] + design_lifts[other][x] for x in pair)
        assert total % 2 == 1
    with pytest.raises(ValueError):
        lifts((first, first))


@pytest.mark.parametrize("seed", range(5))
def test_gf2_elimination_solves_consistent_systems_and_rejects_contradictions(seed: int):
    rng = random.Random(seed)
    hidden = rng.getrandbits(12)
    masks = [rng.getrandbits(12) | 1 for _ in range(9)]
    equations = [(m, bin(m & hidden).count("1") % 2) for m in masks]
    solution = solve_gf2(equations)
    assert solution is not None
    assert all(bin(m & solution).count("1") % 2 == rhs for m, rhs in equations)
    mask, rhs = equations[0]
    assert solve_gf2([*equations, (mask, rhs ^ 1)]) is None


@pytest.mark.parametrize(("size", "groups"), [(3, 3), (4, 5), (4, 8), (5, 9), (6, 7), (8, 16)])
def test_the_grid_never_seats_row_mates_together(size: int, groups: int) -> None:
    design = grid_design(size, groups)
    assert design is not None
    assert_resolvable(design, every_pair=False)
    rows = design.groups_for(groups)
    assert rows is not None and len(rows) == size
    met = meetings(design.rounds[:groups])
    assert not any(pair in met for row in rows for pair in combinations(row, 2))
    assert grid_design(size, 6) is None and grid_design(groups + 1, groups) is None


@pytest.mark.parametrize(
    ("size", "tables", "rounds"), [(10, 12, 4), (5, 6, 3), (8, 10, 4), (10, 14, 4), (10, 15, 4)]
)
def test_latin_rectangles_seat_tables_no_prime_power_with_nobody_meeting_twice(
    size: int, tables: int, rounds: int
) -> None:
    """Every round a partition of everyone into `tables` tables of `size`, no pair meeting
    twice, row-mates never meeting and each row holding one seat at every table (so an
    organisation in one row never has two people at a table)."""
    design = rectangle_design(size, tables, rounds)
    assert design is not None and len(design.rounds) == rounds
    assert design.points == size * tables and design.tables == tables
    assert_resolvable(design, every_pair=False)
    rows = design.groups_for(rounds)
    assert rows is not None and sorted(len(row) for row in rows) == [tables] * size
    met = meetings(design.rounds)
    assert not any(pair in met for row in rows for pair in combinations(row, 2))
    for tables_of_round in design.rounds:
        for table in tables_of_round:
            assert all(len(set(table) & set(row)) == 1 for row in rows)


def test_latin_rectangles_are_not_tried_where_no_complete_mapping_exists() -> None:
    """Z_T of even order has no complete mapping (Hall & Paige): T rows of T never work."""
    assert difference_rows(12, 12, 3) is None and difference_rows(12, 13, 3) is None
    assert difference_rows(12, 12, 2) is not None


def test_120_people_in_tables_of_ten_for_four_rounds_meet_nobody_twice() -> None:
    """The scale curve's first point (12 tables, no prime power): the Latin rectangles seat it
    with no repeat, colleagues (organisations of up to 31) no closer than the pigeonhole
    bound."""
    people = national_people(120, 1)
    assert nearby_designs(120, 10, 12, 4)[0].name == "Latin rectangles 10 x 12"
    problem = TableProblem.with_table_size(people, 4, 10)
    plan = plan_tables(problem, SolveOptions(time_limit=2, seed=0, workers=1, effort=0.1))
    assert_hard_constraints(problem, plan)
    assert plan.metrics["repeat_pairs"] == {"value": 0, "bound": 0}
    sizes = Counter(p.organisation for p in people).values()
    assert plan.metrics["same_org_pairs"]["value"] == 4 * same_label_pairs_lower_bound(sizes, 12)


def test_relabelling_a_design_start_mixes_every_sector_in_and_adds_no_repeat() -> None:
    """70 people of a national event (organisations of 1 to 40) in 10 tables of 7 for 4 rounds,
    from the Latin rectangles: the annealing relabel keeps the design's rounds free of repeats,
    brings colleagues down to their pigeonhole bound and every sector to every table it can
    reach (both bounds counted from the sizes), and more professions to the tables, in a quarter
    of its usual swaps."""
    instance = compile_problem(TableProblem.with_table_size(national_people(70, 1), 4, 7))
    start = design_start(instance, Weights(), random.Random(0), seconds=10)
    assert start is not None
    seating, rounds = start
    assert rounds == 4
    before = plan_metrics(seating)
    deadline = time.monotonic() + 60
    relabel(seating, rounds, random.Random(0), deadline, target=-(10**9), effort=0.25)
    after = plan_metrics(seating)
    assert after["repeat_pairs"] == {"value": 0, "bound": 0}
    colleagues = after["same_org_pairs"]
    assert before["same_org_pairs"]["value"] > colleagues["value"] == colleagues["bound"]
    sectors, professions = after["sector_mix"], after["profession_mix"]
    assert before["sector_mix"]["distinct"] < sectors["distinct"] == sectors["bound"]
    assert before["profession_mix"]["distinct"] < professions["distinct"]


def test_a_swap_in_every_round_changes_the_penalty_by_its_label_deltas_alone() -> None:
    """Relabel weighs a swap made in every round without making it: who meets whom stays, up to
    the two names, so the penalty moves by the organisation, sector and profession deltas of the
    rounds where the two sit apart. Checked against the swap made, on a random plan with
    repeats (60 national people, 10 tables of 6, 4 rounds)."""
    rng = random.Random(5)
    instance = compile_problem(TableProblem.with_table_size(national_people(60, 3), 4, 6))
    seating = Seating(instance, Weights())
    for r in range(instance.rounds):
        order = rng.sample(range(instance.people), instance.people)
        for i, p in enumerate(order):
            seating.place(r, p, i % instance.tables)
    assert seating.repeats > 0
    repeats = seating.repeats
    for _ in range(500):
        p, q = rng.sample(range(instance.people), 2)
        apart = [
            r for r in range(instance.rounds) if seating.table_of[r][p] != seating.table_of[r][q]
        ]
        predicted = sum(seating.label_swap_delta(r, p, q) for r in apart)
        before = seating.penalty
        for r in apart:
            a, b = seating.table_of[r][p], seating.table_of[r][q]
            seating.move(r, p, b)
            seating.move(r, q, a)
        assert seating.penalty - before == predicted
        assert seating.repeats == repeats


def test_a_relabelled_design_plan_that_reaches_its_bound_comes_back_the_same_for_its_seed():
    """60 people in 10 tables of 6 for 4 rounds: the relabel's annealing is counted in swaps,
    not seconds, so the organiser's "variation" number gives the same plan again."""
    problem = TableProblem.with_table_size(national_people(60, 2), 4, 6)
    options = SolveOptions(time_limit=30, seed=0, workers=1, effort=0.25)
    first, second = plan_tables(problem, options), plan_tables(problem, options)
    assert first.stop_reason == second.stop_reason == "bound reached"
    assert first.metrics["repeat_pairs"] == {"value": 0, "bound": 0}
    assert first.rounds == second.rounds


def test_relabelling_run_after_run_brings_a_national_list_to_every_bound() -> None:
    """120 people of a national event (15 organisations, one of 35) in 12 tables of 10 for 4
    rounds: one relabel of the design start leaves a profession a table short, and the tabu,
    assignment and CP-SAT steps find nothing more in a minute. Relabelling every round again
    from each run's best plan seats every profession at every table it can reach, so the plan
    meets its bound on every measure and the search stops there."""
    problem = TableProblem.with_table_size(national_people(120, 4), 4, 10)
    plan = plan_tables(problem, SolveOptions(time_limit=60, seed=4))
    assert plan.stop_reason == "bound reached"
    for measure in ("same_org_pairs", "repeat_pairs"):
        assert plan.metrics[measure]["value"] == plan.metrics[measure]["bound"]
    for measure in ("sector_mix", "profession_mix"):
        assert plan.metrics[measure]["distinct"] == plan.metrics[measure]["bound"]


@pytest.mark.parametrize("q", [4, 8, 9, 16])
def test_small_fields_are_fields(q: int) -> None:
    field = GaloisField.of_order(q)
    assert field is not None
    elements = range(q)
    for a in elements:
        assert sorted(field.add(a, b) for b in elements) == list(elements)
        if a:
            assert sorted(field.mul(a, b) for b in elements) == list(elements)
    for a, b, c in combinations(elements, 3):
        assert field.mul(a, field.add(b, c)) == field.add(field.mul(a, b), field.mul(a, c))
    assert GaloisField.of_order(12) is None and affine_plane(6) is None


def test_projective_space_and_found_designs_have_the_right_shape() -> None:
    assert len(projective_lines(3, 3)) == 130 and len(projective_lines(3, 2)) == 35
    for spec in FOUND.values():
        rounds = develop(spec)
        assert len({p for tables in rounds for table in tables for p in table}) == (
            spec.modulus * spec.rows + spec.fixed
        )


def test_the_searches_that_found_the_shipped_data_still_find_designs() -> None:
    kirkman = search.find(CyclicSpec(7, 2, 1, 3, full_count=1), exact=True, seconds=20)
    assert kirkman is not None
    assert_resolvable(Design("found", develop(kirkman)), every_pair=True)
    shape = CyclicSpec(7, 4, 0, 4, full_count=1, short_count=2)
    with_short_blocks = search.find_with_short_blocks(shape, seconds=20)
    assert with_short_blocks is not None and len(develop(with_short_blocks)) == 9
    assert_resolvable(Design("found", develop(with_short_blocks)), every_pair=True)
    shape, sizes = search.MIXED_SIZES["26/5/6"]
    two_sizes = search.find(shape, exact=False, seconds=20, sizes=sizes)
    assert two_sizes is not None and len(develop(two_sizes)) == 6
    assert_resolvable(Design("found", develop(two_sizes)), every_pair=False)
    shape, exact = search.TARGETS["24/4/7"]
    with_groups = search.find(shape, exact, seconds=20)
    assert with_groups is not None and with_groups.group_base == (0, 7, 14)
    design = Design("found", develop(with_groups), [develop_groups(with_groups)] * 7)
    assert_resolvable(design, every_pair=False)
    unmet = set(combinations(range(24), 2)) - set(meetings(design.rounds))
    assert unmet == {pair for group in design.groups_for(7) for pair in combinations(group, 2)}
    spreads = search.find_packing(projective_lines(3, 2), 15, seconds=20)
    assert spreads is not None and sorted(Counter(spreads).values()) == [5] * 7


def test_nearby_designs_are_nearest_first_and_never_need_more_tables() -> None:
    near = nearby_designs(38, 4, 10)
    assert near and all(d.block_size == 4 and d.tables <= 10 for d in near)
    assert near[0].points == 40
    assert nearby_designs(40, 4, 10)[0].name == "PG(3, 3)"
    assert nearby_designs(30, 6, 5) == []  # no design seats about 30 people in sixes


@pytest.mark.parametrize(
    ("people", "size", "rounds"),
    [
        (40, 4, 13),
        (32, 4, 10),
        (28, 4, 9),
        (21, 3, 10),
        (18, 3, 8),
        (44, 4, 13),
        (26, 5, 6),
        (36, 4, 11),
        (24, 4, 7),
        (24, 3, 11),
        (33, 3, 16),
        (36, 3, 17),
        (30, 3, 14),
        (30, 5, 6),
        (39, 3, 19),
        (42, 3, 20),
        (45, 3, 22),
        (48, 3, 23),
        (51, 3, 25),
        (54, 3, 26),
    ],
)
def test_design_sized_golfers_meet_nobody_twice_at_once(people: int, size: int, rounds: int):
    problem = TableProblem.with_table_size(golfers(people), rounds, size)
    plan = plan_tables(problem, FAST)
    assert_hard_constraints(problem, plan)
    assert plan.metrics["repeat_pairs"] == {"value": 0, "bound": 0}
    assert plan.status == "optimal"


@pytest.mark.parametrize("people", [38, 42])
def test_fewer_or_more_people_than_a_design_still_meet_nobody_twice(people: int) -> None:
    """38 people: two empty seats in one group of the 40-person design; 42: an eleventh table
    made by splitting a design table, each half taking one of the two extra people."""
    problem = TableProblem.with_table_size(golfers(people), 12, 4)
    plan = plan_tables(problem, FAST)
    assert_hard_constraints(problem, plan)
    assert plan.metrics["repeat_pairs"] == {"value": 0, "bound": 0}
    assert plan.status == "optimal"


def test_colleagues_apart_for_every_round_of_a_design_repeat_no_more_than_they_must() -> None:
    """40 people in 10 organisations of 4 for all 13 rounds of the projective packing: the
    first 12 follow the design with one spread as organisations, so the 13th, with colleagues
    apart, can only repeat cross-organisation pairs: 10 tables of 6 pairs, the bound."""
    people = [Person(f"p{i}", f"P{i}", f"Org {i // 4}", "-", "-") for i in range(40)]
    problem = TableProblem.with_table_size(people, 13, 4)
    plan = plan_tables(problem, FAST)
    assert_hard_constraints(problem, plan)
    assert plan.metrics["same_org_pairs"]["value"] == 0
    assert plan.metrics["repeat_pairs"] == {"value": 60, "bound": 60}
    assert plan.status == "optimal" and plan.stop_reason == "bound reached"


def test_hosts_at_every_table_follow_the_design_but_its_last_round() -> None:
    """32 people in fours for 9 rounds, a facilitator keeping each of the 8 tables: the
    design start follows 8 rounds of the 4 x 8 grid, facilitators on one row (which never
    meets), without a repeat; only the last round, seated greedily, repeats."""
    people = [replace(p, facilitator=i < 8) for i, p in enumerate(golfers(32))]
    instance = compile_problem(TableProblem.with_table_size(people, 9, 4))
    start = design_start(instance, Weights(), random.Random(0), seconds=10)
    assert start is not None
    seating, relabel_rounds = start
    assert relabel_rounds == 0  # facilitators hold their tables
    rounds = seating.table_ids()
    assert repeat_pairs(rounds[:8]) == 0 < repeat_pairs(rounds)
    for host in (p.id for p in people[:8]):
        assert len({t for tables in rounds for t, table in enumerate(tables) if host in table}) == 1


def test_thirty_two_people_in_pairs_of_colleagues_meet_no_colleague_for_ten_rounds() -> None:
    """16 organisations of 2 go onto the design's groups: colleagues never share a table."""
    people = [Person(f"p{i}", f"P{i}", f"Org {i // 2}", "-", "-") for i in range(32)]
    problem = TableProblem.with_table_size(people, 10, 4)
    plan = plan_tables(problem, FAST)
    assert_hard_constraints(problem, plan)
    assert plan.metrics["same_org_pairs"]["value"] == 0
    assert plan.metrics["repeat_pairs"]["value"] == 0
    assert plan.status == "optimal"


@pytest.mark.parametrize(
    ("people", "rounds"),
    [(29, 9), (33, 10), (35, 10), (43, 12), (41, 13), (44, 12)],
)
def test_a_few_people_off_a_design_meet_nobody_twice_the_same_way_every_time(
    people: int, rounds: int
) -> None:
    """29 in fours for 9 rounds: three empty seats at one table of the unused tenth round of
    the doubled planes; 33 and 35 for 10 rounds: the new table seats an extra person with two
    design partners (who never meet otherwise); 43 for 12 rounds: with two people of one line of
    PG(3, 3)'s unused spread; 41 for 13 rounds: three empty seats where the 44-person design's
    groups never meet; 44 for 12 rounds: that design without its last round. Runs that reach
    the bound are reproducible for a seed."""
    problem = TableProblem.with_table_size(golfers(people), rounds, 4)
    first, second = plan_tables(problem, FAST), plan_tables(problem, FAST)
    assert_hard_constraints(problem, first)
    assert first.metrics["repeat_pairs"] == {"value": 0, "bound": 0}
    assert first.stop_reason == "bound reached"
    assert second.rounds == first.rounds


def test_a_design_start_above_its_bound_still_searches_to_the_time_limit() -> None:
    """23 people in fives for 6 rounds: AG(2, 5) with two empty seats that meet in one round,
    so its start has repeats; the bound is 1 (metrics.full_tables_bar_no_repeats; no plan
    known reaches it), and the search after the design start keeps going until the time limit
    and says so."""
    problem = TableProblem.with_table_size(golfers(23), 6, 5)
    plan = plan_tables(problem, SolveOptions(time_limit=2, seed=0, workers=1))
    assert_hard_constraints(problem, plan)
    assert plan.stop_reason == "time limit" and plan.status == "feasible"
    assert 1.5 <= plan.elapsed <= 2.0
    assert plan.metrics["repeat_pairs"]["value"] > plan.metrics["repeat_pairs"]["bound"] == 1


def organisations_of_four(count: int) -> list[Person]:
    return [Person(f"p{i}", f"P{i}", f"Org {i % 10}", "-", "-") for i in range(count)]


def test_forty_people_in_ten_organisations_meet_no_colleague_and_nobody_twice() -> None:
    """The resolvable group divisible design: one spread of PG(3, 3) as the organisations."""
    problem = TableProblem.with_table_size(organisations_of_four(40), 12, 4)
    plan = plan_tables(problem, FAST)
    assert_hard_constraints(problem, plan)
    assert plan.metrics["same_org_pairs"]["value"] == 0
    assert plan.metrics["repeat_pairs"]["value"] == 0
    assert plan.status == "optimal"
    org = {p.id: p.organisation for p in problem.people}
    for tables in plan.rounds:
        for table in tables:
            assert len({org[pid] for pid in table}) == len(table)


def test_twenty_four_people_in_eight_organisations_of_three_meet_everyone_else_once() -> None:
    """The resolvable 4-GDD of type 3^8 (cyclic.FOUND["24/4/7"]): its groups of three take the
    organisations, so over 7 rounds in fours nobody meets a colleague and everyone meets each
    of the other 21 exactly once."""
    people = [Person(f"p{i}", f"P{i}", f"Org {i % 8}", "-", "-") for i in range(24)]
    problem = TableProblem.with_table_size(people, 7, 4)
    plan = plan_tables(problem, FAST)
    assert_hard_constraints(problem, plan)
    assert plan.stop_reason == "bound reached"
    org = {p.id: p.organisation for p in people}
    met = meetings(plan.rounds)
    assert set(met.values()) == {1}
    assert set(met) == {(a, b) for a, b in combinations(sorted(org), 2) if org[a] != org[b]}


def test_colleagues_facilitators_keep_apart_pins_and_access_needs_all_hold_on_a_design() -> None:
    """Organisation 0 holds both facilitators and both people with access needs: in a design
    everyone else meets everyone, so only they can share its group (nobody meets a facilitator
    at a table without access otherwise)."""
    people = [
        Person(f"p{i}", f"P{i}", f"Org {i % 10}", "-", "-", facilitator=i in (0, 10))
        for i in range(40)
    ]
    problem = TableProblem(
        people,
        rounds=12,
        tables=[Table(4, accessible=t < 2) for t in range(10)],
        keep_apart=[("p1", "p11")],
        pinned={("p35", 5): 7},
        needs_accessible=["p20", "p30"],
    )
    plan = plan_tables(problem, SolveOptions(time_limit=20, seed=0, workers=1, effort=0.1))
    assert_hard_constraints(problem, plan)
    assert plan.metrics["repeat_pairs"]["value"] == 0
    assert plan.metrics["same_org_pairs"]["value"] == 0
    assert plan.status == "optimal"
