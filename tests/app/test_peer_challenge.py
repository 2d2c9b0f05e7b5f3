"""Peers and hosts of peer-challenge rounds: joining through a side's link, one's own page, the
organisers' CSV import, edits and removals, and who may see what."""

from __future__ import annotations

import re
from io import BytesIO

from app.extensions import db
from app.models import MailKind, Member, OutgoingMail, User
from tests.app.peer_challenge_helpers import add_host, add_peer, join_path, make_round
from tests.conftest import PASSWORD

PEER = {
    "name": "Priya Peer",
    "email": "Priya@Example.org",
    "organisation": "Eastshire County Council",
    "sector": "Local government",
    "role": "member",
    "topics": "finance; place leadership",
    "capacity": "2",
    "exclude": "Westshire Council; Northshire Council",
    "group": "Independent",
}
HOST = {
    "name": "Harriet Host",
    "email": "harriet@westshire.example",
    "organisation": "Westshire Council",
    "sector": "Local government",
    "topics": "finance; housing",
    "slots_chief_executive": "1",
    "slots_member": "1",
    "slots_officer": "2",
    "slots_sector_peer": "0",
    "slots_lived_experience": "0",
    "slots_manager": "1",
}


def mail_to(member: Member, kind: MailKind) -> list[OutgoingMail]:
    return list(
        db.session.scalars(
            db.select(OutgoingMail).where(
                OutgoingMail.member_id == member.id, OutgoingMail.kind == kind.value
            )
        )
    )


def test_a_peer_joins_through_the_link_and_gets_their_private_page(client, organiser):
    programme = make_round(organiser)
    response = client.submit(join_path(programme, "peer"), PEER)
    assert response.status_code == 302
    member = db.session.scalar(db.select(Member))
    assert response.headers["Location"] == f"/peer-challenge/entry/{member.token}"
    assert member.email == "priya@example.org" and member.capacity == 2
    assert member.topics == ["finance", "place leadership"]
    details = member.peer_details
    assert details.role == "member" and details.political_group == "Independent"
    assert details.exclude == ["Westshire Council", "Northshire Council"]
    assert member.organisation.name == "Eastshire County Council"
    assert len(mail_to(member, MailKind.PEER_CHALLENGE_JOINED)) == 1
    page = client.get(response.headers["Location"]).get_data(as_text=True)
    assert "Your entry in Peer challenge 2027" in page and 'value="Priya Peer"' in page


def test_only_member_peers_keep_a_political_group(client, organiser):
    programme = make_round(organiser)
    client.submit(join_path(programme, "peer"), {**PEER, "role": "officer"})
    assert db.session.scalar(db.select(Member)).peer_details.political_group == ""


def test_a_host_joins_with_its_slots_and_themes(client, organiser):
    programme = make_round(organiser)
    response = client.submit(join_path(programme, "host"), HOST)
    assert response.status_code == 302
    host = db.session.scalar(db.select(Member))
    assert host.side == "host" and host.name == "Harriet Host"
    assert host.host_details.slots == {
        "chief-executive": 1,
        "member": 1,
        "officer": 2,
        "manager": 1,
    }
    assert host.topics == ["finance", "housing"]


def test_the_peer_form_shows_errors_and_keeps_what_was_typed(client, organiser):
    programme = make_round(organiser)
    response = client.submit(
        join_path(programme, "peer"),
        {
            **PEER,
            "name": "",
            "email": "not-an-address",
            "organisation": "Brand New Trust",
            "sector": "",
            "role": "",
            "capacity": "0",
            "topics": "",
        },
    )
    page = response.get_data(as_text=True)
    assert response.status_code == 400
    assert "Enter the name." in page
    assert "Enter a valid email address" in page
    assert "“Brand New Trust” is new to us: give its sector." in page
    assert "Choose your role in a team." in page
    assert "Give a number from 1 to 10." in page
    assert "Give at least one skill" in page
    assert 'value="not-an-address"' in page and "Westshire Council; Northshire Council" in page
    assert db.session.scalar(db.select(Member)) is None


def test_a_host_asking_for_fewer_than_two_peers_is_told_why(client, organiser):
    programme = make_round(organiser)
    slots = {k: "0" for k in HOST if k.startswith("slots_")}
    response = client.submit(
        join_path(programme, "host"), {**HOST, **slots, "slots_officer": "1", "slots_member": "x"}
    )
    page = response.get_data(as_text=True)
    assert response.status_code == 400
    assert "Give a whole number." in page
    response = client.submit(join_path(programme, "host"), {**HOST, **slots, "slots_officer": "1"})
    page = response.get_data(as_text=True)
    assert response.status_code == 400
    assert "Ask for two peers at least: a team needs two sectors." in page
    assert 'value="1"' in page
    assert db.session.scalar(db.select(Member)) is None


