"""Table planner against two baselines on seeded realistic events, on tight rotations, and at
national scale.

    python -m benchmarks.tables [--only NAME ...] [--time-limit S] [--seeds 0,1] [--quick]

Three tables, each checked by an independent checker (pairs counted straight from the rounds,
not the planner's own measures):

- realistic events: methods `planner` (scheduler.tables.plan_tables), `random` (each round,
  shuffle everyone and deal them to tables in balanced sizes, facilitators staying at their
  table) and `greedy` (the planner's round-by-round greedy start with no search afterwards);
  every measure as value/bound, mixes as distinct/bound with the ratio;
- tight rotations (social golfers, and 40 people in 10 organisations of 4 for 12 rounds), each
  with a zero-repeat schedule: excess meetings = sum over pairs of max(0, meetings - 1) beside
  the planner's repeat bound and the counting bound alone, colleagues seated together, time and
  why the planner stopped; then, the same way, rotations where colleagues kept apart or
  facilitators keeping their tables force repeats that counting alone does not see;
- the scale curve, 120 to 5,000 people (tables of 10, 4 rounds, organisations of 1-40): time to
  the first full plan, time until the pair measures (colleagues together, repeats, balance)
  are at their bounds, time until every measure is (the search stops, "bound reached"), each
  measure beside its bound (mixes as distinct/bound and ratio), and peak memory (maximum
  resident set of a fresh process per size, so sizes do not share a heap).

--only (repeatable) keeps a section ("realistic", "tight", "forced", "scale") or one instance
("event-100", "32/4/10", "40/4/12 in organisations of 4", "scale-5000"); --time-limit replaces
every instance's limit (default: the issue's 60 s for tight rotations and the scale curve).
"""

from __future__ import annotations

import argparse
import json
import random
import resource
import subprocess
import sys
import time
from collections import Counter
from dataclasses import replace
from itertools import combinations

from benchmarks.instances import golfers, national_people, realistic_people
from scheduler.construct import facilitator_tables, greedy_plan
from scheduler.metrics import balanced_sizes, excess_meetings_lower_bound
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
QUICK_REALISTIC = [("event", 100, 8, 4, 0, 10)]
# (people, table size, rounds, organisation size or 0 for golfers, facilitators): each has a
# zero-repeat schedule (research/planner.md); with organisations, also one with no colleagues
# together
TIGHT = [
    (15, 3, 7, 0, 0),
    (32, 4, 8, 0, 0),
    (32, 4, 9, 0, 0),
    (32, 4, 10, 0, 0),
    (40, 4, 10, 0, 0),
    (40, 4, 12, 0, 0),
    (40, 4, 13, 0, 0),
    (28, 4, 9, 0, 0),
    (18, 3, 8, 0, 0),
    (16, 4, 5, 0, 0),
    (25, 5, 6, 0, 0),
    (21, 3, 10, 0, 0),
    (49, 7, 8, 0, 0),
    (40, 4, 12, 4, 0),
    (24, 4, 7, 0, 0),
    (24, 4, 7, 3, 0),
]
QUICK_TIGHT = [(15, 3, 7, 0, 0)]
# Every round of a design used, so colleagues kept apart must meet someone again; or a
# facilitator at every table, who can meet only the others
FORCED = [
    (16, 4, 5, 4, 0),
    (25, 5, 6, 5, 0),
    (40, 4, 13, 4, 0),
    (16, 4, 9, 0, 4),
    (32, 4, 9, 0, 8),
]
TIGHT_LIMIT = 60.0
SCALE = [120, 300, 600, 1200, 2400, 5000]
QUICK_SCALE = [120]
SCALE_LIMIT = 60.0


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


def tight_name(count: int, size: int, rounds: int, org_size: int, hosts: int) -> str:
    name = f"{count}/{size}/{rounds}"
    if org_size:
        name += f" in organisations of {org_size}"
    return f"{name} with {hosts} facilitators" if hosts else name


