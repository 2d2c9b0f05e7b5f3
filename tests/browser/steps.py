"""Steps more than one journey takes."""

from __future__ import annotations

from tests.browser.conftest import ORGANISER_EMAIL, ORGANISER_PASSWORD


def sign_in(user, journey) -> None:
    """From the home page, through the sign-in link, to the organiser's dashboard."""
    page = journey.page
    journey.goto("/")
    user.follow(page.get_by_role("link", name="Organiser sign-in"))
    user.fill(page.get_by_label("Email"), ORGANISER_EMAIL)
    user.fill(page.get_by_label("Password"), ORGANISER_PASSWORD)
    user.press(page.get_by_role("button", name="Sign in"))
    assert page.get_by_role("heading", name="Your events", level=1).is_visible()
