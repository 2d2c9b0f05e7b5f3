"""Table planner against two baselines on seeded realistic events and social-golfer instances.

    python -m benchmarks.tables [--seed 1] [--quick]

Methods: `planner` (scheduler.tables.plan_tables), `random` (each round, shuffle everyone and deal
them to tables in balanced sizes, facilitators staying at their table) and `greedy` (the
planner's round-by-round greedy start with no search afterwards). Every measure is printed
as value/bound; mixes as distinct/bound with the ratio.
"""

from __future__ import annotations

import argparse
import random
import time

from benchmarks.instances import golfers, realistic_people
from scheduler.construct import facilitator_tables, greedy_plan
from scheduler.people import Person
from scheduler.seating import Seating
from scheduler.table_problem import Weights, compile_problem
from scheduler.tables import SolveOptions, TableProblem, plan_metrics, plan_tables

# (label, people, table size, rounds, facilitators, time limit in seconds)
REALISTIC = [
    ("event", 100, 8, 4, 0, 30),
    ("event", 240, 10, 5, 24, 30),
    ("event", 600, 10, 5, 0, 120),
]
GOLFERS = [
    ("kirkman", 15, 3, 7, 20),
    ("golfers", 32, 4, 8, 20),
    ("golfers", 32, 4, 9, 20),
    ("golfers", 32, 4, 10, 20),
]
QUICK_REALISTIC = [("event", 100, 8, 4, 0, 10)]
QUICK_GOLFERS = [("kirkman", 15, 3, 7, 10)]


def random_balanced(problem: TableProblem, seed: int) -> tuple[dict, float]:
    start = time.monotonic()
    instance = compile_problem(problem)
    seating = Seating(instance, Weights())
    hosts = facilitator_tables(instance) or {}
    rng = random.Random(seed)
    for r in range(instance.rounds):
        for u, t in hosts.items():
            seating.place(r, u, t)
        others = [u for u in range(len(instance.units)) if u not in hosts]
        rng.shuffle(others)
        for u in others:
            # deal in turn: the emptiest table relative to its balanced lower size
            t = min(
                (t for t in range(instance.tables) if seating.size(r, t) < instance.hi[t]),
                key=lambda t: (seating.size(r, t) - instance.lo[t], t),
            )
            seating.place(r, u, t)
    return plan_metrics(seating), time.monotonic() - start


def greedy(problem: TableProblem, seed: int) -> tuple[dict, float]:
    start = time.monotonic()
    instance = compile_problem(problem)
    seating = Seating(instance, Weights())
    greedy_plan(seating, facilitator_tables(instance) or {}, random.Random(seed))
    return plan_metrics(seating), time.monotonic() - start


def planner(problem: TableProblem, seed: int, time_limit: float) -> tuple[dict, float, str]:
    start = time.monotonic()
    plan = plan_tables(problem, SolveOptions(time_limit=time_limit, seed=seed, workers=2))
    return plan.metrics, time.monotonic() - start, plan.status


def row(
    label: str, method: str, problem: TableProblem, metrics: dict, seconds: float, status: str
) -> str:
    def pair(name: str) -> str:
        return f"{metrics[name]['value']}/{metrics[name]['bound']}"

    def mix(name: str) -> str:
        m = metrics[name]
        return f"{m['distinct']}/{m['bound']} {m['value']:.3f}"

    return (
        f"| {label} | {method} | {len(problem.people)} | {len(problem.tables)} | {problem.rounds} "
        f"| {seconds:.1f} | {pair('same_org_pairs')} | {pair('repeat_pairs')} "
        f"| {mix('sector_mix')} | {mix('profession_mix')} | {pair('balance')} | {status} |"
    )


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--quick", action="store_true", help="one small event and Kirkman only")
    args = parser.parse_args(argv)
    cases: list[tuple[str, list[Person], int, int, float]] = []
    for label, count, size, rounds, hosts, limit in QUICK_REALISTIC if args.quick else REALISTIC:
        people = realistic_people(count, args.seed, facilitators=hosts)
        cases.append((f"{label}{' +hosts' if hosts else ''}", people, size, rounds, limit))
    for label, count, size, rounds, limit in QUICK_GOLFERS if args.quick else GOLFERS:
        cases.append((label, golfers(count), size, rounds, limit))
    print(
        "| instance | method | people | tables | rounds | time s | same-org/bound | repeats/bound "
        "| sector mix | profession mix | balance/bound | status |"
    )
    print("|" + "---|" * 12)
    for label, people, size, rounds, limit in cases:
        problem = TableProblem.with_table_size(people, rounds, size)
        metrics, seconds = random_balanced(problem, args.seed)
        print(row(label, "random", problem, metrics, seconds, "-"), flush=True)
        metrics, seconds = greedy(problem, args.seed)
        print(row(label, "greedy", problem, metrics, seconds, "-"), flush=True)
        metrics, seconds, status = planner(problem, args.seed, limit)
        print(row(label, "planner", problem, metrics, seconds, status), flush=True)


if __name__ == "__main__":
    main()
