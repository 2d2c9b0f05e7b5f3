"""Publishing that people can trust: the organiser is asked first (how many will be told, one real
message), each person gets one message per publishing whatever plans it changes, with their
table for each round, their breakout and room, what changed, and their calendar entry."""

from __future__ import annotations

import re

import pytest

from app.extensions import db
from app.models import (
    JobState,
    MailStatus,
    OutgoingMail,
    Plan,
    PlanKind,
    PlanStatus,
    SessionKind,
)
from app.services.messaging import outbox
from app.services.messaging.transport import outbox_messages
from app.services.planning import edits, jobs, publishing
from tests.app.planning_helpers import add_attendees


def make_plan(event, kind: PlanKind) -> Plan:
    job = jobs.create(event, kind, {"time_limit": 2, "seed": 1})
    jobs.run(job.id)
    db.session.refresh(job)
    assert job.state == JobState.SUCCEEDED, job.error
    return job.plan


@pytest.fixture
def attendees(event):
    return add_attendees(event, 12)


@pytest.fixture
def drafts(event, attendees) -> tuple[Plan, Plan]:
    return make_plan(event, PlanKind.TABLES), make_plan(event, PlanKind.BREAKOUTS)


def body(message) -> str:
    return message.get_body(("plain",)).get_content()


def by_recipient(app) -> dict[str, list]:
    found: dict[str, list] = {}
    for message in outbox_messages(app.config["MAIL_OUTBOX_DIR"]):
        found.setdefault(message["To"], []).append(message)
    return found


def places_of(plan: Plan, registration_id: int) -> dict[str, str]:
    """Session title -> "Table 3" or "Sharing data, Room 1" in `plan`."""
    return {
        a.session.title: f"Table {a.table.number}"
        if a.table
        else f"{a.breakout.title}, {a.breakout.room}"
        for a in plan.assignments
        if a.registration_id == registration_id
    }


def test_publishing_asks_first_and_sends_one_message_per_person_for_both_plans(
    app, signed_in, event, attendees, drafts
):
    tables, breakouts = drafts
    plan_page = f"/organise/events/{event.slug}/plans/{tables.id}"
    confirm = f"{plan_page}/publish"
    assert f'href="{confirm}"' in signed_in.get(plan_page).get_data(as_text=True)

    page = signed_in.get(confirm).get_data(as_text=True)
    assert "12 people will be emailed" in page
    assert f"Publish breakout plan #{breakouts.id} too" in page
    assert outbox_messages(app.config["MAIL_OUTBOX_DIR"]) == []  # asking sends nothing

    # With the breakout draft too: still 12 people, one message each, previewed with both.
    page = signed_in.get(f"{confirm}?with={breakouts.id}").get_data(as_text=True)
    assert "12 people will be emailed" in page and "Publish table plan" in page
    sample = re.search(r"The message (.+?) will get", page).group(1)
    person = next(r for r in attendees if r.name == sample)
    for where in places_of(tables, person.id).values():
        assert where in page
    for where in places_of(breakouts, person.id).values():
        assert where in page

    response = signed_in.submit(
        confirm, {"with_plan_id": str(breakouts.id)}, form_url=f"{confirm}?with={breakouts.id}"
    )
    assert response.status_code == 302
    page = signed_in.get(response.headers["Location"]).get_data(as_text=True)
    assert "12 people were told" in page
    db.session.refresh(tables), db.session.refresh(breakouts)
    assert tables.status == breakouts.status == PlanStatus.PUBLISHED

    sent = by_recipient(app)
    assert sorted(sent) == sorted(r.email for r in attendees)
    for registration in attendees:
        [message] = sent[registration.email]
        text = body(message)
        for session, where in {
            **places_of(tables, registration.id),
            **places_of(breakouts, registration.id),
        }.items():
            assert re.search(rf"^{session} \(\d\d:\d\d–\d\d:\d\d\): {where}$", text, re.M), text
        assert "now" not in text  # nothing was published before: nothing changed
        types = {part.get_content_type() for part in message.walk()}
        assert "text/calendar" in types


