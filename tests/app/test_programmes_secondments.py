"""A secondment round speaks of hosts, places and secondees, never of mentors and mentees: on
every page of the organiser and the members, and in every message."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest

from app.extensions import db
from app.models import MailKind, MentoringCheckIn, OutgoingMail, ProgrammeKind
from app.models.types import utcnow
from app.services.programmes import mentoring_check_ins, mentoring_members, mentoring_review
from app.services.programmes.mentoring_messages import BUILDERS
from tests.app.programme_helpers import add_member, join_path, make_programme

MENTORING_WORDS = re.compile(r"\b(mentor|mentee|mentoring)s?\b", re.IGNORECASE)


def visible(html: str) -> str:
    """The page's text, without its tags (whose names and addresses may say mentor) and code
    (the command line's name, `scheduler mentoring`)."""
    return re.sub(r"<[^>]+>", " ", re.sub(r"<code>.*?</code>", " ", html))


def assert_secondment_words(text: str) -> None:
    """No mentoring words, but in links and the command line's file names (MENTORS.csv)."""
    found = MENTORING_WORDS.search(re.sub(r"MENT(OR|EE)S\.csv|https?://\S+", "", text))
    assert found is None, text[max(found.start() - 80, 0) : found.end() + 80]


@pytest.fixture
def round_(organiser):
    """Kent Police hosts two places; Dan and Eve want secondments; Dan is placed."""
    programme = make_programme(organiser, ProgrammeKind.SECONDMENT, "Secondments 2027")
    host = add_member(programme, "mentor", "Ann", "Kent Police", "Police and justice", capacity=2)
    dan = add_member(programme, "mentee", "Dan", "Medway NHS", "NHS and health")
    eve = add_member(programme, "mentee", "Eve", "Essex Fire", "Fire and rescue")
    mentoring_review.pair(programme, host, dan)
    return programme, host, dan, eve


def test_the_organisers_pages_say_hosts_and_secondees(signed_in, round_):
    programme, host, dan, _ = round_
    base = f"/organise/programmes/{programme.id}"
    for path in ("", "/import", "/publish", f"/members/{host.id}", f"/members/{dan.id}/remove"):
        page = signed_in.get(base + path)
        assert page.status_code == 200, path
        assert_secondment_words(visible(page.get_data(as_text=True)))
    page = signed_in.get(base).get_data(as_text=True)
    assert "Stable: no host and secondee who would both rather be together" in page
    import_page = signed_in.get(f"{base}/import").get_data(as_text=True)
    assert "Hosts file (MENTORS.csv)" in import_page and "Secondees file" in import_page


def test_the_members_pages_and_every_message_say_hosts_and_secondees(client, round_):
    programme, host, dan, eve = round_
    for member in (host, dan):
        for path in (
            join_path(programme, member.side),
            f"/mentoring/entry/{member.token}",
            f"/mentoring/entry/{member.token}/withdraw",
        ):
            assert_secondment_words(visible(client.get(path).get_data(as_text=True)))
    mentoring_review.publish(programme)
    programme.published_at = utcnow() - timedelta(days=32)
    for pair in mentoring_review.pairs_of(programme):
        pair.published_at = programme.published_at
    db.session.commit()
    mentoring_check_ins.queue_due()
    check_in = db.session.scalar(db.select(MentoringCheckIn))
    page = client.get(f"/mentoring/check-in/{check_in.token}").get_data(as_text=True)
    assert_secondment_words(visible(page))
    mentoring_check_ins.answer(check_in, False, "")
    mentoring_check_ins.tell_organisers()
    mentoring_review.pair(programme, host, eve)
    mentoring_review.publish(programme)  # the change: Eve placed too
    kinds = built_and_checked()
    mentoring_members.withdraw(host)
    kinds |= built_and_checked()
    assert {
        MailKind.MENTORING_MATCH,
        MailKind.MENTORING_CHECK_IN,
        MailKind.MENTORING_AT_RISK,
        MailKind.MENTORING_REMATCH,
        MailKind.MENTORING_PARTNER_LEFT,
    } <= kinds


def built_and_checked() -> set[str]:
    """Build every queued message (as the sender would now) and check its words; the kinds."""
    kinds = set()
    for mail in db.session.scalars(db.select(OutgoingMail)):
        message = BUILDERS[MailKind(mail.kind)](mail.recipient, **mail.options)
        if message is not None:
            kinds.add(mail.kind)
            assert_secondment_words(message.get_content())
    return kinds
