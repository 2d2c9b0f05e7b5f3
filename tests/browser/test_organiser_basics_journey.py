"""Journey: the organiser lowers capacity below the people already confirmed (asked first, told
what happens to them), the public page then says the event is full before anyone registers, the
organiser writes to everyone confirmed (told how many will get it before sending) and copies the
event into a new draft — with the keyboard alone, every page checked with axe."""

from __future__ import annotations

from datetime import timedelta

from app.extensions import db
from app.models import Event, MailKind, OutgoingMail, Registration, RegistrationStatus
from app.services.tokens import new_token
from tests.browser.steps import sign_in


def test_organiser_basics(user, journey, learning_day, live_app):
    page = journey.page
    with live_app.app_context():
        event = db.session.scalar(db.select(Event).where(Event.slug == learning_day))
        start = event.starts_at
        db.session.add_all(
            Registration(
                event=event,
                name=name,
                email=f"{name.split()[0].lower()}@example.org",
                token=new_token(),
                status=RegistrationStatus.CONFIRMED,
            )
            for name in ("Ann Able", "Ben Bold", "Cat Cole")
        )
        db.session.commit()
        db.session.remove()

    sign_in(user, journey)
    user.follow(page.get_by_role("link", name="Learning Day"))
    user.follow(page.get_by_role("link", name="Edit details"))
    user.fill(page.get_by_label("Capacity"), "2")
    user.press(page.get_by_role("button", name="Save changes"))
    warning = page.get_by_role("alert").filter(has_text="Lower the capacity")
    assert warning.is_visible()
    assert "the 1 person over it keeps their place" in warning.inner_text()
    journey.screenshot("asked before lowering capacity")
    user.press(page.get_by_role("button", name="Lower capacity to 2 and save"))
    assert page.get_by_text("2 places").first.is_visible()

    journey.goto(f"/events/{learning_day}")
    assert page.get_by_role("link", name="Full: join the waiting list").is_visible()
    journey.screenshot("full before registering")

    journey.goto(f"/organise/events/{learning_day}")
    user.follow(page.get_by_role("link", name="Write to people"))
    user.select(page.get_by_label("To"), "Everyone confirmed")
    user.fill(page.get_by_label("Subject"), "Lunch moves")
    user.fill(page.get_by_label("Message"), "Lunch is at 13:00.\n\nSee you there.")
    user.press(page.get_by_role("button", name="Continue"))
    assert page.get_by_role("heading", name="Send this message to 3 people?").is_visible()
    journey.screenshot("asked before sending")
    journey.assert_reflows()  # written from a phone on the morning
    user.press(page.get_by_role("button", name="Send to 3 people"))
    assert page.get_by_role("status").filter(has_text="Sent to 3 people").is_visible()

    user.follow(page.get_by_role("link", name="Copy event"))
    user.fill(page.get_by_label("Title of the new event"), "Learning Day, spring")
    user.fill(page.get_by_label("It starts"), start + timedelta(days=7))
    user.press(page.get_by_role("button", name="Make the copy"))
    assert page.get_by_role("heading", name="Learning Day, spring").is_visible()
    journey.screenshot("the copy")

    with live_app.app_context():
        copy = db.session.scalar(db.select(Event).where(Event.slug == "learning-day-spring"))
        assert copy.starts_at == start + timedelta(days=7) and copy.registrations == []
        assert len(copy.sessions) == 4 and len(copy.tables) == 5
        sent = db.session.scalars(
            db.select(OutgoingMail).where(OutgoingMail.kind == MailKind.ORGANISER_MESSAGE.value)
        ).all()
        assert len(sent) == 3
        db.session.remove()