def test_joining_twice_sends_the_link_again_and_changes_nothing(client, organiser):
    programme = make_round(organiser)
    client.submit(join_path(programme, "peer"), PEER)
    response = client.submit(join_path(programme, "peer"), {**PEER, "name": "Someone Else"})
    assert "Check your email" in response.get_data(as_text=True)
    (member,) = db.session.scalars(db.select(Member)).all()
    assert member.name == "Priya Peer"
    assert len(mail_to(member, MailKind.PEER_CHALLENGE_JOINED)) == 2


def test_a_peer_changes_their_entry_and_withdraws_after_being_asked(client, organiser):
    programme = make_round(organiser)
    client.submit(join_path(programme, "peer"), PEER)
    member = db.session.scalar(db.select(Member))
    url = f"/peer-challenge/entry/{member.token}"
    assert client.submit(url, {**PEER, "role": "officer", "capacity": "3"}).status_code == 302
    db.session.refresh(member)
    assert member.peer_details.role == "officer" and member.capacity == 3
    bad = client.submit(url, {**PEER, "capacity": "eleven"})
    assert bad.status_code == 400 and "Give a whole number." in bad.get_data(as_text=True)
    assert "Withdraw from Peer challenge 2027?" in client.get(f"{url}/withdraw").get_data(
        as_text=True
    )
    assert db.session.scalar(db.select(Member)) is not None
    assert "You have withdrawn" in client.submit(f"{url}/withdraw").get_data(as_text=True)
    assert db.session.scalar(db.select(Member)) is None
    assert client.get(url).status_code == 404


def test_forms_need_their_csrf_token(client, organiser):
    programme = make_round(organiser)
    assert client.post(join_path(programme, "peer"), data=PEER).status_code == 400
    assert db.session.scalar(db.select(Member)) is None


def test_unknown_links_open_nothing(client, organiser):
    make_round(organiser)
    assert client.get("/peer-challenge/join/nothing-here").status_code == 404
    assert client.get("/peer-challenge/entry/nothing-here").status_code == 404


PEERS_CSV = (
    "id,name,email,organisation,sector,role,skills,capacity,exclude,group\n"
    "p1,Ann Chief,ann@example.org,Eastshire Council,Local government,chief-executive,"
    "finance;housing,2,Westshire Council,\n"
    "p2,Bob Member,bob@example.org,Kent Police,Police and justice,member,finance,1,,Labour\n"
)
HOSTS_CSV = (
    "id,organisation,email,sector,slots,themes,contact\n"
    "h1,Westshire Council,west@example.org,Local government,chief-executive:1;member:1,"
    "finance,Wendy West\n"
)


def upload(signed_in, programme, peers: str | None, hosts: str | None):
    data = {}
    if peers is not None:
        data["peers"] = (BytesIO(peers.encode()), "PEERS.csv")
    if hosts is not None:
        data["hosts"] = (BytesIO(hosts.encode()), "HOSTS.csv")
    url = f"/organise/programmes/{programme.id}/peer-challenge/import"
    return signed_in.submit(url, data, content_type="multipart/form-data")


def test_the_import_reads_the_command_lines_files(signed_in, organiser):
    programme = make_round(organiser)
    response = upload(signed_in, programme, PEERS_CSV, HOSTS_CSV)
    assert response.status_code == 302
    found = {m.name: m for m in db.session.scalars(db.select(Member))}
    assert set(found) == {"Ann Chief", "Bob Member", "Wendy West"}
    ann, bob, west = found["Ann Chief"], found["Bob Member"], found["Wendy West"]
    assert ann.capacity == 2 and ann.topics == ["finance", "housing"]
    assert ann.peer_details.role == "chief-executive"
    assert ann.peer_details.exclude == ["Westshire Council"]
    assert bob.peer_details.political_group == "Labour"
    assert west.host_details.slots == {"chief-executive": 1, "member": 1}
    assert west.organisation.name == "Westshire Council"
    assert all(len(mail_to(m, MailKind.PEER_CHALLENGE_JOINED)) == 1 for m in found.values())
    page = signed_in.get(f"/organise/programmes/{programme.id}").get_data(as_text=True)
    assert "2 peers" in page and "1 host" in page and "ann@example.org" in page


