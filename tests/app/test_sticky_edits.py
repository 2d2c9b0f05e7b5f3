"""Edits that stick: hand moves lock, re-solving keeps seats (fewest moves first), starting again
from scratch is asked for, and the plan page counts the seats changed."""

from __future__ import annotations

import re
from collections import Counter

import pytest
from sqlalchemy import func, select

from app.extensions import db
from app.models import Plan, PlanKind, SessionKind, SolveJob
from app.services.events.demo import seed_demo
from app.services.planning import edits, publishing
from tests.app.planning_helpers import PLAN_SECONDS, add_attendees, wait_for
from tests.app.test_planning import run_now, seats


@pytest.fixture
def demo(app, organiser):
    """The demo event as the organiser tried it: 53 people, 8 tables of 8, three rounds."""
    return seed_demo(slug="demo", attendees=53, capacity=60).event


def plan_url(plan: Plan) -> str:
    return f"/organise/events/{plan.event.slug}/plans/{plan.id}"


def changed(before: Plan, after: Plan) -> int:
    """(person, session) seats in both plans whose table or breakout differs."""
    old, new = seats(before), seats(after)
    return sum(1 for key, group in new.items() if key in old and old[key] != group)


def locked(plan: Plan) -> dict[tuple[int, int], int]:
    return {
        (a.registration_id, a.session_id): a.table_id or a.breakout_id
        for a in plan.assignments
        if a.locked
    }


def words(response) -> str:
    """A page's text as a reader sees it: tags dropped, white space collapsed."""
    return " ".join(re.sub(r"<[^>]+>", " ", response.get_data(as_text=True)).split())


def plans_of(event) -> list[Plan]:
    return list(db.session.scalars(select(Plan).where(Plan.event_id == event.id)))


def jobs_of(event) -> int:
    return db.session.scalar(select(func.count()).where(SolveJob.event_id == event.id))


def tablemates(plan: Plan, session_id: int) -> list[list[int]]:
    tables: dict[int, list[int]] = {}
    for a in plan.assignments:
        if a.session_id == session_id:
            tables.setdefault(a.table_id, []).append(a.registration_id)
    return sorted(tables.values(), key=len)


@pytest.mark.slow
def test_resolve_after_a_hand_swap_and_a_new_rule_keeps_nearly_every_seat(signed_in, demo):
    plan = run_now(demo, PlanKind.TABLES, time_limit=PLAN_SECONDS)
    rounds = demo.sessions_of(SessionKind.TABLE_ROUND)
    first = tablemates(plan, rounds[0].id)
    a, b = first[0][0], first[-1][0]
    url = plan_url(plan)
    response = signed_in.submit(
        f"{url}/swap", {"first_id": a, "second_id": b, "session_id": rounds[0].id}, form_url=url
    )
    assert response.status_code == 302
    db.session.expire_all()
    swapped = seats(plan)
    assert set(locked(plan)) == {(a, rounds[0].id), (b, rounds[0].id)}, "a hand swap locks"
    assert "Swapped. Both seats are locked" in words(signed_in.get(url))

    # A hand move in the last round, from a largest table to a smallest (balance allows it).
    last = rounds[-1].id
    by_size = tablemates(plan, last)
    mover = next(p for p in by_size[-1] if p not in (a, b))
    smallest = swapped[(by_size[0][0], last)]
    signed_in.submit(
        f"{url}/move",
        {"registration_id": mover, "session_id": last, "target_id": smallest},
        form_url=url,
    )
    db.session.expire_all()
    swapped = seats(plan)
    assert swapped[(mover, last)] == smallest and (mover, last) in locked(plan), "a move locks"

    # A new rule: two people who share a table in the second round must be kept apart.
    x, y = next(t for t in tablemates(plan, rounds[1].id) if not {a, b, mover} & set(t))[:2]
    shared = sum(
        1 for s in rounds if swapped[(x, s.id)] == swapped[(y, s.id)]
    )  # rounds where one of them must move
    overview = f"/organise/events/{demo.slug}/planning"
    signed_in.submit(
        f"{overview}/rules", {"kind": "keep_apart", "first": x, "second": y}, form_url=overview
    )

    response = signed_in.submit(f"{url}/resolve", form_url=url)
    job = wait_for(int(response.headers["Location"].rsplit("/", 1)[1]))
    again = job.plan
    assert again is not None, job.error
    after = seats(again)
    assert after[(a, rounds[0].id)] == swapped[(a, rounds[0].id)]
    assert after[(b, rounds[0].id)] == swapped[(b, rounds[0].id)]
    assert after[(mover, last)] == smallest
    assert all(after[(x, s.id)] != after[(y, s.id)] for s in rounds)
    # Each round the pair shared, one of them moves and (tables must stay balanced) perhaps
    # one person back: nothing else needs to change.
    assert changed(plan, again) <= 2 * shared + 2
    assert again.metrics["moves"] == changed(plan, again)
    assert set(locked(again)) == set(locked(plan))


