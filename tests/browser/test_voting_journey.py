"""Journey: after the last round the organiser words a statement from an approved theme and
opens the vote; an attendee votes on a phone from their registration page and changes their
mind; the organiser sees counts only. Every page checked with axe."""

from __future__ import annotations

import pytest

from app.extensions import db
from app.models import (
    Card,
    CardStatus,
    Registration,
    RegistrationStatus,
    Theme,
    User,
)
from app.services.tokens import new_token
from tests.app.planning_helpers import one_round_event
from tests.browser.conftest import ORGANISER_EMAIL, event_start
from tests.browser.steps import sign_in


@pytest.fixture
def voter_token(live_app) -> str:
    """Yesterday's event, its one round over, a theme with an approved card, and an attendee
    (their private manage token is returned)."""
    start = event_start(-1)
    with live_app.app_context():
        organiser = db.session.scalar(db.select(User).where(User.email == ORGANISER_EMAIL))
        event = one_round_event(
            organiser, "closing-day", start, title="Closing Day", timezone="Europe/London"
        )
        theme = Theme(event=event, title="Sharing data")
        db.session.add_all([event, theme])
        db.session.flush()
        db.session.add(
            Card(
                event_id=event.id,
                session_id=event.sessions[0].id,
                table_id=event.tables[0].id,
                answers={"what": "Data took months to share."},
                status=CardStatus.APPROVED,
                theme=theme,
            )
        )
        attendee = Registration(
            event=event,
            token=new_token(),
            name="Amy Ash",
            email="amy@example.org",
            consent=True,
            status=RegistrationStatus.CONFIRMED,
        )
        db.session.add(attendee)
        db.session.commit()
        token = attendee.token
        db.session.remove()
    return token


@pytest.mark.slow
def test_the_room_votes_on_a_phone(user, journey, voter_token):
    page = journey.page
    sign_in(user, journey)
    user.follow(page.get_by_role("link", name="Closing Day"))
    user.follow(page.get_by_role("link", name="Plenary vote"))
    user.select(page.get_by_label("From the theme"), "Sharing data")
    user.fill(page.get_by_label("Statement"), "Data should be shared by default.")
    user.press(page.get_by_role("button", name="Add the statement"))
    assert page.get_by_text("Data should be shared by default.").is_visible()
    user.press(page.get_by_role("button", name="Open the vote"))
    assert page.get_by_role("status").filter(has_text="The vote is open").is_visible()

    page.set_viewport_size({"width": 390, "height": 844})
    journey.goto(f"/r/{voter_token}")
    user.follow(page.get_by_role("link", name="Vote on what we learned"))
    journey.assert_reflows(390)
    user.press(page.get_by_role("button", name="Agree", exact=True))
    assert page.get_by_text("Your vote: Agree").is_visible()
    user.press(page.get_by_role("button", name="Pass", exact=True))
    assert page.get_by_text("Your vote: Pass").is_visible()
    journey.assert_reflows(390)

    page.set_viewport_size({"width": 1280, "height": 900})
    journey.goto("/organise/events/closing-day/vote")
    assert page.get_by_text("Fewer than 5 voters so far: no figures yet.").is_visible()
    assert "Amy" not in page.content()
