"""The breakout problem and plan as plain dataclasses, and the checks a problem must pass.

`validate` raises `InputError` with one line naming the breakout, person, pin or slot at fault, so
both the command line and the web app can show it as it is.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from functools import cached_property

from ortools.graph.python.max_flow import SimpleMaxFlow

from scheduler.breakout_bounds import topic_assignment
from scheduler.people import InputError, Person


@dataclass(frozen=True)
class Breakout:
    """A session in a slot. Below `min_attendance` people it is cancelled (None: never)."""

    id: str
    title: str
    slot: str
    capacity: int
    min_attendance: int | None = None


@dataclass(frozen=True)
class BreakoutProblem:
    """Breakouts, people in registration order (`Person.preferences`: breakout ids, best first),
    and pinned assignments {(person_id, slot): breakout_id} the plan must keep.

    `previous`, for repair mode, is an earlier plan {person_id: {slot: breakout_id}} whose seats
    should be kept: the first objective is then to move as few of them as possible. Seats of
    people no longer in `people`, or in breakouts no longer offered, are ignored."""

    breakouts: tuple[Breakout, ...]
    people: tuple[Person, ...]
    pinned: dict[tuple[str, str], str] = field(default_factory=dict)
    previous: dict[str, dict[str, str]] | None = None

    @cached_property
    def earlier_seats(self) -> dict[tuple[str, str], str]:
        """Repair mode: {(person_id, slot): breakout_id} of `previous` that still exist."""
        if self.previous is None:
            return {}
        people = self._people_by_id
        return {
            (person_id, slot): breakout_id
            for person_id, seats in self.previous.items()
            if person_id in people
            for slot, breakout_id in seats.items()
            if breakout_id in self._by_id and self._by_id[breakout_id].slot == slot
        }

    @cached_property
    def slots(self) -> list[str]:
        """Slots in the order they first appear among the breakouts."""
        return list(dict.fromkeys(b.slot for b in self.breakouts))

    def breakouts_in(self, slot: str) -> list[Breakout]:
        return [b for b in self.breakouts if b.slot == slot]

    def breakout(self, breakout_id: str) -> Breakout:
        return self._by_id[breakout_id]

    @cached_property
    def pins_by_person(self) -> dict[str, dict[str, str]]:
        """{person_id: {slot: breakout_id}} for people with pins."""
        pins: dict[str, dict[str, str]] = {}
        for (person_id, slot), breakout_id in self.pinned.items():
            pins.setdefault(person_id, {})[slot] = breakout_id
        return pins

    def person(self, person_id: str) -> Person:
        return self._people_by_id[person_id]

    @cached_property
    def _people_by_id(self) -> dict[str, Person]:
        return {p.id: p for p in self.people}

    @cached_property
    def _by_id(self) -> dict[str, Breakout]:
        return {b.id: b for b in self.breakouts}


@dataclass(frozen=True)
class BreakoutOptions:
    """`time_limit`: seconds for the whole run; `seed` and `workers` (CP-SAT threads) fix the
    search, so the same values give the same plan."""

    time_limit: float = 60.0
    seed: int = 0
    workers: int = 2


@dataclass(frozen=True)
class Progress:
    """A snapshot handed to `on_progress`: the stage being solved (1-based of `stage_count`),
    seconds since the start, and that stage's best objective value so far (None before any)."""

    stage: str
    stage_number: int
    stage_count: int
    elapsed: float
    time_limit: float
    objective: int | None


ProgressCallback = Callable[[Progress], bool | None]


@dataclass(frozen=True)
class CancelledBreakout:
    """A breakout that did not reach its minimum, and the people re-assigned because of it:
    those who ranked it above what they got in its slot."""

    breakout_id: str
    reassigned: tuple[str, ...]


@dataclass(frozen=True)
class BreakoutMetrics:
    """The figures reported with every plan (see `scheduler.breakout_metrics.measure`)."""

    people: int
    people_with_ranking: int
    fully_served: int
    fully_servable: int
    ranked_assignments: int
    ranked_upper_bound: int
    worst_off_ranked_slots: int
    rank_counts: tuple[int, ...]
    unranked_assignments: int
    unplaced: int
    fill: dict[str, tuple[int, int]]
    emptiest_fill: float
    sector_mix: float
    same_org_pairs: int
    same_org_pairs_lower_bound: int


@dataclass(frozen=True)
class BreakoutPlan:
    """`assignments` {person_id: {slot: breakout_id}}; `status` optimal, feasible, infeasible or
    unknown (no plan found in time); `baseline`: the first-come-first-served figures; `stages`:
    one record per CP-SAT stage (name, status, objective, bound, seconds); `moves`: in repair
    mode, the seats of `previous` now in another breakout."""

    assignments: dict[str, dict[str, str]]
    status: str
    metrics: BreakoutMetrics | None
    cancelled: tuple[CancelledBreakout, ...] = ()
    baseline: BreakoutMetrics | None = None
    message: str = ""
    stages: tuple[dict, ...] = ()
    moves: int | None = None


