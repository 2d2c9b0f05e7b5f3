"""A peer-challenge host's timeline: dated from the first day on site, each step editable, shown
on the round's page and the host's own; reminders some days ahead (a week unless the organiser
chooses), each sent once, by the daily command."""

from __future__ import annotations

from datetime import date, timedelta

from app.extensions import db
from app.models import MailKind, OutgoingMail, PeerMilestone, ProgrammeStatus
from app.models.types import utcnow
from app.services.programmes import peer_challenge_milestones as milestones
from app.services.programmes import peer_challenge_teams as teams
from app.services.programmes.peer_challenge_messages import milestone_message
from tests.app.peer_challenge_helpers import add_host, add_peer, make_round


def dates_of(host) -> dict[str, date]:
    return {m.stage: m.due for m in host.milestones}


def reminders() -> list[OutgoingMail]:
    return list(
        db.session.scalars(
            db.select(OutgoingMail).where(
                OutgoingMail.kind == MailKind.PEER_CHALLENGE_MILESTONE.value
            )
        )
    )


def test_the_first_day_on_site_dates_every_step(signed_in, organiser):
    programme = make_round(organiser)
    host = add_host(programme, "Westshire Council", "Local government", {"officer": 2})
    url = f"/organise/programmes/{programme.id}/peer-challenge/{host.id}/dates"
    assert "Give the first day on site" in signed_in.get(url).get_data(as_text=True)
    response = signed_in.submit(url, {"which": "on-site", "on-site-on_site": "2027-06-14"})
    assert response.status_code == 302
    db.session.refresh(host)
    # Scoping 5 months ahead, feedback on the fourth day, report 2 months, action plan 3,
    # progress review 10 (the research note's timeline).
    assert dates_of(host) == {
        "scoping": date(2027, 1, 14),
        "on_site": date(2027, 6, 14),
        "feedback": date(2027, 6, 17),
        "report": date(2027, 8, 14),
        "action_plan": date(2027, 9, 14),
        "progress_review": date(2028, 4, 14),
    }
    assert host.host_details.on_site == date(2027, 6, 14)
    page = signed_in.get(f"/organise/programmes/{programme.id}").get_data(as_text=True)
    assert "Friday 14 April 2028" in page and "Thursday 14 January 2027" in page
    own = signed_in.get(f"/peer-challenge/entry/{host.token}").get_data(as_text=True)
    assert "Progress review" in own and "Friday 14 April 2028" in own


def test_each_step_can_be_moved_and_bad_dates_are_shown(signed_in, organiser):
    programme = make_round(organiser)
    host = add_host(programme, "Westshire Council", "Local government", {"officer": 2})
    milestones.date_from_on_site(host, date(2027, 6, 14))
    report = next(m for m in host.milestones if m.stage == "report")
    report.reminded_at = utcnow()
    db.session.commit()
    url = f"/organise/programmes/{programme.id}/peer-challenge/{host.id}/dates"
    steps = {stage: due.isoformat() for stage, due in dates_of(host).items()}
    bad = signed_in.submit(url, {"which": "steps", **steps, "report": "next autumn"})
    assert bad.status_code == 400
    page = bad.get_data(as_text=True)
    assert "Not a valid date value." in page and 'value="next autumn"' in page
    assert dates_of(host)["report"] == date(2027, 8, 14)
    early = signed_in.submit(url, {"which": "steps", **steps, "report": "2027-06-01"})
    assert early.status_code == 400
    assert (
        "Report (Tuesday 1 June 2027) cannot come before the feedback presentation "
        "(Thursday 17 June 2027)." in early.get_data(as_text=True)
    )
    assert dates_of(host)["report"] == date(2027, 8, 14)
    moved = signed_in.submit(url, {"which": "steps", **steps, "report": "2027-08-30"})
    assert moved.status_code == 302
    db.session.refresh(report)
    assert report.due == date(2027, 8, 30) and report.reminded_at is None  # due again


