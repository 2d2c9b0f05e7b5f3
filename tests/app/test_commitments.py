"""Commitments followed up: actions from approved cards and the closing plenary, dated updates,
red-amber-green, follow-up messages due and sent once (through the outbox, retried on failure),
and their progress on the series page and the next event's briefing."""

from __future__ import annotations

import html
from datetime import date, timedelta

from sqlalchemy import select, update

from app.extensions import db
from app.models import (
    Action,
    ActionStatus,
    ActionUpdate,
    Card,
    CardStatus,
    Event,
    FollowUp,
    MailStatus,
    OutgoingMail,
    SessionKind,
    User,
)
from app.models.types import utcnow
from app.services.commitments import actions, follow_ups
from app.services.messaging import outbox
from app.services.messaging.transport import outbox_messages
from tests.app.test_series import in_series, make_event
from tests.conftest import PASSWORD, free_port


def card(event: Event, status: CardStatus, *commitments: tuple[str, str]) -> Card:
    made = Card(
        event_id=event.id,
        session_id=event.sessions_of(SessionKind.TABLE_ROUND)[0].id,
        table_id=event.tables[0].id,
        answers={"what": "We learned."},
        commitments=[{"action": a, "owner": o} for a, o in commitments],
        status=status,
    )
    db.session.add(made)
    db.session.commit()
    return made


def earlier(event: Event, days: int) -> None:
    """Move the event and its sessions `days` into the past."""
    shift = timedelta(days=days)
    event = db.session.get(Event, event.id)
    event.starts_at, event.ends_at = event.starts_at - shift, event.ends_at - shift
    for session in event.sessions:
        session.starts_at, session.ends_at = session.starts_at - shift, session.ends_at - shift
    db.session.commit()


def test_actions_from_cards_and_plenary_with_dated_updates(signed_in, organiser):
    day = make_event(organiser, "spring-day", -2)
    card(day, CardStatus.APPROVED, ("Share one referral form", "Housing leads"))
    card(day, CardStatus.PENDING, ("Not moderated yet", "Anyone"))
    url = f"/organise/events/{day.slug}/actions"
    token = signed_in.csrf_token(url)

    signed_in.post(f"{url}/take-in", data={"csrf_token": token})
    signed_in.post(f"{url}/take-in", data={"csrf_token": token})  # again: nothing new
    assert [(a.what, a.owner) for a in actions.actions_of(day)] == [
        ("Share one referral form", "Housing leads")
    ]
    response = signed_in.post(url, data={"csrf_token": token, "what": " ", "owner": "x"})
    assert response.status_code == 400 and "Say what was committed to." in response.text
    due = (date.today() + timedelta(days=90)).isoformat()
    response = signed_in.post(
        url,
        data={"csrf_token": token, "what": "Pool budgets", "owner": "Finance", "due_on": due},
    )
    assert response.status_code == 302
    pooled, form = actions.actions_of(day)  # soonest due first, undated last
    assert (pooled.what, form.what) == ("Pool budgets", "Share one referral form")

    edit = f"{url}/{form.id}"
    for status, note in (("in_progress", "Draft agreed."), ("done", "In use.")):
        response = signed_in.post(
            edit,
            data={"csrf_token": token, "status": status, "owner": "Housing leads", "note": note},
        )
        assert response.status_code == 302
    db.session.expire_all()
    updates = db.session.scalars(select(ActionUpdate).order_by(ActionUpdate.id)).all()
    assert [(u.status, u.note) for u in updates] == [
        (ActionStatus.IN_PROGRESS, "Draft agreed."),
        (ActionStatus.DONE, "In use."),
    ]
    assert all(u.created_at is not None for u in updates)
    assert "1 of 2 done" in signed_in.get(url).get_data(as_text=True)
    history = signed_in.get(edit).get_data(as_text=True)
    assert "Draft agreed." in history and "In use." in history

    # red-amber-green
    today = date.today()
    pooled, form = actions.actions_of(day)
    assert actions.rag(form, today) == "green"
    assert actions.rag(pooled, today) == "green"  # due in 90 days
    pooled.due_on = today + timedelta(days=10)
    assert actions.rag(pooled, today) == "amber"
    pooled.due_on = today - timedelta(days=1)
    assert actions.rag(pooled, today) == "red"
    pooled.status = ActionStatus.DROPPED
    assert actions.rag(pooled, today) is None
    assert actions.progress([form, pooled]).words == "1 of 1 done"


def test_follow_ups_are_due_and_sent_once_with_retries(app, organiser):
    app.config["MAIL_DELIVERY"] = outbox.WORKER
    spring = make_event(organiser, "spring-day", -130)  # ended over 4 months ago
    card(spring, CardStatus.APPROVED, ("Share one referral form", "Housing leads"))
    actions.take_in_commitments(spring)
    recent = make_event(organiser, "recent-day", -20)
    card(recent, CardStatus.APPROVED, ("Meet monthly", "Chairs"))
    actions.take_in_commitments(recent)

    app.config.update(MAIL_SERVER="127.0.0.1", MAIL_PORT=free_port())  # nobody listens there
    result = app.test_cli_runner().invoke(args=["follow-up-commitments"])
    assert "Queued 1 follow-up message." in result.output
    assert follow_ups.queue_due() == 0  # queued once, however often it runs
    assert [(f.event_id, f.months) for f in db.session.scalars(select(FollowUp))] == [
        (spring.id, 3)
    ]
    outbox.send_due()
    [row] = db.session.scalars(select(OutgoingMail)).all()
    assert row.status == MailStatus.PENDING and row.attempts == 1  # failed, kept for later

    app.config.update(MAIL_SERVER=None)
    db.session.execute(update(OutgoingMail).values(next_attempt_at=utcnow()))
    db.session.commit()
    outbox.send_due()
    outbox.send_due()
    [message] = outbox_messages(app.config["MAIL_OUTBOX_DIR"])
    assert message["To"] == organiser.email
    body = message.get_body(("plain",)).get_content()
    assert "Share one referral form (Housing leads; open)" in body
    assert "/organise/events/spring-day/actions" in body
    assert "Meet monthly" not in body

    # six months on, the second follow-up; nothing once every action is done
    earlier(spring, days=70)
    assert follow_ups.queue_due() == 1
    for action in actions.actions_of(recent):
        actions.update(action, ActionStatus.DONE, "", None, action.owner)
    earlier(recent, days=100)
    assert follow_ups.queue_due() == 0
    done = {(f.event_id, f.months) for f in db.session.scalars(select(FollowUp))}
    assert done == {(spring.id, 3), (spring.id, 6), (recent.id, 3)}


