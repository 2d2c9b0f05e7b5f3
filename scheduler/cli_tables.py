"""`python -m scheduler tables PEOPLE.csv --rounds R --table-size K [--history HISTORY.csv] ...`:
the table planner from the shell. Returns the JSON document of DESIGN.md (with a
met_before_pairs measure when a history is given); bad input raises InputError (one line)."""

from __future__ import annotations

import argparse

from scheduler.people import InputError, read_history_csv, read_people_csv
from scheduler.tables import SolveOptions, TableProblem, plan_tables


def run(args: argparse.Namespace) -> dict:
    people = read_people_csv(args.people)
    if args.rounds < 1:
        raise InputError(f"--rounds must be at least 1, not {args.rounds}")
    if args.time_limit <= 0:
        raise InputError(f"--time-limit must be positive, not {args.time_limit}")
    history = read_history_csv(args.history, people) if args.history else []
    problem = TableProblem.with_table_size(people, args.rounds, args.table_size)
    problem.met_before = history
    plan = plan_tables(problem, SolveOptions(time_limit=args.time_limit, seed=args.seed))
    document = {"rounds": plan.rounds, "metrics": plan.metrics, "status": plan.status}
    document["stop_reason"] = plan.stop_reason  # added to DESIGN.md's keys, none taken away
    if plan.status == "infeasible":
        document["message"] = plan.message
    else:
        document["objective"] = plan.objective
        document["bound"] = plan.bound
    return document
