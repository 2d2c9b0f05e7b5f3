"""Check-ins 1, 3 and 6 months after publishing: due, queued once by the daily command, answered
through a private link, and pairs at risk flagged to the organisers."""

from __future__ import annotations

from datetime import timedelta

import pytest

from app.extensions import db
from app.models import MailKind, MentoringCheckIn, MentoringPair, OutgoingMail
from app.models.types import utcnow
from app.services.programmes import mentoring_check_ins, mentoring_review
from app.services.programmes.mentoring_messages import at_risk_message, check_in_message
from tests.app.programme_helpers import add_member, make_programme


@pytest.fixture
def published(organiser):
    """A published scheme with one pair (Ann mentors Dan), published `days` ago."""
    programme = make_programme(organiser)
    ann = add_member(programme, "mentor", "Ann", "Kent Police", "Police and justice")
    dan = add_member(programme, "mentee", "Dan", "Medway NHS", "NHS and health")
    mentoring_review.pair(programme, ann, dan)
    mentoring_review.publish(programme)
    return programme, ann, dan


def published_days_ago(programme, days: int) -> None:
    programme.published_at = utcnow() - timedelta(days=days)
    for pair in db.session.scalars(db.select(MentoringPair)):
        pair.published_at = programme.published_at
    db.session.commit()


def check_ins_queued() -> list[OutgoingMail]:
    return list(
        db.session.scalars(
            db.select(OutgoingMail).where(OutgoingMail.kind == MailKind.MENTORING_CHECK_IN.value)
        )
    )


def test_nothing_is_due_in_the_first_month(app, published):
    programme, _, _ = published
    published_days_ago(programme, 20)
    assert mentoring_check_ins.queue_due() == 0


def test_each_side_gets_each_check_in_once(app, published):
    programme, ann, dan = published
    published_days_ago(programme, 32)
    runner = app.test_cli_runner()
    assert runner.invoke(args=["check-in-programmes"]).output == "Queued 2 check-in messages.\n"
    assert runner.invoke(args=["check-in-programmes"]).output == "Queued 0 check-in messages.\n"
    assert sorted(m.member_id for m in check_ins_queued()) == sorted([ann.id, dan.id])
    published_days_ago(programme, 95)
    assert mentoring_check_ins.queue_due() == 2
    months = sorted(c.months for c in db.session.scalars(db.select(MentoringCheckIn)))
    assert months == [1, 1, 3, 3]


def test_a_late_run_sends_only_the_latest_check_in(app, published):
    programme, _, _ = published
    published_days_ago(programme, 200)
    assert mentoring_check_ins.queue_due() == 2
    assert {c.months for c in db.session.scalars(db.select(MentoringCheckIn))} == {6}
    assert mentoring_check_ins.queue_due() == 0


def test_the_message_links_to_the_check_in_until_it_is_answered(app, published):
    programme, _, dan = published
    published_days_ago(programme, 32)
    mentoring_check_ins.queue_due()
    check_in = db.session.scalar(
        db.select(MentoringCheckIn).where(MentoringCheckIn.member_id == dan.id)
    )
    text = check_in_message(dan, check_in.id).get_content()
    assert f"/mentoring/check-in/{check_in.token}" in text and "Ann (Kent Police)" in text
    mentoring_check_ins.answer(check_in, True, "")
    assert check_in_message(dan, check_in.id) is None


def test_a_pair_said_not_to_work_is_flagged_to_the_organiser(
    client, signed_in, organiser, published
):
    programme, _, dan = published
    published_days_ago(programme, 32)
    mentoring_check_ins.queue_due()
    check_in = db.session.scalar(
        db.select(MentoringCheckIn).where(MentoringCheckIn.member_id == dan.id)
    )
    url = f"/mentoring/check-in/{check_in.token}"
    page = client.get(url).get_data(as_text=True)
    assert "Is it working?" in page and "Ann (Kent Police)" in page
    bad = client.submit(url, {"working": "", "note": "kept"})
    assert bad.status_code == 400 and "Choose yes or no." in bad.get_data(as_text=True)
    client.submit(url, {"working": "no", "note": "We never met."})
    db.session.refresh(check_in)
    assert check_in.working is False
    page = signed_in.get(f"/organise/programmes/{programme.id}").get_data(as_text=True)
    assert "Pairs at risk (1)" in page
    assert "Dan said at 1 month it is not working: “We never met.”" in page
    # The organisers are emailed at once, and once for this round: not again by the daily
    # command, nor when Dan changes his note.
    (told,) = at_risk_queued()
    runner = signed_in.application.test_cli_runner()
    assert runner.invoke(args=["check-in-programmes"]).output == "Queued 0 check-in messages.\n"
    client.submit(url, {"working": "no", "note": "We never met, still."})
    assert at_risk_queued() == [told]
    assert told.user_id == organiser.id
    text = at_risk_message(organiser, **told.options).get_content()
    assert "- Ann and Dan: Dan said at 1 month it is not working: “We never met.”." in text
    assert f"/organise/programmes/{programme.id}" in text


def at_risk_queued() -> list[OutgoingMail]:
    return list(
        db.session.scalars(
            db.select(OutgoingMail).where(OutgoingMail.kind == MailKind.MENTORING_AT_RISK.value)
        )
    )


def test_a_check_in_nobody_answered_flags_the_pair_after_two_weeks(app, published):
    programme, _, _ = published
    published_days_ago(programme, 32)
    mentoring_check_ins.queue_due()
    assert mentoring_check_ins.at_risk(programme) == []
    later = utcnow() + mentoring_check_ins.UNANSWERED_AFTER
    (risk,) = mentoring_check_ins.at_risk(programme, now=later)
    assert risk.reasons == ["nobody answered the 1-month check-in"]
    assert mentoring_check_ins.tell_organisers(now=utcnow()) == 0
    assert mentoring_check_ins.tell_organisers(now=later) == 1
    assert mentoring_check_ins.tell_organisers(now=later) == 0
    assert len(at_risk_queued()) == 1


def test_check_in_links_open_nothing_when_unknown(client, organiser):
    assert client.get("/mentoring/check-in/unknown").status_code == 404
