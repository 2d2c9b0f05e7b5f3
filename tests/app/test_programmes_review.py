"""Reviewing, adjusting and publishing a programme's matches: the figures beside their bounds,
every hard rule refused in plain words, and publishing that tells each member once."""

from __future__ import annotations

import re

import pytest

from app.extensions import db
from app.models import (
    MailKind,
    MentoringMatching,
    MentoringPair,
    OutgoingMail,
    ProgrammeStatus,
)
from app.services.programmes import mentoring_review
from app.services.programmes.mentoring_messages import match_message
from app.services.programmes.mentoring_review import AdjustRefused
from tests.app.programme_helpers import add_member, make_programme, prefer


@pytest.fixture
def scheme(organiser):
    """Two mentors and three mentees; Ann and Cat share a sector, Bob and Eve an organisation."""
    programme = make_programme(organiser)
    people = {
        "ann": add_member(programme, "mentor", "Ann", "Kent Police", "Police and justice"),
        "bob": add_member(
            programme, "mentor", "Bob", "Medway Council", "Local government", capacity=1
        ),
        "cat": add_member(programme, "mentee", "Cat", "Essex Police", "Police and justice"),
        "dan": add_member(programme, "mentee", "Dan", "Medway NHS", "NHS and health"),
        "eve": add_member(programme, "mentee", "Eve", "Medway Council", "Local government"),
    }
    db.session.add(MentoringMatching(programme_id=programme.id, mode="most-matched"))
    db.session.commit()
    return programme, people


def test_the_review_says_the_figures_beside_their_bounds(signed_in, scheme):
    programme, p = scheme
    mentoring_review.pair(programme, p["ann"], p["dan"])
    page = signed_in.get(f"/organise/programmes/{programme.id}").get_data(as_text=True)
    # Cat can have only Bob, Eve only Ann, Dan either: with one place each, two at most.
    assert "1 of 3 mentees have a mentor; 2 is the most possible." in page
    assert "Without a mentor (2)" in page


@pytest.mark.parametrize(
    ("mentor", "mentee", "refusal"),
    [
        ("ann", "cat", "Ann and Cat are both in Police and justice: matches are across sectors."),
        (
            "bob",
            "eve",
            "Bob and Eve both work for Medway Council: matches are across organisations.",
        ),
    ],
)
def test_pairs_across_the_rules_are_refused(scheme, mentor, mentee, refusal):
    programme, p = scheme
    with pytest.raises(AdjustRefused, match=re.escape(refusal)):
        mentoring_review.pair(programme, p[mentor], p[mentee])
    assert db.session.scalar(db.select(MentoringPair)) is None


def test_a_pair_ruled_out_by_either_side_is_refused(scheme):
    programme, p = scheme
    prefer(p["bob"], ruled_out=(p["dan"],))
    with pytest.raises(AdjustRefused, match=re.escape("Bob has said Dan is not acceptable.")):
        mentoring_review.pair(programme, p["bob"], p["dan"])
    prefer(p["dan"], ruled_out=(p["ann"],))
    with pytest.raises(AdjustRefused, match=re.escape("Dan has said Ann is not acceptable.")):
        mentoring_review.pair(programme, p["ann"], p["dan"])


def test_capacity_and_one_mentor_per_mentee_are_kept(scheme):
    programme, p = scheme
    mentoring_review.pair(programme, p["bob"], p["dan"])
    with pytest.raises(
        AdjustRefused, match=re.escape("Bob already has 1 mentee, as many as they can take.")
    ):
        mentoring_review.pair(programme, p["bob"], p["cat"])
    with pytest.raises(
        AdjustRefused, match=re.escape("Dan already has a mentor, Bob: move them instead.")
    ):
        mentoring_review.pair(programme, p["ann"], p["dan"])
    mentoring_review.pair(programme, p["ann"], p["eve"])
    with pytest.raises(AdjustRefused, match=re.escape("Ann already has 1 mentee")):
        mentoring_review.move(programme, p["dan"], p["ann"])
    assert db.session.scalar(db.select(db.func.count()).select_from(MentoringPair)) == 2


def test_the_organiser_adjusts_and_a_refusal_is_said_plainly(signed_in, scheme):
    programme, p = scheme
    base = f"/organise/programmes/{programme.id}"
    response = signed_in.submit(
        f"{base}/pairs",
        {"mentor": p["ann"].id, "mentee": p["cat"].id},
        form_url=base,
        follow_redirects=True,
    )
    assert "Ann and Cat are both in Police and justice" in response.get_data(as_text=True)
    signed_in.submit(f"{base}/pairs", {"mentor": p["ann"].id, "mentee": p["dan"].id}, form_url=base)
    pair = db.session.scalar(db.select(MentoringPair))
    assert (pair.mentor_id, pair.mentee_id) == (p["ann"].id, p["dan"].id)
    signed_in.submit(f"{base}/pairs/{pair.id}/move", {"mentor": p["bob"].id}, form_url=base)
    db.session.refresh(pair)
    assert pair.mentor_id == p["bob"].id
    signed_in.submit(f"{base}/pairs/{pair.id}/unpair", form_url=base)
    assert db.session.scalar(db.select(MentoringPair)) is None
    assert signed_in.post(f"{base}/pairs/{pair.id}/unpair").status_code in (400, 404)


