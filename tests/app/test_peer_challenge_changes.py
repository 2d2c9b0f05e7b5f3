"""Changes to peer-challenge teams after publishing: a peer who withdraws or is removed is said
kindly to their host and the rest of their team at once; the organiser sees the open slot to
fill again, fills it, and publishes the change, which tells only the people whose team changed
(the new peer their team, role, host and dates)."""

from __future__ import annotations

from datetime import date

import pytest

from app.extensions import db
from app.models import MailKind, Member, OutgoingMail
from app.services.programmes import peer_challenge_members as members
from app.services.programmes import peer_challenge_milestones as milestones
from app.services.programmes import peer_challenge_teams as teams
from app.services.programmes.peer_challenge_messages import (
    team_changed_message,
    team_message,
    withdrawal_message,
)
from app.services.programmes.peer_challenge_teams import AdjustRefused
from tests.app import test_peer_challenge_teams
from tests.app.peer_challenge_helpers import add_peer

people = test_peer_challenge_teams.people  # two hosts, five peers (see there)


@pytest.fixture
def published(people) -> dict:
    """Westshire's team: Ann (chief executive), Bob (member), Eve (officer); Northshire's: Cat
    (member), Dan (officer). Published, Westshire's steps dated."""
    programme = people["programme"]
    for where, who in (("west", "ann"), ("west", "eve"), ("west", "bob")):
        teams.put(programme, people[where], people[who])
    for where, who in (("north", "cat"), ("north", "dan")):
        teams.put(programme, people[where], people[who])
    milestones.date_from_on_site(people["west"], date(2027, 6, 14))
    teams.publish(programme)
    db.session.execute(db.delete(OutgoingMail))  # the publishing's messages: tested elsewhere
    db.session.commit()
    return people


def queued() -> list[tuple[str, int]]:
    """(kind, member id) of every message queued, in order."""
    rows = db.session.scalars(db.select(OutgoingMail).order_by(OutgoingMail.id))
    return [(m.kind, m.member_id) for m in rows]


def options_of(kind: MailKind, member: Member) -> dict:
    return db.session.scalar(
        db.select(OutgoingMail.options).where(
            OutgoingMail.kind == kind.value, OutgoingMail.member_id == member.id
        )
    )


def test_a_peer_who_withdraws_is_said_kindly_to_their_team_only(client, published):
    p = published
    west, ann, bob, eve = p["west"], p["ann"], p["bob"], p["eve"]
    page = f"/peer-challenge/entry/{eve.token}/withdraw"
    assert "The host and the rest of your team will be told" in client.get(page).get_data(
        as_text=True
    )
    assert client.submit(page).status_code == 200
    withdrawal = MailKind.PEER_CHALLENGE_WITHDRAWAL.value
    assert sorted(queued()) == sorted(
        [(withdrawal, west.id), (withdrawal, ann.id), (withdrawal, bob.id)]
    )
    to_west = withdrawal_message(west, **options_of(MailKind.PEER_CHALLENGE_WITHDRAWAL, west))
    text = to_west.get_content()
    assert (
        "We are sorry to tell you that Eve Officer, the officer peer on the team reviewing " in text
    )
    assert "Westshire Council, is no longer able to take part" in text
    assert (
        "Ann Chief, Eastshire Council: chief executive peer" in text
        and "Eve" not in text.split("The team as it is now")[1]
    )
    assert ann.email not in text and bob.email not in text
    to_ann = withdrawal_message(
        ann, **options_of(MailKind.PEER_CHALLENGE_WITHDRAWAL, ann)
    ).get_content()
    assert "Dear Ann Chief" in to_ann and "look for someone to take their place" in to_ann


def test_the_organiser_fills_the_open_slot_and_tells_only_that_team(signed_in, published):
    p = published
    programme, west, north = p["programme"], p["west"], p["north"]
    ann, bob, eve = p["ann"], p["bob"], p["eve"]
    base = f"/organise/programmes/{programme.id}"
    remove = f"{base}/peer-challenge/{eve.id}/remove"
    assert "the host and the rest of each team they are on will be told" in signed_in.get(
        remove
    ).get_data(as_text=True)
    signed_in.submit(remove)
    page = signed_in.get(base).get_data(as_text=True)
    assert "1 team has changed since their people were told" in page
    assert "Eve Officer (officer peer) has left the team" in page
    assert "Westshire Council: 1 officer peer short" in page  # the slot to fill again
    assert "Publish the changes" in page
    fay = add_peer(programme, "Fay Officer", "Kent Fire", "Fire and rescue", "officer")
    db.session.execute(db.delete(OutgoingMail))
    db.session.commit()
    response = signed_in.submit(
        f"{base}/peer-challenge/put", {"host": west.id, "peer": fay.id}, form_url=base
    )
    assert response.status_code == 302
    assert queued() == []  # nobody is told until the organiser publishes the change
    fay_page = f"/peer-challenge/entry/{fay.token}"
    assert "At <strong>Westshire Council</strong>" not in signed_in.get(fay_page).get_data(
        as_text=True
    )
    assert "Fay Officer (officer peer) is new on the team" in signed_in.get(base).get_data(
        as_text=True
    )
    url = f"{base}/peer-challenge/publish-changes"
    ask = signed_in.get(url).get_data(as_text=True)
    assert "Westshire Council" in ask and "Northshire NHS Trust" not in ask
    assert signed_in.submit(url, {}).status_code == 400 and queued() == []
    assert signed_in.submit(url, {"confirm": "y"}).status_code == 302
    team, changed = MailKind.PEER_CHALLENGE_TEAM.value, MailKind.PEER_CHALLENGE_TEAM_CHANGED.value
    assert sorted(queued()) == sorted(
        [(team, fay.id), (changed, west.id), (changed, ann.id), (changed, bob.id)]
    )
    assert not {m for _, m in queued()} & {north.id, p["cat"].id, p["dan"].id}
    # The new peer: team, role, host and dates; nobody's email.
    to_fay = team_message(fay).get_content()
    assert "Westshire Council, as officer peer" in to_fay
    assert "Ann Chief, Eastshire Council: chief executive peer" in to_fay
    assert "- First day on site: Monday 14 June 2027" in to_fay
    assert "- Progress review: Friday 14 April 2028" in to_fay
    assert ann.email not in to_fay and west.email not in to_fay
    to_west = team_changed_message(west, west.id).get_content()
    assert "The team reviewing Westshire Council has changed" in to_west
    assert "Fay Officer, Kent Fire: officer peer" in to_west and fay.email not in to_west
    to_bob = team_changed_message(bob, west.id).get_content()
    assert "on which you are a member peer" in to_bob
    assert "At <strong>Westshire Council</strong>, as officer peer" in signed_in.get(
        fay_page
    ).get_data(as_text=True)
    again = signed_in.submit(url, {"confirm": "y"}, follow_redirects=True)
    assert "No team has changed since the teams were published." in again.get_data(as_text=True)
    assert teams.changed_teams(programme) == []


