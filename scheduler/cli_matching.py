"""`python -m scheduler mentoring|peer-teams ...`: read, check, match, return the JSON.

MENTORS.csv: `id,name,organisation,sector,profession,capacity,offers[,prefs]`; MENTEES.csv:
`id,name,organisation,sector,profession,wants[,prefs]`. Topics are `;`-separated; `prefs` lists
ids of the other side best first, and `!id` rules that person out. PEERS.csv:
`id,name,organisation,sector,role,skills,capacity,exclude[,group]` (skills and excluded
organisations `;`-separated); HOSTS.csv: `id,organisation,sector,slots,themes` with slots like
`chief-executive:1;officer:2`. FIXED.csv (optional, `--fixed`): `mentor,mentee`, pairs that
stay as they are (matches already published) while the rest are matched around them. Every
problem with the input raises InputError with one line naming the file and row, or the person or
rule at fault.
"""

from __future__ import annotations

import argparse
from dataclasses import asdict
from pathlib import Path

from scheduler.mentoring import (
    Mentee,
    Mentor,
    MentoringOptions,
    MentoringProblem,
    match_mentoring,
)
from scheduler.peer_teams import ROLES, Host, Peer, PeerOptions, PeerProblem, build_teams
from scheduler.people import InputError, read_csv_rows, read_id_pairs_csv, whole_number

MENTOR_COLUMNS = ("id", "name", "organisation", "sector", "profession", "capacity", "offers")
MENTEE_COLUMNS = ("id", "name", "organisation", "sector", "profession", "wants")
PEER_COLUMNS = ("id", "name", "organisation", "sector", "role", "skills", "capacity", "exclude")
HOST_COLUMNS = ("id", "organisation", "sector", "slots", "themes")
FIXED_COLUMNS = ("mentor", "mentee")


def run_mentoring(args: argparse.Namespace) -> dict:
    """`{"pairs": [[mentor_id, mentee_id], ...], "unmatched": [...], "metrics": ...,
    "status": ...}` (plus "message" when there is something to say)."""
    if args.time_limit <= 0:
        raise InputError(f"--time-limit must be positive, not {args.time_limit}")
    mentors, mentees = read_mentors_csv(args.mentors), read_mentees_csv(args.mentees)
    problem = MentoringProblem(
        mentors=mentors,
        mentees=mentees,
        allow_same_sector=args.allow_same_sector,
        fixed=read_fixed_csv(args.fixed, mentors, mentees) if args.fixed else (),
    )
    try:
        _ = problem.fixed_pairs  # checked (and kept for the match) here, to name the file
    except InputError as error:
        raise InputError(f"{args.fixed}: {error}") from None
    result = match_mentoring(problem, MentoringOptions(mode=args.mode, time_limit=args.time_limit))
    metrics = {"mode": args.mode, **asdict(result.metrics)}
    document = {
        "pairs": [list(pair) for pair in result.pairs],
        "unmatched": result.unmatched,
        "metrics": metrics,
        "status": result.status,
    }
    if result.message:
        document["message"] = result.message
    return document


def run_peer_teams(args: argparse.Namespace) -> dict:
    """`{"teams": {host_id: [[role, peer_id], ...]}, "unfilled": [{"host", "role", "missing"}],
    "metrics": ..., "status": ...}`; status "infeasible" (exit 1) when a slot stays empty, with
    "message" naming the role that is short and by how many."""
    if args.time_limit <= 0:
        raise InputError(f"--time-limit must be positive, not {args.time_limit}")
    problem = PeerProblem(peers=read_peers_csv(args.peers), hosts=read_hosts_csv(args.hosts))
    result = build_teams(problem, PeerOptions(time_limit=args.time_limit))
    metrics = asdict(result.metrics)
    metrics["shortages"] = [
        {"role": s.role, "host": s.host_id or None, "wanted": s.wanted, "short": s.short}
        for s in result.shortages
    ]
    document = {
        "teams": {host: [list(slot) for slot in team] for host, team in result.teams.items()},
        "unfilled": [
            {"host": u.host_id, "role": u.role, "missing": u.missing} for u in result.unfilled
        ],
        "metrics": metrics,
        "status": result.status,
    }
    if result.message:
        document["message"] = result.message
    return document


def read_fixed_csv(
    path: str | Path, mentors: tuple[Mentor, ...], mentees: tuple[Mentee, ...]
) -> tuple[tuple[str, str], ...]:
    """Read FIXED.csv (module docstring): (mentor id, mentee id) pairs of the two files."""
    known = ({m.id for m in mentors}, {m.id for m in mentees})
    return tuple(
        (mentor, mentee)
        for _, mentor, mentee in read_id_pairs_csv(path, FIXED_COLUMNS, known, FIXED_COLUMNS)
    )


def read_mentors_csv(path: str | Path) -> tuple[Mentor, ...]:
    """Read MENTORS.csv (module docstring)."""
    return tuple(mentor for _, _, mentor in read_mentor_rows(path))


def read_mentees_csv(path: str | Path) -> tuple[Mentee, ...]:
    """Read MENTEES.csv (module docstring)."""
    return tuple(mentee for _, _, mentee in read_mentee_rows(path))