def test_a_bad_row_is_named_and_nothing_is_imported(signed_in, organiser):
    programme = make_round(organiser)
    bad_role = PEERS_CSV.replace(",member,", ",councillor,")
    page = upload(signed_in, programme, bad_role, HOSTS_CSV).get_data(as_text=True)
    assert "PEERS.csv: row 3 role must be one of" in page and "councillor" in page
    assert db.session.scalar(db.select(Member)) is None
    no_email = PEERS_CSV.replace("bob@example.org", "")
    response = upload(signed_in, programme, no_email, HOSTS_CSV)
    assert response.status_code == 400
    assert "PEERS.csv row 3: email: Enter the email address." in response.get_data(as_text=True)
    assert db.session.scalar(db.select(Member)) is None
    twice = PEERS_CSV.replace("bob@example.org", "ann@example.org")
    page = upload(signed_in, programme, twice, HOSTS_CSV).get_data(as_text=True)
    assert "PEERS.csv row 3: ann@example.org is already a peer of this round." in page
    assert db.session.scalar(db.select(Member)) is None
    one_slot = HOSTS_CSV.replace("chief-executive:1;member:1", "member:1")
    page = upload(signed_in, programme, PEERS_CSV, one_slot).get_data(as_text=True)
    assert "HOSTS.csv row 2: slots: Ask for two peers at least" in page
    assert db.session.scalar(db.select(Member)) is None


def test_organisers_edit_and_remove_peers_and_hosts(signed_in, organiser):
    programme = make_round(organiser)
    peer = add_peer(programme, "Ann Chief", "Eastshire Council", "Local government", "officer")
    host = add_host(programme, "Westshire Council", "Local government", {"officer": 2})
    base = f"/organise/programmes/{programme.id}/peer-challenge"
    response = signed_in.submit(
        f"{base}/{peer.id}",
        {**PEER, "name": "Ann Chief-Smith", "email": peer.email, "role": "chief-executive"},
    )
    assert response.status_code == 302
    db.session.refresh(peer)
    assert peer.name == "Ann Chief-Smith" and peer.peer_details.role == "chief-executive"
    page = signed_in.get(f"{base}/{host.id}").get_data(as_text=True)
    assert re.search(r'name="slots_officer"[^>]* value="2"', page)  # the form shows its slots
    response = signed_in.submit(f"{base}/{host.id}", {**HOST, "slots_officer": "3"})
    assert response.status_code == 302
    db.session.refresh(host)
    assert host.host_details.slots["officer"] == 3
    assert "Remove Ann Chief-Smith?" in signed_in.get(f"{base}/{peer.id}/remove").get_data(
        as_text=True
    )
    signed_in.submit(f"{base}/{peer.id}/remove")
    assert db.session.get(Member, peer.id) is None


def test_round_pages_are_only_for_its_organisers(signed_in, organiser):
    other = User(email="other@example.org", name="Other")
    other.set_password(PASSWORD)
    db.session.add(other)
    db.session.commit()
    programme = make_round(other)
    peer = add_peer(programme, "Ann Chief", "Eastshire Council", "Local government", "officer")
    base = f"/organise/programmes/{programme.id}"
    assert signed_in.get(base).status_code == 404
    assert signed_in.get(f"{base}/peer-challenge/{peer.id}").status_code == 404
    assert signed_in.get(f"{base}/peer-challenge/import").status_code == 404
    assert signed_in.get(f"{base}/peer-challenge/publish").status_code == 404


def test_round_pages_need_a_sign_in(client, organiser):
    programme = make_round(organiser)
    base = f"/organise/programmes/{programme.id}"
    for path in (base, f"{base}/peer-challenge/import", f"{base}/peer-challenge/publish"):
        response = client.get(path)
        assert response.status_code == 302 and "/login" in response.headers["Location"]


def test_nobody_but_the_organisers_sees_an_email(client, organiser):
    programme = make_round(organiser)
    peer = add_peer(programme, "Ann Chief", "Eastshire Council", "Local government", "officer")
    host = add_host(programme, "Westshire Council", "Local government", {"officer": 2})
    for path in (
        join_path(programme, "peer"),
        join_path(programme, "host"),
        f"/peer-challenge/entry/{host.token}",
    ):
        page = client.get(path).get_data(as_text=True)
        assert peer.email not in page
    assert host.email not in client.get(f"/peer-challenge/entry/{peer.token}").get_data(
        as_text=True
    )


def test_a_peer_sees_the_hosts_published_profile_to_choose_whom_not_to_review(client, organiser):
    programme = make_round(organiser)
    west = add_host(
        programme, "Westshire Council", "Local government", {"officer": 2}, ("housing",)
    )
    page = client.get(join_path(programme, "peer")).get_data(as_text=True)
    assert "The organisations to be reviewed so far (1)" in page
    assert "Westshire Council" in page and "housing" in page
    assert west.name not in page and west.email not in page  # the contact stays private
    assert "to be reviewed so far" not in client.get(join_path(programme, "host")).get_data(
        as_text=True
    )
    eve = add_peer(programme, "Eve Officer", "Medway NHS", "NHS and health", "officer")
    own = client.get(f"/peer-challenge/entry/{eve.token}").get_data(as_text=True)
    assert "Westshire Council" in own and west.email not in own
