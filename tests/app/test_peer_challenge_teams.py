"""A peer-challenge round's teams: built as a background job (the planning job runners) on a small
case whose figures are checked against bounds computed here by brute force; the review's open
slots said with their reasons; every adjustment refusal; publishing, once, after asking."""

from __future__ import annotations

from itertools import product

import pytest

from app.extensions import db
from app.models import JobState, MailKind, OutgoingMail, PeerPlace, Programme
from app.services.planning.jobs import JobError
from app.services.programmes import peer_challenge_teams as teams
from app.services.programmes.peer_challenge_messages import team_message
from app.services.programmes.peer_challenge_teams import AdjustRefused
from tests.app.peer_challenge_helpers import add_host, add_peer, make_round
from tests.app.planning_helpers import wait_for


@pytest.fixture
def people(organiser) -> dict:
    """Two hosts and five peers. Westshire wants a chief executive, a member and an officer
    peer; Northshire NHS a member and an officer peer. Dan works at Westshire and Cat excludes
    it; Bob (a member peer) can take two challenges."""
    programme = make_round(organiser)
    found = {
        "programme": programme,
        "west": add_host(
            programme,
            "Westshire Council",
            "Local government",
            {"chief-executive": 1, "member": 1, "officer": 1},
            themes=("finance", "housing"),
        ),
        "north": add_host(
            programme,
            "Northshire NHS Trust",
            "NHS and health",
            {"member": 1, "officer": 1},
            themes=("finance",),
        ),
        "ann": add_peer(
            programme, "Ann Chief", "Eastshire Council", "Local government", "chief-executive"
        ),
        "bob": add_peer(
            programme,
            "Bob Member",
            "Southshire Council",
            "Local government",
            "member",
            capacity=2,
            group="Labour",
        ),
        "cat": add_peer(
            programme,
            "Cat Member",
            "Kent Police",
            "Police and justice",
            "member",
            skills=("housing",),
            exclude=("westshire council",),
            group="Conservative",
        ),
        "dan": add_peer(
            programme, "Dan Officer", "Westshire Council", "Local government", "officer"
        ),
        "eve": add_peer(programme, "Eve Officer", "Medway NHS", "NHS and health", "officer"),
    }
    return found


def allowed(peer, host) -> bool:
    slots = host.host_details.slots
    excluded = {name.casefold() for name in peer.peer_details.exclude}
    return (
        peer.peer_details.role in slots
        and peer.organisation_id != host.organisation_id
        and host.organisation.name.casefold() not in excluded
    )


def most_filled_by_brute_force(programme: Programme) -> int:
    """The most slots any set of teams fills: every choice of a peer (or none) for each slot,
    kept if it keeps every hard rule."""
    members = programme.members
    hosts = [m for m in members if m.side == "host"]
    peers = [m for m in members if m.side == "peer"]
    slots = [
        (host, role)
        for host in hosts
        for role, count in host.host_details.slots.items()
        for _ in range(count)
    ]
    options = [
        [None, *(p for p in peers if p.peer_details.role == role and allowed(p, host))]
        for host, role in slots
    ]
    best = 0
    for choice in product(*options):
        chosen = [(slot[0], p) for slot, p in zip(slots, choice, strict=True) if p is not None]
        if any(sum(p is q for _, p in chosen) > q.capacity for q in peers):
            continue
        ok = True
        for host in hosts:
            team = [p for h, p in chosen if h is host]
            if len(team) != len({p.id for p in team}):
                ok = False
            if len(team) >= 2 and len({p.sector for p in team}) < 2:
                ok = False
        if ok:
            best = max(best, len(chosen))
    return best


