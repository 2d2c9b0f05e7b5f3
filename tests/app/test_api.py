"""The JSON API beyond registering: events, programme, organiser tokens, registrations and plans.

Every answer checked here is also checked against the OpenAPI description (app/api/openapi.py).
"""

from __future__ import annotations

import re
from functools import cache

import pytest
import schemathesis
from schemathesis.checks import (
    content_type_conformance,
    response_schema_conformance,
    status_code_conformance,
)
from sqlalchemy import select

from app.api.openapi import spec
from app.extensions import db
from app.models import (
    ApiToken,
    Assignment,
    Event,
    EventStatus,
    Plan,
    PlanKind,
    PlanStatus,
    RegistrationStatus,
    SessionKind,
    User,
)
from app.models.types import utcnow
from app.services.accounts import api_tokens
from app.services.registration import lifecycle
from tests.app.test_api_registration import URL as REGISTER
from tests.app.test_api_registration import person
from tests.conftest import PASSWORD, future

CHECKS = [status_code_conformance, content_type_conformance, response_schema_conformance]


@cache
def described():
    return schemathesis.openapi.from_dict(spec())


def conforms(response, path: str, method: str = "GET"):
    """Assert the answer is one the OpenAPI description allows, and return its JSON."""
    operation = described()[path][method]
    pattern = "/api/v1" + re.sub(r"\\{(\w+)\\}", r"(?P<\1>[^/]+)", re.escape(path))
    parameters = re.fullmatch(pattern, response.request.path).groupdict()
    operation.Case(path_parameters=parameters).validate_response(response, checks=CHECKS)
    return response.get_json()


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


@pytest.fixture
def token(organiser) -> str:
    return api_tokens.create(organiser, "CRM")[1]


@pytest.fixture
def other_event(app) -> Event:
    """An event organised by someone else."""
    stranger = User(email="stranger@example.org", name="Sam Stranger")
    stranger.set_password(PASSWORD)
    start = future(40)
    event = Event(
        slug="other-day",
        title="Other Day",
        timezone="UTC",
        starts_at=start,
        ends_at=start.replace(hour=17),
        capacity=10,
        status=EventStatus.PUBLISHED,
        organisers=[stranger],
    )
    db.session.add(event)
    db.session.commit()
    return event


# --- anyone -----------------------------------------------------------------------------------


def test_the_description_is_served_and_lists_every_api_route(client, app):
    body = client.get("/api/v1/openapi.json").get_json()
    assert body["openapi"].startswith("3.")
    described_paths = {
        re.sub(r"\{(\w+)\}", r"<\1>", "/api/v1" + path): set(ops) - {"parameters"}
        for path, ops in body["paths"].items()
    }
    for rule in app.url_map.iter_rules():
        if rule.rule.startswith("/api/v1"):
            methods = {m.lower() for m in rule.methods - {"HEAD", "OPTIONS"}}
            assert methods <= described_paths.get(rule.rule, set()), rule.rule


def test_published_events_are_listed_and_drafts_are_not(client, event):
    draft = Event(
        slug="draft-day",
        title="Draft",
        timezone="UTC",
        starts_at=future(),
        ends_at=future(hour=17),
        capacity=5,
    )
    db.session.add(draft)
    db.session.commit()
    body = conforms(client.get("/api/v1/events"), "/events")
    assert [e["slug"] for e in body["events"]] == ["learning-day"]
    listed = body["events"][0]
    assert listed["registration"] == {
        "open": True,
        "message": None,
        "opens_at": None,
        "closes_at": listed["starts_at"],
    }
    assert {c["name"] for c in listed["convenors"]} == {
        "Riverside City Council",
        "Riverside NHS Trust",
    }
    assert listed["links"]["register"] == "/api/v1/events/learning-day/registrations"


def test_event_detail_carries_the_programme_with_breakout_ids(client, event):
    body = conforms(client.get("/api/v1/events/learning-day"), "/events/{slug}")
    assert body["title"] == "Learning Day"
    assert [s["kind"] for s in body["programme"]] == ["table_round", "table_round", "breakout_slot"]
    breakouts = body["programme"][2]["breakouts"]
    assert {b["title"] for b in breakouts} == {"Sharing data", "Homelessness"}
    # The ids are the ones registration preferences name.
    response = client.post(REGISTER, json=person(preferences=[b["id"] for b in breakouts]))
    assert response.status_code == 201


def test_closed_registration_says_why(client, event):
    event.status = EventStatus.CLOSED
    db.session.commit()
    body = conforms(client.get("/api/v1/events/learning-day"), "/events/{slug}")
    assert body["registration"]["open"] is False
    assert body["registration"]["message"] == "Registration for this event is closed."


@pytest.mark.parametrize("slug", ["nope", "draft-day", "UPPER", "a" * 300, "..%2f..", "%00"])
def test_unknown_events_are_json_404s(client, event, slug):
    response = client.get(f"/api/v1/events/{slug}")
    assert response.status_code == 404
    assert response.content_type == "application/json"
    assert response.get_json()["message"]


