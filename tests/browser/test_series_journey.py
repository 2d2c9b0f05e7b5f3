"""Journey: the organiser groups two events into a series, sees them side by side, marks a theme
of the later one as the same as the earlier one's, and follows up the earlier event's
commitments. Every page checked with axe (with the mouse: the forms are the app's usual ones)."""

from __future__ import annotations

import pytest

from app.extensions import db
from app.models import (
    Card,
    CardStatus,
    Theme,
    User,
)
from tests.app.planning_helpers import one_round_event
from tests.browser.conftest import ORGANISER_EMAIL, event_start
from tests.browser.harness import MouseUser
from tests.browser.steps import sign_in


@pytest.fixture
def two_events(live_app) -> None:
    """March (over, with an approved card carrying a commitment, under a theme) and June."""
    with live_app.app_context():
        organiser = db.session.scalar(db.select(User).where(User.email == ORGANISER_EMAIL))
        for slug, title, days, theme in (
            ("march", "March Day", -60, "Sharing data"),
            ("june", "June Day", 30, "Data sharing again"),
        ):
            start = event_start(days)
            event = one_round_event(organiser, slug, start, title=title, timezone="Europe/London")
            grouped = Theme(event=event, title=theme)
            db.session.add_all([event, grouped])
            db.session.flush()
            db.session.add(
                Card(
                    event_id=event.id,
                    session_id=event.sessions[0].id,
                    table_id=event.tables[0].id,
                    answers={"what": "Data took months to share."},
                    commitments=[{"action": "Share one referral form", "owner": "Housing"}],
                    status=CardStatus.APPROVED,
                    theme=grouped,
                )
            )
        db.session.commit()
        db.session.remove()


def option(select, text: str) -> str:
    """The full label of the option of `select` that contains `text`."""
    return select.locator("option", has_text=text).inner_text()


@pytest.mark.slow
def test_a_series_side_by_side_and_its_commitments(journey, two_events):
    page, user = journey.page, MouseUser(journey)
    sign_in(user, journey)
    user.follow(page.get_by_role("link", name="Series of events"))
    user.fill(page.get_by_label("Name of the series"), "Learning days 2027")
    user.press(page.get_by_role("button", name="Make the series"))
    add = page.get_by_label("Event to add")
    for title in ("June Day", "March Day"):
        user.select(add, option(add, title))  # the option also says the date
        user.press(page.get_by_role("button", name="Add to the series"))
        assert page.get_by_role("status").filter(has_text="is now part of the series").is_visible()
    same_as = page.get_by_label("Same theme as")
    user.select(same_as, option(same_as, "Sharing data"))
    user.press(page.get_by_role("button", name="Save"))
    assert page.get_by_text("recurs at 2 events").is_visible()

    user.follow(page.get_by_role("link", name="March Day"))
    user.follow(page.get_by_role("link", name="Commitments"))
    user.press(page.get_by_role("button", name="Take in the commitments on approved cards"))
    assert page.get_by_text("0 of 1 done").is_visible()
    user.follow(page.get_by_role("link", name="Share one referral form"))
    user.select(page.get_by_label("Where it stands"), "Done")
    user.fill(page.get_by_label("What has happened"), "In use across the county.")
    user.press(page.get_by_role("button", name="Record the update"))
    assert page.get_by_text("1 of 1 done").is_visible()