def test_people_who_moved_are_told_what_changed_and_nobody_else_is_written_to(
    app, signed_in, event, attendees, drafts
):
    tables, breakouts = drafts
    publishing.publish(tables, breakouts)
    first_time = len(outbox_messages(app.config["MAIL_OUTBOX_DIR"]))
    assert first_time == len(attendees)

    # A new draft equal to the published plan but for a and b, swapped in round two.
    draft = make_plan(event, PlanKind.TABLES)
    published = {(x.registration_id, x.session_id): x.table for x in tables.assignments}
    for x in draft.assignments:
        x.table = published[(x.registration_id, x.session_id)]
    db.session.commit()
    round_two = event.sessions_of(SessionKind.TABLE_ROUND)[1]
    a = attendees[0]
    was_a = published[(a.id, round_two.id)].number
    b = next(r for r in attendees if published[(r.id, round_two.id)].number != was_a)
    was_b = published[(b.id, round_two.id)].number
    edits.swap(draft, a.id, b.id, round_two.id)

    confirm = f"/organise/events/{event.slug}/plans/{draft.id}/publish"
    page = signed_in.get(confirm).get_data(as_text=True)
    assert "2 people will be emailed" in page and "2 people moved" in page
    sample = re.search(r"The message (.+?) will get", page).group(1)
    mine, other = (was_a, was_b) if sample == a.name else (was_b, was_a)
    assert f"Round two: now Table {other}, was Table {mine}" in page
    signed_in.submit(confirm, {}, form_url=confirm)
    messages = outbox_messages(app.config["MAIL_OUTBOX_DIR"])[first_time:]
    assert sorted(m["To"] for m in messages) == sorted(r.email for r in (a, b))
    for message in messages:
        mine, other = (was_a, was_b) if a.email in message["To"] else (was_b, was_a)
        assert message["Subject"] == f"Your places have changed: {event.title}"
        assert f"Round two: now Table {other}, was Table {mine}" in body(message)
        assert "Round one: now" not in body(message)  # only what changed is said to change
    page = signed_in.get(f"/organise/events/{event.slug}/plans/{draft.id}").get_data(as_text=True)
    assert "2 people were told" in page


def test_plans_published_one_after_the_other_while_mail_waits_make_one_message(
    app, event, attendees, drafts
):
    app.config["MAIL_DELIVERY"] = outbox.WORKER
    tables, breakouts = drafts
    publishing.publish(tables)
    publishing.publish(breakouts)
    rows = db.session.scalars(db.select(OutgoingMail)).all()
    assert sorted(r.registration_id for r in rows) == sorted(r.id for r in attendees)
    assert outbox.send_due()["sent"] == len(attendees)
    for registration in attendees:
        [message] = by_recipient(app)[registration.email]
        for where in (
            places_of(tables, registration.id) | places_of(breakouts, registration.id)
        ).values():
            assert where in body(message)
    assert {r.status for r in rows} == {MailStatus.SENT}


def test_one_person_told_is_said_in_the_singular(app, signed_in, event, attendees, drafts):
    tables, _ = drafts
    publishing.publish(tables)
    [newcomer] = add_attendees(event, 1)
    draft = make_plan(event, PlanKind.TABLES)
    published = {(x.registration_id, x.session_id): x.table_id for x in tables.assignments}
    for x in draft.assignments:
        x.table_id = published.get((x.registration_id, x.session_id), x.table_id)
    db.session.commit()
    confirm = f"/organise/events/{event.slug}/plans/{draft.id}/publish"
    page = signed_in.get(confirm).get_data(as_text=True)
    assert "1 person will be emailed" in page and newcomer.name in page
    response = signed_in.submit(confirm, {}, form_url=confirm)
    page = signed_in.get(response.headers["Location"]).get_data(as_text=True)
    assert "1 person was told" in page