# --- errors are JSON everywhere under /api/v1 -------------------------------------------------


def test_unknown_api_addresses_are_json_404(client):
    response = client.get("/api/v1/nothing/here")
    assert response.status_code == 404
    assert response.get_json() == {"message": "There is nothing at this address."}


def test_wrong_method_is_json_405_with_allow(client, event):
    response = client.delete("/api/v1/events/learning-day")
    assert response.status_code == 405
    assert "GET" in response.headers["Allow"]
    assert response.get_json()["message"] == "This address does not accept that method."
    conforms(response, "/events/{slug}")


def test_too_large_a_body_is_json_413(client, event, app):
    app.config["MAX_CONTENT_LENGTH"] = 1000
    response = client.post(REGISTER, json=person(access_needs="x" * 2000))
    assert response.status_code == 413
    assert response.content_type == "application/json"


def test_a_crash_under_the_api_is_a_json_500(client, event, monkeypatch, app):
    def broken(*_args, **_kwargs):
        raise RuntimeError("database on fire")

    monkeypatch.setattr(lifecycle, "register", broken)
    app.config["PROPAGATE_EXCEPTIONS"] = False
    response = client.post(REGISTER, json=person())
    assert response.status_code == 500
    assert "fire" not in response.get_data(as_text=True)
    assert response.get_json()["message"].startswith("Something went wrong")


# --- organisers with a token ------------------------------------------------------------------


def test_without_a_token_organiser_operations_are_401(client, event):
    for path in ("/api/v1/events/learning-day/registrations", "/api/v1/events/learning-day/plans"):
        response = client.get(path)
        assert response.status_code == 401
        assert response.headers["WWW-Authenticate"].startswith("Bearer")
        assert "Authorization: Bearer" in response.get_json()["message"]


@pytest.mark.parametrize(
    "header",
    [
        "Bearer cvn_" + "A" * 43,  # well formed, never issued
        "Bearer nonsense",
        "Basic b3JnOnB3",
        "Bearer ",
        "bearer",
    ],
)
def test_forged_tokens_are_401(client, event, token, header):
    response = client.get(
        "/api/v1/events/learning-day/registrations", headers={"Authorization": header}
    )
    assert response.status_code == 401
    assert 'error="invalid_token"' in response.headers["WWW-Authenticate"]


def test_an_organiser_lists_their_event_registrations(client, event, token):
    first = client.post(REGISTER, json=person(role="<b>lead</b>")).get_json()
    event.capacity = 1
    db.session.commit()
    client.post(REGISTER, json=person(email="second@example.org", name="Second"))
    response = client.get("/api/v1/events/learning-day/registrations", headers=bearer(token))
    body = conforms(response, "/events/{slug}/registrations")
    assert body["count"] == 2
    assert [r["status"] for r in body["registrations"]] == ["confirmed", "waitlisted"]
    assert body["registrations"][0]["role"] == "<b>lead</b>"  # data, not markup: JSON as typed
    assert first["token"] not in response.get_data(as_text=True)  # private links stay private

    waiting = client.get(
        "/api/v1/events/learning-day/registrations?status=waitlisted", headers=bearer(token)
    )
    assert [r["name"] for r in conforms(waiting, "/events/{slug}/registrations")["registrations"]]
    assert waiting.get_json()["count"] == 1

    bad = client.get(
        "/api/v1/events/learning-day/registrations?status=maybe", headers=bearer(token)
    )
    assert (
        bad.status_code == 400
        and "status" in conforms(bad, "/events/{slug}/registrations")["errors"]
    )


def test_a_token_sees_only_its_organisers_events(client, event, other_event, token):
    for path in ("registrations", "plans"):
        response = client.get(f"/api/v1/events/other-day/{path}", headers=bearer(token))
        assert response.status_code == 404
        assert response.get_json() == {"message": "You organise no event at this address."}


def test_revoked_tokens_and_disabled_accounts_are_refused(client, event, organiser):
    row, secret = api_tokens.create(organiser, "Old")
    url = "/api/v1/events/learning-day/registrations"
    assert client.get(url, headers=bearer(secret)).status_code == 200
    organiser.active = False
    db.session.commit()
    assert client.get(url, headers=bearer(secret)).status_code == 403
    organiser.active = True
    api_tokens.revoke(row)
    assert client.get(url, headers=bearer(secret)).status_code == 401


def test_only_a_hash_of_the_token_is_stored(organiser, token):
    row = db.session.scalar(select(ApiToken))
    assert token not in (row.token_hash, row.prefix, row.name)
    assert token.startswith(row.prefix) and len(row.prefix) < 16
    assert row.last_used_at is None


