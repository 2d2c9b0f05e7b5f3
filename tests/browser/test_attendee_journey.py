"""Journey 2: someone finds the event, registers with breakout preferences, sees the confirmation
(on screen and in the mail, whose link they open), changes their details, and downloads their
invite for their calendar — with the mouse and with the keyboard alone, every page checked.
The one journey taken both ways: most people register with a mouse or a finger, and the mouse
way follows the error summary's link and downloads the invite by clicking."""

from __future__ import annotations

import re
import time
from email.message import EmailMessage
from pathlib import Path

from icalendar import Calendar
from sqlalchemy import select

from app.extensions import db
from app.models import Registration, RegistrationStatus
from app.services.messaging.transport import outbox_messages
from tests.browser.conftest import BOTH_WAYS

MANAGE_LINK = re.compile(r"https?://[^/\s]+(/r/[A-Za-z0-9_-]+)")


def only_mail(folder: Path, within: float = 10.0) -> EmailMessage:
    """The one message in the outbox folder, once it is there: the server sends it just after
    the response that caused it, as an inbox gets it a moment after the page."""
    deadline = time.monotonic() + within
    while not (messages := outbox_messages(folder)):
        assert time.monotonic() < deadline, "no mail arrived"
        time.sleep(0.05)
    (mail,) = messages
    return mail


@BOTH_WAYS
def test_attendee_registers_edits_and_downloads_the_invite(user, journey, learning_day, live_app):
    page = journey.page
    journey.goto("/")
    user.follow(page.get_by_role("link", name="Learning Day"))
    user.follow(page.get_by_role("link", name="Register", exact=True))
    journey.assert_reflows()

    user.fill(page.get_by_label("Full name"), "Ada Lovelace")
    user.fill(page.get_by_label("Email", exact=True), "ada@example.org")
    user.fill(page.get_by_label("Organisation", exact=True), "Riverside NHS Trust")
    user.fill(page.get_by_label("Profession"), "Nurse")
    user.fill(page.get_by_label("Role or job title"), "Head of nursing")
    user.fill(page.get_by_label("Access needs"), "A hearing loop, please.")
    user.check(page.get_by_label("I need a step-free, wheelchair-accessible table"))
    user.fill(page.get_by_label("Dietary needs"), "Vegetarian")
    user.select(page.get_by_label("First choice"), "Homelessness (Room 2)")
    user.select(page.get_by_label("Second choice"), "Sharing data (Room 1)")
    journey.screenshot("registration form filled")
    user.press(page.get_by_role("button", name="Register"))

    # Sent without agreeing to the privacy notice: the error is summarised at the top, linked
    # to the field, and everything typed is kept.
    summary = page.get_by_role("alert").filter(has_text="Please correct what is marked below")
    assert summary.is_visible()
    assert page.get_by_label("Full name").input_value() == "Ada Lovelace"
    assert page.get_by_label("First choice").input_value() != ""
    consent = page.get_by_label("I agree that the organisers may use my details")
    assert consent.get_attribute("aria-invalid") == "true"
    user.jump(summary.get_by_role("link"))
    user.check(consent)
    user.press(page.get_by_role("button", name="Register"))

    # The confirmation, on the private page the form leads to.
    assert re.fullmatch(r"/r/[A-Za-z0-9_-]+", journey.path)
    manage_path = journey.path
    journey.assert_reflows()
    assert page.get_by_role("heading", name="Your registration Confirmed").is_visible()
    assert page.get_by_text("Your place is confirmed").is_visible()
    assert page.get_by_text("A hearing loop, please.").is_visible()
    assert page.get_by_text("Needs an accessible table").is_visible()
    ranked = page.locator("ol.inline-list li")
    assert ranked.all_inner_texts() == ["Homelessness", "Sharing data"]
    programme = page.get_by_role("table", name="Your sessions")
    assert programme.get_by_text("to be announced").count() == 4  # no plan published yet

    # The confirmation mail carries the same private link; open it as from the mail.
    mail = only_mail(live_app.config["MAIL_OUTBOX_DIR"])
    assert "ada@example.org" in mail["To"]
    assert mail["Subject"] == "You're registered: Learning Day"
    body = mail.get_body(preferencelist=("plain",)).get_content()
    assert MANAGE_LINK.search(body).group(1) == manage_path
    journey.goto(manage_path)

    user.follow(page.get_by_role("link", name="Change your details"))
    assert page.get_by_label("Role or job title").input_value() == "Head of nursing"
    user.fill(page.get_by_label("Role or job title"), "Director of nursing")
    user.select(page.get_by_label("First choice"), "Sharing data (Room 1)")
    user.select(page.get_by_label("Second choice"), "Homelessness (Room 2)")
    user.press(page.get_by_role("button", name="Save changes"))
    assert journey.path == manage_path
    assert page.get_by_role("status").filter(has_text="Your details are saved.").is_visible()
    assert page.get_by_text("Director of nursing").is_visible()
    assert ranked.all_inner_texts() == ["Sharing data", "Homelessness"]

    download = user.download(page.get_by_role("link", name="download them (.ics)"))
    assert download.suggested_filename.endswith(".ics")
    calendar = Calendar.from_ical(download.path().read_bytes())
    summaries = [str(e["SUMMARY"]) for e in calendar.walk("VEVENT")]
    assert any("Learning Day" in s for s in summaries), summaries
    for session in ("Round one", "Round two", "Round three", "Afternoon breakouts"):
        assert any(session in s for s in summaries), (session, summaries)
    assert calendar.walk("VTIMEZONE"), "the invite carries the event's timezone"

    with live_app.app_context():
        registration = db.session.scalar(
            select(Registration).where(Registration.email == "ada@example.org")
        )
        assert registration.status == RegistrationStatus.CONFIRMED
        assert registration.role == "Director of nursing"
        assert registration.needs_accessible_table
        assert [p.breakout.title for p in registration.preferences] == [
            "Sharing data",
            "Homelessness",
        ]
        db.session.remove()
