"""`python -m scheduler breakouts PEOPLE.csv BREAKOUTS.csv`: read, check, plan, return the JSON.

BREAKOUTS.csv has the header `id,title,slot,capacity` and an optional `min_attendance` column
(empty: none). Every problem with the input raises InputError with one line naming the file and
row, or the slot, person or breakout at fault.
"""

from __future__ import annotations

import argparse
import csv
import io
from dataclasses import asdict
from pathlib import Path

from scheduler.breakouts import (
    Breakout,
    BreakoutMetrics,
    BreakoutOptions,
    BreakoutProblem,
    plan_breakouts,
)
from scheduler.people import InputError, check_columns, read_people_csv, whole_number

REQUIRED_COLUMNS = ("id", "title", "slot", "capacity")
OPTIONAL_COLUMNS = ("min_attendance",)


def run(args: argparse.Namespace) -> dict:
    """The plan as `{"assignments": ..., "metrics": ..., "status": ...}` (DESIGN.md)."""
    problem = BreakoutProblem(
        breakouts=read_breakouts_csv(args.breakouts), people=tuple(read_people_csv(args.people))
    )
    plan = plan_breakouts(problem, BreakoutOptions(time_limit=args.time_limit, seed=args.seed))
    if plan.metrics is None:
        raise InputError(plan.message)
    metrics = metrics_document(plan.metrics)
    metrics["first_come_first_served"] = metrics_document(plan.baseline)
    metrics["cancelled"] = {c.breakout_id: list(c.reassigned) for c in plan.cancelled}
    metrics["stages"] = list(plan.stages)
    return {"assignments": plan.assignments, "metrics": metrics, "status": plan.status}


def metrics_document(metrics: BreakoutMetrics) -> dict:
    """The figures as JSON-ready values; fill becomes {breakout_id: {attendees, capacity}}."""
    document = asdict(metrics)
    document["rank_counts"] = list(metrics.rank_counts)
    document["fill"] = {
        breakout_id: {"attendees": attendees, "capacity": capacity}
        for breakout_id, (attendees, capacity) in metrics.fill.items()
    }
    return document


def read_breakouts_csv(path: str | Path) -> tuple[Breakout, ...]:
    """Read BREAKOUTS.csv (module docstring)."""
    try:
        text = Path(path).read_text(encoding="utf-8-sig")
    except (OSError, UnicodeDecodeError) as exc:
        raise InputError(f"{path}: cannot read ({exc})") from exc
    reader = csv.DictReader(io.StringIO(text, newline=""))
    check_columns(path, reader.fieldnames, REQUIRED_COLUMNS, OPTIONAL_COLUMNS)
    seen: dict[str, int] = {}
    breakouts = [
        _breakout_from_row(path, line, row, seen) for line, row in enumerate(reader, start=2)
    ]
    return tuple(breakouts)


def _breakout_from_row(path: str | Path, line: int, row: dict, seen: dict[str, int]) -> Breakout:
    if None in row:
        raise InputError(f"{path}: row {line} has more cells than the header")
    values = {key: (value or "").strip() for key, value in row.items()}
    for column in ("id", "title", "slot"):
        if not values[column]:
            raise InputError(f"{path}: row {line} has an empty {column}")
    breakout_id = values["id"]
    if breakout_id in seen:
        raise InputError(
            f"{path}: row {line} repeats id {breakout_id!r} (first on row {seen[breakout_id]})"
        )
    seen[breakout_id] = line
    capacity = whole_number(path, line, "capacity", values["capacity"])
    if capacity <= 0:
        raise InputError(f"{path}: row {line} capacity must be positive, not {capacity}")
    minimum = None
    if values.get("min_attendance"):
        minimum = whole_number(path, line, "min_attendance", values["min_attendance"])
        if not 0 <= minimum <= capacity:
            raise InputError(
                f"{path}: row {line} min_attendance {minimum} is outside 0..capacity {capacity}"
            )
    return Breakout(breakout_id, values["title"], values["slot"], capacity, minimum)