def test_hand_edits_are_measured_again_and_a_worsening_is_said(signed_in, demo):
    plan = run_now(demo, PlanKind.TABLES, time_limit=PLAN_SECONDS)
    draft = run_now(
        demo, PlanKind.TABLES, base_plan_id=plan.id, mode="repair", time_limit=PLAN_SECONDS
    )
    assert draft.metrics["moves"] == 0
    first, second = (s.id for s in demo.sessions_of(SessionKind.TABLE_ROUND)[:2])
    # a and b share a table in round 1; in round 2, b swaps with one of a's tablemates there.
    a, b = tablemates(draft, first)[0][:2]
    where = seats(draft)
    assert where[(a, second)] != where[(b, second)]
    c = next(p for t in tablemates(draft, second) if a in t for p in t if p != a)
    url = plan_url(draft)
    page = signed_in.submit(
        f"{url}/swap",
        {"first_id": b, "second_id": c, "session_id": second},
        form_url=url,
        follow_redirects=True,
    ).get_data(as_text=True)
    db.session.expire_all()
    repeats = draft.metrics["repeat_pairs"]["value"]
    assert repeats > draft.metrics["as_solved"]["repeat_pairs"]["value"]
    assert "This made the plan worse" in page
    assert re.search(r"\d+ pairs? of people meets? again \(was \d+\)", page)
    assert "Hand edits have made this plan worse than the planner left it" in page
    # "People moved from the earlier plan" counts the hand edits, against the plan it came from.
    assert draft.metrics["moves"] == changed(plan, draft) == 2
    assert draft.metrics["edited"] is True


@pytest.mark.slow
def test_start_again_from_scratch_asks_first(signed_in, demo):
    run_now(demo, PlanKind.TABLES, time_limit=PLAN_SECONDS)
    overview = f"/organise/events/{demo.slug}/planning"
    assert "Start again from scratch" in signed_in.get(overview).get_data(as_text=True)
    settings = {"time_limit": str(PLAN_SECONDS), "seed": "2", "same_org": "1000", "repeats": "100"}
    settings |= {"sector": "10", "profession": "1"}
    asked = signed_in.submit(f"{overview}/tables", settings, form_url=overview)
    page = asked.get_data(as_text=True)
    assert asked.status_code == 200 and "again from scratch?" in page
    assert f'name="time_limit" value="{PLAN_SECONDS}"' in page and 'name="seed" value="2"' in page
    assert len(plans_of(demo)) == 1 and jobs_of(demo) == 1  # nothing started yet

    confirmed = signed_in.submit(
        f"{overview}/tables", {**settings, "from_scratch": "yes"}, form_url=overview
    )
    job = wait_for(int(confirmed.headers["Location"].rsplit("/", 1)[1]))
    assert job.plan is not None and "base_plan_id" not in job.params


@pytest.mark.slow
def test_plan_page_counts_seats_changed_against_published_and_earlier_plans(signed_in, demo):
    published = run_now(demo, PlanKind.TABLES, time_limit=PLAN_SECONDS)
    publishing.publish(published)
    draft = run_now(
        demo, PlanKind.TABLES, base_plan_id=published.id, mode="repair", time_limit=PLAN_SECONDS
    )
    first = demo.sessions_of(SessionKind.TABLE_ROUND)[0].id
    tables = tablemates(draft, first)
    edits.swap(draft, tables[0][0], tables[-1][0], first)
    page = words(signed_in.get(plan_url(draft)))
    assert f"Against the published plan #{published.id}" in page  # also the earlier: said once
    assert "2 seats changed (2 people)." in page and "Against the earlier" not in page

    again = run_now(
        demo, PlanKind.TABLES, base_plan_id=draft.id, mode="repair", time_limit=PLAN_SECONDS
    )
    page = words(signed_in.get(plan_url(again)))
    assert f"Against the earlier plan #{draft.id}" in page and "no seat changed." in page
    assert "2 seats changed (2 people)." in page  # the locked swap, against the published plan
    assert "2 seats are locked" in page


def test_a_walk_in_joins_a_breakout_with_room_and_nobody_else_moves(signed_in, demo):
    plan = run_now(demo, PlanKind.BREAKOUTS, time_limit=PLAN_SECONDS)
    [walk_in] = add_attendees(demo, 1)
    url = plan_url(plan)
    response = signed_in.submit(f"{url}/resolve", form_url=url)
    job = wait_for(int(response.headers["Location"].rsplit("/", 1)[1]))
    repaired = job.plan
    assert repaired is not None, job.error
    [slot] = demo.sessions_of(SessionKind.BREAKOUT_SLOT)
    room = {b.id: b.capacity for b in slot.breakouts}
    assert sum(room.values()) > len(seats(plan)) + 1  # a room has free places
    assert changed(plan, repaired) == repaired.metrics["moves"] == 0
    assert (walk_in.id, slot.id) in seats(repaired)

    # A hand move to a room the person did not choose: locked, measured, and said.
    load = Counter(a.breakout_id for a in repaired.assignments)
    person = next(
        r
        for r in demo.registrations
        if (r.id, slot.id) in seats(repaired)
        and seats(repaired)[(r.id, slot.id)] in {p.breakout_id for p in r.preferences}
        and any(
            b.id not in {p.breakout_id for p in r.preferences} and load[b.id] < b.capacity
            for b in slot.breakouts
        )
    )
    unchosen = next(
        b
        for b in slot.breakouts
        if b.id not in {p.breakout_id for p in person.preferences} and load[b.id] < b.capacity
    )
    worse = edits.move(repaired, person.id, slot.id, unchosen.id)
    assert any("places are ones people chose" in sentence for sentence in worse)
    assert repaired.metrics["moves"] == 1 and locked(repaired) == {
        (person.id, slot.id): unchosen.id
    }
