"""The public list of events and each event's page."""

from datetime import timedelta

from app.extensions import db
from app.models import EventStatus
from tests.conftest import future


def test_home_lists_published_upcoming_events(client, event):
    page = client.get("/").get_data(as_text=True)
    assert "Learning Day" in page
    assert "/events/learning-day" in page
    assert "Riverside City Council" in page


def test_home_hides_drafts_and_past_events(client, event):
    event.status = EventStatus.DRAFT
    db.session.commit()
    assert "Learning Day" not in client.get("/").get_data(as_text=True)
    event.status = EventStatus.PUBLISHED
    event.starts_at = future(days=-10)
    event.ends_at = event.starts_at + timedelta(hours=2)
    for session in list(event.sessions):
        db.session.delete(session)
    db.session.commit()
    assert "Learning Day" not in client.get("/").get_data(as_text=True)


def test_event_page_shows_details_convenors_and_programme(client, event):
    page = client.get("/events/learning-day").get_data(as_text=True)
    for text in (
        "Learning Day",
        "Town Hall",
        "Riverside City Council",
        "Riverside NHS Trust",
        "Round one",
        "Round two",
        "Breakouts",
        "Europe/London",
    ):
        assert text in page
    first = event.sessions[0]
    assert f"{first.starts_at:%H:%M}" in page


def test_programme_times_are_the_events_local_times(client, event):
    event.timezone = "America/New_York"
    db.session.commit()
    page = client.get("/events/learning-day").get_data(as_text=True)
    assert f"{event.sessions[0].starts_at:%H:%M}" in page
    assert "America/New_York" in page


def test_draft_event_is_not_public(client, event):
    event.status = EventStatus.DRAFT
    db.session.commit()
    assert client.get("/events/learning-day").status_code == 404


def test_draft_can_be_previewed_by_its_organiser(signed_in, event):
    event.status = EventStatus.DRAFT
    db.session.commit()
    page = signed_in.get("/events/learning-day")
    assert page.status_code == 200 and b"Preview" in page.data


def test_unknown_event_is_404(client, app):
    response = client.get("/events/no-such-event")
    assert response.status_code == 404
    assert b"There is nothing at this address." in response.data


def test_user_text_is_escaped(client, event):
    event.title = '<script>alert("x")</script>'
    event.description = "<img src=x onerror=alert(1)>"
    db.session.commit()
    page = client.get("/events/learning-day").get_data(as_text=True)
    assert "<script>alert" not in page and "<img src=x" not in page
    assert "&lt;script&gt;" in page
