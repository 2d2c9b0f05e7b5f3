"""Mentoring and peer-challenge matching against their bounds and a deferred-acceptance library.

    python -m benchmarks.matching [--seed 1] [--mentees 2000] [--mentors 600] [--time-limit 30]

A generated programme has 8 public-service sectors of uneven size and 300 organisations, each
in one sector. Mentors (capacity 1-5) offer 2-5 of 24 topics whose popularity falls off like
1/k; mentees want 1-3. About 40% of mentees rank 3-5 mentors (mostly ones offering what they
want), 10% of mentors rank a few mentees, and 2% of each rule one person out (`!id`). The
peer-challenge round has 30 hosts asking for 6 peers each and 400 peers.

The baseline is mentee-proposing deferred acceptance from the `matching` library
(HospitalResident) on the same acceptable pairs, with each side's ties broken by list order.
It copies its players recursively, so it runs in a thread with a large stack, and takes
minutes on the full programme (`--no-library` leaves it out).
Timings are wall-clock on whatever the machine is doing; on a shared machine they are noisy.
"""

from __future__ import annotations

import argparse
import random
import sys
import threading
import time

import numpy as np
from matching.games import HospitalResident

from benchmarks.breakouts import SECTORS
from scheduler.mentoring import (
    Mentee,
    Mentor,
    MentoringOptions,
    MentoringProblem,
    MentoringResult,
    match_mentoring,
)
from scheduler.mentoring_pairs import PairTable, blocking_pairs
from scheduler.peer_teams import ROLES, Host, Peer, PeerOptions, PeerProblem, build_teams

TOPICS = [f"topic {k + 1}" for k in range(24)]
TOPIC_WEIGHTS = [1 / (k + 1) for k in range(len(TOPICS))]
GROUPS = ("Labour", "Conservative", "Liberal Democrat", "Independent", "Green")


def _organisations(rng: random.Random, count: int = 300) -> list[tuple[str, str]]:
    sectors = rng.choices(list(SECTORS), weights=list(SECTORS.values()), k=count)
    return [(f"Organisation {k + 1}", sector) for k, sector in enumerate(sectors)]


def _topics(rng: random.Random, low: int, high: int) -> tuple[str, ...]:
    wanted = rng.randint(low, high)
    chosen: list[str] = []
    while len(chosen) < wanted:
        topic = rng.choices(TOPICS, weights=TOPIC_WEIGHTS)[0]
        if topic not in chosen:
            chosen.append(topic)
    return tuple(chosen)


def mentoring_problem(seed: int, mentees: int = 2000, mentors: int = 600) -> MentoringProblem:
    """A seeded programme as described in the module docstring."""
    rng = random.Random(seed)
    organisations = _organisations(rng)
    mentor_rows = []
    for i in range(mentors):
        org, sector = rng.choice(organisations)
        mentor_rows.append((f"m{i + 1}", org, sector, rng.randint(1, 5), _topics(rng, 2, 5)))
    mentee_rows = []
    for j in range(mentees):
        org, sector = rng.choice(organisations)
        mentee_rows.append((f"e{j + 1}", org, sector, _topics(rng, 1, 3)))

    def liked(wants: tuple[str, ...], sector: str, offers: tuple[str, ...], other: str) -> bool:
        return other != sector and bool(set(wants) & set(offers))

    built_mentees = []
    for mentee_id, org, sector, wants in mentee_rows:
        prefs: tuple[str, ...] = ()
        if rng.random() < 0.4:
            options = [m[0] for m in mentor_rows if liked(wants, sector, m[4], m[2])]
            prefs = tuple(rng.sample(options, min(len(options), rng.randint(3, 5))))
        ruled_out = frozenset({rng.choice(mentor_rows)[0]}) - set(prefs)
        built_mentees.append(
            Mentee(
                mentee_id,
                f"Mentee {mentee_id}",
                org,
                sector,
                "officer",
                wants,
                prefs,
                ruled_out if rng.random() < 0.02 else frozenset(),
            )
        )
    built_mentors = []
    for mentor_id, org, sector, capacity, offers in mentor_rows:
        prefs = ()
        if rng.random() < 0.1:
            options = [e[0] for e in mentee_rows if liked(e[3], e[2], offers, sector)]
            prefs = tuple(rng.sample(options, min(len(options), rng.randint(2, 6))))
        ruled_out = frozenset({rng.choice(mentee_rows)[0]}) - set(prefs)
        built_mentors.append(
            Mentor(
                mentor_id,
                f"Mentor {mentor_id}",
                org,
                sector,
                "director",
                capacity,
                offers,
                prefs,
                ruled_out if rng.random() < 0.02 else frozenset(),
            )
        )
    return MentoringProblem(tuple(built_mentors), tuple(built_mentees))