def test_a_team_building_job_runs_in_the_background_and_meets_its_bounds(app, people):
    programme = people["programme"]
    job = wait_for(teams.start(programme, 5).id)
    assert job.state == JobState.SUCCEEDED, job.error
    assert job.programme_id == programme.id and job.event_id is None
    places = list(db.session.scalars(db.select(PeerPlace)))
    assert len(places) == most_filled_by_brute_force(programme) == 5
    for place in places:
        assert place.role == place.peer.peer_details.role and allowed(place.peer, place.host)
    for host in (people["west"], people["north"]):
        team = [p.peer for p in places if p.host_id == host.id]
        assert len({p.sector for p in team}) >= 2
    review = teams.review(programme)
    texts = [(f.text, f.best) for f in review.figures]
    assert ("5 of 5 slots filled", "5 is the most possible with these peers") in texts
    # Themes: Westshire's finance and housing, Northshire's finance: finance is every peer's
    # skill but Cat's, housing only Cat's, who excludes Westshire: 2 can be covered.
    assert (
        "2 of the hosts' themes covered by a team member's skills",
        "2 is the most possible (themes some peer who may go there has)",
    ) in texts
    assert ("2 of 2 teams bring two or more sectors", "every team of two or more must") in texts
    assert ("Member peers from 2 political groups across the round", "2 is the most possible") in (
        texts
    )
    assert all(not t.open_slots for t in review.teams) and not review.shortages
    assert teams.review(programme).run.solver_status == "optimal"


def test_building_needs_peers_and_hosts(app, organiser):
    programme = make_round(organiser)
    add_host(programme, "Westshire Council", "Local government", {"officer": 2})
    job = wait_for(teams.start(programme, 5).id)
    assert job.state == JobState.FAILED
    assert job.error == "Building teams needs peers and hosts: 0 peers and 1 host have joined."


def test_the_job_page_shows_progress_and_cancels(signed_in, people):
    programme = people["programme"]
    base = f"/organise/programmes/{programme.id}/peer-challenge"
    response = signed_in.submit(f"{base}/build", {"time_limit": "5"})
    assert response.status_code == 302
    job_url = response.headers["Location"]
    job = wait_for(int(job_url.rsplit("/", 1)[1]))
    page = signed_in.get(job_url).get_data(as_text=True)
    assert "Review the teams" in page
    assert signed_in.get(f"{job_url}.json").get_json()["state"] == "succeeded"
    cancelled = signed_in.submit(f"{job_url}/cancel")
    assert cancelled.status_code == 302 and job.state == JobState.SUCCEEDED
    bad = signed_in.submit(f"{base}/build", {"time_limit": "0"}, follow_redirects=True)
    assert "Number must be between 1 and 600." in bad.get_data(as_text=True)


def test_the_review_shows_teams_and_why_slots_are_open(signed_in, people):
    programme, west, north = people["programme"], people["west"], people["north"]
    west.host_details.slots = {"chief-executive": 1, "member": 2, "officer": 1}
    db.session.commit()
    teams.put(programme, north, people["eve"])
    teams.put(programme, north, people["bob"])
    before = next(t for t in teams.review(programme).teams if t.host.id == west.id)
    assert before.open_slots[0] == (
        "Westshire Council: 1 chief executive peer short: 1 chief executive peer who can go "
        "there still has room: put one in"
    )
    put = f"/organise/programmes/{programme.id}/peer-challenge/put"
    response = signed_in.submit(put, {"host": west.id, "peer": people["ann"].id})
    assert response.status_code == 302
    assert "Ann Chief is on Westshire Council&#39;s team." in signed_in.get(
        response.headers["Location"]
    ).get_data(as_text=True)
    review = teams.review(programme)
    west_team = next(t for t in review.teams if t.host.id == west.id)
    assert west_team.open_slots == [
        "Westshire Council: 2 member peers short: only 1 member peer can go there",
        "Westshire Council: 1 officer peer short: 1 officer peer can go there and all are taken",
    ]
    north_team = next(t for t in review.teams if t.host.id == north.id)
    assert north_team.open_slots == []
    north.host_details.slots = {"member": 1, "officer": 1, "lived-experience": 1}
    db.session.commit()
    north_team = next(t for t in teams.review(programme).teams if t.host.id == north.id)
    assert north_team.open_slots == [
        "Northshire NHS Trust: 1 lived-experience peer short: no lived-experience peer can go there"
    ]
    page = signed_in.get(f"/organise/programmes/{programme.id}").get_data(as_text=True)
    assert "Eve Officer" in page and "Medway NHS" in page and "officer peer" in page
    assert "only 1 member peer can go there" in page
    assert "3 of 7 slots filled" in page


