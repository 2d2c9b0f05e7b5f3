"""Upper bounds on what any breakout plan can give people from their rankings.

A person's *potential* is the most slots their ranking can fill in a plan of their own: one
breakout per slot, no topic twice (counting the slots filled from outside their ranking), pinned
slots as pinned, and nobody else in the way. It is a min-cost assignment of slots to topics.

The *ranked upper bound* relaxes the plan to a flow: source -> person (capacity: their free
potential) -> (person, slot) (1) -> ranked breakout in that slot (1) -> sink (seats left after
pins). Every plan's ranked assignments form such a flow, so the maximum flow (plus the pinned
ranked seats) bounds them from above. It relaxes the topic rule to the potential cap per
person, and ignores minimum attendance and the seats of people's unranked slots.
"""

from __future__ import annotations

from collections import Counter
from typing import TYPE_CHECKING

from ortools.graph.python.max_flow import SimpleMaxFlow
from ortools.graph.python.min_cost_flow import SimpleMinCostFlow

if TYPE_CHECKING:
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
    """Most slots the person's ranking can fill in a complete plan for them: pinned ranked slots
    plus the best assignment of their free slots to pairwise different topics (not pinned),
    counting ranked breakouts. 0 more when no such assignment exists (see `topic_assignment`)."""
    pins = pinned_of(problem, person)
    pinned_ranked = sum(1 for b in pins.values() if b in person.preferences)
    return pinned_ranked + (topic_assignment(problem, person) or 0)


def topic_assignment(problem: BreakoutProblem, person: Person) -> int | None:
    """Ranked slots in the best assignment of the person's unpinned slots to different topics
    that their pins leave open, or None when there is none: a min-cost flow source -> slot (1)
    -> topic (1, cost -1 when the slot's breakout on that topic is ranked) -> sink (1)."""
    pins = pinned_of(problem, person)
    pinned_titles = {problem.breakout(b).title for b in pins.values()}
    slots = [slot for slot in problem.slots if slot not in pins]
    titles = sorted({b.title for b in problem.breakouts if b.title not in pinned_titles})
    source, sink = 0, 1 + len(slots) + len(titles)
    topic_node = {title: 1 + len(slots) + j for j, title in enumerate(titles)}
    flow = SimpleMinCostFlow()
    for i, slot in enumerate(slots):
        flow.add_arc_with_capacity_and_unit_cost(source, 1 + i, 1, 0)
        cost: dict[str, int] = {}
        for b in problem.breakouts_in(slot):
            if b.title in topic_node:
                ranked = -1 if b.id in person.preferences else 0
                cost[b.title] = min(cost.get(b.title, 0), ranked)
        for title, unit_cost in cost.items():
            flow.add_arc_with_capacity_and_unit_cost(1 + i, topic_node[title], 1, unit_cost)
    for node in topic_node.values():
        flow.add_arc_with_capacity_and_unit_cost(node, sink, 1, 0)
    flow.set_node_supply(source, len(slots))
    flow.set_node_supply(sink, -len(slots))
    if flow.solve() != flow.OPTIMAL:
        return None
    return -flow.optimal_cost()


def ranked_upper_bound(problem: BreakoutProblem, potentials: dict[str, int]) -> int:
    """Maximum flow bound on ranked assignments over all people (see the module docstring);
    `potentials` {person_id: potential}."""
    flow = SimpleMaxFlow()
    breakout_node = {b.id: 1 + i for i, b in enumerate(problem.breakouts)}
    sink = 1 + len(problem.breakouts)
    next_node = sink + 1
    pinned_load = Counter(problem.pinned.values())
    pinned_ranked = 0
    for person in problem.people:
        pins = pinned_of(problem, person)
        ranked_pins = sum(1 for b in pins.values() if b in person.preferences)
        pinned_ranked += ranked_pins
        free = potentials[person.id] - ranked_pins
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