def test_adjusting_needs_the_csrf_token(signed_in, scheme):
    programme, p = scheme
    response = signed_in.post(
        f"/organise/programmes/{programme.id}/pairs",
        data={"mentor": p["ann"].id, "mentee": p["dan"].id},
    )
    assert response.status_code == 400
    assert db.session.scalar(db.select(MentoringPair)) is None


def matches_queued() -> list[OutgoingMail]:
    return list(
        db.session.scalars(
            db.select(OutgoingMail).where(OutgoingMail.kind == MailKind.MENTORING_MATCH.value)
        )
    )


def test_publishing_asks_first_then_tells_each_member_once(signed_in, scheme):
    programme, p = scheme
    mentoring_review.pair(programme, p["ann"], p["dan"])
    url = f"/organise/programmes/{programme.id}/publish"
    ask = signed_in.get(url).get_data(as_text=True)
    assert "Publish the matches of Mentoring 2027?" in ask and "All 5 people" in ask
    assert matches_queued() == []
    signed_in.submit(url)
    db.session.refresh(programme)
    assert programme.status == ProgrammeStatus.PUBLISHED
    queued = matches_queued()
    assert sorted(m.member_id for m in queued) == sorted(m.id for m in p.values())
    again = signed_in.submit(
        url, form_url=f"/organise/programmes/{programme.id}/publish", follow_redirects=True
    )
    assert "There are no changes to publish." in again.get_data(as_text=True)
    assert len(matches_queued()) == 5
    with pytest.raises(AdjustRefused, match=re.escape("published")):
        mentoring_review.unpair(programme, db.session.scalar(db.select(MentoringPair)))


def test_the_match_message_gives_the_pair_each_other_and_the_unmatched_kind_words(scheme):
    programme, p = scheme
    mentoring_review.pair(programme, p["ann"], p["dan"])
    mentoring_review.publish(programme)
    to_dan = match_message(p["dan"]).get_content()
    assert "Ann, Kent Police (ann@example.org)" in to_dan
    to_ann = match_message(p["ann"]).get_content()
    assert "Dan, Medway NHS (dan@example.org)" in to_ann
    to_cat = match_message(p["cat"]).get_content()
    assert "we could not match you" in to_cat
    assert "@example.org" not in to_cat.replace(p["cat"].email, "")


def test_after_publishing_a_member_sees_their_match_and_nobody_elses_email(client, scheme):
    programme, p = scheme
    mentoring_review.pair(programme, p["ann"], p["dan"])
    mentoring_review.publish(programme)
    page = client.get(f"/mentoring/entry/{p['dan'].token}").get_data(as_text=True)
    assert "ann@example.org" in page
    assert "bob@example.org" not in page and "cat@example.org" not in page


def test_pairs_broken_since_they_were_made_stop_publishing(signed_in, scheme):
    programme, p = scheme
    mentoring_review.pair(programme, p["ann"], p["dan"])
    p["dan"].organisation = p["ann"].organisation  # Dan has moved to Kent Police since
    db.session.commit()
    page = signed_in.get(f"/organise/programmes/{programme.id}").get_data(as_text=True)
    refusal = "Ann and Dan both work for Kent Police: matches are across organisations."
    assert refusal in page
    with pytest.raises(AdjustRefused, match=re.escape(refusal)):
        mentoring_review.publish(programme)
    assert matches_queued() == []


def test_a_mentor_over_capacity_since_is_flagged(scheme):
    programme, p = scheme
    mentoring_review.pair(programme, p["ann"], p["dan"])
    p["ann"].capacity = 2
    db.session.commit()
    mentoring_review.pair(programme, p["ann"], p["eve"])
    p["ann"].capacity = 1
    db.session.commit()
    (broken,) = mentoring_review.review(programme).broken
    assert broken[1] == "Ann has 2 mentees but can take 1."


def test_the_page_still_reads_when_everyone_has_left_after_a_matching(signed_in, scheme):
    programme, p = scheme
    for member in p.values():
        db.session.delete(member)
    db.session.commit()
    page = signed_in.get(f"/organise/programmes/{programme.id}").get_data(as_text=True)
    assert "0 of 0 mentees have a mentor; 0 is the most possible." in page
