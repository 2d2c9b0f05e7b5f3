"""Known designs and the people around them: how far from the bound the planner lands when an
event has a few more or fewer people than a design seats.

    python -m benchmarks.designs [--time-limit 20] [--seed 0] [--quick] [--only 49/7/8 ...]

For each design in the table planner's catalogue (scheduler/designs) with D people in tables of
S for R rounds, every N within 10% of D (pure social-golfer people: nobody shares an
organisation) is planned for R rounds in tables of S. Printed per run: the design the planner
tries first (it keeps the greedy start when that is better), excess meetings
(pairs meeting more than once, counted max(0, meetings - 1)), their lower bound (counting, or
metrics.full_tables_bar_no_repeats where that proves a repeat), the
seconds taken and how the run ended. Timings on a shared machine are noisy.
"""

from __future__ import annotations

import argparse
import math
import time

from benchmarks.instances import golfers
from scheduler.designs import nearby_designs
from scheduler.tables import SolveOptions, TableProblem, plan_tables

# (people in the design, table size, rounds)
DESIGNS = [
    (15, 3, 7),
    (16, 4, 5),
    (18, 3, 8),
    (21, 3, 10),
    (24, 3, 11),
    (24, 4, 7),
    (25, 5, 6),
    (27, 3, 13),
    (28, 4, 9),
    (30, 3, 14),
    (30, 5, 6),
    (32, 4, 10),
    (33, 3, 16),
    (36, 3, 17),
    (39, 3, 19),
    (40, 4, 12),
    (40, 4, 13),
    (42, 3, 20),
    (45, 3, 22),
    (48, 3, 23),
    (49, 7, 8),
    (51, 3, 25),
    (54, 3, 26),
]
QUICK = [(15, 3, 7), (16, 4, 5)]


def nearest_design(people: int, size: int) -> str:
    """The design the planner tries first for these people (it may still start from search)."""
    found = nearby_designs(people, size, math.ceil(people / size))
    return found[0].name if found else "-"


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--time-limit", type=float, default=20.0)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--quick", action="store_true", help="the two smallest designs only")
    parser.add_argument(
        "--only", action="append", metavar="D/S/R", help="one design's runs (repeatable)"
    )
    args = parser.parse_args(argv)
    designs = QUICK if args.quick else DESIGNS
    if args.only:
        designs = [d for d in designs if "/".join(map(str, d)) in args.only]
    print(
        "| near | N | table size | rounds | design tried first | excess meetings | bound "
        "| seconds | status |"
    )
    print("|---|---|---|---|---|---|---|---|---|")
    for people, size, rounds in designs:
        low, high = math.ceil(people * 0.9), math.floor(people * 1.1)
        for n in range(low, high + 1):
            problem = TableProblem.with_table_size(golfers(n), rounds, size)
            start = time.monotonic()
            plan = plan_tables(problem, SolveOptions(time_limit=args.time_limit, seed=args.seed))
            seconds = time.monotonic() - start
            repeats = plan.metrics["repeat_pairs"]
            print(
                f"| {people}/{size}/{rounds} | {n} | {size} | {rounds} "
                f"| {nearest_design(n, size)} | {repeats['value']} "
                f"| {repeats['bound']} | {seconds:.1f} | {plan.status} |",
                flush=True,
            )


if __name__ == "__main__":
    main()
