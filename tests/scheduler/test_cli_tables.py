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


def test_history_is_avoided_and_reported_beside_its_bound(tmp_path: Path) -> None:
    """12 people who sat by organisation (i % 4) at an earlier event: in three tables of 4
    nobody need sit with anyone they met before."""
    history = tmp_path / "history.csv"
    pairs = [(a, b) for a in range(1, 13) for b in range(a + 1, 13) if a % 4 == b % 4]
    history.write_text("a,b\n" + "".join(f"{a},{b}\n" for a, b in pairs), encoding="utf-8")
    result, out = run_cli(
        tmp_path,
        HEADER + "".join(ROWS),
        "--rounds",
        "1",
        "--table-size",
        "4",
        "--time-limit",
        "5",
        "--history",
        str(history),
    )
    assert result.returncode == 0, result.stderr
    plan = json.loads(out.read_text(encoding="utf-8"))
    measure = plan["metrics"]["met_before_pairs"]
    assert measure["bound"] == 0
    assert measure["value"] == measure["bound"]
    met = {frozenset((str(a), str(b))) for a, b in pairs}
    for table in plan["rounds"][0]:
        assert not any(frozenset((x, y)) in met for x in table for y in table if x < y)


@pytest.mark.parametrize(
    ("history_text", "expected"),
    [
        ("a,b\n1,2\n3,99\n", "row 3 names unknown person '99'"),
        ("first,second\n1,2\n", "the header must be a,b"),
        ("a,b\n1,2\n4,4\n", "row 3 pairs '4' with themselves"),
        ("a,b\n1,2,3\n", "row 2 has more cells than the header"),
    ],
    ids=["unknown-id", "wrong-header", "self-pair", "extra-cell"],
)
def test_bad_history_fails_with_one_line(tmp_path: Path, history_text: str, expected: str) -> None:
    history = tmp_path / "history.csv"
    history.write_text(history_text, encoding="utf-8")
    result, out = run_cli(
        tmp_path,
        HEADER + "".join(ROWS),
        "--rounds",
        "2",
        "--table-size",
        "4",
        "--history",
        str(history),
    )
    assert result.returncode != 0
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and expected in lines[0] and "history.csv" in lines[0], result.stderr
    assert not out.exists()
    assert not list(tmp_path.glob(".plan.json.*"))
