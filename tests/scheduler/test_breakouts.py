"""The breakout planner: hard rules on random problems, never worse than first come first
served, ranked assignments against the max-flow bound, minimums, pins, infeasible input, and
the run controls (seed, time limit, cancel)."""

from __future__ import annotations

import time
from collections import Counter

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from benchmarks.breakouts import realistic_breakout_problem
from scheduler.breakout_bounds import potential
from scheduler.breakouts import (
    Breakout,
    BreakoutOptions,
    BreakoutPlan,
    BreakoutProblem,
    first_come_first_served,
    plan_breakouts,
)
from scheduler.fcfs import fill_in
from scheduler.people import InputError, Person

SECTORS = ("Council", "NHS", "Police", "Voluntary")


def person(pid: str, *preferences: str, org: str = "Org", sector: str = "Council") -> Person:
    return Person(pid, f"Person {pid}", org, sector, "Officer", preferences=tuple(preferences))


def assert_hard_rules(problem: BreakoutProblem, plan: BreakoutPlan) -> None:
    """One breakout per slot, capacities, no topic twice, minimums or cancelled, pins kept."""
    assert set(plan.assignments) == {p.id for p in problem.people}
    load: Counter[str] = Counter()
    for p in problem.people:
        given = plan.assignments[p.id]
        assert set(given) == set(problem.slots), p.id
        for slot, breakout_id in given.items():
            assert problem.breakout(breakout_id).slot == slot
            load[breakout_id] += 1
        titles = [problem.breakout(b).title for b in given.values()]
        assert len(titles) == len(set(titles)), f"{p.id} attends a topic twice"
    cancelled = {c.breakout_id for c in plan.cancelled}
    for b in problem.breakouts:
        assert load[b.id] <= b.capacity, b.id
        if b.id in cancelled:
            assert load[b.id] == 0 and b.min_attendance
        elif b.min_attendance:
            assert load[b.id] >= b.min_attendance, b.id
    for (person_id, slot), breakout_id in problem.pinned.items():
        assert plan.assignments[person_id][slot] == breakout_id


@st.composite
def feasible_problems(draw, max_people: int = 10, ample: bool = False) -> BreakoutProblem:
    """Small problems built around a hidden plan that keeps every rule, so one exists: titles
    repeat across slots, capacities and minimums fit the hidden loads, pins come from it.
    `ample`: every breakout seats everyone and nothing is pinned or has a minimum."""
    slot_count = draw(st.integers(1, 3))
    titles = [f"T{i}" for i in range(draw(st.integers(slot_count + 1, 6)))]
    slots = [f"s{i + 1}" for i in range(slot_count)]
    sessions = {
        slot: draw(st.lists(st.sampled_from(titles), min_size=2, max_size=4, unique=True))
        for slot in slots
    }
    ids = {(slot, title): f"{slot}-{title}" for slot in slots for title in sessions[slot]}
    people_count = draw(st.integers(0, max_people))
    hidden: dict[int, dict[str, str]] = {}
    for i in range(people_count):
        used: set[str] = set()
        hidden[i] = {}
        for slot in slots:
            options = [t for t in sessions[slot] if t not in used]
            if not options:
                break
            title = draw(st.sampled_from(options))
            used.add(title)
            hidden[i][slot] = ids[slot, title]
    complete = {i: seats for i, seats in hidden.items() if len(seats) == slot_count}
    load = Counter(b for seats in complete.values() for b in seats.values())
    breakouts = []
    for (slot, title), breakout_id in ids.items():
        spare = draw(st.integers(0, 2))
        capacity = len(complete) if ample else max(1, load[breakout_id] + spare)
        minimum = None
        if not ample and draw(st.booleans()) and draw(st.booleans()):
            minimum = draw(st.integers(1, max(1, load[breakout_id])))
            if load[breakout_id] == 0:
                minimum = 1
        breakouts.append(Breakout(breakout_id, title, slot, max(capacity, 1), minimum))
    everyone = sorted(ids.values())
    people = []
    pinned = {}
    for i in complete:
        ranking = draw(st.lists(st.sampled_from(everyone), max_size=5, unique=True))
        people.append(
            person(
                f"p{i}",
                *ranking,
                org=f"Org{draw(st.integers(0, 2))}",
                sector=draw(st.sampled_from(SECTORS)),
            )
        )
        if not ample and draw(st.integers(0, 4)) == 0:
            slot = draw(st.sampled_from(slots))
            pinned[f"p{i}", slot] = complete[i][slot]
    return BreakoutProblem(tuple(breakouts), tuple(people), pinned)