def test_published_plans_are_read_with_who_sits_where(client, event, token):
    alice = client.post(REGISTER, json=person(email="alice@example.org")).get_json()
    bob = client.post(REGISTER, json=person(email="bob@example.org")).get_json()
    empty = conforms(
        client.get("/api/v1/events/learning-day/plans", headers=bearer(token)),
        "/events/{slug}/plans",
    )
    assert empty == {"tables": None, "breakouts": None}

    people = {r.token: r for r in event.registrations}
    a, b = people[alice["token"]], people[bob["token"]]
    rounds = event.sessions_of(SessionKind.TABLE_ROUND)
    slot = event.sessions_of(SessionKind.BREAKOUT_SLOT)[0]
    tables = Plan(
        event=event,
        kind=PlanKind.TABLES,
        status=PlanStatus.PUBLISHED,
        published_at=utcnow(),
        metrics={"repeat_pairs": 0},
    )
    for session in rounds:
        tables.assignments += [
            Assignment(registration=a, session=session, table=event.tables[0]),
            Assignment(registration=b, session=session, table=event.tables[1]),
        ]
    draft = Plan(event=event, kind=PlanKind.BREAKOUTS, status=PlanStatus.DRAFT)
    draft.assignments.append(Assignment(registration=a, session=slot, breakout=slot.breakouts[0]))
    db.session.add_all([tables, draft])
    db.session.commit()

    body = conforms(
        client.get("/api/v1/events/learning-day/plans", headers=bearer(token)),
        "/events/{slug}/plans",
    )
    assert body["breakouts"] is None  # drafts are not published
    plan = body["tables"]
    assert plan["metrics"] == {"repeat_pairs": 0}
    assert [s["title"] for s in plan["sessions"]] == ["Round one", "Round two"]
    first_round = plan["sessions"][0]["tables"]
    assert first_round[0]["registrations"] == [a.id]
    assert first_round[1]["registrations"] == [b.id]
    assert all(t["registrations"] == [] for t in first_round[2:])

    draft.status, draft.published_at = PlanStatus.PUBLISHED, utcnow()
    db.session.commit()
    body = client.get("/api/v1/events/learning-day/plans", headers=bearer(token)).get_json()
    [slot_json] = body["breakouts"]["sessions"]
    assert slot_json["breakouts"][0]["registrations"] == [a.id]
    assert slot_json["tables"] == []


# --- the organiser's token page ---------------------------------------------------------------


def test_making_a_token_shows_it_once_and_it_works(signed_in, event):
    page = signed_in.get("/organise/api-tokens")
    assert page.status_code == 200 and "You have no API tokens" in page.get_data(as_text=True)
    created = signed_in.submit("/organise/api-tokens", {"name": "Council CRM"})
    assert created.status_code == 201
    assert created.headers["Cache-Control"] == "no-store"
    secret = re.search(r"cvn_[A-Za-z0-9_-]{43}", created.get_data(as_text=True)).group(0)
    listing = signed_in.get("/organise/api-tokens").get_data(as_text=True)
    assert "Council CRM" in listing and secret not in listing and secret[:12] in listing
    response = signed_in.get("/api/v1/events/learning-day/registrations", headers=bearer(secret))
    assert response.status_code == 200
    assert "Council CRM" in signed_in.get("/organise/api-tokens").get_data(as_text=True)


def test_a_token_needs_a_name(signed_in):
    response = signed_in.submit("/organise/api-tokens", {"name": "  "})
    assert response.status_code == 200
    assert "This field is required" in response.get_data(as_text=True)
    assert db.session.scalar(select(ApiToken)) is None


def test_revoking_asks_first_then_the_token_stops_working(signed_in, event, organiser):
    row, secret = api_tokens.create(organiser, "Old CRM")
    question = signed_in.get(f"/organise/api-tokens/{row.id}/revoke")
    assert "Revoke “Old CRM”?" in question.get_data(as_text=True)
    assert db.session.get(ApiToken, row.id).revoked_at is None
    done = signed_in.submit(f"/organise/api-tokens/{row.id}/revoke", {})
    assert done.status_code == 302
    response = signed_in.get("/api/v1/events/learning-day/plans", headers=bearer(secret))
    assert response.status_code == 401


def test_an_organiser_cannot_see_or_revoke_anothers_tokens(signed_in, other_event):
    stranger = other_event.organisers[0]
    row, _ = api_tokens.create(stranger, "Stranger's")
    assert "Stranger" not in signed_in.get("/organise/api-tokens").get_data(as_text=True)
    assert signed_in.get(f"/organise/api-tokens/{row.id}/revoke").status_code == 404
    response = signed_in.post(f"/organise/api-tokens/{row.id}/revoke", data={})
    assert response.status_code in (400, 404)
    db.session.expire_all()
    assert db.session.get(ApiToken, row.id).revoked_at is None


def test_signed_out_visitors_cannot_reach_the_token_page(client):
    response = client.get("/organise/api-tokens")
    assert response.status_code == 302 and "/login" in response.headers["Location"]


def test_waitlist_status_is_reported_per_registration(client, event, token):
    event.capacity = 0
    db.session.commit()
    client.post(REGISTER, json=person())
    body = client.get("/api/v1/events/learning-day/registrations", headers=bearer(token)).get_json()
    assert body["registrations"][0]["status"] == RegistrationStatus.WAITLISTED.value
    assert body["registrations"][0]["waitlisted_at"]