def test_a_peer_taken_off_or_swapped_after_publishing_is_told_once(published):
    p = published
    programme, west, north = p["programme"], p["west"], p["north"]
    gil = add_peer(programme, "Gil Officer", "Kent Fire", "Fire and rescue", "officer")
    eve_west = next(pl for pl in teams.places_of(programme) if pl.peer_id == p["eve"].id)
    dan_north = next(pl for pl in teams.places_of(programme) if pl.peer_id == p["dan"].id)
    teams.take_out(programme, dan_north)
    teams.put(programme, north, gil)
    teams.swap(programme, eve_west, teams.places_of(programme)[-1])  # Eve north, Gil west
    teams.publish_changes(programme)
    team, changed = MailKind.PEER_CHALLENGE_TEAM.value, MailKind.PEER_CHALLENGE_TEAM_CHANGED.value
    got = queued()
    # Eve and Gil are new on a team: told their teams in full, once each.
    assert sorted(m for k, m in got if k == team) == sorted([p["eve"].id, gil.id])
    told_changed = sorted(m for k, m in got if k == changed)
    everyone_else = [west.id, north.id, p["ann"].id, p["bob"].id, p["cat"].id, p["dan"].id]
    assert told_changed == sorted(everyone_else)
    to_dan = team_changed_message(p["dan"], north.id).get_content()
    assert "You are no longer on the team reviewing Northshire NHS Trust" in to_dan


def test_a_host_that_withdraws_after_publishing_stands_its_team_down(client, published):
    p = published
    north = p["north"]
    client.submit(f"/peer-challenge/entry/{north.token}/withdraw")
    withdrawal = MailKind.PEER_CHALLENGE_WITHDRAWAL.value
    assert sorted(queued()) == sorted([(withdrawal, p["cat"].id), (withdrawal, p["dan"].id)])
    text = withdrawal_message(
        p["cat"], **options_of(MailKind.PEER_CHALLENGE_WITHDRAWAL, p["cat"])
    ).get_content()
    assert "Northshire NHS Trust has withdrawn from Peer challenge 2027" in text
    assert "will not go ahead" in text


def test_before_publishing_a_withdrawal_tells_nobody(people):
    programme = people["programme"]
    teams.put(programme, people["west"], people["ann"])
    teams.put(programme, people["west"], people["eve"])
    members.withdraw(people["eve"])
    assert queued() == []
    with pytest.raises(AdjustRefused, match="not published yet"):
        teams.publish_changes(programme)


def test_reminders_go_to_the_team_as_told(published):
    p = published
    programme, west = p["programme"], p["west"]
    fay = add_peer(programme, "Fay Officer", "Kent Fire", "Fire and rescue", "officer")
    members.withdraw(p["eve"])
    teams.put(programme, west, fay)
    report = next(m for m in west.milestones if m.stage == "report")
    assert [m.name for m in milestones.recipients(report)] == [
        "Westshire Contact",
        "Ann Chief",
        "Bob Member",
    ]
    teams.publish_changes(programme)
    assert "Fay Officer" in [m.name for m in milestones.recipients(report)]


def test_a_change_to_a_place_removed_meanwhile_is_refused_plainly(published):
    p = published
    programme = p["programme"]
    eve_west, dan_north = (
        next(pl for pl in teams.places_of(programme) if pl.peer_id == p[who].id)
        for who in ("eve", "dan")
    )
    members.withdraw(p["dan"])  # another organiser removes Dan while this page was open
    with pytest.raises(AdjustRefused, match="Someone changed the teams meanwhile"):
        teams.swap(programme, eve_west, dan_north)
    # Eve's withdrawal left Westshire with two local-government peers: shown, and it stops
    # publishing the changes until a peer from another sector fills the slot.
    members.withdraw(p["eve"])
    assert "one sector only" in teams.review(programme).broken[0][1]
    with pytest.raises(AdjustRefused, match="A team breaks a rule"):
        teams.publish_changes(programme)