def peer_problem(seed: int, hosts: int = 30, peers: int = 400) -> PeerProblem:
    """30 councils and partnerships asking for a chief executive, a member, two officers, a
    sector peer and a manager (every third also a lived-experience peer), and 400 peers."""
    rng = random.Random(seed)
    organisations = _organisations(rng)
    role_weights = (12, 16, 36, 14, 8, 14)
    built_peers = []
    for k in range(peers):
        org, sector = rng.choice(organisations)
        role = rng.choices(ROLES, weights=role_weights)[0]
        neighbours = frozenset(o for o, _ in rng.sample(organisations, rng.randint(0, 3)))
        built_peers.append(
            Peer(
                f"p{k + 1}",
                f"Peer {k + 1}",
                org,
                sector,
                role,
                _topics(rng, 1, 4),
                rng.randint(1, 2),
                neighbours - {org},
                rng.choice(GROUPS) if role == "member" else "",
            )
        )
    built_hosts = []
    for h, (org, sector) in enumerate(rng.sample(organisations, hosts)):
        slots = {"chief-executive": 1, "member": 1, "officer": 2, "sector-peer": 1, "manager": 1}
        if h % 3 == 0:
            slots["lived-experience"] = 1
        built_hosts.append(Host(f"h{h + 1}", org, sector, slots, _topics(rng, 3, 5)))
    return PeerProblem(tuple(built_peers), tuple(built_hosts))


def library_deferred_acceptance(problem: MentoringProblem) -> tuple[np.ndarray, float]:
    """Pair indices of the `matching` library's mentee-optimal stable matching, and seconds."""
    pairs = problem.pairs
    mentor_ids = [m.id for m in problem.mentors]
    mentee_ids = [e.id for e in problem.mentees]
    mentee_prefs: dict[str, list[str]] = {e: [] for e in mentee_ids}
    for i in np.lexsort((pairs.mentee_key, pairs.mentee)).tolist():
        mentee_prefs[mentee_ids[pairs.mentee[i]]].append(mentor_ids[pairs.mentor[i]])
    mentor_prefs: dict[str, list[str]] = {m: [] for m in mentor_ids}
    for i in np.lexsort((pairs.mentor_key, pairs.mentor)).tolist():
        mentor_prefs[mentor_ids[pairs.mentor[i]]].append(mentee_ids[pairs.mentee[i]])
    capacities = {m.id: m.capacity for m in problem.mentors}
    solved: dict = {}

    def solve() -> None:
        started = time.monotonic()
        game = HospitalResident.create_from_dictionaries(
            {e: p for e, p in mentee_prefs.items() if p},
            {m: p for m, p in mentor_prefs.items() if p},
            {m: c for m, c in capacities.items() if mentor_prefs[m]},
        )
        solved["matching"] = game.solve(optimal="resident")
        solved["seconds"] = time.monotonic() - started

    limit = sys.getrecursionlimit()
    sys.setrecursionlimit(1_000_000)
    threading.stack_size(1 << 29)
    try:
        worker = threading.Thread(target=solve)
        worker.start()
        worker.join()
    finally:
        threading.stack_size(0)
        sys.setrecursionlimit(limit)
    index = _pair_index(problem)
    chosen = [
        index[mentor.name, mentee.name]
        for mentor, mentees in solved["matching"].items()
        for mentee in mentees
    ]
    return np.array(sorted(chosen), dtype=np.int64), solved["seconds"]


def _pair_index(problem: MentoringProblem) -> dict[tuple[str, str], int]:
    """{(mentor_id, mentee_id): pair index}."""
    pairs = problem.pairs
    mentor_ids = [m.id for m in problem.mentors]
    mentee_ids = [e.id for e in problem.mentees]
    return {
        (mentor_ids[m], mentee_ids[e]): i
        for i, (m, e) in enumerate(zip(pairs.mentor.tolist(), pairs.mentee.tolist(), strict=True))
    }


