"""Journey: an organiser makes a mentoring scheme; two mentors and two mentees join through the
scheme's links (one mentee ranks a mentor first, the other rules one out); the organiser runs
the matching, watches it finish, reviews the figures beside their bound and publishes; everyone
is emailed their match. Every page checked with axe (with the mouse: the forms are the app's
usual ones)."""

from __future__ import annotations

import time

import pytest

from app.extensions import db
from app.models import MailKind, OutgoingMail
from app.services.messaging.transport import outbox_messages
from tests.browser.harness import MouseUser
from tests.browser.steps import sign_in

MENTORS = [
    ("Ann Achebe", "ann@example.org", "Kent Police", "Police and justice", "housing; data"),
    ("Bob Brennan", "bob@example.org", "Medway Council", "Local government", "leadership"),
]
MENTEES = [
    ("Cat Cole", "cat@example.org", "Medway NHS", "NHS and health", "leadership"),
    ("Dan Dube", "dan@example.org", "Essex Fire", "Fire and rescue", "housing"),
]


def join(user, journey, path: str, person: tuple[str, ...], topics_label: str, **extra) -> None:
    """Join through a side's link; `extra`: the capacity, and preferences {name: choice}."""
    page = journey.page
    name, email, organisation, sector, topics = person
    journey.goto(path)
    user.fill(page.get_by_label("Full name"), name)
    user.fill(page.get_by_label("Email", exact=True), email)
    user.fill(page.get_by_label("Organisation", exact=True), organisation)
    user.select(page.get_by_label("Sector of your organisation"), sector)
    user.fill(page.get_by_label("Profession", exact=True), "Officer")
    user.fill(page.get_by_label(topics_label), topics)
    if "capacity" in extra:
        user.fill(page.get_by_label("Mentees you can take"), extra["capacity"])
    for other, choice in extra.get("choices", {}).items():
        user.select(page.get_by_label(f"Your preference for {other}"), choice)
    user.press(page.get_by_role("button", name="Join"))
    assert page.get_by_role("heading", name="Your entry in Mentoring 2027").is_visible()
    assert page.get_by_role("status").filter(has_text="You have joined").is_visible()


def match_mail(folder, count: int, within: float = 10.0) -> dict[str, str]:
    """{recipient: body} of the "Your match" messages, once `count` have arrived."""
    deadline = time.monotonic() + within
    while True:
        found = {
            m["To"]: m.get_body(("plain",)).get_content()
            for m in outbox_messages(folder)
            if m["Subject"].startswith("Your match")
        }
        if len(found) >= count:
            return found
        assert time.monotonic() < deadline, f"{len(found)} match messages arrived"
        time.sleep(0.05)


@pytest.mark.slow
def test_a_mentoring_scheme_from_joining_to_published_matches(journey, live_app):
    page, user = journey.page, MouseUser(journey)
    sign_in(user, journey)
    user.follow(page.get_by_role("link", name="Programmes"))
    user.check(page.get_by_label("Mentoring scheme:"))
    user.fill(page.get_by_label("Name"), "Mentoring 2027")
    user.fill(page.get_by_label("Description"), "Leaders mentoring across sectors.")
    user.press(page.get_by_role("button", name="Make the programme"))
    programme_path = journey.path
    links = {
        side: page.get_by_label(f"Join link for {side}")
        .input_value()
        .removeprefix(journey.server.url)
        for side in ("mentors", "mentees")
    }

    join(user, journey, links["mentors"], MENTORS[0], "Topics you can mentor on", capacity="1")
    join(user, journey, links["mentors"], MENTORS[1], "Topics you can mentor on", capacity="1")
    journey.goto(links["mentees"])
    # On a phone the mentors' profiles scroll within their table: the form keeps the screen's
    # width (a fieldset grows to its widest content unless told not to).
    page.set_viewport_size({"width": 390, "height": 844})
    assert page.evaluate("document.documentElement.scrollWidth") <= 390
    page.set_viewport_size({"width": 1280, "height": 900})
    ann = page.locator("table.profiles tr", has_text="Ann Achebe").inner_text()
    assert "Kent Police" in ann and "Police and justice" in ann and "housing; data" in ann
    assert "ann@example.org" not in page.content() and "bob@example.org" not in page.content()
    join(
        user,
        journey,
        links["mentees"],
        MENTEES[0],
        "Topics you want to learn about",
        choices={"Bob Brennan": "First choice"},
    )
    join(
        user,
        journey,
        links["mentees"],
        MENTEES[1],
        "Topics you want to learn about",
        choices={"Ann Achebe": "Not acceptable: never match us"},
    )

    journey.goto(programme_path)
    assert page.get_by_role("heading", name="2 mentors").is_visible()
    user.fill(page.get_by_label("Time to spend matching (seconds)"), "5")
    user.press(page.get_by_role("button", name="Match", exact=True))
    review = page.get_by_role("link", name="Review the matches")
    review.wait_for(timeout=30_000)  # the progress page reloads itself when matching ends
    journey.arrived()
    user.follow(review)
    figures = page.locator("#matches")
    assert figures.get_by_text("2 of 2 mentees have a mentor; 2 is the most possible.").is_visible()
    pairs = page.locator("table.pairs")
    assert pairs.locator("tr", has_text="Ann Achebe").filter(has_text="Cat Cole").count() == 1
    assert pairs.locator("tr", has_text="Bob Brennan").filter(has_text="Dan Dube").count() == 1

    user.follow(page.get_by_role("link", name="Publish the matches…"))
    assert page.get_by_text("All 4 people in the programme will be emailed now").is_visible()
    user.press(page.get_by_role("button", name="Yes, publish and tell everyone"))
    assert (
        page.get_by_role("status")
        .filter(has_text="The matches are published: 4 people are being told theirs.")
        .is_visible()
    )

    mail = match_mail(live_app.config["MAIL_OUTBOX_DIR"], 4)
    assert "Ann Achebe, Kent Police (ann@example.org)" in mail["cat@example.org"]
    assert "Cat Cole, Medway NHS (cat@example.org)" in mail["ann@example.org"]
    assert "Bob Brennan, Medway Council (bob@example.org)" in mail["dan@example.org"]
    with live_app.app_context():
        kinds = db.session.scalars(db.select(OutgoingMail.kind)).all()
        assert kinds.count(MailKind.MENTORING_MATCH.value) == 4
        assert kinds.count(MailKind.PROGRAMME_JOINED.value) == 4
        db.session.remove()
