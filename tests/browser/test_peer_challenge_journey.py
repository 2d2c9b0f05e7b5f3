"""Journey: an organiser makes a peer-challenge round; a host and a peer join through the round's
links (the peer's form first sent with a mistake, shown and kept); four more peers are already
there; the organiser builds the teams, watches the job finish, reviews the team and its figures
beside their bounds, is refused a put that breaks a rule, dates the challenge from its first day
on site, and publishes after being asked: everyone is emailed their team. Every page checked with
axe (with the mouse: the forms are the app's usual ones)."""

from __future__ import annotations

import time

import pytest

from app.extensions import db
from app.models import Member, Programme
from app.services.messaging.transport import outbox_messages
from tests.app.peer_challenge_helpers import add_peer
from tests.browser.harness import MouseUser
from tests.browser.steps import sign_in


def team_mail(folder, count: int, within: float = 10.0) -> dict[str, str]:
    """{recipient: body} of the team messages, once `count` have arrived."""
    deadline = time.monotonic() + within
    while True:
        found = {
            m["To"]: m.get_body(("plain",)).get_content()
            for m in outbox_messages(folder)
            if m["Subject"].startswith("Your peer-challenge team")
        }
        if len(found) >= count:
            return found
        assert time.monotonic() < deadline, f"{len(found)} team messages arrived"
        time.sleep(0.05)


def fill_entry(user, page, who: tuple[str, str], where: tuple[str, str, str]) -> None:
    """Name and email, then the organisation (under its label) and its sector."""
    name_label, name = who
    organisation_label, organisation, sector = where
    user.fill(page.get_by_label(name_label, exact=True), name)
    user.fill(page.get_by_label("Email", exact=True), email_of(name))
    user.fill(page.get_by_label(organisation_label, exact=True), organisation)
    user.select(page.get_by_label("Sector of the organisation"), sector)


def email_of(name: str) -> str:
    return f"{name.split()[0].lower()}@example.org"


@pytest.mark.slow
def test_a_peer_challenge_round_from_joining_to_published_teams(journey, live_app):
    page, user = journey.page, MouseUser(journey)
    sign_in(user, journey)
    user.follow(page.get_by_role("link", name="Programmes"))
    user.check(page.get_by_label("Peer-challenge round:"))
    user.fill(page.get_by_label("Name"), "Peer challenge 2027")
    user.press(page.get_by_role("button", name="Make the programme"))
    round_path = journey.path
    links = {
        side: page.get_by_label(f"Join link for {side}")
        .input_value()
        .removeprefix(journey.server.url)
        for side in ("peers", "hosts")
    }

    journey.goto(links["hosts"])
    fill_entry(
        user,
        page,
        ("Contact's full name", "Harriet Host"),
        ("Organisation to be reviewed", "Westshire Council", "Local government"),
    )
    user.fill(page.get_by_label("Themes the challenge should look at"), "finance; housing")
    user.fill(page.get_by_label("Chief executive peers"), "1")
    user.fill(page.get_by_label("Member peers"), "1")
    user.fill(page.get_by_label("Officer peers"), "1")
    user.press(page.get_by_role("button", name="Join"))
    assert page.get_by_role("heading", name="Your entry in Peer challenge 2027").is_visible()

    journey.goto(links["peers"])
    fill_entry(
        user,
        page,
        ("Full name", "Priya Peer"),
        ("Organisation", "Medway NHS", "NHS and health"),
    )
    user.select(page.get_by_label("Your role in a team"), "Officer peer")
    user.fill(page.get_by_label("Your skills"), "finance; housing")
    user.fill(page.get_by_label("How many challenges"), "none")
    user.press(page.get_by_role("button", name="Join"))
    assert page.get_by_text("Give a whole number.").first.is_visible()
    assert page.get_by_label("Your skills").input_value() == "finance; housing"
    user.fill(page.get_by_label("How many challenges"), "1")
    user.press(page.get_by_role("button", name="Join"))
    assert page.get_by_role("heading", name="Your entry in Peer challenge 2027").is_visible()

    with live_app.app_context():
        programme = db.session.scalar(db.select(Programme))
        add_peer(programme, "Ann Chief", "Eastshire Council", "Local government", "chief-executive")
        add_peer(programme, "Bob Member", "Kent Police", "Police and justice", "member")
        add_peer(programme, "Dan Officer", "Westshire Council", "Local government", "officer")
        db.session.remove()

    journey.goto(round_path)
    user.fill(page.get_by_label("Time to spend building the teams (seconds)"), "5")
    user.press(page.get_by_role("button", name="Build the teams"))
    review = page.get_by_role("link", name="Review the teams")
    review.wait_for(timeout=30_000)  # the progress page reloads itself when building ends
    journey.arrived()
    user.follow(review)
    team = page.locator("table.team")
    for name in ("Ann Chief", "Bob Member", "Priya Peer"):
        assert team.locator("tr", has_text=name).count() == 1
    figures = page.locator("table.figures")
    assert figures.locator("tr", has_text="3 of 3 slots filled").count() == 1
    assert figures.get_by_text("3 is the most possible with these peers").is_visible()

    user.select(
        page.get_by_label("Put", exact=True),
        "Dan Officer (officer peer, Westshire Council; on 0 of 1)",
    )
    user.press(page.get_by_role("button", name="Put on the team"))
    assert page.get_by_text("Dan Officer is from Westshire Council itself").is_visible()

    user.follow(page.get_by_role("link", name="Dates"))
    user.fill(page.get_by_label("First day on site, to date every step from"), "2027-06-14")
    user.press(page.get_by_role("button", name="Date every step from it"))
    journey.goto(round_path)
    assert page.locator("table.timeline").get_by_text("Friday 14 April 2028").is_visible()

    user.follow(page.get_by_role("link", name="Publish the teams…"))
    user.check(page.get_by_label("Yes: tell every peer and host their team now"))
    user.press(page.get_by_role("button", name="Publish and tell everyone"))
    published = "The teams are published: 5 peers and hosts are being told."
    assert page.get_by_role("status").filter(has_text=published).is_visible()

    mail = team_mail(live_app.config["MAIL_OUTBOX_DIR"], 5)
    assert "Westshire Council, as officer peer" in mail["priya@example.org"]
    assert "Ann Chief, Eastshire Council: chief executive peer" in mail["harriet@example.org"]
    assert "priya@example.org" not in mail["harriet@example.org"]
    assert "no team needed a officer peer" not in mail["dan@example.org"]
    assert "this time no team needed an officer peer you could join" in mail["dan@example.org"]
    with live_app.app_context():
        assert db.session.scalar(db.select(db.func.count()).select_from(Member)) == 5
        db.session.remove()
