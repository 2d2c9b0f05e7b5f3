"""After publishing: someone who leaves (withdraws, or is removed by the organiser) has their
partner told kindly and marked to be matched again; the organiser pairs them by hand or matches
the rest again around the published pairs, then publishes the changes, which tells only the
people whose match changed. And pairing by hand before any matching."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest

from app.extensions import db
from app.models import MailKind, MentoringMatching, MentoringPair, OutgoingMail, ProgrammeKind
from app.models.types import utcnow
from app.services.programmes import (
    mentoring_check_ins,
    mentoring_matching,
    mentoring_members,
    mentoring_review,
)
from app.services.programmes.mentoring_messages import (
    match_ended_message,
    partner_left_message,
    rematch_message,
)
from app.services.programmes.mentoring_review import AdjustRefused
from tests.app.planning_helpers import wait_for
from tests.app.programme_helpers import add_member, make_programme, prefer


def queued(kind: MailKind) -> list[OutgoingMail]:
    return list(db.session.scalars(db.select(OutgoingMail).where(OutgoingMail.kind == kind.value)))


def pair_of(mentee) -> MentoringPair | None:
    return db.session.scalar(db.select(MentoringPair).where(MentoringPair.mentee_id == mentee.id))


@pytest.fixture
def published(organiser):
    """Ann mentors Dan and Bob mentors Eve, published; Fay is a mentee left without a mentor."""
    programme = make_programme(organiser)
    people = {
        "ann": add_member(programme, "mentor", "Ann", "Kent Police", "Police and justice"),
        "bob": add_member(programme, "mentor", "Bob", "Medway Council", "Local government"),
        "dan": add_member(programme, "mentee", "Dan", "Medway NHS", "NHS and health"),
        "eve": add_member(programme, "mentee", "Eve", "Essex Fire", "Fire and rescue"),
        "fay": add_member(programme, "mentee", "Fay", "Kent Homes", "Housing"),
    }
    mentoring_review.pair(programme, people["ann"], people["dan"])
    mentoring_review.pair(programme, people["bob"], people["eve"])
    mentoring_review.publish(programme)
    return programme, people


def test_a_member_who_withdraws_has_their_partner_told_kindly(client, signed_in, published):
    programme, p = published
    ann, dan = p["ann"], p["dan"]
    ask = client.get(f"/mentoring/entry/{ann.token}/withdraw").get_data(as_text=True)
    assert "We will let Dan know you have left" in ask
    client.submit(f"/mentoring/entry/{ann.token}/withdraw")
    (told,) = queued(MailKind.MENTORING_PARTNER_LEFT)
    assert told.member_id == dan.id
    db.session.refresh(dan)
    assert dan.partner_left_at is not None and pair_of(dan) is None
    text = partner_left_message(dan, **told.options).get_content()
    assert "We are sorry to tell you that Ann, your mentor, has left Mentoring 2027" in text
    assert "will try to find you another mentor" in text
    page = signed_in.get(f"/organise/programmes/{programme.id}").get_data(as_text=True)
    assert "To match again (1)" in page
    assert re.search(r"<strong>Dan</strong> \(mentee\): their mentor left on", page)


def test_a_mentee_removed_by_the_organiser_frees_the_mentors_place(signed_in, published):
    programme, p = published
    url = f"/organise/programmes/{programme.id}/members/{p['eve'].id}"
    ask = signed_in.get(f"{url}/remove").get_data(as_text=True)
    assert "Bob will be told by email, kindly, that Eve has left" in ask
    signed_in.submit(f"{url}/remove")
    (told,) = queued(MailKind.MENTORING_PARTNER_LEFT)
    assert told.member_id == p["bob"].id
    text = partner_left_message(p["bob"], **told.options).get_content()
    assert "Eve, one of your mentees, has left Mentoring 2027" in text
    assert "The place is free again" in text
    # Bob is content with none: the organiser takes him off the list.
    base = f"/organise/programmes/{programme.id}"
    assert "To match again (1)" in signed_in.get(base).get_data(as_text=True)
    signed_in.submit(f"{base}/members/{p['bob'].id}/no-rematch", form_url=base)
    db.session.refresh(p["bob"])
    assert p["bob"].partner_left_at is None
    assert "To match again" not in signed_in.get(base).get_data(as_text=True)


def test_leaving_before_publishing_tells_nobody(client, organiser):
    programme = make_programme(organiser)
    ann = add_member(programme, "mentor", "Ann", "Kent Police", "Police and justice")
    dan = add_member(programme, "mentee", "Dan", "Medway NHS", "NHS and health")
    mentoring_review.pair(programme, ann, dan)
    client.submit(f"/mentoring/entry/{ann.token}/withdraw")
    assert queued(MailKind.MENTORING_PARTNER_LEFT) == []
    db.session.refresh(dan)
    assert dan.partner_left_at is None


def test_pairing_by_hand_after_publishing_tells_only_the_new_pair(app, signed_in, published):
    programme, p = published
    with pytest.raises(AdjustRefused, match="Bob and Eve have been told of their match"):
        mentoring_review.unpair(programme, pair_of(p["eve"]))
    with pytest.raises(AdjustRefused, match="stays as published"):
        mentoring_review.move(programme, p["eve"], p["ann"])
    mentoring_members.withdraw(p["ann"])
    cy = add_member(programme, "mentor", "Cy", "Kent Fire", "Fire and rescue")
    base = f"/organise/programmes/{programme.id}"
    signed_in.submit(
        f"{base}/pairs", {"mentor": str(cy.id), "mentee": str(p["dan"].id)}, form_url=base
    )
    new = pair_of(p["dan"])
    assert new.mentor_id == cy.id and new.published_at is None
    # Not published yet: no check-in for it, however long ago the matches went out.
    programme.published_at = utcnow() - timedelta(days=40)
    pair_of(p["eve"]).published_at = programme.published_at
    db.session.commit()
    assert mentoring_check_ins.queue_due() == 2  # Bob and Eve only
    entry = f"/mentoring/entry/{p['dan'].token}"
    page = signed_in.get(entry).get_data(as_text=True)
    assert "cy@example.org" not in page and "Your mentor has left the programme." in page
    page = signed_in.get(base).get_data(as_text=True)
    assert "New: not yet published" in page and "Publish the changes (1 new pair)" in page
    ask = signed_in.get(f"{base}/publish").get_data(as_text=True)
    assert "Publish the changes to Mentoring 2027?" in ask and "nobody else is" in ask
    before = {m.id for m in queued(MailKind.MENTORING_MATCH)}
    signed_in.submit(f"{base}/publish")
    rematch = queued(MailKind.MENTORING_REMATCH)
    assert sorted(m.member_id for m in rematch) == sorted([cy.id, p["dan"].id])
    assert {m.id for m in queued(MailKind.MENTORING_MATCH)} == before
    assert "cy@example.org" in signed_in.get(entry).get_data(as_text=True)
    db.session.refresh(p["dan"])
    assert p["dan"].partner_left_at is None and pair_of(p["dan"]).published_at is not None
    to_dan = next(m for m in rematch if m.member_id == p["dan"].id)
    text = rematch_message(p["dan"], **to_dan.options).get_content()
    assert "matched you with a new mentor:\n- Cy, Kent Fire (cy@example.org)" in text
    assert "bob@example.org" not in text
    with pytest.raises(AdjustRefused, match=re.escape("There are no changes to publish.")):
        mentoring_review.publish(programme)


def test_matching_again_after_publishing_keeps_the_published_pairs(app, published):
    """Eve would rather have Cy, who joined late, but her published pair with Bob stays: only
    Dan, whose mentor left, and Fay, never matched, are matched."""
    programme, p = published
    mentoring_members.withdraw(p["ann"])
    cy = add_member(programme, "mentor", "Cy", "Sussex Police", "Police and justice", capacity=2)
    prefer(p["eve"], cy)
    kept = pair_of(p["eve"])
    job = wait_for(mentoring_matching.start(programme, "most-matched", 5).id)
    assert job.state.value == "succeeded", job.error
    db.session.expire_all()
    assert pair_of(p["eve"]).id == kept.id and pair_of(p["eve"]).published_at is not None
    for mentee in (p["dan"], p["fay"]):
        assert pair_of(mentee).mentor_id == cy.id and pair_of(mentee).published_at is None
    matching = db.session.get(MentoringMatching, programme.id)
    assert matching.metrics["matched"] == matching.metrics["matched_bound"] == 3


def test_pairing_by_hand_before_any_matching(signed_in, organiser):
    programme = make_programme(organiser, ProgrammeKind.SECONDMENT, "Secondments 2027")
    ann = add_member(programme, "mentor", "Ann", "Kent Police", "Police and justice")
    dan = add_member(programme, "mentee", "Dan", "Medway NHS", "NHS and health")
    base = f"/organise/programmes/{programme.id}"
    page = signed_in.get(base).get_data(as_text=True)
    assert "Pair people by hand below" in page and f"Pair {dan.name} with" in page
    assert "Without a host (1)" in page
    signed_in.submit(f"{base}/pairs", {"mentor": str(ann.id), "mentee": str(dan.id)}, form_url=base)
    assert pair_of(dan).mentor_id == ann.id
    signed_in.submit(f"{base}/publish")
    assert sorted(m.member_id for m in queued(MailKind.MENTORING_MATCH)) == sorted([ann.id, dan.id])


def test_a_published_pair_that_breaks_a_rule_is_replaced_and_both_are_told(app, published):
    """Dan moves to Ann's organisation after publishing: matches are across organisations, so
    matching again replaces his pair (Cy, new, takes him). Ann and Dan are each told kindly that
    their match has ended, without the reason (it may be the other's change); Bob and Eve, whose
    pair keeps the rules, hear nothing."""
    programme, p = published
    dan = p["dan"]
    profile = mentoring_members.check_profile(
        programme,
        "mentee",
        {**mentoring_members.details_of(dan), "organisation": "Kent Police"},
        by_organiser=True,
    )
    mentoring_members.update(dan, profile)
    cy = add_member(programme, "mentor", "Cy", "Kent Homes", "Housing", capacity=2)
    job = wait_for(mentoring_matching.start(programme, "most-matched", 5).id)
    assert job.state.value == "succeeded", job.error
    db.session.expire_all()
    assert pair_of(dan).mentor_id == cy.id and pair_of(dan).published_at is None
    ended = queued(MailKind.MENTORING_MATCH_ENDED)
    assert sorted(m.member_id for m in ended) == sorted([p["ann"].id, dan.id])
    to_ann = next(m for m in ended if m.member_id == p["ann"].id)
    text = match_ended_message(p["ann"], **to_ann.options).get_content()
    assert "Your match with Dan in Mentoring 2027 has ended" in text
    assert "Your place is free again" in text
    assert "Police and justice" not in text and "Kent Police" not in text
    to_dan = next(m for m in ended if m.member_id == dan.id)
    text = match_ended_message(dan, **to_dan.options).get_content()
    assert "Your match with Ann" in text and "try to find you another mentor" in text
    assert pair_of(p["eve"]).published_at is not None
