"""Breakout planner against first-come-first-served on seeded, realistic events.

    python -m benchmarks.breakouts [--seeds 1 2 3] [--people 900] [--time-limit 60]

A generated event has public-service sectors of uneven size, organisations whose sizes fall off
like 1/k within a sector, and breakout topics whose popularity falls off the same way, each
favoured by one sector; the most popular topics run in two slots. Room capacities add up to about
15% more seats than people in every slot. Most people rank six breakouts, a few fewer, and some
rank none. Each figure is printed beside its bound where one exists.
"""

from __future__ import annotations

import argparse
import random
import time
from collections.abc import Callable

from scheduler.breakouts import (
    Breakout,
    BreakoutMetrics,
    BreakoutOptions,
    BreakoutProblem,
    plan_breakouts,
)
from scheduler.people import Person

SECTORS = {
    "Local government": 30,
    "NHS": 22,
    "Voluntary sector": 14,
    "Police": 12,
    "Housing": 10,
    "Central government": 6,
    "Fire and rescue": 3,
    "Education": 3,
}
ROOM_SIZES = (60, 80, 100, 120, 150, 180)


def realistic_breakout_problem(
    seed: int, people: int = 900, slots: int = 4, per_slot: int = 8, ranks: int = 6
) -> BreakoutProblem:
    """A seeded event as described in the module docstring."""
    rng = random.Random(seed)
    sectors = list(SECTORS)
    repeated = per_slot * slots // 8
    topic_count = per_slot * slots - repeated
    topics = [(f"Topic {i + 1}", rng.choice(sectors)) for i in range(topic_count)]
    sessions = [t for t, _ in topics[:repeated]] * 2 + [t for t, _ in topics[repeated:]]
    rng.shuffle(sessions)
    sessions = _spread_repeats(sessions, per_slot)

    breakouts = []
    for s in range(slots):
        rooms = [rng.choice(ROOM_SIZES) for _ in range(per_slot)]
        scale = 1.15 * people / sum(rooms)
        for j, (title, size) in enumerate(zip(sessions[s * per_slot :], rooms, strict=False)):
            capacity = max(10, round(size * scale))
            breakouts.append(Breakout(f"s{s + 1}b{j + 1}", title, str(s + 1), capacity))

    popularity = {t: 1 / (i + 1) ** 0.8 for i, (t, _) in enumerate(topics)}
    favoured_by = dict(topics)
    orgs = {s: [f"{s} {k + 1}" for k in range(max(2, SECTORS[s] // 2))] for s in sectors}
    population = []
    for i in range(people):
        sector = rng.choices(sectors, weights=list(SECTORS.values()))[0]
        org = rng.choices(orgs[sector], weights=[1 / (k + 1) for k in range(len(orgs[sector]))])[0]
        weights = {
            b.id: popularity[b.title] * (3 if favoured_by[b.title] == sector else 1)
            for b in breakouts
        }
        wanted = rng.choices([ranks, rng.randint(1, ranks - 1), 0], weights=[85, 5, 10])[0]
        population.append(
            Person(
                id=f"p{i + 1:04d}",
                name=f"Person {i + 1}",
                organisation=org,
                sector=sector,
                profession=rng.choice(("manager", "practitioner", "analyst", "commissioner")),
                preferences=_weighted_sample(rng, weights, wanted),
            )
        )
    return BreakoutProblem(breakouts=tuple(breakouts), people=tuple(population))


def _spread_repeats(sessions: list[str], per_slot: int) -> list[str]:
    """Reorder so no slot holds the same topic twice (swap a repeat with a later session)."""
    sessions = list(sessions)
    for i, title in enumerate(sessions):
        start = i - i % per_slot
        if title in sessions[start:i]:
            for j in range(start + per_slot, len(sessions)):
                other = sessions[j]
                other_start = j - j % per_slot
                slot_i = sessions[start : start + per_slot]
                slot_j = sessions[other_start : other_start + per_slot]
                if other not in slot_i and title not in slot_j:
                    sessions[i], sessions[j] = other, title
                    break
    return sessions


def _weighted_sample(rng: random.Random, weights: dict[str, float], k: int) -> tuple[str, ...]:
    """k distinct keys, each drawn in proportion to its weight (Efraimidis-Spirakis keys)."""
    keyed = sorted(weights, key=lambda item: rng.random() ** (1 / weights[item]), reverse=True)
    return tuple(keyed[:k])


FIGURES: tuple[tuple[str, Callable[[BreakoutMetrics], float], str | None], ...] = (
    ("people fully served from their ranking", lambda m: m.fully_served, "fully_servable"),
    ("ranked assignments", lambda m: m.ranked_assignments, "ranked_upper_bound"),
    ("worst-off ranked slots", lambda m: m.worst_off_ranked_slots, None),
    ("first choices", lambda m: m.rank_counts[0] if m.rank_counts else 0, None),
    ("unranked assignments", lambda m: m.unranked_assignments, None),
    ("emptiest breakout fill", lambda m: m.emptiest_fill, None),
    ("sector mix (1.0 = bound)", lambda m: m.sector_mix, None),
    ("same-organisation pairs", lambda m: m.same_org_pairs, "same_org_pairs_lower_bound"),
)


def report(seed: int, people: int, time_limit: float) -> None:
    problem = realistic_breakout_problem(seed, people=people)
    started = time.monotonic()
    plan = plan_breakouts(problem, BreakoutOptions(time_limit=time_limit, seed=seed))
    seconds = time.monotonic() - started
    ranking = sum(1 for p in problem.people if p.preferences)
    print(
        f"\nseed {seed}: {people} people ({ranking} ranked), {len(problem.slots)} slots x "
        f"{len(problem.breakouts) // len(problem.slots)} breakouts; planner {plan.status} "
        f"in {seconds:.1f}s (limit {time_limit:g}s)"
    )
    print(f"  {'figure':40} {'planner':>10} {'fcfs':>10} {'bound':>10}")
    for label, figure, bound in FIGURES:
        limit = str(getattr(plan.metrics, bound)) if bound else ""
        mine, theirs = (_format(figure(m)) for m in (plan.metrics, plan.baseline))
        print(f"  {label:40} {mine:>10} {theirs:>10} {limit:>10}")
    stages = ", ".join(f"{s['stage']} {s['status']} {s['seconds']}s" for s in plan.stages)
    print(f"  stages: {stages}")


def _format(value: float) -> str:
    return f"{value:.3f}" if isinstance(value, float) else str(value)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seeds", type=int, nargs="+", default=[1, 2, 3])
    parser.add_argument("--people", type=int, default=900)
    parser.add_argument("--time-limit", type=float, default=60.0)
    args = parser.parse_args()
    for seed in args.seeds:
        report(seed, args.people, args.time_limit)


if __name__ == "__main__":
    main()
