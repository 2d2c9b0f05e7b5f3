"""Mentoring matches under real concurrency: organisers in several browsers pairing at the same
moment, through the app behind a real HTTP server (on SQLite and, when TEST_DATABASE_URL is set,
PostgreSQL). Each adjustment is checked and written under the programme's lock
(programmes.locked_programme), so a mentor's last place is given once and a mentee paired once,
the others refused in plain words, never an error page."""

from __future__ import annotations

from app.extensions import db
from app.models import MailKind, Member, MentoringPair, OutgoingMail
from app.services.programmes import mentoring_review
from tests.app import test_concurrency
from tests.app.programme_helpers import add_member, join_path, make_programme
from tests.app.test_concurrency import Browser, all_at_once
from tests.app.test_peer_challenge_concurrency import post_from, signed_in_browser

# That module's app (rate limits off: every browser shares one loopback address) and server.
app, server = test_concurrency.app, test_concurrency.server

SECTORS = ("NHS and health", "Local government", "Housing", "Fire and rescue")


def pairs() -> list[MentoringPair]:
    db.session.rollback()  # see what the server's threads committed
    return list(db.session.scalars(db.select(MentoringPair)))


def flashed(browser: Browser, page: str) -> str:
    """The page the browser is sent back to, with the message its change left."""
    status, body = browser.request("GET", page)
    assert status == 200
    return body.decode()


def test_organisers_giving_a_mentors_last_place_at_once_give_it_once(server, organiser):
    programme = make_programme(organiser)
    ann = add_member(programme, "mentor", "Ann Mentor", "Kent Police", "Police and justice")
    mentees = [
        add_member(programme, "mentee", f"Mentee{i} Person", f"Trust {i}", SECTORS[i % 4])
        for i in range(6)
    ]
    page = f"/organise/programmes/{programme.id}"
    browsers = [signed_in_browser(server, organiser.email) for _ in mentees]
    ann_id, mentee_ids = ann.id, [m.id for m in mentees]  # the threads have no app context

    def pair(i: int) -> int:
        fields = {"mentor": ann_id, "mentee": mentee_ids[i]}
        return post_from(browsers[i], page, f"{page}/pairs", fields)

    assert all_at_once(len(mentees), pair) == [302] * len(mentees)
    (made,) = pairs()
    assert made.mentor_id == ann_id
    said = [flashed(browser, page) for browser in browsers]
    assert sum("is now with Ann Mentor" in words for words in said) == 1
    assert sum("as many as they can take" in words for words in said) == len(mentees) - 1


def test_two_organisers_pairing_one_mentee_at_once_pair_them_once(server, organiser):
    programme = make_programme(organiser)
    mentors = [
        add_member(programme, "mentor", "Ann Mentor", "Kent Police", "Police and justice"),
        add_member(programme, "mentor", "Bob Mentor", "Kent Fire", "Fire and rescue"),
    ]
    dan = add_member(programme, "mentee", "Dan Mentee", "Medway NHS", "NHS and health")
    page = f"/organise/programmes/{programme.id}"
    browsers = [signed_in_browser(server, organiser.email) for _ in mentors]
    mentor_ids, dan_id = [m.id for m in mentors], dan.id  # the threads have no app context

    def pair(i: int) -> int:
        fields = {"mentor": mentor_ids[i], "mentee": dan_id}
        return post_from(browsers[i], page, f"{page}/pairs", fields)

    assert all_at_once(len(mentors), pair) == [302] * len(mentors)  # one refused, not a 500
    (made,) = pairs()
    assert made.mentee_id == dan_id and made.mentor_id in mentor_ids
    said = [flashed(browser, page) for browser in browsers]
    assert sum("Dan Mentee is now with" in words for words in said) == 1
    assert sum("Dan Mentee already has a mentor" in words for words in said) == 1


def test_two_organisers_unpairing_one_pair_at_once_are_told_it_changed(server, organiser):
    programme = make_programme(organiser)
    ann = add_member(programme, "mentor", "Ann Mentor", "Kent Police", "Police and justice")
    dan = add_member(programme, "mentee", "Dan Mentee", "Medway NHS", "NHS and health")
    made = mentoring_review.pair(programme, ann, dan)
    page = f"/organise/programmes/{programme.id}"
    browsers = [signed_in_browser(server, organiser.email) for _ in range(2)]
    action = f"{page}/pairs/{made.id}/unpair"

    def unpair(i: int) -> int:
        return post_from(browsers[i], page, action, {})

    # The second either finds the pair gone at once (404) or, waiting on the lock, is told.
    answers = all_at_once(len(browsers), unpair)
    assert sorted(answers) in ([302, 302], [302, 404])
    assert pairs() == []
    if answers == [302, 302]:
        said = [flashed(browser, page) for browser in browsers]
        assert sum("Someone changed the matches meanwhile" in words for words in said) == 1


def test_two_organisers_removing_a_matched_member_at_once_tell_the_partner_once(server, organiser):
    programme = make_programme(organiser)
    ann = add_member(programme, "mentor", "Ann Mentor", "Kent Police", "Police and justice")
    dan = add_member(programme, "mentee", "Dan Mentee", "Medway NHS", "NHS and health")
    mentoring_review.pair(programme, ann, dan)
    mentoring_review.publish(programme)
    page = f"/organise/programmes/{programme.id}"
    browsers = [signed_in_browser(server, organiser.email) for _ in range(2)]
    action = f"{page}/members/{dan.id}/remove"
    ann_id = ann.id

    def remove(i: int) -> int:
        return post_from(browsers[i], page, action, {})

    # The second either finds Dan gone at once (404) or, waiting on the lock, finds him gone.
    assert sorted(all_at_once(len(browsers), remove)) in ([302, 302], [302, 404])
    assert pairs() == []
    assert db.session.scalars(db.select(Member.name)).all() == ["Ann Mentor"]
    told = db.session.scalars(
        db.select(OutgoingMail.member_id).where(
            OutgoingMail.kind == MailKind.MENTORING_PARTNER_LEFT.value
        )
    ).all()
    assert told == [ann_id]


def test_the_same_email_joining_twice_at_once_makes_one_member(server, organiser):
    """The join form sent from several tabs at once: the email is checked and the member
    written under the programme's lock, so one joins and the others are told they had joined
    already (and sent the same private link); nothing fails."""
    programme = make_programme(organiser)
    path = join_path(programme, "mentee")
    browsers = [Browser(server) for _ in range(4)]
    fields = {
        "name": "Maya Mentee",
        "email": "maya@example.org",
        "organisation": "Riverside Housing Trust",
        "sector": "Housing",
        "profession": "Housing officer",
        "topics": "leading change",
    }

    def join(i: int) -> int:
        return post_from(browsers[i], path, path, fields)

    assert sorted(all_at_once(len(browsers), join)) == [200] * (len(browsers) - 1) + [302]
    db.session.rollback()  # see what the server's threads committed
    (maya,) = db.session.scalars(db.select(Member)).all()
    assert maya.email == "maya@example.org"
    sent = db.session.scalars(
        db.select(OutgoingMail.member_id).where(
            OutgoingMail.kind == MailKind.PROGRAMME_JOINED.value
        )
    ).all()
    assert sent == [maya.id] * len(browsers)  # each asker is sent the one private link