def read_mentor_rows(
    path: str | Path, extra: tuple[str, ...] = ()
) -> list[tuple[int, dict[str, str], Mentor]]:
    """MENTORS.csv's rows as (line, values, mentor), allowing the optional columns `extra`
    too (the app's import adds email and bio) for the caller to read from `values`."""
    rows = []
    for line, values in read_csv_rows(path, MENTOR_COLUMNS, ("prefs", *extra)):
        capacity = whole_number(path, line, "capacity", values["capacity"])
        if capacity < 1:
            raise InputError(f"{path}: row {line} capacity must be at least 1, not {capacity}")
        ranked, ruled_out = _preferences(path, line, values.get("prefs", ""))
        mentor = Mentor(
            **_profile(values),
            capacity=capacity,
            offers=_items(values["offers"]),
            preferences=ranked,
            unacceptable=ruled_out,
        )
        rows.append((line, values, mentor))
    return rows


def read_mentee_rows(
    path: str | Path, extra: tuple[str, ...] = ()
) -> list[tuple[int, dict[str, str], Mentee]]:
    """MENTEES.csv's rows as (line, values, mentee), as `read_mentor_rows`."""
    rows = []
    for line, values in read_csv_rows(path, MENTEE_COLUMNS, ("prefs", *extra)):
        ranked, ruled_out = _preferences(path, line, values.get("prefs", ""))
        mentee = Mentee(
            **_profile(values),
            wants=_items(values["wants"]),
            preferences=ranked,
            unacceptable=ruled_out,
        )
        rows.append((line, values, mentee))
    return rows


def read_peers_csv(path: str | Path) -> tuple[Peer, ...]:
    """Read PEERS.csv (module docstring)."""
    return tuple(peer for _, _, peer in read_peer_rows(path))


def read_hosts_csv(path: str | Path) -> tuple[Host, ...]:
    """Read HOSTS.csv (module docstring)."""
    return tuple(host for _, _, host in read_host_rows(path))


def read_peer_rows(
    path: str | Path, extra: tuple[str, ...] = ()
) -> list[tuple[int, dict[str, str], Peer]]:
    """PEERS.csv's rows as (line, values, peer), allowing the optional columns `extra` too
    (the app's import adds email) for the caller to read from `values`."""
    rows = []
    for line, values in read_csv_rows(path, PEER_COLUMNS, ("group", *extra)):
        if values["role"] not in ROLES:
            raise InputError(
                f"{path}: row {line} role must be one of {', '.join(ROLES)}, not {values['role']!r}"
            )
        capacity = whole_number(path, line, "capacity", values["capacity"])
        if capacity < 1:
            raise InputError(f"{path}: row {line} capacity must be at least 1, not {capacity}")
        peer = Peer(
            id=values["id"],
            name=values["name"],
            organisation=values["organisation"],
            sector=values["sector"],
            role=values["role"],
            skills=_items(values["skills"]),
            capacity=capacity,
            exclude=frozenset(_items(values["exclude"])),
            group=values.get("group", ""),
        )
        rows.append((line, values, peer))
    return rows


def read_host_rows(
    path: str | Path, extra: tuple[str, ...] = ()
) -> list[tuple[int, dict[str, str], Host]]:
    """HOSTS.csv's rows as (line, values, host), as `read_peer_rows`."""
    rows = []
    for line, values in read_csv_rows(path, HOST_COLUMNS, extra):
        slots: dict[str, int] = {}
        for item in _items(values["slots"]):
            role, _, count = item.partition(":")
            role = role.strip()
            if role not in ROLES:
                raise InputError(
                    f"{path}: row {line} slots name role {role!r}; roles are {', '.join(ROLES)}"
                )
            if role in slots:
                raise InputError(f"{path}: row {line} slots give {role} twice")
            slots[role] = whole_number(path, line, f"slots for {role}", count.strip())
            if slots[role] < 1:
                raise InputError(f"{path}: row {line} slots for {role} must be at least 1")
        host = Host(
            id=values["id"],
            organisation=values["organisation"],
            sector=values["sector"],
            slots=slots,
            themes=_items(values["themes"]),
        )
        rows.append((line, values, host))
    return rows


def _profile(values: dict[str, str]) -> dict[str, str]:
    """The columns mentors and mentees share."""
    return {key: values[key] for key in ("id", "name", "organisation", "sector", "profession")}


def _items(text: str) -> tuple[str, ...]:
    return tuple(item.strip() for item in text.split(";") if item.strip())


def _preferences(path: str | Path, line: int, text: str) -> tuple[tuple[str, ...], frozenset]:
    """(ids ranked best first, ids ruled out with `!`)."""
    items = _items(text)
    ranked = tuple(i for i in items if not i.startswith("!"))
    ruled_out = [i[1:].strip() for i in items if i.startswith("!")]
    if len(set(ranked)) != len(ranked):
        raise InputError(f"{path}: row {line} prefs rank the same person twice")
    if set(ranked) & set(ruled_out):
        raise InputError(f"{path}: row {line} prefs both rank and rule out the same person")
    return ranked, frozenset(ruled_out)
