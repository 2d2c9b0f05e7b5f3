"""Upper bounds on what any breakout plan can give people from their rankings.

A person's *potential* is the most slots their ranking can fill: each slot takes at most one
ranked breakout, no topic twice, pinned slots as pinned. It is a bipartite matching of slots to
ranked breakouts with distinct titles, ignoring everyone else.

The *ranked upper bound* relaxes the plan to a flow: source -> person (capacity: their free
potential) -> (person, slot) (1) -> ranked breakout in that slot (1) -> sink (seats left after
pins). Every plan's ranked assignments form such a flow, so the maximum flow (plus the pinned
ranked seats) bounds them from above; it ignores only the topic rule across a person's slots
beyond their potential, and minimum attendance.
"""

from __future__ import annotations

from collections import Counter

from ortools.graph.python.max_flow import SimpleMaxFlow

from scheduler.breakout_problem import BreakoutProblem
from scheduler.people import Person


def pinned_of(problem: BreakoutProblem, person: Person) -> dict[str, str]:
    """{slot: breakout_id} pinned for this person."""
    return problem.pins_by_person.get(person.id, {})


def free_ranked_choices(problem: BreakoutProblem, person: Person) -> dict[str, list[str]]:
    """{slot: ranked breakout ids} for the person's unpinned slots, minus topics their pins take."""
    pins = pinned_of(problem, person)
    pinned_titles = {problem.breakout(b).title for b in pins.values()}
    choices: dict[str, list[str]] = {}
    for breakout_id in person.preferences:
        breakout = problem.breakout(breakout_id)
        if breakout.slot not in pins and breakout.title not in pinned_titles:
            choices.setdefault(breakout.slot, []).append(breakout_id)
    return choices


def potential(problem: BreakoutProblem, person: Person) -> int:
    """Most slots the person's ranking can fill: pinned ranked slots plus a maximum matching of
    free slots to ranked breakouts with pairwise different titles (augmenting paths)."""
    pins = pinned_of(problem, person)
    pinned_ranked = sum(1 for b in pins.values() if b in person.preferences)
    options = {
        slot: {problem.breakout(b).title for b in ids}
        for slot, ids in free_ranked_choices(problem, person).items()
    }
    slot_of_title: dict[str, str] = {}

    def augment(slot: str, visited: set[str]) -> bool:
        for title in options[slot]:
            if title in visited:
                continue
            visited.add(title)
            if title not in slot_of_title or augment(slot_of_title[title], visited):
                slot_of_title[title] = slot
                return True
        return False

    return pinned_ranked + sum(augment(slot, set()) for slot in options)


def ranked_upper_bound(problem: BreakoutProblem) -> int:
    """Maximum flow bound on ranked assignments over all people (see the module docstring)."""
    flow = SimpleMaxFlow()
    breakout_node = {b.id: 1 + i for i, b in enumerate(problem.breakouts)}
    sink = 1 + len(problem.breakouts)
    next_node = sink + 1
    pinned_load = Counter(problem.pinned.values())
    pinned_ranked = 0
    for person in problem.people:
        pins = pinned_of(problem, person)
        pinned_ranked += sum(1 for b in pins.values() if b in person.preferences)
        free = potential(problem, person) - sum(1 for b in pins.values() if b in person.preferences)
        if free == 0:
            continue
        person_node, next_node = next_node, next_node + 1
        flow.add_arc_with_capacity(0, person_node, free)
        for ids in free_ranked_choices(problem, person).values():
            slot_node, next_node = next_node, next_node + 1
            flow.add_arc_with_capacity(person_node, slot_node, 1)
            for breakout_id in ids:
                flow.add_arc_with_capacity(slot_node, breakout_node[breakout_id], 1)
    for b in problem.breakouts:
        flow.add_arc_with_capacity(breakout_node[b.id], sink, b.capacity - pinned_load[b.id])
    if next_node == sink + 1:
        return pinned_ranked
    status = flow.solve(0, sink)
    if status != flow.OPTIMAL:
        raise RuntimeError(f"max flow failed with status {status}")
    return pinned_ranked + flow.optimal_flow()