@pytest.mark.parametrize(
    ("setup", "host", "peer", "refusal"),
    [
        ([], "west", "dan", "Dan Officer is from Westshire Council itself"),
        ([], "west", "cat", "Cat Member has asked not to review Westshire Council."),
        ([], "north", "ann", "Northshire NHS Trust wants no chief executive peers."),
        ([("north", "eve")], "north", "eve", "Eve Officer is on Northshire NHS Trust's team"),
        (
            [("north", "eve")],
            "north",
            "dan",
            "wants 1 officer peer and has them already: take one out",
        ),
        ([("north", "cat")], "west", "cat", "Cat Member has asked not to review"),
        ([("north", "eve"), ("west", "ann")], "west", "eve", "is on 1 team already, as many"),
        ([("west", "ann")], "west", "bob", "would have peers from one sector only"),
    ],
)
def test_each_hard_rule_refuses_a_put(people, setup, host, peer, refusal):
    programme = people["programme"]
    for where, who in setup:
        teams.put(programme, people[where], people[who])
    before = db.session.scalar(db.select(db.func.count()).select_from(PeerPlace))
    with pytest.raises(AdjustRefused, match=refusal):
        teams.put(programme, people[host], people[peer])
    assert db.session.scalar(db.select(db.func.count()).select_from(PeerPlace)) == before


def test_taking_out_and_swapping_keep_the_rules(signed_in, people):
    programme, west, north = people["programme"], people["west"], people["north"]
    eve_north = teams.put(programme, north, people["eve"])
    cat_north = teams.put(programme, north, people["cat"])
    base = f"/organise/programmes/{programme.id}/peer-challenge"
    # Swapping roles that differ, within one team, or into an excluded host is refused.
    page = signed_in.submit(
        f"{base}/swap", {"first": eve_north.id, "second": cat_north.id}, follow_redirects=True
    ).get_data(as_text=True)
    assert "Both are on the same team" in page
    ann_west = teams.put(programme, west, people["ann"])
    with pytest.raises(AdjustRefused, match="swap peers of the same role"):
        teams.swap(programme, ann_west, eve_north)
    teams.take_out(programme, eve_north)
    eve_west = teams.put(programme, west, people["eve"])
    dan_north = teams.put(programme, north, people["dan"])
    # Dan works at Westshire: he cannot take Eve's place there.
    with pytest.raises(AdjustRefused, match="Dan Officer is from Westshire Council itself"):
        teams.swap(programme, dan_north, eve_west)
    # Taking Eve (NHS) out of Westshire would leave Ann and Bob, both local government.
    teams.put(programme, west, people["bob"])
    with pytest.raises(AdjustRefused, match=r"Taking Eve Officer out: .* one sector only"):
        teams.take_out(programme, eve_west)
    response = signed_in.submit(f"{base}/places/{eve_west.id}/take-out", follow_redirects=True)
    assert "one sector only" in response.get_data(as_text=True)
    assert db.session.get(PeerPlace, eve_west.id) is not None
    response = signed_in.submit(f"{base}/places/{dan_north.id}/take-out", follow_redirects=True)
    assert "Dan Officer is off Northshire NHS Trust&#39;s team." in response.get_data(as_text=True)
    assert db.session.get(PeerPlace, dan_north.id) is None


