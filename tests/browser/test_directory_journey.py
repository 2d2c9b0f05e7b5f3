"""Journey: registrants typed one council three ways; the organiser sees the likely duplicates on
the directory page, is asked before merging, merges, and the registrations count as one body —
with the keyboard alone, every page checked with axe."""

from __future__ import annotations

import pytest

from app.extensions import db
from app.models import Event, Organisation, Registration
from tests.app.test_directory import add
from tests.browser.steps import sign_in


@pytest.fixture
def typed_three_ways(live_app, learning_day):
    """Swale Borough Council (three registrants), and one each as Swale Council and as a typo."""
    with live_app.app_context():
        event = db.session.scalar(db.select(Event).where(Event.slug == learning_day))
        add("Swale Borough Council", people=3, event=event)
        add("Swale Council", people=1, event=event)
        add("Swael Borough Council", people=1, event=event)
        db.session.remove()


def test_organiser_merges_the_likely_duplicates(user, journey, typed_three_ways, live_app):
    page = journey.page
    sign_in(user, journey)
    user.follow(page.get_by_role("link", name="Organisations and sectors"))
    assert page.get_by_role("heading", name="Likely duplicates").is_visible()
    suggestions = page.get_by_role("table", name="Suggested merges")
    assert suggestions.get_by_role("row").count() == 3  # the header and two suggestions
    journey.screenshot("suggestions")
    journey.assert_reflows()  # an organiser at the registration desk, on a phone

    for _ in range(2):
        user.follow(page.get_by_role("link", name="Merge…").first)
        assert page.get_by_role("heading", name="Swale Borough Council", exact=False).is_visible()
        journey.screenshot("asked before merging")
        user.press(page.get_by_role("button", name="Yes, merge them"))
        assert page.get_by_role("status").filter(has_text="Merged").is_visible()

    assert page.get_by_text("No likely duplicates.").is_visible()
    assert page.get_by_text("Merged “Swale Council” (Local government)", exact=False).is_visible()
    with live_app.app_context():
        names = {o.name for o in db.session.scalars(db.select(Organisation))}
        assert "Swale Council" not in names and "Swael Borough Council" not in names
        swale = db.session.scalar(
            db.select(Organisation).where(Organisation.name == "Swale Borough Council")
        )
        assert sorted(a.name for a in swale.aliases) == ["Swael Borough Council", "Swale Council"]
        assert (
            db.session.scalar(
                db.select(db.func.count(Registration.id)).where(
                    Registration.organisation_id == swale.id
                )
            )
            == 5
        )
        db.session.remove()
