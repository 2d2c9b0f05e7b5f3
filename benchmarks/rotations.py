"""Every crowd size at the tightest rotations: where the planner reaches zero repeats, and where
it does not.

    python -m benchmarks.rotations [--table-size 4 ...] [--fewer 0 1] [--time-limit 10]
                                   [--people 12-60] [--seed 0]

For N people (pure social golfers: nobody shares an organisation) in tables of S, the most
rounds in which nobody need meet anyone twice is R = (N - 1) // (S - 1). Each run plans R
rounds (and, with --fewer 1, R - 1 rounds) and prints the excess meetings (counted by
scheduler.metrics.repeat_pairs, max(0, meetings - 1) per pair), the planner's lower bound, the
seconds taken and why it stopped. A run that stops with "bound reached" is proven best; one at
"time limit" is above its bound, which may itself be weak (no zero-repeat plan is known for
most of those sizes).
"""

from __future__ import annotations

import argparse
import time

from benchmarks.instances import golfers
from scheduler.tables import SolveOptions, TableProblem, plan_tables


def people_range(text: str) -> range:
    low, _, high = text.partition("-")
    return range(int(low), int(high or low) + 1)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--table-size", type=int, action="append", metavar="S")
    parser.add_argument("--fewer", type=int, action="append", metavar="K")
    parser.add_argument("--people", type=people_range, default=range(12, 61), metavar="LOW-HIGH")
    parser.add_argument("--time-limit", type=float, default=10.0)
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args(argv)
    print("| people | table size | rounds | excess meetings | bound | seconds | stopped |")
    print("|---|---|---|---|---|---|---|")
    totals = {"runs": 0, "at bound": 0, "zero": 0}
    for size in args.table_size or [3, 4, 5, 6]:
        for fewer in args.fewer or [0]:
            for count in args.people:
                rounds = (count - 1) // (size - 1) - fewer
                if count < 2 * size or rounds < 2:
                    continue
                problem = TableProblem.with_table_size(golfers(count), rounds, size)
                started = time.monotonic()
                plan = plan_tables(
                    problem, SolveOptions(time_limit=args.time_limit, seed=args.seed)
                )
                seconds = time.monotonic() - started
                repeats = plan.metrics["repeat_pairs"]
                totals["runs"] += 1
                totals["at bound"] += repeats["value"] == repeats["bound"]
                totals["zero"] += repeats["value"] == 0
                print(
                    f"| {count} | {size} | {rounds} | {repeats['value']} | {repeats['bound']} "
                    f"| {seconds:.1f} | {plan.stop_reason} |",
                    flush=True,
                )
    print(
        f"\n{totals['runs']} runs: {totals['at bound']} with excess meetings at their bound, "
        f"{totals['zero']} with none."
    )


if __name__ == "__main__":
    main()
