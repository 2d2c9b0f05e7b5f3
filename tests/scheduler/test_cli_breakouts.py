"""`python -m scheduler breakouts`: the JSON contract, and one clear line for bad input."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

PEOPLE = (
    "id,name,organisation,sector,profession,prefs\n"
    "1,Ann,Council A,Local government,Manager,am-h;pm-s;pm-h\n"
    "2,Bob,NHS Trust,NHS,Nurse,am-h;pm-h\n"
    "3,Cat,Police X,Police,Officer,am-c;pm-s\n"
    "4,Dan,Council A,Local government,Analyst,\n"
    "5,Eve,Charity Y,Voluntary sector,Manager,pm-h;am-h\n"
)
BREAKOUTS = (
    "id,title,slot,capacity\n"
    "am-h,Housing,morning,2\n"
    "am-c,Care,morning,4\n"
    "pm-h,Housing,afternoon,3\n"
    "pm-s,Safety,afternoon,3\n"
)


def run_cli(
    tmp_path: Path, people: str, breakouts: str, *args: str, out: bool = True
) -> tuple[subprocess.CompletedProcess, Path]:
    (tmp_path / "people.csv").write_text(people, encoding="utf-8")
    (tmp_path / "breakouts.csv").write_text(breakouts, encoding="utf-8")
    plan = tmp_path / "out" / "plan.json"
    command = [
        sys.executable,
        "-m",
        "scheduler",
        "breakouts",
        str(tmp_path / "people.csv"),
        str(tmp_path / "breakouts.csv"),
        "--time-limit",
        "10",
        *(("--out", str(plan)) if out else ()),
        *args,
    ]
    result = subprocess.run(command, capture_output=True, text=True, timeout=60, check=False)
    return result, plan


def test_good_input_writes_the_plan(tmp_path: Path) -> None:
    result, out = run_cli(tmp_path, PEOPLE, BREAKOUTS)
    assert result.returncode == 0, result.stderr
    document = json.loads(out.read_text(encoding="utf-8"))
    assert set(document) == {"assignments", "metrics", "status"}
    assert document["status"] == "optimal"
    assignments = document["assignments"]
    assert set(assignments) == {"1", "2", "3", "4", "5"}
    for slots in assignments.values():
        assert set(slots) == {"morning", "afternoon"}
        assert [b.split("-")[1] for b in slots.values()].count("h") <= 1  # Housing once
    metrics = document["metrics"]
    baseline = metrics["first_come_first_served"]
    assert metrics["ranked_assignments"] <= metrics["ranked_upper_bound"]
    assert metrics["worst_off_ranked_slots"] >= baseline["worst_off_ranked_slots"]
    assert metrics["ranked_assignments"] >= baseline["ranked_assignments"]
    for breakout, fill in metrics["fill"].items():
        assert fill["attendees"] <= fill["capacity"], breakout
    assert metrics["stages"][0]["stage"] == "worst_off"


def test_without_out_the_plan_goes_to_stdout(tmp_path: Path) -> None:
    result, out = run_cli(tmp_path, PEOPLE, BREAKOUTS, out=False)
    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout)["status"] == "optimal"
    assert not out.parent.exists()


def test_a_breakout_below_its_minimum_is_reported_cancelled(tmp_path: Path) -> None:
    breakouts = BREAKOUTS.replace("capacity\n", "capacity,min_attendance\n")
    breakouts = breakouts.replace(",2\n", ",2,\n").replace(",4\n", ",4,\n")
    breakouts = breakouts.replace("pm-h,Housing,afternoon,3", "pm-h,Housing,afternoon,3,")
    breakouts = breakouts.replace("pm-s,Safety,afternoon,3", "pm-s,Safety,afternoon,5,")
    breakouts += "pm-x,Xylophones,afternoon,9,6\n"
    result, out = run_cli(tmp_path, PEOPLE, breakouts)
    assert result.returncode == 0, result.stderr
    metrics = json.loads(out.read_text(encoding="utf-8"))["metrics"]
    assert metrics["cancelled"] == {"pm-x": []}  # 5 people cannot reach a minimum of 6
    assert metrics["fill"]["pm-x"]["attendees"] == 0


@pytest.mark.parametrize(
    ("people", "breakouts", "expected"),
    [
        (PEOPLE, BREAKOUTS.replace("capacity\n", "capacity,room\n"), "unknown column(s) room"),
        (PEOPLE, "id,title,capacity\n", "missing column(s) slot"),
        (PEOPLE, BREAKOUTS + "am-h,Again,morning,9\n", "row 6 repeats id 'am-h'"),
        (PEOPLE, BREAKOUTS.replace("morning,4", "morning,0"), "row 3 capacity must be positive"),
        (PEOPLE, BREAKOUTS.replace("morning,4", "morning,four"), "must be a whole number"),
        (
            PEOPLE,
            BREAKOUTS.replace("capacity\n", "capacity,min_attendance\n").replace(
                "morning,4\n", "morning,4,7\n"
            ),
            "row 3 min_attendance 7 is outside 0..capacity 4",
        ),
        (PEOPLE.replace("am-c;pm-s", "am-zz"), BREAKOUTS, "'3' ranks unknown breakout 'am-zz'"),
        (
            PEOPLE,
            BREAKOUTS.replace("morning,4", "morning,1"),
            "slot 'morning' seats 3 but 5 people attend: 2 seat(s) short",
        ),
        (
            PEOPLE,
            BREAKOUTS.replace("Care,morning", "Housing,morning").replace("Safety", "Housing"),
            "offer only 1 topic(s) between them",
        ),
        (PEOPLE + "1,Twin,Org,Sector,Job,\n", BREAKOUTS, "repeats id '1'"),
    ],
    ids=[
        "unknown-column",
        "missing-column",
        "duplicate-id",
        "zero-capacity",
        "capacity-not-a-number",
        "minimum-above-capacity",
        "unknown-preference",
        "slot-short",
        "topics-run-out",
        "duplicate-person",
    ],
)
def test_bad_input_fails_with_one_line(tmp_path: Path, people, breakouts, expected) -> None:
    result, out = run_cli(tmp_path, people, breakouts)
    assert result.returncode != 0
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    assert lines[0].startswith("error: ") and expected in lines[0]
    assert not out.parent.exists() or not any(out.parent.iterdir())
