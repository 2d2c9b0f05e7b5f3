"""`python -m scheduler tables`: the JSON contract, and one clear line for bad input."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

HEADER = "id,name,organisation,sector,profession,facilitator\n"
ROWS = [f"{i},Person {i},Org {i % 4},Sector {i % 3},Job {i % 5},0\n" for i in range(1, 13)]


def run_cli(tmp_path: Path, csv_text: str, *args: str) -> tuple[subprocess.CompletedProcess, Path]:
    people = tmp_path / "people.csv"
    people.write_text(csv_text, encoding="utf-8")
    out = tmp_path / "plan.json"
    command = [sys.executable, "-m", "scheduler", "tables", str(people), "--out", str(out), *args]
    result = subprocess.run(command, capture_output=True, text=True, timeout=60, check=False)
    return result, out


def test_good_input_writes_the_plan(tmp_path: Path) -> None:
    result, out = run_cli(
        tmp_path, HEADER + "".join(ROWS), "--rounds", "3", "--table-size", "4", "--time-limit", "2"
    )
    assert result.returncode == 0, result.stderr
    plan = json.loads(out.read_text(encoding="utf-8"))
    assert plan["status"] in ("optimal", "feasible")
    assert {"rounds", "metrics", "status", "objective", "bound"} <= set(plan)
    assert plan["stop_reason"] == ("bound reached" if plan["status"] == "optimal" else "time limit")
    assert len(plan["rounds"]) == 3
    for tables in plan["rounds"]:
        assert len(tables) == 3
        assert sorted(pid for table in tables for pid in table) == sorted(
            str(i) for i in range(1, 13)
        )
    for name in ("same_org_pairs", "repeat_pairs", "sector_mix", "profession_mix", "balance"):
        assert {"value", "bound"} <= set(plan["metrics"][name])


@pytest.mark.parametrize(
    ("csv_text", "args", "expected"),
    [
        (
            "id,name,organisation,sector\n1,A,O,S\n",
            ("--table-size", "4"),
            "missing column(s) profession",
        ),
        (HEADER + ROWS[0] + ROWS[0], ("--table-size", "4"), "repeats id '1'"),
        (HEADER + "".join(ROWS), ("--table-size", "1"), "table size must be at least 2"),
        (
            HEADER + "".join(r.replace(",0\n", ",1\n") for r in ROWS[:4]),
            ("--table-size", "2"),
            "4 facilitators but only 2 tables",
        ),
    ],
    ids=["missing-column", "duplicate-id", "table-size-1", "too-many-facilitators"],
)
def test_bad_input_fails_with_one_line(tmp_path: Path, csv_text: str, args, expected: str) -> None:
    result, out = run_cli(tmp_path, csv_text, "--rounds", "2", *args)
    assert result.returncode != 0
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and expected in lines[0], result.stderr
    assert not out.exists()
    assert not list(tmp_path.glob(".plan.json.*"))