def test_reminders_go_a_week_ahead_each_once(app, organiser):
    programme = make_round(organiser)
    west = add_host(programme, "Westshire Council", "Local government", {"officer": 1, "member": 1})
    eve = add_peer(programme, "Eve Officer", "Medway NHS", "NHS and health", "officer")
    bob = add_peer(programme, "Bob Member", "Southshire Council", "Local government", "member")
    today = utcnow().date()
    milestones.date_from_on_site(west, today + timedelta(days=3))
    runner = app.test_cli_runner()
    # Before the teams are published only the host is reminded: of the first day on site (in
    # 3 days) and the feedback (in 6); scoping has passed, the report is two months away.
    result = runner.invoke(args=["remind-peer-challenges"])
    assert result.exit_code == 0 and "Queued 2 reminders." in result.output
    assert sorted(m.member_id for m in reminders()) == [west.id, west.id]
    assert "Queued 0 reminders." in runner.invoke(args=["remind-peer-challenges"]).output
    teams.put(programme, west, eve)
    teams.put(programme, west, bob)
    teams.publish(programme)
    assert programme.status == ProgrammeStatus.PUBLISHED
    milestones.set_dates(west, {"report": today + timedelta(days=7)})
    assert "Queued 3 reminders." in runner.invoke(args=["remind-peer-challenges"]).output
    report = db.session.scalar(db.select(PeerMilestone).where(PeerMilestone.stage == "report"))
    told = [m.member_id for m in reminders() if m.options["milestone_id"] == report.id]
    assert sorted(told) == sorted([west.id, eve.id, bob.id])
    message = milestone_message(eve, report.id).get_content()
    assert "the report of the peer challenge at Westshire Council" in message
    assert west.email not in message and bob.email not in message
    assert milestones.queue_due(today) == 0
    page = app.test_client().get(f"/peer-challenge/entry/{eve.token}").get_data(as_text=True)
    assert "The challenge at Westshire Council" in page and "Progress review" in page


def test_the_organiser_chooses_how_many_days_ahead_reminders_go(signed_in, organiser):
    programme = make_round(organiser)
    other = make_round(organiser, name="Another round")
    west = add_host(programme, "Westshire Council", "Local government", {"officer": 2})
    east = add_host(other, "Eastshire Council", "Local government", {"officer": 2})
    today = utcnow().date()
    milestones.set_dates(west, {"report": today + timedelta(days=12)})
    milestones.set_dates(east, {"report": today + timedelta(days=12)})
    url = f"/organise/programmes/{programme.id}/peer-challenge/reminders"
    page = signed_in.get(url).get_data(as_text=True)
    assert 'value="7"' in page  # the default
    assert "team 7 days before each" in signed_in.get(
        f"/organise/programmes/{programme.id}"
    ).get_data(as_text=True)
    for typed, error in (
        ("0", "Give a number of days from 1 to 60."),
        ("61", "Give a number of days from 1 to 60."),
        ("a fortnight", "Not a valid integer value."),
        ("", "Give a number of days."),
    ):
        bad = signed_in.submit(url, {"reminder_days": typed})
        assert bad.status_code == 400
        text = bad.get_data(as_text=True)
        assert error in text and f'value="{typed}"' in text
        assert milestones.reminder_days(programme) == 7
    assert milestones.queue_due(today) == 0  # 12 days ahead: neither round's reminder is due
    assert signed_in.submit(url, {"reminder_days": "14"}).status_code == 302
    assert milestones.reminder_days(programme) == 14 and milestones.reminder_days(other) == 7
    assert "team 14 days before each" in signed_in.get(
        f"/organise/programmes/{programme.id}"
    ).get_data(as_text=True)
    # Only the round that chose 14 days is reminded now; the other keeps its week.
    assert milestones.queue_due(today) == 1
    assert [m.member_id for m in reminders()] == [west.id]
    assert milestones.queue_due(today + timedelta(days=5)) == 1
    assert sorted(m.member_id for m in reminders()) == sorted([east.id, west.id])
    assert "reminded 14 days before each step" in signed_in.get(
        f"/organise/programmes/{programme.id}/peer-challenge/{west.id}/dates"
    ).get_data(as_text=True)


def test_choosing_reminders_needs_the_csrf_token(signed_in, organiser):
    programme = make_round(organiser)
    url = f"/organise/programmes/{programme.id}/peer-challenge/reminders"
    assert signed_in.post(url, data={"reminder_days": "3"}).status_code == 400
    assert milestones.reminder_days(programme) == 7