def validate(problem: BreakoutProblem) -> None:
    """Raise InputError naming the first thing that makes the problem unusable."""
    _check_breakouts(problem.breakouts)
    _check_people(problem)
    _check_pins(problem)
    _check_pinned_topics(problem)
    _check_slot_capacity(problem)
    _check_distinct_topics(problem)


def _check_breakouts(breakouts: tuple[Breakout, ...]) -> None:
    seen: set[str] = set()
    for b in breakouts:
        if not b.id:
            raise InputError(f"breakout {b.title!r} has an empty id")
        if b.id in seen:
            raise InputError(f"breakout id {b.id!r} appears twice")
        seen.add(b.id)
        if b.capacity <= 0:
            raise InputError(f"breakout {b.id!r} capacity must be positive, not {b.capacity}")
        if b.min_attendance is not None and not 0 <= b.min_attendance <= b.capacity:
            raise InputError(
                f"breakout {b.id!r} minimum attendance {b.min_attendance} "
                f"is outside 0..capacity {b.capacity}"
            )


def _check_people(problem: BreakoutProblem) -> None:
    known = {b.id for b in problem.breakouts}
    repeated = [pid for pid, n in Counter(p.id for p in problem.people).items() if n > 1]
    if repeated:
        raise InputError(f"person id {repeated[0]!r} appears twice")
    for person in problem.people:
        unknown = [b for b in person.preferences if b not in known]
        if unknown:
            raise InputError(f"person {person.id!r} ranks unknown breakout {unknown[0]!r}")
        if len(set(person.preferences)) != len(person.preferences):
            raise InputError(f"person {person.id!r} ranks the same breakout twice")


def _check_pins(problem: BreakoutProblem) -> None:
    people = {p.id for p in problem.people}
    known = {b.id for b in problem.breakouts}
    load: Counter[str] = Counter()
    topics: set[tuple[str, str]] = set()
    for (person_id, slot), breakout_id in sorted(problem.pinned.items()):
        if person_id not in people:
            raise InputError(f"pin names unknown person {person_id!r}")
        if breakout_id not in known:
            raise InputError(f"pin of {person_id!r} names unknown breakout {breakout_id!r}")
        breakout = problem.breakout(breakout_id)
        if breakout.slot != slot:
            raise InputError(
                f"pin of {person_id!r} puts breakout {breakout_id!r} (slot {breakout.slot!r}) "
                f"in slot {slot!r}"
            )
        if (person_id, breakout.title) in topics:
            raise InputError(f"pins give {person_id!r} the topic {breakout.title!r} twice")
        topics.add((person_id, breakout.title))
        load[breakout_id] += 1
        if load[breakout_id] > breakout.capacity:
            raise InputError(
                f"breakout {breakout_id!r} has more pinned people than its capacity "
                f"{breakout.capacity}"
            )


def _check_pinned_topics(problem: BreakoutProblem) -> None:
    for person in problem.people:
        if person.id in problem.pins_by_person and topic_assignment(problem, person) is None:
            raise InputError(
                f"pins leave {person.id!r} no way to fill their other slots with new topics"
            )


def _check_slot_capacity(problem: BreakoutProblem) -> None:
    needed = len(problem.people)
    for slot in problem.slots:
        seats = sum(b.capacity for b in problem.breakouts_in(slot))
        if seats < needed:
            raise InputError(
                f"slot {slot!r} seats {seats} but {needed} people attend: "
                f"{needed - seats} seat(s) short"
            )


def _check_distinct_topics(problem: BreakoutProblem) -> None:
    """Everyone attends one breakout per slot, all on different topics: that needs a matching
    of slots to topics covering every slot. If none exists, a minimum cut names slots X that
    offer fewer than |X| topics between them (Hall's condition)."""
    if not problem.people:
        return
    slots = problem.slots
    titles = list(dict.fromkeys(b.title for b in problem.breakouts))
    source, sink = 0, 1 + len(slots) + len(titles)
    flow = SimpleMaxFlow()
    for i, slot in enumerate(slots):
        flow.add_arc_with_capacity(source, 1 + i, 1)
        for title in {b.title for b in problem.breakouts_in(slot)}:
            flow.add_arc_with_capacity(1 + i, 1 + len(slots) + titles.index(title), 1)
    for j in range(len(titles)):
        flow.add_arc_with_capacity(1 + len(slots) + j, sink, 1)
    if flow.solve(source, sink) != flow.OPTIMAL or flow.optimal_flow() == len(slots):
        return
    reachable = set(flow.get_source_side_min_cut())
    stuck = [slot for i, slot in enumerate(slots) if 1 + i in reachable]
    offered = {b.title for b in problem.breakouts if b.slot in stuck}
    raise InputError(
        f"slots {', '.join(map(repr, stuck))} offer only {len(offered)} topic(s) between them, "
        "so nobody can attend each of them without repeating a topic"
    )