def solve(problem: BreakoutProblem, time_limit: float = 10.0, seed: int = 0) -> BreakoutPlan:
    return plan_breakouts(problem, BreakoutOptions(time_limit=time_limit, seed=seed))


# Hard rules and the guarantees against the baseline and the bound, on random small problems


@settings(max_examples=80, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(feasible_problems())
def test_plans_keep_every_hard_rule_and_never_lose_to_the_baseline(problem) -> None:
    plan = solve(problem)
    assert plan.status == "optimal", plan.message
    assert_hard_rules(problem, plan)
    mine, fcfs = plan.metrics, plan.baseline
    assert mine.ranked_assignments <= mine.ranked_upper_bound
    baseline = first_come_first_served(problem)
    if baseline.status == "feasible":
        assert_hard_rules(problem, baseline)
        assert mine.worst_off_ranked_slots >= fcfs.worst_off_ranked_slots
        if mine.worst_off_ranked_slots == fcfs.worst_off_ranked_slots:
            assert mine.ranked_assignments >= fcfs.ranked_assignments
            assert mine.fully_served >= fcfs.fully_served
            assert mine.emptiest_fill >= fcfs.emptiest_fill


def test_ranked_seats_chosen_on_the_small_model_never_leave_rooms_emptier_than_the_baseline():
    """Found by Hypothesis. The small model counts the seats nobody ranked only as numbers, so
    it kept first come, first served's emptiest fill with ranked seats that leave no real way
    to fill every room that well; the plan is then solved again on the exact model."""
    rooms = [("s1-T3", 7), ("s1-T1", 1), ("s1-T0", 2), ("s1-T4", 1), ("s2-T3", 2), ("s2-T4", 5)]
    breakouts = tuple(Breakout(b, b[3:], b[:2], capacity) for b, capacity in rooms)
    people = tuple(person(f"p{i}") for i in range(7))
    people = (
        *people[:1],
        person("p1", "s1-T0"),
        *people[2:5],
        person("p5", "s1-T1", "s1-T4", "s2-T3", "s1-T3"),
        people[6],
    )
    pinned = {
        ("p0", "s1"): "s1-T3",
        ("p2", "s1"): "s1-T3",
        ("p3", "s1"): "s1-T4",
        ("p4", "s1"): "s1-T3",
        ("p6", "s1"): "s1-T1",
    }
    problem = BreakoutProblem(breakouts, people, pinned)
    plan, baseline = solve(problem), first_come_first_served(problem).metrics
    assert plan.status == "optimal", plan.message
    assert_hard_rules(problem, plan)
    assert plan.metrics.worst_off_ranked_slots == baseline.worst_off_ranked_slots
    assert plan.metrics.emptiest_fill >= baseline.emptiest_fill


@settings(max_examples=25, deadline=None)
@given(feasible_problems(ample=True))
def test_ranked_assignments_reach_the_bound_when_rooms_are_ample(problem) -> None:
    plan = solve(problem)
    assert plan.status == "optimal"
    assert_hard_rules(problem, plan)
    potentials = {p.id: potential(problem, p) for p in problem.people}
    assert plan.metrics.ranked_upper_bound == sum(potentials.values())
    assert plan.metrics.ranked_assignments == plan.metrics.ranked_upper_bound
    assert plan.metrics.worst_off_ranked_slots == len(problem.slots)


@settings(max_examples=40, deadline=None)
@given(feasible_problems())
def test_potential_and_bound_are_upper_bounds(problem) -> None:
    plan = first_come_first_served(problem)
    for p in problem.people:
        given = plan.assignments[p.id]
        ranked = [b for b in given.values() if b in p.preferences]
        if len(given) == len(problem.slots):  # the potential speaks of complete plans
            assert len(ranked) <= potential(problem, p) <= len(problem.slots)
    if plan.status == "feasible":
        assert plan.metrics.ranked_assignments <= plan.metrics.ranked_upper_bound


@settings(max_examples=40, deadline=None)
@given(feasible_problems())
def test_greedy_fill_keeps_capacities_and_topics(problem) -> None:
    """The planner's last resort when the fill stages find nothing: completing ranked seats."""
    plan = first_come_first_served(problem)
    ranked = {
        pid: {slot: b for slot, b in seats.items() if b in problem.person(pid).preferences}
        for pid, seats in plan.assignments.items()
    }
    filled = fill_in(problem, ranked, {c.breakout_id for c in plan.cancelled})
    load = Counter(b for seats in filled.values() for b in seats.values())
    assert all(load[b.id] <= b.capacity for b in problem.breakouts)
    for pid, seats in filled.items():
        assert ranked[pid].items() <= seats.items()
        titles = [problem.breakout(b).title for b in seats.values()]
        assert len(titles) == len(set(titles))


# Minimum attendance, pins and the exact-model fallback


def test_a_breakout_that_cannot_reach_its_minimum_is_cancelled_and_its_fans_reassigned() -> None:
    breakouts = (
        Breakout("a", "Allotments", "am", 10, min_attendance=5),
        Breakout("b", "Budgets", "am", 10),
        Breakout("c", "Care", "pm", 10),
        Breakout("d", "Data", "pm", 10),
    )
    people = tuple(person(f"p{i}", *(("a", "c") if i < 2 else ("b", "d"))) for i in range(4))
    problem = BreakoutProblem(breakouts, people)
    for plan in (solve(problem), first_come_first_served(problem)):
        assert_hard_rules(problem, plan)
        fans = tuple(p.id for p in people if "a" in p.preferences)
        assert [(c.breakout_id, c.reassigned) for c in plan.cancelled] == [("a", fans)]
        assert plan.metrics.fill["a"] == (0, 10)


def test_a_minimum_is_met_rather_than_cancelling_a_pinned_breakout() -> None:
    breakouts = (
        Breakout("a", "Allotments", "am", 10, min_attendance=3),
        Breakout("b", "Budgets", "am", 10),
    )
    people = tuple(person(f"p{i}", "b") for i in range(5))
    problem = BreakoutProblem(breakouts, people, pinned={("p0", "am"): "a"})
    plan = solve(problem)
    assert_hard_rules(problem, plan)
    assert plan.cancelled == ()
    assert plan.metrics.fill["a"][0] == breakouts[0].min_attendance
    # Everyone else wanted b: exactly the seats the minimum needs were taken from them.
    assert plan.metrics.ranked_assignments == len(people) - breakouts[0].min_attendance


def test_when_the_ranked_seats_leave_only_repeated_topics_the_exact_model_decides() -> None:
    # Ranked seats alone allow p1 Xylophones (pm) and p2 Yoga (am), but then p1's only seat in
    # the morning is Xylophones again: the fill stage is infeasible and every stage is redone.
    breakouts = (
        Breakout("am-x", "Xylophones", "am", 1),
        Breakout("am-y", "Yoga", "am", 1),
        Breakout("pm-x", "Xylophones", "pm", 1),
        Breakout("pm-z", "Zines", "pm", 1),
    )
    problem = BreakoutProblem(breakouts, (person("p1", "pm-x"), person("p2", "am-y")))
    plan = solve(problem)
    assert plan.status == "optimal"
    assert_hard_rules(problem, plan)
    assert [s["status"] for s in plan.stages].count("infeasible") == 1
    assert plan.metrics.worst_off_ranked_slots >= plan.baseline.worst_off_ranked_slots


def test_pins_that_cannot_all_be_kept_make_the_plan_infeasible() -> None:
    breakouts = (
        Breakout("am-x", "Xylophones", "am", 1),
        Breakout("am-y", "Yoga", "am", 1),
        Breakout("pm-x", "Xylophones", "pm", 1),
        Breakout("pm-y", "Yoga", "pm", 1),
    )
    pinned = {("p1", "am"): "am-x", ("p2", "pm"): "pm-y"}
    problem = BreakoutProblem(breakouts, (person("p1"), person("p2")), pinned)
    plan = solve(problem)
    assert plan.status == "infeasible"
    assert "topic twice" in plan.message
    assert plan.assignments == {}
    assert first_come_first_served(problem).status == "infeasible"


# Input the planner refuses, with one line naming the fault


@pytest.mark.parametrize(
    ("breakouts", "people", "pinned", "expected"),
    [
        ((Breakout("a", "A", "1", 1), Breakout("a", "B", "1", 1)), (), {}, "'a' appears twice"),
        ((Breakout("a", "A", "1", 0),), (), {}, "capacity must be positive"),
        ((Breakout("a", "A", "1", 2, 3),), (), {}, "outside 0..capacity 2"),
        ((Breakout("a", "A", "1", 2),), (person("p", "zz"),), {}, "ranks unknown breakout 'zz'"),
        (
            (Breakout("a", "A", "1", 2), Breakout("b", "B", "1", 1)),
            tuple(person(f"p{i}") for i in range(5)),
            {},
            "slot '1' seats 3 but 5 people attend: 2 seat(s) short",
        ),
        (
            (Breakout("a", "A", "1", 2), Breakout("b", "A", "2", 2), Breakout("c", "C", "3", 2)),
            (person("p"),),
            {},
            "slots '1', '2' offer only 1 topic(s)",
        ),
        ((Breakout("a", "A", "1", 2),), (person("p"),), {("p", "2"): "a"}, "in slot '2'"),
        ((Breakout("a", "A", "1", 1),), (person("p"), person("q")), {}, "1 seat(s) short"),
        (
            (Breakout("a", "A", "1", 1), Breakout("b", "B", "1", 1)),
            (person("p"), person("q")),
            {("p", "1"): "a", ("q", "1"): "a"},
            "more pinned people than its capacity",
        ),
        (
            (Breakout("a", "A", "1", 2), Breakout("b", "A", "2", 2), Breakout("c", "C", "2", 2)),
            (person("p"), person("q")),
            {("p", "1"): "a", ("q", "1"): "a", ("q", "2"): "b"},
            "pins give 'q' the topic 'A' twice",
        ),
    ],
    ids=[
        "duplicate-id",
        "zero-capacity",
        "minimum-above-capacity",
        "unknown-preference",
        "slot-short",
        "topics-run-out",
        "pin-wrong-slot",
        "slot-short-by-one",
        "pins-over-capacity",
        "pins-repeat-topic",
    ],
)
def test_bad_problems_raise_one_clear_line(breakouts, people, pinned, expected) -> None:
    problem = BreakoutProblem(breakouts, people, pinned)
    for planner in (solve, first_come_first_served):
        with pytest.raises(InputError, match=expected.replace("(", r"\(").replace(")", r"\)")):
            planner(problem)


# Realistic scale, reproducibility, the time limit and cancelling


@pytest.fixture(scope="module")
def event() -> BreakoutProblem:
    return realistic_breakout_problem(seed=7, people=150, slots=3, per_slot=5)


@pytest.fixture(scope="module")
def event_plan(event: BreakoutProblem) -> BreakoutPlan:
    return solve(event, time_limit=20)


def test_a_realistic_event_beats_first_come_first_served(event, event_plan) -> None:
    assert_hard_rules(event, event_plan)
    mine, fcfs = event_plan.metrics, event_plan.baseline
    assert mine.ranked_assignments <= mine.ranked_upper_bound
    assert mine.worst_off_ranked_slots >= fcfs.worst_off_ranked_slots
    assert mine.ranked_assignments >= fcfs.ranked_assignments
    assert mine.same_org_pairs >= mine.same_org_pairs_lower_bound
    assert 0 < mine.sector_mix <= 1


def test_the_same_seed_gives_the_same_plan(event, event_plan) -> None:
    if event_plan.status != "optimal":
        pytest.skip("a stage was cut short on this machine; only complete runs must repeat")
    assert solve(event, time_limit=20).assignments == event_plan.assignments


def test_the_time_limit_holds_at_full_scale() -> None:
    problem = realistic_breakout_problem(seed=3)
    started = time.monotonic()
    plan = solve(problem, time_limit=4)
    assert time.monotonic() - started < 4 + 3  # model building after the last solve
    assert plan.status in ("feasible", "optimal")
    assert_hard_rules(problem, plan)


def test_progress_is_reported_and_cancelling_returns_a_plan(event) -> None:
    seen = []

    def stop_in_second_stage(progress) -> bool:
        seen.append(progress)
        return progress.stage_number == 2

    plan = plan_breakouts(event, BreakoutOptions(time_limit=20), on_progress=stop_in_second_stage)
    assert [p.stage for p in seen][:2] == ["worst_off", "keep_baseline"]
    assert all(p.stage_count == 5 for p in seen)
    assert plan.status == "feasible" and "cancelled" in plan.message
    assert_hard_rules(event, plan)
