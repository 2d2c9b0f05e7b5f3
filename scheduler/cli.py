"""`python -m scheduler tables|breakouts|mentoring|peer-teams ...`: planning from the shell
(contract in DESIGN.md)."""

from __future__ import annotations

import argparse
import json
import os
import sys
import tempfile
from pathlib import Path

from scheduler import cli_breakouts, cli_matching, cli_tables
from scheduler.people import InputError


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m scheduler", description=__doc__)
    commands = parser.add_subparsers(dest="command", required=True)

    tables = commands.add_parser("tables", help="seat people at tables for every round")
    tables.add_argument("people", type=Path, metavar="PEOPLE.csv")
    tables.add_argument("--rounds", type=int, required=True, metavar="R")
    tables.add_argument("--table-size", type=int, required=True, metavar="K")
    tables.add_argument("--time-limit", type=float, default=60.0, metavar="S")
    tables.add_argument("--seed", type=int, default=0, metavar="N")
    tables.add_argument("--out", type=Path, metavar="PLAN.json")
    tables.add_argument(
        "--history",
        type=Path,
        metavar="HISTORY.csv",
        help="pairs of person ids (header a,b) who sat together at an earlier event",
    )

    breakouts = commands.add_parser("breakouts", help="assign people to breakouts by preference")
    breakouts.add_argument("people", type=Path, metavar="PEOPLE.csv")
    breakouts.add_argument("breakouts", type=Path, metavar="BREAKOUTS.csv")
    breakouts.add_argument("--time-limit", type=float, default=60.0, metavar="S")
    breakouts.add_argument("--seed", type=int, default=0, metavar="N")
    breakouts.add_argument("--out", type=Path, metavar="PLAN.json")

    mentoring = commands.add_parser("mentoring", help="pair mentees with mentors across sectors")
    mentoring.add_argument("mentors", type=Path, metavar="MENTORS.csv")
    mentoring.add_argument("mentees", type=Path, metavar="MENTEES.csv")
    mentoring.add_argument("--mode", choices=("most-matched", "stable"), default="most-matched")
    mentoring.add_argument("--allow-same-sector", action="store_true")
    mentoring.add_argument(
        "--fixed",
        type=Path,
        metavar="FIXED.csv",
        help="pairs that stay as they are (header mentor,mentee), the rest matched around them",
    )
    mentoring.add_argument("--time-limit", type=float, default=30.0, metavar="S")
    mentoring.add_argument("--out", type=Path, metavar="MATCH.json")

    peer_teams = commands.add_parser("peer-teams", help="build peer-challenge teams for hosts")
    peer_teams.add_argument("peers", type=Path, metavar="PEERS.csv")
    peer_teams.add_argument("hosts", type=Path, metavar="HOSTS.csv")
    peer_teams.add_argument("--time-limit", type=float, default=30.0, metavar="S")
    peer_teams.add_argument("--out", type=Path, metavar="TEAMS.json")
    return parser


COMMANDS = {
    "tables": cli_tables.run,
    "breakouts": cli_breakouts.run,
    "mentoring": cli_matching.run_mentoring,
    "peer-teams": cli_matching.run_peer_teams,
}


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    try:
        document = COMMANDS[args.command](args)
    except InputError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    write_json(document, args.out)
    return 0 if document.get("status") != "infeasible" else 1


def write_json(document: dict, out: Path | None) -> None:
    """Write to `out` atomically (a reader never sees half a plan), or to stdout."""
    text = json.dumps(document, indent=2, ensure_ascii=False) + "\n"
    if out is None:
        sys.stdout.write(text)
        return
    out.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=out.parent, prefix=f".{out.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as handle:
            handle.write(text)
        os.replace(tmp, out)
    except BaseException:
        os.unlink(tmp)
        raise
