"""A series of events: the table planner with and without the encounter history.

    python -m benchmarks.series [--seed 1] [--time-limit 60] [--quick]

Three events of 240 people in tables of 10 for 4 rounds, each sharing 70% of its people with
the events before it (the rest are new), planned in date order. `with history` passes every
pair who sat together at an earlier event of the series (in the plans made with history) as
met_before; `without` plans each event alone and counts the same pairs afterwards, against
its own earlier plans. Every measure is printed as value/bound; mixes as distinct/bound. Each
plan gets the time the app gives a table plan unless told otherwise (60 s); a plan that reaches
every bound stops there.
"""

from __future__ import annotations

import argparse
import random
import time

from benchmarks.instances import realistic_people
from scheduler.metrics import table_plan_metrics
from scheduler.people import Person
from scheduler.tables import SolveOptions, TableProblem, plan_tables

EVENTS, PEOPLE, OVERLAP, TABLE_SIZE, ROUNDS, TIME_LIMIT = 3, 240, 0.7, 10, 4, 60.0
QUICK = (3, 100, 0.7, 8, 3, 5.0)


def series_people(events: int, count: int, overlap: float, seed: int) -> list[list[Person]]:
    """Each event keeps `overlap` of its people from the earlier events (drawn at random from
    everyone who came before) and fills the rest with newcomers."""
    rng = random.Random(seed)
    pool = realistic_people(count + (events - 1) * count, seed)
    fresh = iter(pool[count:])
    attendees = [pool[:count]]
    came: list[Person] = list(pool[:count])
    for _ in range(events - 1):
        returning = rng.sample(came, round(overlap * count))
        newcomers = [next(fresh) for _ in range(count - len(returning))]
        attendees.append(returning + newcomers)
        came.extend(newcomers)
    return attendees


def pairs_seated_together(rounds: list[list[list[str]]]) -> set[tuple[str, str]]:
    return {(a, b) for tables in rounds for table in tables for a in table for b in table if a < b}


def run_series(
    attendees: list[list[Person]], size: int, rounds: int, limit: float, seed: int, history: bool
) -> list[tuple[dict, float, str, int]]:
    """Plan the events in order; per event (measures, seconds, status, met-before pairs)."""
    met: set[tuple[str, str]] = set()
    results = []
    for people in attendees:
        present = {p.id: p for p in people}
        earlier = sorted((a, b) for a, b in met if a in present and b in present)
        problem = TableProblem.with_table_size(people, rounds, size)
        if history:
            problem.met_before = earlier
        start = time.monotonic()
        plan = plan_tables(problem, SolveOptions(time_limit=limit, seed=seed, workers=2))
        seconds = time.monotonic() - start
        # measured the same way in both modes, so "without" counts the pairs it was not told of
        labelled = [
            [
                [
                    (pid, present[pid].organisation, present[pid].sector, present[pid].profession)
                    for pid in table
                ]
                for table in tables
            ]
            for tables in plan.rounds
        ]
        capacities = [table.capacity for table in problem.tables]
        metrics = table_plan_metrics(labelled, capacities, earlier)
        metrics.setdefault("met_before_pairs", {"value": 0, "bound": 0})
        results.append((metrics, seconds, plan.status, len(earlier)))
        met |= pairs_seated_together(plan.rounds)
    return results


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--time-limit", type=float, help="seconds per plan (default 60)")
    parser.add_argument("--quick", action="store_true", help="three events of 100 people, 5 s each")
    args = parser.parse_args(argv)
    events, count, overlap, size, rounds, limit = (
        QUICK if args.quick else (EVENTS, PEOPLE, OVERLAP, TABLE_SIZE, ROUNDS, TIME_LIMIT)
    )
    limit = args.time_limit or limit
    attendees = series_people(events, count, overlap, args.seed)
    print(
        f"{events} events of {count} people, {overlap:.0%} returning, tables of {size}, "
        f"{rounds} rounds, {limit:g} s each"
    )
    print(
        "| event | history | met before | met again/bound | same-org/bound | repeats/bound "
        "| sector mix | profession mix | time s | status |"
    )
    print("|" + "---|" * 10)
    for history in (False, True):
        results = run_series(attendees, size, rounds, limit, args.seed, history)
        for number, (metrics, seconds, status, known) in enumerate(results, start=1):

            def pair(name: str, m: dict = metrics) -> str:
                return f"{m[name]['value']}/{m[name]['bound']}"

            def mix(name: str, m: dict = metrics) -> str:
                return f"{m[name]['distinct']}/{m[name]['bound']}"

            print(
                f"| {number} | {'with' if history else 'without'} | {known} "
                f"| {pair('met_before_pairs')} | {pair('same_org_pairs')} "
                f"| {pair('repeat_pairs')} | {mix('sector_mix')} | {mix('profession_mix')} "
                f"| {seconds:.1f} | {status} |",
                flush=True,
            )


if __name__ == "__main__":
    main()
