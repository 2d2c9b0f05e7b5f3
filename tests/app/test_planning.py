"""Planning in the app: background solve jobs, review and edits, repair, publishing."""

from __future__ import annotations

import os
import time
from dataclasses import asdict

import pytest

from app.extensions import db
from app.models import (
    Event,
    JobState,
    Plan,
    PlanKind,
    PlanStatus,
    RegistrationStatus,
    SeatingRuleKind,
    SessionKind,
    Table,
    User,
)
from app.services.messaging.transport import outbox_messages
from app.services.planning import edits, jobs, plans, publishing, rules, summaries
from tests.app.planning_helpers import (
    PLAN_SECONDS,
    add_attendees,
    golf_event,
    rotation_event,
    wait_for,
    wait_until_running,
)
from tests.conftest import PASSWORD


def run_now(event: Event, kind: PlanKind, **params) -> Plan:
    """Solve in this thread (as the `plan` command does) and return the new plan."""
    job = jobs.create(event, kind, {"time_limit": 5, "seed": 1, **params})
    jobs.run(job.id)
    db.session.refresh(job)
    assert job.state == JobState.SUCCEEDED, job.error
    return job.plan


def seats(plan: Plan) -> dict[tuple[int, int], int]:
    return {
        (a.registration_id, a.session_id): a.table_id or a.breakout_id for a in plan.assignments
    }


def by_table(plan: Plan, session_id: int) -> dict[int, list[int]]:
    tables: dict[int, list[int]] = {}
    for a in plan.assignments:
        if a.session_id == session_id:
            tables.setdefault(a.table_id, []).append(a.registration_id)
    return tables


@pytest.fixture
def attendees(event):
    return add_attendees(event, 40)


def test_plan_tables_in_the_background_end_to_end(signed_in, event, attendees):
    overview = f"/organise/events/{event.slug}/planning"
    assert "Plan tables" in signed_in.get(overview).get_data(as_text=True)
    response = signed_in.submit(
        f"{overview}/tables",
        {
            "time_limit": "10",
            "seed": "0",
            "same_org": "1000",
            "repeats": "100",
            "sector": "10",
            "profession": "1",
        },
        form_url=overview,
    )
    assert response.status_code == 302
    job_url = response.headers["Location"]
    job_id = int(job_url.rsplit("/", 1)[1])
    assert signed_in.get(job_url).status_code == 200

    job = wait_for(job_id)
    assert job.state == JobState.SUCCEEDED, job.error
    status = signed_in.get(f"{job_url}.json").get_json()
    assert status["state"] == "succeeded"
    assert status["plan_url"] == f"/organise/events/{event.slug}/plans/{job.plan_id}"
    # Once done, the job page and its status say exactly the figures of the plan it made.
    figures = [asdict(f) for f in summaries.plan_figures(PlanKind.TABLES, job.plan.metrics)]
    assert status["elapsed"] == job.plan.metrics["elapsed"]
    assert status["figures"] == figures and status["heading"] == "The plan it made"
    page = signed_in.get(job_url).get_data(as_text=True)
    assert f">{job.plan.metrics['elapsed']:.1f}</span> s" in page
    for figure in figures:
        assert f"{figure['text']} (best possible: {figure['best']})" in page
    assert "objective" not in page and "bound" not in page and "so far" not in page

    plan = job.plan
    rounds = event.sessions_of(SessionKind.TABLE_ROUND)
    assert sorted(seats(plan)) == sorted((r.id, s.id) for r in attendees for s in rounds)
    m = plan.metrics
    assert m["same_org_pairs"]["value"] == m["same_org_pairs"]["bound"]
    assert m["repeat_pairs"]["value"] == m["repeat_pairs"]["bound"]
    assert m["sector_mix"]["value"] >= 0.98
    optimal = plan.solver_status == "optimal"
    assert m["stop_reason"] == ("bound reached" if optimal else "time limit")
    for session in rounds:
        assert sorted(len(p) for p in by_table(plan, session.id).values()) == [4] * 10

    page = signed_in.get(status["plan_url"]).get_data(as_text=True)
    assert "Table 1" in page and attendees[0].name in page
    assert "pairs of tablemates from the same organisation" in page