def test_publishing_asks_first_then_tells_everyone_once(signed_in, people):
    programme = people["programme"]
    for where, who in (("west", "ann"), ("west", "eve"), ("north", "dan"), ("north", "cat")):
        teams.put(programme, people[where], people[who])
    url = f"/organise/programmes/{programme.id}/peer-challenge/publish"
    assert "Publish the teams of Peer challenge 2027?" in signed_in.get(url).get_data(as_text=True)
    assert signed_in.submit(url, {}).status_code == 400
    assert db.session.scalar(db.select(OutgoingMail)) is None
    assert signed_in.submit(url, {"confirm": "y"}).status_code == 302
    sent = list(db.session.scalars(db.select(OutgoingMail)))
    assert sorted(m.member_id for m in sent) == sorted(m.id for m in programme.members)
    assert {m.kind for m in sent} == {MailKind.PEER_CHALLENGE_TEAM.value}
    again = signed_in.submit(url, {"confirm": "y"}, follow_redirects=True)
    assert "The teams are published already." in again.get_data(as_text=True)
    assert db.session.scalar(db.select(db.func.count()).select_from(OutgoingMail)) == len(sent)
    # Built teams are never replaced once published (changes are by hand: see
    # test_peer_challenge_changes.py).
    with pytest.raises(JobError, match="published"):
        teams.start(programme, 5)
    # Each is told their team by name, organisation and role: nobody else's email.
    to_ann = team_message(people["ann"]).get_content()
    assert "Westshire Council, as chief executive peer" in to_ann
    assert "Eve Officer, Medway NHS: officer peer" in to_ann
    assert people["eve"].email not in to_ann
    to_bob = team_message(people["bob"]).get_content()
    assert "no team needed a member peer" in to_bob
    to_west = team_message(people["west"]).get_content()
    assert "Ann Chief, Eastshire Council: chief executive peer" in to_west
    assert people["ann"].email not in to_west
    page = signed_in.get(f"/peer-challenge/entry/{people['ann'].token}").get_data(as_text=True)
    assert "At <strong>Westshire Council</strong>, as chief executive peer" in page
    assert people["eve"].email not in page


def test_places_broken_by_a_later_change_are_shown_and_stop_publishing(signed_in, people):
    programme = people["programme"]
    teams.put(programme, people["north"], people["eve"])
    teams.put(programme, people["north"], people["cat"])
    cat = people["cat"]
    cat.peer_details.exclude = ["Northshire NHS Trust"]  # Cat now excludes Northshire
    db.session.commit()
    (broken,) = teams.review(programme).broken
    assert broken[1] == "Cat Member has asked not to review Northshire NHS Trust."
    page = signed_in.get(f"/organise/programmes/{programme.id}").get_data(as_text=True)
    assert "Cat Member has asked not to review Northshire NHS Trust." in page
    url = f"/organise/programmes/{programme.id}/peer-challenge/publish"
    response = signed_in.submit(url, {"confirm": "y"}, follow_redirects=True)
    assert "A team breaks a rule: Cat Member has asked not to review" in response.get_data(
        as_text=True
    )
    assert db.session.scalar(db.select(OutgoingMail)) is None


def test_adjusting_needs_the_csrf_token(signed_in, people):
    programme = people["programme"]
    place = teams.put(programme, people["north"], people["eve"])
    base = f"/organise/programmes/{programme.id}/peer-challenge"
    put = {"host": people["west"].id, "peer": people["ann"].id}
    assert signed_in.post(f"{base}/put", data=put).status_code == 400
    assert signed_in.post(f"{base}/places/{place.id}/take-out").status_code == 400
    assert signed_in.post(f"{base}/build", data={"time_limit": "5"}).status_code == 400
    assert signed_in.post(f"{base}/publish", data={"confirm": "y"}).status_code == 400
    assert db.session.scalar(db.select(db.func.count()).select_from(PeerPlace)) == 1
    assert programme.status != "published"


def test_a_swap_keeps_two_sectors_on_both_teams(people):
    programme, west, north = people["programme"], people["west"], people["north"]
    gil = add_peer(
        programme, "Gil Officer", "Northshire Borough Council", "Local government", "officer"
    )
    fay = add_peer(programme, "Fay Officer", "Kent Fire", "Fire and rescue", "officer")
    teams.put(programme, west, people["ann"])
    eve_west = teams.put(programme, west, people["eve"])
    teams.put(programme, north, people["cat"])
    gil_north = teams.put(programme, north, gil)
    # Gil (local government) would join Ann (local government) alone at Westshire.
    with pytest.raises(AdjustRefused, match="Westshire Council's team would have peers from one"):
        teams.swap(programme, eve_west, gil_north)
    assert (eve_west.peer_id, gil_north.peer_id) == (people["eve"].id, gil.id)
    teams.take_out(programme, gil_north)
    fay_north = teams.put(programme, north, fay)
    teams.swap(programme, eve_west, fay_north)  # Fay (fire) to Westshire, Eve (NHS) north
    db.session.refresh(eve_west)
    db.session.refresh(fay_north)
    assert (eve_west.host_id, eve_west.peer_id) == (west.id, fay.id)
    assert (fay_north.host_id, fay_north.peer_id) == (north.id, people["eve"].id)
