"""First come, first served: what most registration tools do, kept as the planner's baseline.

Pinned seats are taken first. Then each person in registration order takes, for every slot,
their best-ranked breakout that still has a seat and a topic they have not got yet, and else the
emptiest such breakout (lowest attendees/capacity). Afterwards, while a breakout that has no pins
is below its minimum, the emptiest of them (relative to its minimum) is cancelled and its people,
in registration order, take their next best open breakout in that slot the same way.
"""

from __future__ import annotations

from collections import Counter

from scheduler.breakout_bounds import potential, ranked_upper_bound
from scheduler.breakout_metrics import cancellations, measure
from scheduler.breakout_problem import Breakout, BreakoutPlan, BreakoutProblem, validate
from scheduler.people import Person


def first_come_first_served(problem: BreakoutProblem) -> BreakoutPlan:
    """The baseline plan; status "feasible" when it keeps every hard rule (everyone placed in
    every slot, minimums met), else "infeasible" with the reason in `message`."""
    validate(problem)
    registration = _Registration(problem)
    for person in problem.people:
        registration.register(person)
    registration.cancel_below_minimum()
    assignments = registration.assignments
    unplaced = len(problem.people) * len(problem.slots) - sum(len(a) for a in assignments.values())
    short = registration.below_minimum()
    if unplaced:
        status, message = "infeasible", f"{unplaced} place(s) left without an open breakout"
    elif short:
        status, message = "infeasible", f"breakout {short[0].id!r} is below its minimum"
    else:
        status, message = "feasible", ""
    potentials = {p.id: potential(problem, p) for p in problem.people}
    bound = ranked_upper_bound(problem, potentials)
    return BreakoutPlan(
        assignments=assignments,
        status=status,
        metrics=measure(problem, assignments, registration.cancelled, potentials, bound),
        cancelled=cancellations(problem, assignments, registration.cancelled),
        message=message,
    )


def fill_in(
    problem: BreakoutProblem, seats: dict[str, dict[str, str]], cancelled: set[str]
) -> dict[str, dict[str, str]]:
    """Complete `seats` (and pins) the same way: each person in registration order takes, for
    each slot still empty, the emptiest open breakout on a topic new to them, if any."""
    registration = _Registration(problem, seats, cancelled)
    for person in problem.people:
        for slot in problem.slots:
            if slot not in registration.assignments[person.id]:
                registration.take_emptiest(person, slot)
    return registration.assignments


def keep_earlier(problem: BreakoutProblem) -> dict[str, dict[str, str]]:
    """Repair mode's last resort: pins, then each earlier seat (`problem.previous`) while its
    breakout has room and the topic is new to the person, in registration order; then everyone
    takes their remaining slots as first come, first served would."""
    registration = _Registration(problem)
    people = {p.id: p for p in problem.people}
    for (person_id, slot), breakout_id in problem.earlier_seats.items():
        breakout = problem.breakout(breakout_id)
        person = people[person_id]
        if slot not in registration.assignments[person_id] and registration.is_open(
            person, breakout
        ):
            registration.take(person, breakout)
    for person in problem.people:
        registration.register(person)
    return registration.assignments


class _Registration:
    """Seats taken so far; `assignments` {person_id: {slot: breakout_id}}."""

    def __init__(
        self,
        problem: BreakoutProblem,
        seats: dict[str, dict[str, str]] | None = None,
        cancelled: set[str] | None = None,
    ) -> None:
        self.problem = problem
        self.assignments = {p.id: dict((seats or {}).get(p.id, {})) for p in problem.people}
        self.cancelled = set(cancelled or ())
        for (person_id, slot), breakout_id in problem.pinned.items():
            self.assignments[person_id][slot] = breakout_id
        self.load = Counter(b for given in self.assignments.values() for b in given.values())

    def register(self, person: Person) -> None:
        for breakout_id in person.preferences:
            breakout = self.problem.breakout(breakout_id)
            if breakout.slot not in self.assignments[person.id] and self.is_open(person, breakout):
                self.take(person, breakout)
        for slot in self.problem.slots:
            if slot not in self.assignments[person.id]:
                self.take_emptiest(person, slot)

    def cancel_below_minimum(self) -> None:
        pinned = set(self.problem.pinned.values())
        while short := [b for b in self.below_minimum() if b.id not in pinned]:
            breakout = min(short, key=lambda b: self.load[b.id] / b.min_attendance)
            self.cancelled.add(breakout.id)
            for person in self.problem.people:
                if self.assignments[person.id].get(breakout.slot) == breakout.id:
                    del self.assignments[person.id][breakout.slot]
                    self.load[breakout.id] -= 1
                    self._retake(person, breakout.slot)

    def below_minimum(self) -> list[Breakout]:
        return [
            b
            for b in self.problem.breakouts
            if b.id not in self.cancelled
            and b.min_attendance
            and self.load[b.id] < b.min_attendance
        ]

    def _retake(self, person: Person, slot: str) -> None:
        for breakout_id in person.preferences:
            breakout = self.problem.breakout(breakout_id)
            if breakout.slot == slot and self.is_open(person, breakout):
                self.take(person, breakout)
                return
        self.take_emptiest(person, slot)

    def take_emptiest(self, person: Person, slot: str) -> None:
        candidates = [b for b in self.problem.breakouts_in(slot) if self.is_open(person, b)]
        if candidates:
            self.take(person, min(candidates, key=lambda b: self.load[b.id] / b.capacity))

    def is_open(self, person: Person, breakout: Breakout) -> bool:
        titles = {self.problem.breakout(b).title for b in self.assignments[person.id].values()}
        return (
            breakout.id not in self.cancelled
            and self.load[breakout.id] < breakout.capacity
            and breakout.title not in titles
        )

    def take(self, person: Person, breakout: Breakout) -> None:
        self.assignments[person.id][breakout.slot] = breakout.id
        self.load[breakout.id] += 1