def test_one_active_job_per_kind_seen_by_every_organiser(client, event, attendees, organiser):
    job = jobs.create(event, PlanKind.TABLES, {"time_limit": 5})
    with pytest.raises(jobs.JobError, match="already being made"):
        jobs.create(event, PlanKind.TABLES, {"time_limit": 5})
    colleague = User(email="colleague@example.org")
    colleague.set_password(PASSWORD)
    event.organisers.append(colleague)
    db.session.commit()
    client.submit("/login", {"email": colleague.email, "password": PASSWORD})
    page = client.get(f"/organise/events/{event.slug}/planning").get_data(as_text=True)
    assert "being made now" in page and f"/jobs/{job.id}" in page
    assert (
        client.get(f"/organise/events/{event.slug}/jobs/{job.id}.json").get_json()["state"]
        == "queued"
    )


def test_cancel_a_queued_job(event, attendees):
    job = jobs.create(event, PlanKind.TABLES, {"time_limit": 5})
    jobs.cancel(job)
    assert job.state == JobState.CANCELLED and "before it started" in job.error
    jobs.run(job.id)  # a runner that picks it up later does nothing
    assert db.session.get(type(job), job.id).plan_id is None


@pytest.fixture
def golfers(organiser):
    return golf_event(organiser)


def test_cancel_a_running_job_keeps_the_previous_plan(signed_in, golfers):
    previous = run_now(golfers, PlanKind.TABLES, time_limit=PLAN_SECONDS)
    publishing.publish(previous)
    overview = f"/organise/events/{golfers.slug}/planning"
    response = signed_in.submit(
        f"{overview}/tables",
        {
            "time_limit": "120",
            "seed": "3",
            "same_org": "1000",
            "repeats": "100",
            "sector": "10",
            "profession": "1",
            "from_scratch": "yes",  # asked and confirmed (tests/app/test_sticky_edits.py)
        },
        form_url=overview,
    )
    job_url = response.headers["Location"]
    job = wait_until_running(int(job_url.rsplit("/", 1)[1]))
    # While it runs: the best plan so far in words, and the seconds it has run until now.
    status = signed_in.get(f"{job_url}.json").get_json()
    assert status["state_text"] == "Running" and status["heading"] == "Best plan so far"
    assert any("repeat meeting" in f["text"] for f in status["figures"])
    assert "objective" not in str(status) and "bound" not in str(status)
    time.sleep(1.1)
    assert signed_in.get(f"{job_url}.json").get_json()["elapsed"] >= status["elapsed"] + 1
    assert signed_in.submit(f"{job_url}/cancel", form_url=job_url).status_code == 302
    job = wait_for(job.id, timeout=30)
    assert job.state == JobState.CANCELLED
    assert "previous plan is kept" in job.error
    assert plans.plans(golfers, PlanKind.TABLES) == [previous]
    assert plans.published_plan(golfers, PlanKind.TABLES) == previous


def test_failed_job_says_why_and_keeps_the_previous_plan(event, attendees):
    previous = run_now(event, PlanKind.TABLES)
    publishing.publish(previous)
    attendees[3].needs_accessible_table = True  # and no table is accessible
    db.session.commit()
    job = jobs.create(event, PlanKind.TABLES, {"time_limit": 5})
    jobs.run(job.id)
    db.session.refresh(job)
    assert job.state == JobState.FAILED
    assert attendees[3].name in job.error and "accessible" in job.error
    assert plans.plans(event, PlanKind.TABLES) == [previous]
    assert previous.status == PlanStatus.PUBLISHED


def test_plan_breakouts_respects_capacity_and_beats_first_come(signed_in, event, attendees):
    slot = event.sessions_of(SessionKind.BREAKOUT_SLOT)[0]
    slot.breakouts[0].capacity = 15
    db.session.commit()
    plan = run_now(event, PlanKind.BREAKOUTS)
    places = seats(plan)
    assert sorted(r for r, _ in places) == sorted(r.id for r in attendees)
    fill = {b.id: sum(1 for v in places.values() if v == b.id) for b in slot.breakouts}
    assert all(fill[b.id] <= b.capacity for b in slot.breakouts)
    figures, fcfs = plan.metrics["plan"], plan.metrics["first_come_first_served"]
    assert fcfs["ranked_assignments"] <= figures["ranked_assignments"]
    assert figures["ranked_assignments"] <= figures["ranked_upper_bound"]
    page = signed_in.get(f"/organise/events/{event.slug}/plans/{plan.id}").get_data(as_text=True)
    assert "First come, first served" in page and "Sharing data" in page