def _row(label: str, pairs: PairTable, chosen: np.ndarray, bound: int, seconds: float) -> str:
    matched = len(chosen)
    worst = int(pairs.rank[chosen].max(initial=0))
    first = int((pairs.rank[chosen] == 1).sum())
    blocking = len(blocking_pairs(pairs, chosen))
    return (
        f"  {label:28} {matched:>7} {bound:>7} {first:>8} {worst:>6} "
        f"{int(pairs.overlap[chosen].sum()):>8} {blocking:>9} {seconds:>7.1f}"
    )


def report_mentoring(
    seed: int, mentees: int, mentors: int, time_limit: float, library: bool
) -> None:
    problem = mentoring_problem(seed, mentees, mentors)
    started = time.monotonic()
    pairs = problem.pairs
    build = time.monotonic() - started
    print(
        f"\nmentoring, seed {seed}: {mentees} mentees, {mentors} mentors, "
        f"{int(pairs.capacity.sum())} places, {len(pairs)} acceptable pairs "
        f"(built in {build:.1f}s)"
    )
    print(
        f"  {'':28} {'matched':>7} {'bound':>7} {'1st rank':>8} {'worst':>6} "
        f"{'overlap':>8} {'blocking':>9} {'seconds':>7}"
    )
    results: dict[str, MentoringResult] = {}
    for mode in ("most-matched", "stable"):
        started = time.monotonic()
        result = match_mentoring(problem, MentoringOptions(mode=mode, time_limit=time_limit))
        seconds = time.monotonic() - started
        results[mode] = result
        label = f"{mode} ({result.status})"
        print(_row(label, pairs, _chosen(problem, result), result.metrics.matched_bound, seconds))
    bound = results["stable"].metrics.matched_bound
    if library:
        chosen, seconds = library_deferred_acceptance(problem)
        print(_row("matching library DA", pairs, chosen, bound, seconds))
    best = results["most-matched"].metrics
    print(
        f"  bounds: worst-off rank >= {best.worst_off_rank_bound} (max-flow threshold); "
        f"fit {best.fit} of at most {best.fit_bound} (min-cost flow, fairness ignored)"
    )
    for mode, result in results.items():
        stages = ", ".join(
            f"{s['stage']} {s['status']} {s['seconds']}s" for s in result.metrics.stages
        )
        note = f"; {result.message}" if result.message else ""
        print(f"  {mode} stages: {stages or 'none'}{note}")


def _chosen(problem: MentoringProblem, result: MentoringResult) -> np.ndarray:
    index = _pair_index(problem)
    return np.array(sorted(index[pair] for pair in result.pairs), dtype=np.int64)


def report_peers(seed: int, time_limit: float) -> None:
    problem = peer_problem(seed)
    started = time.monotonic()
    result = build_teams(problem, PeerOptions(time_limit=time_limit))
    seconds = time.monotonic() - started
    m = result.metrics
    print(
        f"\npeer challenge, seed {seed}: {len(problem.hosts)} hosts, {len(problem.peers)} peers; "
        f"{result.status} in {seconds:.1f}s"
    )
    print(f"  {'figure':36} {'teams':>8} {'bound':>8}")
    for label, value, bound in (
        ("slots filled", m.filled, m.filled_bound),
        ("host themes covered", m.themes_covered, m.themes_bound),
        ("peers taking part", m.peers_used, m.peers_used_bound),
        ("political groups among members", m.member_groups, m.member_groups_bound),
        ("teams with two or more sectors", m.mixed_teams, len(problem.hosts)),
    ):
        print(f"  {label:36} {value:>8} {bound:>8}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--mentees", type=int, default=2000)
    parser.add_argument("--mentors", type=int, default=600)
    parser.add_argument("--time-limit", type=float, default=30.0)
    parser.add_argument("--no-library", action="store_true", help="skip the library baseline")
    args = parser.parse_args()
    print("Timings are wall-clock on a shared 2-core machine: noisy.")
    report_mentoring(args.seed, args.mentees, args.mentors, args.time_limit, not args.no_library)
    report_peers(args.seed, args.time_limit)


if __name__ == "__main__":
    main()