def tight_people(count: int, org_size: int, hosts: int) -> list[Person]:
    if org_size:
        people = [
            Person(f"c{i + 1}", f"Colleague {i + 1}", f"Organisation {i // org_size + 1}", "-", "-")
            for i in range(count)
        ]
    else:
        people = golfers(count)
    return [replace(p, facilitator=i < hosts) for i, p in enumerate(people)]


def check_plan(problem: TableProblem, rounds: list[list[list[str]]]) -> dict[str, int]:
    """Independent of the planner: everyone seated once a round at a table within capacity;
    excess meetings and colleague pairs counted from the rounds themselves."""
    ids = sorted(p.id for p in problem.people)
    organisation = {p.id: p.organisation for p in problem.people}
    assert len(rounds) == problem.rounds, "a round is missing"
    meetings: Counter[tuple[str, str]] = Counter()
    colleagues = 0
    for tables in rounds:
        assert sorted(pid for table in tables for pid in table) == ids, "not everyone seated once"
        for table, spec in zip(tables, problem.tables, strict=True):
            assert len(table) <= spec.capacity, "a table over capacity"
            for a, b in combinations(sorted(table), 2):
                meetings[a, b] += 1
                colleagues += organisation[a] == organisation[b]
    excess = sum(m - 1 for m in meetings.values() if m > 1)
    return {"excess": excess, "colleagues": colleagues}


def tight_rows(cases, seeds: list[int], time_limit: float | None, title: str) -> None:
    print(
        f"\n| {title} | seed | repeat bound | counting alone | excess meetings "
        "| colleagues together | time s | stopped |"
    )
    print("|" + "---|" * 8)
    for count, size, rounds, org_size, hosts in cases:
        problem = TableProblem.with_table_size(tight_people(count, org_size, hosts), rounds, size)
        sizes = balanced_sizes(count, [t.capacity for t in problem.tables])
        counting = excess_meetings_lower_bound([sizes] * rounds, count)
        for seed in seeds:
            started = time.monotonic()
            plan = plan_tables(
                problem, SolveOptions(time_limit=time_limit or TIGHT_LIMIT, seed=seed, workers=2)
            )
            seconds = time.monotonic() - started
            checked = check_plan(problem, plan.rounds)
            print(
                f"| {tight_name(count, size, rounds, org_size, hosts)} | {seed} "
                f"| {plan.metrics['repeat_pairs']['bound']} | {counting} | {checked['excess']} "
                f"| {checked['colleagues'] if org_size else '-'} | {seconds:.1f} "
                f"| {plan.stop_reason} |",
                flush=True,
            )


def scale_run(count: int, seed: int, time_limit: float) -> dict:
    """One point of the scale curve, run in this (fresh) process."""
    problem = TableProblem.with_table_size(national_people(count, seed), 4, 10)
    started = time.monotonic()
    seen: dict[str, float] = {}

    def progress(p) -> None:
        seen.setdefault("first", p.elapsed)
        if "bound" not in seen and pairs_at_bound(p.metrics):
            seen["bound"] = p.elapsed

    plan = plan_tables(problem, SolveOptions(time_limit=time_limit, seed=seed), progress)
    seconds = time.monotonic() - started
    checked = check_plan(problem, plan.rounds)
    return {
        "people": count,
        "first": seen.get("first"),
        # the last plan may come back before a progress report shows it
        "bound": seen.get("bound", plan.elapsed) if pairs_at_bound(plan.metrics) else None,
        # the plan is proven optimal, every measure at its bound, when the search stops there
        "every_bound": plan.elapsed if plan.stop_reason == "bound reached" else None,
        "time": seconds,
        "excess": checked["excess"],
        "colleagues": checked["colleagues"],
        "metrics": plan.metrics,
        "stopped": plan.stop_reason,
        "peak_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
    }


def mix(measure: dict) -> str:
    return f"{measure['distinct']}/{measure['bound']} {measure['value']:.4f}"


def pairs_at_bound(metrics: dict) -> bool:
    return all(
        metrics[name]["value"] == metrics[name]["bound"]
        for name in ("same_org_pairs", "repeat_pairs", "balance")
    )