def test_swap_move_and_lock_keep_the_hard_rules(signed_in, event, attendees):
    plan = run_now(event, PlanKind.TABLES)
    first_round = event.sessions_of(SessionKind.TABLE_ROUND)[0]
    tables = list(by_table(plan, first_round.id).values())
    a, b = tables[0][0], tables[1][0]
    url = f"/organise/events/{event.slug}/plans/{plan.id}"
    before = seats(plan)

    response = signed_in.submit(
        f"{url}/swap", {"first_id": a, "second_id": b, "session_id": first_round.id}, form_url=url
    )
    assert response.status_code == 302
    db.session.expire_all()
    after = seats(plan)
    assert after[(a, first_round.id)] == before[(b, first_round.id)]
    assert after[(b, first_round.id)] == before[(a, first_round.id)]
    assert plan.metrics["edited"] is True and "same_org_pairs" in plan.metrics

    response = signed_in.submit(
        f"{url}/move",
        {
            "registration_id": a,
            "target_id": after[(b, first_round.id)],
            "session_id": first_round.id,
        },
        form_url=url,
        follow_redirects=True,
    )
    assert "must stay balanced" in response.get_data(as_text=True)
    db.session.expire_all()
    assert seats(plan) == after

    c = next(p for p in by_table(plan, first_round.id)[after[(a, first_round.id)]] if p != a)
    rules.add(event, SeatingRuleKind.KEEP_APART.value, b, c)
    with pytest.raises(edits.EditError, match="must be kept apart"):
        edits.swap(plan, a, b, first_round.id)

    # The swap locked both seats; unlocking one is a click.
    assert {(x.registration_id, x.locked) for x in plan.assignments if x.locked} == {
        (a, True),
        (b, True),
    }
    signed_in.submit(
        f"{url}/lock",
        {"registration_id": a, "session_id": first_round.id, "locked": 0},
        form_url=url,
    )
    db.session.expire_all()
    assert {x.registration_id for x in plan.assignments if x.locked} == {b}
    assert seats(plan) == after


def test_hand_edits_keep_the_planners_facilitator_and_accessibility_rules(event, attendees):
    host, needs_access = attendees[0], attendees[1]
    event.tables[2].facilitator = host
    event.tables[0].accessible = True
    needs_access.needs_accessible_table = True
    db.session.commit()
    plan = run_now(event, PlanKind.TABLES)
    first_round = event.sessions_of(SessionKind.TABLE_ROUND)[0]
    tables = by_table(plan, first_round.id)
    assert host.id in tables[event.tables[2].id]
    assert needs_access.id in tables[event.tables[0].id]
    elsewhere = next(p for t, people in tables.items() if t != event.tables[2].id for p in people)
    with pytest.raises(edits.EditError, match=f"{host.name} facilitates table 3"):
        edits.swap(plan, host.id, elsewhere, first_round.id)
    stranger = tables[event.tables[5].id][0]
    with pytest.raises(edits.EditError, match=f"{needs_access.name} needs an accessible table"):
        edits.swap(plan, needs_access.id, stranger, first_round.id)

    breakouts = run_now(event, PlanKind.BREAKOUTS)
    [slot] = event.sessions_of(SessionKind.BREAKOUT_SLOT)
    a = next(x for x in breakouts.assignments if x.session_id == slot.id)
    other = next(b for b in slot.breakouts if b.id != a.breakout_id)
    edits.move(breakouts, a.registration_id, slot.id, other.id)  # room to spare: allowed
    assert seats(breakouts)[(a.registration_id, slot.id)] == other.id


