"""`python -m scheduler mentoring` and `peer-teams`: the JSON contracts, an impossible slot,
and one clear line (nothing written) for bad input."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from scheduler.cli import main

MENTORS = (
    "id,name,organisation,sector,profession,capacity,offers,prefs\n"
    "m1,Ann,Kent County Council,Local government,Director,2,housing;finance,e2\n"
    "m2,Bob,NHS Kent,NHS,Director,1,health;housing,\n"
    "m3,Cat,Kent Police,Police,Superintendent,1,safety,!e3\n"
)
MENTEES = (
    "id,name,organisation,sector,profession,wants,prefs\n"
    "e1,Dan,Swale BC,Local government,Officer,housing,m2;m1\n"
    "e2,Eve,Age UK,Voluntary sector,Manager,finance;housing,\n"
    "e3,Fay,NHS Kent,NHS,Nurse,safety,m3\n"
    "e4,Gus,Kent Fire,Fire and rescue,Officer,health,\n"
)
PEERS = (
    "id,name,organisation,sector,role,skills,capacity,exclude,group\n"
    "p1,Ann,Kent CC,Local government,chief-executive,finance,1,,\n"
    "p2,Bob,Essex CC,Local government,chief-executive,housing,1,Swale BC,\n"
    "p3,Cat,NHS Kent,NHS,member,health,2,,Red\n"
    "p4,Dan,Kent Police,Police,officer,safety;housing,2,,\n"
    "p5,Eve,Age UK,Voluntary sector,officer,finance,2,,\n"
)
HOSTS = (
    "id,organisation,sector,slots,themes\n"
    "h1,Swale BC,Local government,chief-executive:1;member:1;officer:1,housing;finance\n"
    "h2,Medway Council,Local government,chief-executive:1;officer:2,safety\n"
)


def run_cli(
    tmp_path: Path, command: str, first: str, second: str, *args: str
) -> tuple[subprocess.CompletedProcess, Path]:
    (tmp_path / "first.csv").write_text(first, encoding="utf-8")
    (tmp_path / "second.csv").write_text(second, encoding="utf-8")
    out = tmp_path / "out" / "result.json"
    result = subprocess.run(
        [
            sys.executable,
            "-m",
            "scheduler",
            command,
            str(tmp_path / "first.csv"),
            str(tmp_path / "second.csv"),
            "--time-limit",
            "10",
            "--out",
            str(out),
            *args,
        ],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    return result, out


@pytest.mark.parametrize("mode", ["most-matched", "stable"])
def test_mentoring_writes_the_match(tmp_path: Path, mode: str) -> None:
    result, out = run_cli(tmp_path, "mentoring", MENTORS, MENTEES, "--mode", mode)
    assert result.returncode == 0, result.stderr
    document = json.loads(out.read_text(encoding="utf-8"))
    assert set(document) == {"pairs", "unmatched", "metrics", "status"}
    assert document["status"] == "optimal"
    pairs = {tuple(pair) for pair in document["pairs"]}
    assert ("m3", "e3") not in pairs  # Cat ruled Fay out
    assert ("m2", "e3") not in pairs  # same organisation
    metrics = document["metrics"]
    assert metrics["mode"] == mode
    assert metrics["matched"] == metrics["matched_bound"] == 4
    assert document["unmatched"] == []
    if mode == "stable":
        assert metrics["blocking_pairs"] == 0
    assert metrics["other_mode"]["mode"] != mode


def test_same_sector_pairs_only_when_allowed(tmp_path: Path) -> None:
    mentees = "id,name,organisation,sector,profession,wants\ne1,Dan,Swale BC,NHS,Officer,health\n"
    mentors = "id,name,organisation,sector,profession,capacity,offers\nm1,Bob,NHS Kent,NHS,Dir,1,\n"
    result, out = run_cli(tmp_path, "mentoring", mentors, mentees)
    assert result.returncode == 0, result.stderr
    assert json.loads(out.read_text(encoding="utf-8"))["unmatched"] == ["e1"]
    result, out = run_cli(tmp_path, "mentoring", mentors, mentees, "--allow-same-sector")
    assert result.returncode == 0, result.stderr
    assert json.loads(out.read_text(encoding="utf-8"))["pairs"] == [["m1", "e1"]]


def test_peer_teams_writes_the_teams(tmp_path: Path) -> None:
    result, out = run_cli(tmp_path, "peer-teams", PEERS, HOSTS)
    assert result.returncode == 0, result.stderr
    document = json.loads(out.read_text(encoding="utf-8"))
    assert set(document) == {"teams", "unfilled", "metrics", "status"}
    assert document["status"] == "optimal" and document["unfilled"] == []
    teams = document["teams"]
    assert sorted(role for role, _ in teams["h1"]) == ["chief-executive", "member", "officer"]
    assert ["chief-executive", "p1"] in teams["h1"]  # Bob excludes Swale BC
    assert sorted(peer for _, peer in teams["h2"]) == ["p2", "p4", "p5"]
    assert document["metrics"]["filled"] == document["metrics"]["filled_bound"] == 6


def test_an_impossible_slot_is_reported(tmp_path: Path) -> None:
    hosts = HOSTS.replace("officer:2,safety", "officer:2;lived-experience:1,safety")
    result, out = run_cli(tmp_path, "peer-teams", PEERS, hosts)
    assert result.returncode == 1
    document = json.loads(out.read_text(encoding="utf-8"))
    assert document["status"] == "infeasible"
    assert document["unfilled"] == [{"host": "h2", "role": "lived-experience", "missing": 1}]
    assert "lived-experience: 1 slot(s) short" in document["message"]


@pytest.mark.parametrize(
    ("command", "first", "second", "expected"),
    [
        ("mentoring", MENTORS.replace(",prefs\n", ",prefs,x\n"), MENTEES, "unknown column(s) x"),
        ("mentoring", MENTORS, MENTEES.replace(",wants", ",topics"), "missing column(s) wants"),
        ("mentoring", MENTORS.replace(",2,housing", ",two,housing"), MENTEES, "row 2 capacity"),
        ("mentoring", MENTORS.replace(",2,housing", ",0,housing"), MENTEES, "at least 1, not 0"),
        ("mentoring", MENTORS, MENTEES + "e1,Twin,X,Y,Z,,\n", "row 6 repeats id 'e1'"),
        ("mentoring", MENTORS, MENTEES.replace("m2;m1", "m2;m2"), "rank the same person twice"),
        ("mentoring", MENTORS.replace(",e2\n", ",e7\n"), MENTEES, "names unknown mentee 'e7'"),
        ("peer-teams", PEERS.replace(",member,", ",mayor,"), HOSTS, "row 4 role must be one of"),
        ("peer-teams", PEERS, HOSTS.replace("officer:1", "officer:x"), "slots for officer must"),
        ("peer-teams", PEERS, HOSTS.replace("member:1", "boss:1"), "slots name role 'boss'"),
        ("peer-teams", PEERS, HOSTS.replace(",themes", ",topics"), "missing column(s) themes"),
    ],
)
def test_bad_input_is_one_line_and_writes_nothing(
    tmp_path: Path, capsys, command: str, first: str, second: str, expected: str
) -> None:
    """In-process (the same entry point `python -m scheduler` calls), to keep the test fast."""
    (tmp_path / "first.csv").write_text(first, encoding="utf-8")
    (tmp_path / "second.csv").write_text(second, encoding="utf-8")
    out = tmp_path / "out" / "result.json"
    argv = [command, str(tmp_path / "first.csv"), str(tmp_path / "second.csv"), "--out", str(out)]
    assert main(argv) == 2
    stderr = capsys.readouterr().err
    assert stderr.count("\n") == 1, stderr
    assert expected in stderr
    assert not out.parent.exists()


def test_fixed_pairs_stay_and_the_rest_are_matched_around_them(tmp_path: Path) -> None:
    """Ann (capacity 2) keeps Gus, whom nobody chose; the others are matched beside them."""
    fixed = tmp_path / "fixed.csv"
    fixed.write_text("mentor,mentee\nm1,e4\n", encoding="utf-8")
    result, out = run_cli(tmp_path, "mentoring", MENTORS, MENTEES, "--fixed", str(fixed))
    assert result.returncode == 0, result.stderr
    document = json.loads(out.read_text(encoding="utf-8"))
    pairs = {tuple(pair) for pair in document["pairs"]}
    assert ("m1", "e4") in pairs
    assert sum(1 for mentor, _ in pairs if mentor == "m1") <= 2
    assert len({mentee for _, mentee in pairs}) == len(pairs)
    metrics = document["metrics"]
    assert metrics["matched"] == metrics["matched_bound"] == 4


@pytest.mark.parametrize(
    ("fixed_text", "expected"),
    [
        ("mentee,mentor\ne4,m1\n", "the header must be mentor,mentee"),
        ("mentor,mentee\nm9,e4\n", "row 2 names unknown mentor 'm9'"),
        ("mentor,mentee\nm1,e9\n", "row 2 names unknown mentee 'e9'"),
        ("mentor,mentee\nm1,e4\nm2,e4\n", "mentee 'e4' is in two fixed pairs"),
        ("mentor,mentee\nm3,e4\nm3,e2\n", "mentor 'm3' has more fixed pairs than capacity"),
        ("mentor,mentee\nm3,e3\n", "fixed pair ('m3', 'e3')"),
    ],
)
def test_a_bad_fixed_file_is_one_line_naming_it_and_writes_nothing(
    tmp_path: Path, capsys, fixed_text: str, expected: str
) -> None:
    (tmp_path / "first.csv").write_text(MENTORS, encoding="utf-8")
    (tmp_path / "second.csv").write_text(MENTEES, encoding="utf-8")
    fixed = tmp_path / "fixed.csv"
    fixed.write_text(fixed_text, encoding="utf-8")
    out = tmp_path / "out" / "result.json"
    argv = ["mentoring", str(tmp_path / "first.csv"), str(tmp_path / "second.csv")]
    assert main([*argv, "--fixed", str(fixed), "--out", str(out)]) == 2
    stderr = capsys.readouterr().err
    assert stderr.count("\n") == 1, stderr
    assert str(fixed) in stderr and expected in stderr
    assert not out.parent.exists()
