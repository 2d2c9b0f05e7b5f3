"""The figures reported with every breakout plan, for the planner and its baseline alike.

- fully_served: people with a ranking who got every slot from it, against fully_servable, those
  whose ranking could fill every slot (potential = number of slots).
- ranked_assignments against ranked_upper_bound (the max-flow bound of `breakout_bounds`).
- worst_off_ranked_slots: the largest t such that everyone with a ranking got at least t slots
  from it, or every slot their ranking could fill (their potential); the planner maximises it.
- fill per breakout (attendees, capacity) and emptiest_fill, the lowest attendees/capacity over
  the breakouts that run.
- sector_mix: distinct (breakout, sector) pairs over their upper bound, summed per slot;
  same_org_pairs against the pigeonhole lower bound per slot (from `scheduler.metrics`).
"""

from __future__ import annotations

from collections import Counter

from scheduler.breakout_problem import BreakoutMetrics, BreakoutProblem, CancelledBreakout
from scheduler.metrics import (
    distinct_labels,
    distinct_labels_upper_bound,
    same_label_pairs,
    same_label_pairs_lower_bound,
)


def measure(
    problem: BreakoutProblem,
    assignments: dict[str, dict[str, str]],
    cancelled: set[str],
    potentials: dict[str, int],
    upper_bound: int,
) -> BreakoutMetrics:
    """Figures of `assignments` {person_id: {slot: breakout_id}}; see the module docstring."""
    slots = problem.slots
    max_ranks = max((len(p.preferences) for p in problem.people), default=0)
    rank_counts = [0] * max_ranks
    fully_served = ranked_total = placed = 0
    worst_off = len(slots)
    ranking_people = [p for p in problem.people if p.preferences]
    for person in problem.people:
        given = assignments.get(person.id, {})
        placed += len(given)
        ranks = [person.preferences.index(b) for b in given.values() if b in person.preferences]
        for rank in ranks:
            rank_counts[rank] += 1
        ranked_total += len(ranks)
        if person.preferences:
            fully_served += len(ranks) == len(slots)
            if len(ranks) < potentials[person.id]:
                worst_off = min(worst_off, len(ranks))

    members: dict[str, list[str]] = {b.id: [] for b in problem.breakouts}
    for person in problem.people:
        for breakout_id in assignments.get(person.id, {}).values():
            members[breakout_id].append(person.id)
    running = [b for b in problem.breakouts if b.id not in cancelled]
    fill = {b.id: (len(members[b.id]), b.capacity) for b in problem.breakouts}

    distinct = bound = same_org = same_org_bound = 0
    for slot in slots:
        groups = [members[b.id] for b in running if b.slot == slot]
        sectors = [[problem.person(pid).sector for pid in group] for group in groups]
        orgs = [[problem.person(pid).organisation for pid in group] for group in groups]
        distinct += distinct_labels(sectors)
        bound += distinct_labels_upper_bound(
            [len(g) for g in groups], list(Counter(s for g in sectors for s in g).values())
        )
        same_org += same_label_pairs(orgs)
        same_org_bound += same_label_pairs_lower_bound(
            Counter(o for g in orgs for o in g).values(), max(len(groups), 1)
        )

    return BreakoutMetrics(
        people=len(problem.people),
        people_with_ranking=len(ranking_people),
        fully_served=fully_served,
        fully_servable=sum(1 for p in ranking_people if potentials[p.id] == len(slots)),
        ranked_assignments=ranked_total,
        ranked_upper_bound=upper_bound,
        worst_off_ranked_slots=worst_off,
        rank_counts=tuple(rank_counts),
        unranked_assignments=placed - ranked_total,
        unplaced=len(problem.people) * len(slots) - placed,
        fill=fill,
        emptiest_fill=min((fill[b.id][0] / b.capacity for b in running), default=1.0),
        sector_mix=distinct / bound if bound else 1.0,
        same_org_pairs=same_org,
        same_org_pairs_lower_bound=same_org_bound,
    )


def cancellations(
    problem: BreakoutProblem, assignments: dict[str, dict[str, str]], cancelled: set[str]
) -> tuple[CancelledBreakout, ...]:
    """Each cancelled breakout with the people it displaced: those who ranked it above what they
    got in its slot (anything unranked counts as below every ranked breakout)."""
    result = []
    for breakout in problem.breakouts:
        if breakout.id not in cancelled:
            continue
        displaced = []
        for person in problem.people:
            if breakout.id not in person.preferences:
                continue
            given = assignments.get(person.id, {}).get(breakout.slot)
            ranks = person.preferences
            rank_given = ranks.index(given) if given in ranks else len(ranks)
            if ranks.index(breakout.id) < rank_given:
                displaced.append(person.id)
        result.append(CancelledBreakout(breakout.id, tuple(displaced)))
    return tuple(result)
