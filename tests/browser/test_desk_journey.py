"""Journey: the registration desk on the morning, on a phone and on a laptop. A badge's check-in
code opens one person's entry (after signing in); people are found by typing part of a name
(no Enter needed), checked in with one tap or Enter, and undone in place, with focus back in the
search; a walk-in is registered, checked in and seated. Every page checked with axe."""

from __future__ import annotations

import pytest

from app.extensions import db
from app.models import (
    Assignment,
    Event,
    Plan,
    PlanKind,
    PlanStatus,
    Registration,
    SessionKind,
)
from app.models.types import utcnow
from app.services.registration import check_in_codes
from tests.app.planning_helpers import add_attendees
from tests.browser.conftest import ORGANISER_EMAIL, ORGANISER_PASSWORD
from tests.browser.harness import MouseUser

NAMES = ["Amara Okafor", "Chidi Pemberton", "Zoë Nguyễn"]


@pytest.fixture
def seated_day(live_app, learning_day, server) -> dict[str, str]:
    """Twelve attendees seated in published plans; returns the names' check-in code addresses
    (made once the server's PUBLIC_URL is known)."""
    with live_app.app_context():
        event = db.session.scalar(db.select(Event).where(Event.slug == learning_day))
        people = add_attendees(event, 12)
        for person, name in zip(people, NAMES, strict=False):
            person.name = name
        tables = Plan(event=event, kind=PlanKind.TABLES, status=PlanStatus.PUBLISHED, metrics={})
        breakouts = Plan(
            event=event, kind=PlanKind.BREAKOUTS, status=PlanStatus.PUBLISHED, metrics={}
        )
        tables.published_at = breakouts.published_at = utcnow()
        for r, session in enumerate(event.sessions_of(SessionKind.TABLE_ROUND)):
            for i, person in enumerate(people):
                table = event.tables[(i + r) % 5]
                tables.assignments.append(
                    Assignment(registration=person, session=session, table=table)
                )
        [slot] = event.sessions_of(SessionKind.BREAKOUT_SLOT)
        for i, person in enumerate(people):
            breakouts.assignments.append(
                Assignment(registration=person, session=slot, breakout=slot.breakouts[i % 2])
            )
        db.session.add_all([tables, breakouts])
        db.session.commit()
        codes = {p.name: check_in_codes.desk_entry_url(p) for p in people[:3]}
        db.session.remove()
    return codes


def checked_in(live_app, name: str) -> bool:
    with live_app.app_context():
        person = db.session.scalar(db.select(Registration).where(Registration.name == name))
        result = person.checked_in_at is not None
        db.session.remove()
    return result


def test_checking_people_in_at_the_desk_on_a_phone_and_a_laptop(journey, live_app, seated_day):
    page = journey.page
    user = MouseUser(journey)
    search_focused = "() => document.activeElement && document.activeElement.id === 'desk-q'"

    # On a phone: the camera opens Amara's check-in code; sign in first, then her entry.
    page.set_viewport_size({"width": 390, "height": 844})
    journey.goto(seated_day["Amara Okafor"].removeprefix(journey.server.url))
    assert journey.path.startswith("/login")
    user.fill(page.get_by_label("Email", exact=True), ORGANISER_EMAIL)
    user.fill(page.get_by_label("Password"), ORGANISER_PASSWORD)
    user.press(page.get_by_role("button", name="Sign in"))
    assert page.get_by_role("status").filter(has_text="Scanned code: Amara Okafor.").is_visible()
    people = page.locator(".desk-person:visible")
    assert people.count() == 1
    assert people.first.get_by_text("Round one: Table 1").is_visible()
    assert people.first.get_by_text("Afternoon breakouts:").is_visible()
    button = page.get_by_role("button", name="Check in Amara Okafor")
    assert button.is_visible() and button.evaluate("el => el === document.activeElement")
    assert button.evaluate("el => el.getBoundingClientRect().right <= innerWidth")
    journey.assert_reflows(390)
    button.click()
    page.get_by_role("status").filter(has_text="Checked in Amara Okafor.").wait_for()
    page.get_by_text("1 of 12 people checked in.").wait_for()
    assert checked_in(live_app, "Amara Okafor")
    # Undo in place.
    page.get_by_role("button", name="Undo the check-in of Amara Okafor").click()
    page.get_by_role("button", name="Check in Amara Okafor").wait_for()
    page.get_by_text("0 of 12 people checked in.").wait_for()
    assert page.evaluate(search_focused)
    assert not checked_in(live_app, "Amara Okafor")

    # Everyone: typing narrows the list at once (no Enter); Enter checks in the one left.
    user.follow(page.get_by_role("link", name="Show everyone"))
    assert page.evaluate(search_focused)  # the search has focus on arrival
    assert page.locator(".desk-person:visible").count() == 12
    page.keyboard.type("zoe ng")
    assert page.locator(".desk-person:visible").count() == 1
    zoe = page.get_by_role("button", name="Check in Zoë Nguyễn")
    assert zoe.is_visible()
    assert zoe.evaluate("el => el.getBoundingClientRect().right <= innerWidth")
    journey.assert_reflows(390)
    page.keyboard.press("Enter")
    page.get_by_role("status").filter(has_text="Checked in Zoë Nguyễn.").wait_for()
    assert page.evaluate(search_focused)
    assert checked_in(live_app, "Zoë Nguyễn")
    journey.screenshot("Desk after checking in by typing at 390px")

    # On a laptop: type over the selected text, tap Check in, and focus is back in the search.
    page.set_viewport_size({"width": 1280, "height": 900})
    page.keyboard.type("eastvale")  # by organisation: Chidi's, and one other person's
    assert page.locator(".desk-person:visible").count() == 2
    chidi = page.get_by_role("button", name="Check in Chidi Pemberton")
    chidi.click()
    page.get_by_role("status").filter(has_text="Checked in Chidi Pemberton.").wait_for()
    assert page.evaluate(search_focused)
    page.get_by_text("2 of 12 people checked in.").wait_for()
    journey.screenshot("Desk after checking in at 1280px")

    # A walk-in, registered, checked in and seated where there is room.
    user.follow(page.get_by_role("link", name="Register a walk-in"))
    user.fill(page.get_by_label("Full name"), "Wanda Walker")
    user.fill(page.get_by_label("Email", exact=True), "wanda@example.org")
    user.fill(page.get_by_label("Organisation", exact=True), "Riverside Housing")
    user.select(page.get_by_label("Sector of their organisation"), "Housing")
    user.fill(page.get_by_label("Profession"), "Housing officer")
    user.check(page.get_by_label("They agree"))
    user.press(page.get_by_role("button", name="Register and check in"))
    said = page.get_by_role("status").filter(has_text="Registered and checked in Wanda Walker.")
    assert said.is_visible()
    assert "Placed at Round one: Table" in said.inner_text()
    assert page.get_by_role("button", name="Undo the check-in of Wanda Walker").is_visible()
    assert checked_in(live_app, "Wanda Walker")
    page.set_viewport_size({"width": 390, "height": 844})
    journey.assert_reflows(390)
