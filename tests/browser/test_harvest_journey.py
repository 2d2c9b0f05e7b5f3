"""Journey: a table scans its round's code on a phone and writes a card naming a colleague; the
organiser replaces the name, approves the card, files it under a theme and publishes the
briefing, which anyone can then read, with no name in it. Every page checked with axe."""

from __future__ import annotations

import pytest

from app.extensions import db
from app.models import Event, Registration, RegistrationStatus, SessionKind
from app.services.harvest import capture
from app.services.tokens import new_token
from tests.browser.steps import sign_in


@pytest.fixture
def capture_address(live_app, learning_day) -> str:
    """Round one, table 2's capture page (what its table tent's QR code holds), and a
    registrant the table will name."""
    with live_app.app_context():
        event = db.session.scalar(db.select(Event).where(Event.slug == learning_day))
        db.session.add(
            Registration(
                event=event,
                token=new_token(),
                name="Priya Shah",
                email="priya@example.org",
                consent=True,
                status=RegistrationStatus.CONFIRMED,
            )
        )
        db.session.commit()
        round_one = event.sessions_of(SessionKind.TABLE_ROUND)[0]
        point = next(
            p
            for p in capture.capture_points(event)
            if p.session_id == round_one.id and p.table and p.table.number == 2
        )
        address = f"/t/{point.token}"
        db.session.remove()
    return address


def test_from_a_table_card_to_a_published_briefing(user, journey, capture_address):
    page = journey.page
    page.set_viewport_size({"width": 390, "height": 844})
    journey.goto(capture_address)
    assert page.get_by_role("heading", name="Table 2: what did you learn?").is_visible()
    journey.assert_reflows(390)
    user.fill(page.get_by_label("What did not work?"), "Priya Shah's referral form got lost twice.")
    user.fill(page.get_by_label("Now what? What will you do differently?"), "One shared form.")
    user.fill(page.get_by_label("Topics"), "referrals")
    user.press(page.get_by_role("button", name="Send card"))
    assert page.get_by_role("status").filter(has_text="Card saved").is_visible()
    journey.assert_reflows(390)

    page.set_viewport_size({"width": 1280, "height": 900})
    sign_in(user, journey)
    user.follow(page.get_by_role("link", name="Learning Day"))
    user.follow(page.get_by_role("link", name="Harvest"))
    assert page.get_by_text("This card mentions a name").is_visible()
    user.press(page.get_by_role("button", name="Replace all 1 mention"))
    assert page.get_by_text("[a colleague]'s referral form").is_visible()
    user.press(page.get_by_role("button", name="Approve"))
    assert page.get_by_role("status").filter(has_text="Card approved").is_visible()

    user.fill(page.get_by_label("New theme"), "Referrals")
    user.press(page.get_by_role("button", name="Add theme"))
    user.select(page.get_by_label("Theme", exact=True), "Referrals")
    user.press(page.get_by_role("button", name="File under theme"))
    assert page.get_by_text("1 card from 1 table in 1 round").is_visible()
    assert page.get_by_text("Fewer than 3 tables").is_visible()

    user.follow(page.get_by_role("link", name="Briefing"))
    user.press(page.get_by_role("button", name="Approve"))
    user.check(page.get_by_label("Anyone with the address may read it"))
    user.press(page.get_by_role("button", name="Publish"))
    assert page.get_by_role("status").filter(has_text="Briefing published").is_visible()
    user.follow(page.get_by_role("link", name="Public page"))
    assert page.get_by_role("heading", name="What we learned: Learning Day").is_visible()
    assert page.get_by_text("referral form got lost twice").first.is_visible()
    assert "Priya" not in page.content()