def test_progress_on_the_series_page_and_the_next_briefing(signed_in, organiser):
    march = make_event(organiser, "march", -100)
    june = make_event(organiser, "june", -1)
    series = in_series("Learning days", organiser, march, june)
    card(march, CardStatus.APPROVED, ("Share one referral form", "Housing"), ("Pool", "Finance"))
    actions.take_in_commitments(march)
    first = actions.actions_of(march)[0]
    actions.update(first, ActionStatus.DONE, "", None, first.owner)
    assert db.session.scalar(select(Action).where(Action.status == ActionStatus.DONE))

    page = signed_in.get(f"/organise/series/{series.id}").get_data(as_text=True)
    assert "1 of 2 done" in page
    briefing = signed_in.get("/organise/events/june/harvest/briefing").get_data(as_text=True)
    assert "Commitments made at earlier events" in briefing
    assert "1 of 2 done since March" in briefing


def test_organisers_choose_when_follow_ups_go(app, signed_in, organiser):
    """The intervals are chosen in a form that names what is wrong and keeps what was typed;
    the follow-up command then uses them instead of the default 3 and 6 months."""
    spring = make_event(organiser, "spring-day", -40)  # ended over a month ago
    card(spring, CardStatus.APPROVED, ("Share one referral form", "Housing leads"))
    actions.take_in_commitments(spring)
    url = f"/organise/events/{spring.slug}/actions"
    page = signed_in.get(url).get_data(as_text=True)
    assert "3 and 6 months after the event" in page and 'value="3, 6"' in page
    assert page.count('id="follow-ups"') == 1 and "<form" not in page[: page.index("</title>")]
    token = signed_in.csrf_token(url)

    for typed, message in (
        ("", "Give at least one number of months"),
        ("3, six", "“six” is not a whole number of months."),
        ("0, 6", "0 months: give intervals from 1 to 24 months."),
        ("30", "30 months: give intervals from 1 to 24 months."),
        ("6, 6", "6 months is given twice."),
        ("1, 2, 3, 4, 5", "Give at most 4 intervals (5 given)."),
    ):
        response = signed_in.post(
            f"{url}/follow-ups", data={"follow-up-csrf_token": token, "follow-up-months": typed}
        )
        assert response.status_code == 400, typed
        text = response.get_data(as_text=True)
        assert html.escape(message, quote=False) in text or message in text, typed
        assert f'value="{html.escape(typed)}"' in text or not typed  # what was typed stays
    assert follow_ups.intervals(spring) == follow_ups.DEFAULT_INTERVALS
    response = signed_in.post(url + "/follow-ups", data={"follow-up-months": "1"})
    assert response.status_code == 400  # no CSRF token: nothing stored
    assert follow_ups.intervals(spring) == follow_ups.DEFAULT_INTERVALS

    response = signed_in.post(
        f"{url}/follow-ups", data={"follow-up-csrf_token": token, "follow-up-months": "12; 1"}
    )
    assert response.status_code == 302
    assert follow_ups.intervals(spring) == (1, 12)
    page = signed_in.get(url).get_data(as_text=True)
    assert "1 and 12 months after the event" in page

    result = app.test_cli_runner().invoke(args=["follow-up-commitments"])
    assert "Queued 1 follow-up message." in result.output
    assert [(f.event_id, f.months) for f in db.session.scalars(select(FollowUp))] == [
        (spring.id, 1)
    ]
    outbox.send_due()
    [message] = outbox_messages(app.config["MAIL_OUTBOX_DIR"])
    body = message.get_body(("plain",)).get_content()
    assert body.count("1 month ago, ") == 1 and "1 months" not in body
    result = app.test_cli_runner().invoke(args=["follow-up-commitments"])
    assert "Queued 0 follow-up messages." in result.output  # the 12-month one is not due yet
    assert "Sent so far: 1 month after the event" in signed_in.get(url).get_data(as_text=True)

    earlier(spring, days=340)
    result = app.test_cli_runner().invoke(args=["follow-up-commitments"])
    assert "Queued 1 follow-up message." in result.output
    assert {f.months for f in db.session.scalars(select(FollowUp))} == {1, 12}


def test_only_the_events_organisers_choose_its_intervals(client, organiser):
    spring = make_event(organiser, "spring-day", -40)
    other = User(email="other@example.org", name="Other Organiser")
    other.set_password(PASSWORD)
    db.session.add(other)
    db.session.commit()
    url = f"/organise/events/{spring.slug}/actions/follow-ups"
    client.submit("/login", {"email": other.email, "password": PASSWORD})
    token = client.csrf_token("/organise/series")
    response = client.post(url, data={"follow-up-csrf_token": token, "follow-up-months": "1"})
    assert response.status_code == 404
    assert follow_ups.intervals(spring) == follow_ups.DEFAULT_INTERVALS
