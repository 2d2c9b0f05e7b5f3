"""Re-seating one whole round at every bound (lns.reseat_round_at_bounds): what the search
uses where people must avoid many earlier tablemates and the last professions need a chain of
moves through the whole round."""

from __future__ import annotations

from scheduler.lns import plain, reseat_round_at_bounds, short_rounds
from scheduler.metrics import met_before_pairs
from scheduler.people import Person
from scheduler.seating import Seating
from scheduler.table_problem import Weights, compile_problem
from scheduler.tables import SolveOptions, Table, TableProblem, plan_tables
from tests.scheduler.test_tables_history import grid_history


def grid_people() -> list[Person]:
    """16 people on a 4x4 grid (grid_history): the column is the sector, row XOR column the
    profession. The three Latin squares of the group Z2 x Z2 orthogonal to that one seat them
    in two rounds with every sector and profession at every table and nobody met again, so
    every bound is reachable."""
    return [
        Person(str(i), f"P{i}", f"org{i}", f"s{i % 4}", f"p{(i // 4) ^ (i % 4)}") for i in range(16)
    ]


def round_pairs(seating: Seating, r: int) -> list[tuple[int, int]]:
    return [(p, q) for table in seating.members[r] for p in table for q in table if p < q]


GF4_TIMES = [[0, 0, 0, 0], [0, 1, 2, 3], [0, 2, 3, 1], [0, 3, 1, 2]]  # multiplication in GF(4)


def test_a_round_reseated_at_its_bounds_meets_nobody_again_and_mixes_fully() -> None:
    """Round 1 seats the grid by the Latin square row + 2 * column (over GF(4)); round 0
    starts by rows, so everyone sits with the people they met before. Re-seated, round 0
    keeps every sector and profession at its most tables (min(T, m)) and seats no pair who
    met before or meets again (row + 3 * column is such a seating)."""
    problem = TableProblem(
        grid_people(), rounds=2, tables=[Table(4)] * 4, met_before=grid_history()
    )
    instance = compile_problem(problem)
    seating = Seating(instance, Weights())
    for p in range(16):
        row, column = divmod(int(instance.ids[p]), 4)
        seating.place(0, instance.unit_of[p], row)
        seating.place(1, instance.unit_of[p], row ^ GF4_TIMES[2][column])
    assert plain(seating) and seating.met_again > 0
    before = seating.penalty
    assert reseat_round_at_bounds(seating, 0, seed=0, workers=1, step_time=5, deadline=1e12)
    assert seating.penalty < before and seating.met_again == 0 and seating.repeats == 0
    assert seating.sec_tables[0] == seating.sec_most
    assert seating.prof_tables[0] == seating.prof_most
    assert short_rounds(seating) == []
    for p, q in round_pairs(seating, 0):
        assert q not in instance.met_before[p] and seating.meet[p][q] == 1


def test_a_plain_event_with_history_reaches_every_bound() -> None:
    history = grid_history()
    problem = TableProblem(grid_people(), rounds=2, tables=[Table(4)] * 4, met_before=history)
    plan = plan_tables(problem, SolveOptions(time_limit=5, seed=1, workers=1, effort=0.1))
    assert met_before_pairs(plan.rounds, history) == 0
    for name in ("sector_mix", "profession_mix"):
        assert plan.metrics[name]["distinct"] == plan.metrics[name]["bound"], plan.metrics
    assert plan.objective == plan.bound and plan.stop_reason == "bound reached"