def test_hosts_who_keep_their_tables_force_repeats_and_the_page_says_so(signed_in, golfers):
    """32 people from 8 organisations of 4 at 8 hosted tables of 4 for 9 rounds. A host sits
    with 27 people but may meet only the 21 who are neither hosts nor colleagues, so with
    colleagues apart the 8 hosts alone repeat 8 * 6 = 48 times. The planner's figures and
    those recomputed after a hand edit both know it."""
    hosts = sorted(golfers.registrations, key=lambda r: r.id)[:8]
    assert len({h.organisation_id for h in hosts}) == 8
    for table, host in zip(golfers.tables, hosts, strict=True):
        table.facilitator = host
    db.session.commit()
    plan = run_now(golfers, PlanKind.TABLES, time_limit=PLAN_SECONDS)
    colleagues = plan.metrics["same_org_pairs"]["value"]
    assert plan.metrics["repeat_pairs"]["bound"] == max(24, 48 - colleagues)
    first_round = golfers.sessions_of(SessionKind.TABLE_ROUND)[0]
    guests = [
        [p for p in people if p not in {h.id for h in hosts}]
        for people in by_table(plan, first_round.id).values()
    ]
    edits.swap(plan, guests[0][0], guests[1][0], first_round.id)
    colleagues = plan.metrics["same_org_pairs"]["value"]
    assert plan.metrics["repeat_pairs"]["bound"] == max(24, 48 - colleagues)
    page = signed_in.get(f"/organise/events/{golfers.slug}/plans/{plan.id}").get_data(as_text=True)
    best = summaries.table_figures(plan.metrics)[1].best
    assert best == f"{max(24, 48 - colleagues)} repeat meetings" and best in page


def test_a_small_workshop_at_a_few_large_tables_is_told_its_repeats_are_forced(
    signed_in, organiser
):
    """12 people at 3 tables of 4 for 3 rounds: from the second round on, each table of 4
    holds two people from one earlier table (pigeonhole), so at least 6 repeat meetings. The
    planner reaches them, and the page says no plan can do better (it used to say 0)."""
    workshop = rotation_event(organiser, "workshop", rounds=3, tables=3, size=4)
    # 0.1 s here; the mixes keep it searching to its limit, which leaves a slower machine room
    plan = run_now(workshop, PlanKind.TABLES, time_limit=5)
    assert plan.metrics["repeat_pairs"] == {"value": 6, "bound": 6}
    page = signed_in.get(f"/organise/events/{workshop.slug}/plans/{plan.id}")
    assert "<td>6 repeat meetings</td>" in page.get_data(as_text=True)


def test_every_kind_of_plan_needs_a_planner_at_start_up(app):
    with pytest.raises(RuntimeError, match="breakouts"):
        jobs.init_app(app, planners={PlanKind.TABLES: object()})


def test_resolve_keeps_locked_seats(event, attendees):
    plan = run_now(event, PlanKind.TABLES)
    first_round = event.sessions_of(SessionKind.TABLE_ROUND)[0]
    tables = list(by_table(plan, first_round.id).values())
    a, b = tables[0][0], tables[1][0]
    edits.swap(plan, a, b, first_round.id)
    edits.set_locked(plan, a, first_round.id, True)
    where = seats(plan)[(a, first_round.id)]
    again = run_now(
        event, PlanKind.TABLES, base_plan_id=plan.id, mode="resolve", time_limit=PLAN_SECONDS
    )
    assert seats(again)[(a, first_round.id)] == where
    assert next(
        x.locked
        for x in again.assignments
        if (x.registration_id, x.session_id) == (a, first_round.id)
    )


def test_repair_moves_few_people_after_late_changes(event, attendees):
    plan = run_now(event, PlanKind.TABLES)
    publishing.publish(plan)
    attendees[0].status = RegistrationStatus.CANCELLED
    db.session.commit()
    [newcomer] = add_attendees(event, 1)
    repaired = run_now(
        event, PlanKind.TABLES, base_plan_id=plan.id, mode="repair", time_limit=PLAN_SECONDS
    )
    before, after = seats(plan), seats(repaired)
    stayed = {key for key in after if key in before}
    moved = sum(1 for key in stayed if before[key] != after[key])
    rounds = event.sessions_of(SessionKind.TABLE_ROUND)
    assert repaired.metrics["moves"] == moved
    assert moved <= len(rounds)
    assert {r for r, _ in after} == {r.id for r in attendees[1:]} | {newcomer.id}


