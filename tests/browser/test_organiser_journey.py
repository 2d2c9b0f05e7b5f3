"""Journey 1: an organiser signs in, sets up a co-convened event (three table rounds and a slot of
breakouts), adds tables and publishes it — in a real browser, with the keyboard alone, every
page checked with axe."""

from __future__ import annotations

from datetime import datetime, timedelta

import pytest
from sqlalchemy import select

from app.extensions import db
from app.models import Event, EventStatus, Organisation, SessionKind
from tests.browser.steps import sign_in


def event_day(days: int = 45) -> datetime:
    day = datetime.now() + timedelta(days=days)
    return day.replace(hour=0, minute=0, second=0, microsecond=0)


@pytest.fixture
def council(live_app):
    """An organisation already known to Convene, to pick from the list of convenors."""
    with live_app.app_context():
        db.session.add(Organisation(name="Riverside City Council", sector="Local government"))
        db.session.commit()
        db.session.remove()


def test_organiser_sets_up_and_publishes_a_co_convened_event(user, journey, council, live_app):
    page = journey.page
    day = event_day()
    at = lambda hour, minute=0: day.replace(hour=hour, minute=minute)  # noqa: E731

    sign_in(user, journey)
    user.follow(page.get_by_role("link", name="New event").first)

    user.fill(page.get_by_label("Title", exact=True), "Cross-sector Learning Day")
    user.fill(page.get_by_label("Description"), "Leaders from across Riverside learn together.")
    user.fill(page.get_by_label("Venue"), "Riverside Town Hall")
    user.fill(page.get_by_label("Starts", exact=True), at(9))
    user.fill(page.get_by_label("Ends", exact=True), at(17))
    user.fill(page.get_by_label("Capacity", exact=True), "40")
    user.choose(
        page.get_by_label("Co-convening organisations"),
        ["Riverside City Council (Local government)"],
    )
    user.fill(page.get_by_label("Add a convenor not listed: name"), "Riverside NHS Trust")
    user.fill(page.get_by_label("Its sector"), "Health")
    journey.screenshot("event form filled")
    user.press(page.get_by_role("button", name="Create draft event"))
    assert page.get_by_role("status").filter(has_text="as a draft").is_visible()
    assert journey.path == "/organise/events/cross-sector-learning-day"

    programme = [
        ("Table round", "Round one", at(9, 30), at(10, 15)),
        ("Table round", "Round two", at(10, 30), at(11, 15)),
        ("Table round", "Round three", at(11, 30), at(12, 15)),
        ("Breakouts", "Afternoon breakouts", at(13, 30), at(14, 30)),
    ]
    for number, (kind, title, starts, ends) in enumerate(programme):
        user.follow(page.get_by_role("link", name="Add session"))
        user.select(page.get_by_label("Kind"), kind)
        user.fill(page.get_by_label("Title", exact=True), title)
        user.fill(page.get_by_label("Starts", exact=True), starts)
        if number == 0:
            # A slip of the hand: the end before the start is shown beside the field, input kept.
            user.fill(page.get_by_label("Ends", exact=True), starts - timedelta(minutes=15))
            user.press(page.get_by_role("button", name="Save session"))
            assert page.get_by_role("alert").get_by_role("link", name="Ends").is_visible()
            ends_field = page.get_by_label("Ends", exact=True)
            error = page.get_by_text("A session must end after it starts.", exact=True)
            assert error.is_visible()
            # Tied to the field, so a screen reader reads it with the field.
            error_id = error.locator("xpath=..").get_attribute("id")
            assert error_id in ends_field.get_attribute("aria-describedby").split()
            assert page.get_by_label("Title", exact=True).input_value() == title
        user.fill(page.get_by_label("Ends", exact=True), ends)
        user.press(page.get_by_role("button", name="Save session"))
        assert page.get_by_role("status").filter(has_text="Session saved.").is_visible()

    for topic, room in [("Sharing data safely", "Room 1"), ("Homelessness", "Room 2")]:
        user.follow(page.get_by_role("link", name="Add breakout to Afternoon breakouts"))
        user.fill(page.get_by_label("Topic"), topic)
        user.fill(page.get_by_label("Room"), room)
        user.fill(page.get_by_label("Capacity", exact=True), "20")
        user.press(page.get_by_role("button", name="Save breakout"))
        assert page.get_by_role("status").filter(has_text="Breakout saved.").is_visible()

    user.follow(page.get_by_role("link", name="Add tables"))
    user.fill(page.get_by_label("How many tables"), "6")
    user.fill(page.get_by_label("Seats at each"), "7")
    user.fill(page.get_by_label("How many of them are accessible"), "2")
    user.press(page.get_by_role("button", name="Add tables"))
    assert page.get_by_text("6 tables, 42 seats.").is_visible()

    user.press(page.get_by_role("button", name="Publish"))
    assert page.get_by_role("status").filter(has_text="Published.").is_visible()

    # What the public now sees.
    user.follow(page.get_by_role("link", name="Public page"))
    assert page.get_by_role("heading", name="Cross-sector Learning Day", level=1).is_visible()
    assert page.get_by_text("Riverside City Council, Riverside NHS Trust").is_visible()
    for _, title, _, _ in programme:
        assert page.get_by_role("heading", name=title, level=3).is_visible()
    assert page.get_by_role("link", name="Register").is_visible()

    with live_app.app_context():
        event = db.session.scalar(select(Event).where(Event.slug == "cross-sector-learning-day"))
        assert event.status == EventStatus.PUBLISHED
        assert sorted(o.name for o in event.convenors) == [
            "Riverside City Council",
            "Riverside NHS Trust",
        ]
        assert [s.title for s in event.sessions_of(SessionKind.TABLE_ROUND)] == [
            "Round one",
            "Round two",
            "Round three",
        ]
        (slot,) = event.sessions_of(SessionKind.BREAKOUT_SLOT)
        assert sorted(b.title for b in slot.breakouts) == ["Homelessness", "Sharing data safely"]
        assert [(t.number, t.capacity) for t in event.tables] == [(n, 7) for n in range(1, 7)]
        assert sum(t.accessible for t in event.tables) == 2
        assert [(s.starts_at, s.ends_at) for s in event.sessions] == [p[2:] for p in programme]
        db.session.remove()
