"""Steps more than one journey takes."""

from __future__ import annotations

from tests.browser.conftest import ORGANISER_EMAIL, ORGANISER_PASSWORD
from tests.browser.harness import KeyboardUser


def sign_in(user, journey) -> None:
    """From the home page, through the sign-in link, to the organiser's dashboard."""
    page = journey.page
    journey.goto("/")
    user.follow(page.get_by_role("link", name="Organiser sign-in"))
    user.fill(page.get_by_label("Email", exact=True), ORGANISER_EMAIL)
    user.fill(page.get_by_label("Password"), ORGANISER_PASSWORD)
    user.press(page.get_by_role("button", name="Sign in"))
    assert page.get_by_role("heading", name="Your events", level=1).is_visible()


def pick(user, combobox, name: str) -> None:
    """Choose someone in a person picker: type their name, then take the one match offered
    (Enter from the keyboard; a click on it with the mouse)."""
    user.fill(combobox, name)
    listbox = combobox.page.locator("#" + combobox.get_attribute("aria-controls"))
    option = listbox.get_by_role("option").filter(has_text=name)
    assert option.count() == 1, listbox.get_by_role("option").all_inner_texts()
    chosen = option.inner_text()
    if isinstance(user, KeyboardUser):
        combobox.page.keyboard.press("Enter")
    else:
        option.click()
    assert combobox.input_value() == chosen
