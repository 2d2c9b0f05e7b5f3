"""The registrant's JSON API: same rules and messages as the form, JSON errors, never a 500."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from app.extensions import db
from app.models import (
    Assignment,
    EventStatus,
    Plan,
    PlanKind,
    PlanStatus,
    Registration,
    RegistrationStatus,
    SessionKind,
)
from app.models.types import utcnow
from app.services.messaging.transport import outbox_messages

URL = "/api/v1/events/learning-day/registrations"


def person(**overrides) -> dict:
    data = {
        "name": "Bilal Hussain",
        "email": "bilal@example.org",
        "organisation": "Riverside NHS Trust",
        "sector": "Health",
        "profession": "GP",
        "role": "Clinical lead",
        "access_needs": "",
        "dietary_needs": "",
        "preferences": [],
        "consent": True,
    }
    data.update(overrides)
    return data


def plain(message) -> str:
    """The plain-text body, whatever else the message carries (e.g. a calendar invite)."""
    return message.get_body(("plain",)).get_content()


def registrations() -> list[Registration]:
    db.session.expire_all()
    return list(db.session.scalars(select(Registration).order_by(Registration.id)))


def test_register_returns_201_with_token_and_status(client, event, app):
    sharing, homelessness = [b.id for s in event.sessions for b in s.breakouts]
    response = client.post(URL, json=person(preferences=[homelessness, sharing]))
    assert response.status_code == 201
    body = response.get_json()
    assert body["status"] == "confirmed"
    [registration] = registrations()
    assert body["token"] == registration.token
    assert response.headers["Location"] == f"/api/v1/registrations/{registration.token}"
    assert [p.breakout_id for p in registration.preferences] == [homelessness, sharing]
    [message] = outbox_messages(app.config["MAIL_OUTBOX_DIR"])
    assert f"/r/{registration.token}" in plain(message)


@pytest.mark.parametrize(
    ("body", "field", "message"),
    [
        ({"name": ""}, "name", "Enter your name."),
        ({"name": None}, "name", "Enter your name."),
        ({"name": 42}, "name", "Must be text."),
        ({"email": "nobody"}, "email", "Enter a valid email address"),
        ({"organisation": "x" * 201}, "organisation", "at most 200 characters"),
        ({"organisation": "Brand New", "sector": ""}, "sector", "is new to us"),
        ({"access_needs": "y" * 5000}, "access_needs", "at most 2000 characters"),
        ({"consent": False}, "consent", "only register you if you agree"),
        ({"consent": "yes"}, "consent", "Must be true or false."),
        ({"preferences": "1,2"}, "preferences", "Must be a list of breakout ids"),
        ({"preferences": [True]}, "preferences", "Must be a list of breakout ids"),
        ({"preferences": [10**30]}, "preferences", "Not breakouts of this event"),
        ({"needs_accessible_table": "no"}, "needs_accessible_table", "Must be true or false."),
        ({"dietary_needs": "ok\u0000"}, "dietary_needs", "control characters"),
    ],
)
def test_bad_fields_are_422_with_a_message_per_field(client, event, app, body, field, message):
    response = client.post(URL, json=person(**body))
    assert response.status_code == 422
    payload = response.get_json()
    assert payload["message"] == "Some fields are missing or not valid."
    assert any(message in m for m in payload["errors"][field])
    assert registrations() == []
    assert outbox_messages(app.config["MAIL_OUTBOX_DIR"]) == []


def test_every_missing_field_is_reported_at_once(client, event):
    response = client.post(URL, json={})
    assert response.status_code == 422
    errors = response.get_json()["errors"]
    assert set(errors) == {"name", "email", "organisation", "profession", "consent"}


@pytest.mark.parametrize("raw", ["[]", '"text"', "{not json", "null", "12"])
def test_a_body_that_is_not_a_json_object_is_400(client, event, raw):
    response = client.post(URL, data=raw, content_type="application/json")
    assert response.status_code == 400
    assert "JSON object" in response.get_json()["message"]


def test_form_posts_are_refused_so_other_sites_cannot_forge_them(client, event):
    response = client.post(URL, data={"name": "x", "email": "x@example.org", "consent": "y"})
    assert response.status_code == 415
    assert registrations() == []


def test_closed_registration_is_403(client, event):
    event.status = EventStatus.CLOSED
    db.session.commit()
    response = client.post(URL, json=person())
    assert response.status_code == 403
    assert response.get_json()["message"] == "Registration for this event is closed."


def test_unknown_or_draft_event_is_404(client, event):
    assert client.post("/api/v1/events/nope/registrations", json=person()).status_code == 404
    event.status = EventStatus.DRAFT
    db.session.commit()
    response = client.post(URL, json=person())
    assert response.status_code == 404 and "message" in response.get_json()


def test_full_event_waitlists(client, event):
    event.capacity = 1
    db.session.commit()
    client.post(URL, json=person())
    response = client.post(URL, json=person(email="second@example.org"))
    assert response.status_code == 201
    assert response.get_json()["status"] == "waitlisted"
    token = response.get_json()["token"]
    assert client.get(f"/api/v1/registrations/{token}").get_json()["waiting_position"] == 1


def test_duplicate_email_is_409_and_reveals_nothing(client, event, app):
    first = client.post(URL, json=person(role="Secret role")).get_json()
    response = client.post(URL, json=person(email="BILAL@example.org", name="Other"))
    assert response.status_code == 409
    payload = response.get_data(as_text=True)
    assert "already registered" in payload
    assert first["token"] not in payload and "Secret role" not in payload
    assert len(registrations()) == 1
    assert len(outbox_messages(app.config["MAIL_OUTBOX_DIR"])) == 2


def test_reading_a_registration_with_its_sessions_and_published_seats(client, event):
    token = client.post(URL, json=person()).get_json()["token"]
    [registration] = registrations()
    round_one = event.sessions_of(SessionKind.TABLE_ROUND)[0]
    slot = event.sessions_of(SessionKind.BREAKOUT_SLOT)[0]
    table_three = event.tables[2]
    breakout = slot.breakouts[0]
    tables = Plan(event=event, kind=PlanKind.TABLES, status=PlanStatus.PUBLISHED)
    tables.published_at = utcnow()
    tables.assignments.append(
        Assignment(registration=registration, session=round_one, table=table_three)
    )
    draft = Plan(event=event, kind=PlanKind.BREAKOUTS, status=PlanStatus.DRAFT)
    draft.assignments.append(Assignment(registration=registration, session=slot, breakout=breakout))
    db.session.add_all([tables, draft])
    db.session.commit()

    response = client.get(f"/api/v1/registrations/{token}")
    assert response.status_code == 200
    assert response.headers["Referrer-Policy"] == "no-referrer"
    body = response.get_json()
    assert body["status"] == "confirmed" and body["name"] == "Bilal Hussain"
    assert body["event"]["slug"] == "learning-day"
    by_title = {s["title"]: s for s in body["sessions"]}
    assert set(by_title) == {"Round one", "Round two", "Breakouts"}
    assert by_title["Round one"]["table"] == 3
    assert by_title["Round two"]["table"] is None
    assert by_title["Breakouts"]["breakout"] is None  # only published plans count
    assert by_title["Round one"]["starts_at"].endswith(("+00:00", "+01:00"))

    draft.status = PlanStatus.PUBLISHED
    db.session.commit()
    body = client.get(f"/api/v1/registrations/{token}").get_json()
    by_title = {s["title"]: s for s in body["sessions"]}
    assert by_title["Breakouts"]["breakout"]["title"] == breakout.title
    assert by_title["Breakouts"]["location"] == breakout.room


def test_waitlisted_people_have_no_sessions(client, event):
    event.capacity = 0
    db.session.commit()
    token = client.post(URL, json=person()).get_json()["token"]
    body = client.get(f"/api/v1/registrations/{token}").get_json()
    assert body["status"] == RegistrationStatus.WAITLISTED.value and body["sessions"] == []


@pytest.mark.parametrize("token", ["A" * 43, "short", "%00", "a" * 500])
def test_a_forged_token_is_a_json_404(client, event, token):
    client.post(URL, json=person())
    response = client.get(f"/api/v1/registrations/{token}")
    assert response.status_code == 404
    assert response.get_json() == {"message": "There is nothing at this address."}
