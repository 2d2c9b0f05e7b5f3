"""Breakout repair: after late registrations, cancellations or a smaller room, a new plan that
moves as few people as the change forces, measured against the minimum computed for each case."""

from __future__ import annotations

import random
from collections import Counter
from dataclasses import replace

from scheduler.breakouts import Breakout, BreakoutOptions, BreakoutProblem, plan_breakouts
from scheduler.people import Person
from tests.scheduler.test_breakouts import assert_hard_rules

OPTIONS = BreakoutOptions(time_limit=10, seed=1, workers=1)
SLOTS = ("morning", "afternoon")


def breakouts() -> tuple[Breakout, ...]:
    """Two slots of three rooms (every topic once: a move never clashes with a topic)."""
    sizes = (16, 12, 10)
    return tuple(
        Breakout(f"{slot[0]}{i}", f"Topic {slot} {i}", slot, size)
        for slot in SLOTS
        for i, size in enumerate(sizes)
    )


def people(count: int, start: int = 0, favourite: str | None = None) -> list[Person]:
    """People ranking four of the rooms in a seeded order; `favourite` first if given."""
    rng = random.Random(start)
    ids = [b.id for b in breakouts()]
    result = []
    for i in range(start, start + count):
        ranking = rng.sample(ids, k=4)
        if favourite:
            ranking = [favourite, *(b for b in ranking if b != favourite)]
        result.append(
            Person(f"p{i}", f"P{i}", f"o{i % 6}", f"s{i % 4}", "x", preferences=tuple(ranking))
        )
    return result


def first_plan(count: int = 30) -> tuple[BreakoutProblem, dict[str, dict[str, str]]]:
    problem = BreakoutProblem(breakouts=breakouts(), people=tuple(people(count)))
    plan = plan_breakouts(problem, OPTIONS)
    assert plan.moves is None  # not a repair
    return problem, plan.assignments


def moved(before: dict[str, dict[str, str]], after: dict[str, dict[str, str]]) -> int:
    return sum(
        1
        for pid, seats in before.items()
        if pid in after
        for slot, breakout_id in seats.items()
        if after[pid][slot] != breakout_id
    )


def loads(assignments: dict[str, dict[str, str]]) -> Counter[str]:
    return Counter(b for seats in assignments.values() for b in seats.values())


def test_an_unchanged_event_keeps_every_seat() -> None:
    problem, previous = first_plan()
    plan = plan_breakouts(replace(problem, previous=previous), OPTIONS)
    assert plan.moves == 0 and plan.assignments == previous


def test_late_registrations_take_free_places_without_moving_anyone() -> None:
    """Five walk-ins who all want the fullest room: with free places in every slot
    (30 + 5 people, 38 places a slot) the minimum is no move at all."""
    problem, previous = first_plan()
    fullest = loads(previous).most_common(1)[0][0]
    walk_ins = people(5, start=100, favourite=fullest)
    grown = replace(problem, people=problem.people + tuple(walk_ins), previous=previous)
    plan = plan_breakouts(grown, OPTIONS)
    assert_hard_rules(grown, plan)
    assert plan.moves == moved(previous, plan.assignments) == 0
    # The walk-ins still get their choices where there is room.
    free = {b.id: b.capacity - loads(previous)[b.id] for b in grown.breakouts}
    slot = grown.breakout(fullest).slot
    first_choices = sum(plan.assignments[p.id][slot] == fullest for p in walk_ins)
    assert first_choices == min(5, free[fullest])


def test_cancellations_move_nobody() -> None:
    problem, previous = first_plan()
    staying = tuple(p for p in problem.people if p.id not in {"p1", "p2", "p3"})
    plan = plan_breakouts(replace(problem, people=staying, previous=previous), OPTIONS)
    assert plan.moves == 0
    assert all(plan.assignments[p.id] == previous[p.id] for p in staying)


def test_a_smaller_room_moves_only_the_people_who_no_longer_fit() -> None:
    problem, previous = first_plan()
    room, load = loads(previous).most_common(1)[0]
    shrink = 3
    smaller = tuple(
        replace(b, capacity=load - shrink) if b.id == room else b for b in problem.breakouts
    )
    repaired = replace(problem, breakouts=smaller, previous=previous)
    plan = plan_breakouts(repaired, OPTIONS)
    assert_hard_rules(repaired, plan)
    # At least `shrink` people must leave that room; every other room has space for them.
    assert plan.moves == moved(previous, plan.assignments) == shrink


def test_locked_seats_hold_in_repair_mode() -> None:
    problem, previous = first_plan()
    person = problem.people[0]
    load = loads(previous)
    elsewhere = next(
        b.id
        for b in problem.breakouts
        if b.slot == "morning"
        and b.id != previous[person.id]["morning"]
        and load[b.id] < b.capacity
    )
    pinned = {(person.id, "morning"): elsewhere}
    plan = plan_breakouts(replace(problem, pinned=pinned, previous=previous), OPTIONS)
    assert plan.assignments[person.id]["morning"] == elsewhere
    # One seat is forced to change; the room it leaves and the one it joins both had space.
    assert plan.moves == 1


def test_out_of_time_a_repair_still_keeps_the_earlier_seats() -> None:
    problem, previous = first_plan()
    grown = replace(problem, people=problem.people + tuple(people(5, start=100)), previous=previous)
    plan = plan_breakouts(grown, BreakoutOptions(time_limit=0.001, seed=1, workers=1))
    assert_hard_rules(grown, plan)
    assert plan.moves == 0 and "earlier seats kept" in plan.message