def test_publish_tells_only_people_whose_seats_changed(app, event, attendees):
    plan = run_now(event, PlanKind.TABLES)
    assert len(publishing.publish(plan)) == len(attendees)
    outbox = app.config["MAIL_OUTBOX_DIR"]
    assert len(outbox_messages(outbox)) == len(attendees)

    draft = run_now(event, PlanKind.TABLES, base_plan_id=plan.id, mode="repair")
    assert seats(draft) == seats(plan)
    first_round = event.sessions_of(SessionKind.TABLE_ROUND)[0]
    tables = list(by_table(draft, first_round.id).values())
    a, b = tables[0][0], tables[1][0]
    edits.swap(draft, a, b, first_round.id)
    told = publishing.publish(draft)
    assert sorted(r.id for r in told) == sorted([a, b])
    assert plan.status == PlanStatus.ARCHIVED and draft.status == PlanStatus.PUBLISHED
    assert len(outbox_messages(outbox)) == len(attendees) + 2
    with pytest.raises(edits.EditError, match="Only draft plans"):
        edits.swap(draft, a, b, first_round.id)


def test_plan_command_plans_and_publishes(app, event, attendees):
    result = app.test_cli_runner().invoke(
        args=["plan", event.slug, "--time-limit", "5", "--publish"]
    )
    assert result.exit_code == 0, result.output
    assert "tables: published" in result.output and "breakouts: published" in result.output
    for kind in PlanKind:
        assert plans.published_plan(event, kind) is not None


def test_plan_command_reports_unknown_event(app):
    result = app.test_cli_runner().invoke(args=["plan", "nope"])
    assert result.exit_code != 0 and "no event with slug 'nope'" in result.output


def test_planning_pages_are_for_the_events_organisers_only(client, event, attendees):
    url = f"/organise/events/{event.slug}/planning"
    assert client.get(url).status_code == 302
    other = User(email="other@example.org")
    other.set_password(PASSWORD)
    db.session.add(other)
    db.session.commit()
    client.submit("/login", {"email": other.email, "password": PASSWORD})
    assert client.get(url).status_code == 404


@pytest.mark.skipif(not os.environ.get("REDIS_URL"), reason="REDIS_URL not set: no Redis to test")
def test_jobs_run_on_rq_workers_when_redis_is_configured(app, event, attendees):
    app.config["REDIS_URL"] = os.environ["REDIS_URL"]
    queue = jobs.rq_queue(app)
    queue.empty()
    job = jobs.start(event, PlanKind.TABLES, {"time_limit": 5, "seed": 0})
    assert queue.count == 1
    db.session.refresh(job)
    assert job.state == JobState.QUEUED
    jobs.work(app, burst=True)
    job = wait_for(job.id)
    assert job.state == JobState.SUCCEEDED, job.error
    assert job.plan.kind == PlanKind.TABLES


def test_plan_review_warns_when_registrations_changed(signed_in, event, attendees):
    plan = run_now(event, PlanKind.TABLES)
    url = f"/organise/events/{event.slug}/plans/{plan.id}"
    assert "Registrations have changed" not in signed_in.get(url).get_data(as_text=True)
    attendees[0].status = RegistrationStatus.CANCELLED
    db.session.commit()
    [newcomer] = add_attendees(event, 1)
    page = signed_in.get(url).get_data(as_text=True)
    assert "Registrations have changed" in page
    assert f"still seated: {attendees[0].name}" in page
    assert f"not seated: {newcomer.name}" in page


def test_attendee_sees_their_published_tables_and_breakout(client, event, attendees):
    tables, breakouts = run_now(event, PlanKind.TABLES), run_now(event, PlanKind.BREAKOUTS)
    person = attendees[5]
    page = client.get(f"/r/{person.token}").get_data(as_text=True)
    assert "Table " not in page  # nothing is published yet
    publishing.publish(tables)
    publishing.publish(breakouts)
    page = client.get(f"/r/{person.token}").get_data(as_text=True)
    for session in event.sessions_of(SessionKind.TABLE_ROUND):
        table = db.session.get(Table, seats(tables)[(person.id, session.id)])
        assert f"Table {table.number}" in page
    slot = event.sessions_of(SessionKind.BREAKOUT_SLOT)[0]
    breakout = next(b for b in slot.breakouts if b.id == seats(breakouts)[(person.id, slot.id)])
    assert breakout.title in page and breakout.room in page