def scale_rows(sizes: list[int], seeds: list[int], time_limit: float | None) -> None:
    print(
        "\n| people | seed | first plan s | pairs at bound s | every bound s "
        "| colleagues together/bound | excess/bound | sector mix | profession mix "
        "| balance/bound | time s | stopped | peak memory MB |"
    )
    print("|" + "---|" * 13)
    for count in sizes:
        for seed in seeds:
            command = [sys.executable, "-m", "benchmarks.tables", "--scale-point"]
            command += [str(count), str(seed), str(time_limit or SCALE_LIMIT)]
            done = subprocess.run(command, capture_output=True, text=True, check=True)
            point = json.loads(done.stdout)
            m = point["metrics"]

            def seconds(value: float | None) -> str:
                return "-" if value is None else f"{value:.1f}"

            print(
                f"| {count} | {seed} | {seconds(point['first'])} | {seconds(point['bound'])} "
                f"| {seconds(point['every_bound'])} "
                f"| {point['colleagues']}/{m['same_org_pairs']['bound']} "
                f"| {point['excess']}/{m['repeat_pairs']['bound']} "
                f"| {mix(m['sector_mix'])} | {mix(m['profession_mix'])} "
                f"| {m['balance']['value']}/{m['balance']['bound']} "
                f"| {point['time']:.1f} | {point['stopped']} | {point['peak_mb']:.0f} |",
                flush=True,
            )


def realistic_rows(cases, seeds: list[int], time_limit: float | None) -> None:
    print(
        "| instance | method | people | tables | rounds | time s | same-org/bound | repeats/bound "
        "| sector mix | profession mix | balance/bound | status |"
    )
    print("|" + "---|" * 12)
    for label, count, size, rounds, hosts, limit in cases:
        for seed in seeds:
            people = realistic_people(count, seed, facilitators=hosts)
            name = f"{label}{' +hosts' if hosts else ''}"
            problem = TableProblem.with_table_size(people, rounds, size)
            metrics, seconds = random_balanced(problem, seed)
            print(row(name, "random", problem, metrics, seconds, "-"), flush=True)
            metrics, seconds = greedy(problem, seed)
            print(row(name, "greedy", problem, metrics, seconds, "-"), flush=True)
            metrics, seconds, status = planner(problem, seed, time_limit or limit)
            print(row(name, "planner", problem, metrics, seconds, status), flush=True)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seeds", default="1", help="comma-separated seeds (default 1)")
    parser.add_argument("--time-limit", type=float, help="seconds for every instance")
    parser.add_argument("--only", action="append", default=[], metavar="NAME")
    parser.add_argument("--quick", action="store_true", help="one small instance per table")
    parser.add_argument("--scale-point", nargs=3, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.scale_point:
        count, seed, limit = args.scale_point
        print(json.dumps(scale_run(int(count), int(seed), float(limit))))
        return
    seeds = [int(s) for s in args.seeds.split(",")]

    def wanted(section: str, name: str) -> bool:
        return not args.only or any(o in (section, name) for o in args.only)

    realistic = [
        case
        for case in (QUICK_REALISTIC if args.quick else REALISTIC)
        if wanted("realistic", f"event-{case[1]}")
    ]
    tight_cases = QUICK_TIGHT if args.quick else TIGHT
    tight = [case for case in tight_cases if wanted("tight", tight_name(*case))]
    forced = [] if args.quick else [c for c in FORCED if wanted("forced", tight_name(*c))]
    scale = [n for n in (QUICK_SCALE if args.quick else SCALE) if wanted("scale", f"scale-{n}")]
    if realistic:
        realistic_rows(realistic, seeds, args.time_limit)
    if tight:
        tight_rows(tight, seeds, args.time_limit, "tight rotation")
    if forced:
        tight_rows(forced, seeds, args.time_limit, "repeats forced by who may not meet")
    if scale:
        scale_rows(scale, seeds, args.time_limit)


if __name__ == "__main__":
    main()
