"""The JSON API under /api/v1 (DESIGN.md lists its addresses and fields; app/api/openapi.py
describes every operation, and the tests check the two agree).

Anyone: published events and their programme, registering (the same rules as the form, through
app/services/registration/), and one's own registration by its private token.
Organisers, with an API token (`Authorization: Bearer cvn_...`, made on /organise/api-tokens):
the registrations and published plans of the events they organise.

It is exempt from the form CSRF token but accepts only JSON bodies for changes: a browser cannot
send `application/json` to another site without that site's CORS consent, so a forged cross-site
form post is refused here with 415 before any view runs. Errors are JSON (app/api/errors.py).
"""

from __future__ import annotations

import re
from datetime import datetime
from typing import Any

from flask import Blueprint, g, jsonify, request, url_for
from sqlalchemy.sql.base import ExecutableOption
from werkzeug.exceptions import HTTPException

from app.api import errors
from app.api.errors import error
from app.api.openapi import spec
from app.extensions import csrf
from app.models import (
    Card,
    CardStatus,
    Event,
    Plan,
    PlanKind,
    Registration,
    RegistrationStatus,
    SessionKind,
    User,
)
from app.security import limit_registrations
from app.services.accounts import api_tokens
from app.services.events import setup
from app.services.harvest import moderation, themes
from app.services.harvest.templates import prompts_for
from app.services.planning import places
from app.services.planning.plans import published_plan
from app.services.registration import capacity, details, lifecycle, lookup
from app.services.registration.details import RegistrationInvalid
from app.services.registration.lifecycle import AlreadyRegistered, RegistrationClosed
from app.services.voting.ballots import vote_of
from app.services.voting.results import Tally
from app.services.voting.results import results as vote_results
from app.shared import SLUG_PATTERN

bp = Blueprint("api", __name__)
csrf.exempt(bp)

SLUG = re.compile(SLUG_PATTERN)  # what an event's address name can be; anything else is a 404
BEARER = re.compile(r"^Bearer[ ]+(\S+)[ ]*$", re.IGNORECASE)


class ApiError(Exception):
    """An error answer decided deep in a helper (e.g. a missing token): status, message, headers."""

    def __init__(self, status: int, message: str, headers: dict[str, str] | None = None):
        super().__init__(message)
        self.status, self.message, self.headers = status, message, headers or {}


@bp.errorhandler(ApiError)
def api_error(exc: ApiError):
    return error(exc.status, exc.message, None, exc.headers)


@bp.errorhandler(HTTPException)
def http_error(exc: HTTPException):
    return errors.from_exception(exc)


@bp.before_request
def json_only():
    if request.method not in ("GET", "HEAD", "OPTIONS") and not request.is_json:
        return error(415, "Send a JSON body with Content-Type: application/json.")
    return None


@bp.after_request
def private(response):
    response.headers["Cache-Control"] = "no-store"
    response.headers["Referrer-Policy"] = "no-referrer"
    return response


# --- shapes -----------------------------------------------------------------------------------


def _instant(event: Event, wall_clock: datetime | None) -> str | None:
    """A programme time as ISO 8601 with the event's UTC offset on that day."""
    return wall_clock.replace(tzinfo=event.zone).isoformat() if wall_clock else None


def _utc(instant: datetime | None) -> str | None:
    return instant.isoformat() if instant else None


def event_json(event: Event) -> dict[str, Any]:
    closed = lifecycle.closed_reason(event)
    return {
        "slug": event.slug,
        "title": event.title,
        "description": event.description,
        "venue": event.venue,
        "timezone": event.timezone,
        "starts_at": _instant(event, event.starts_at),
        "ends_at": _instant(event, event.ends_at),
        "status": event.status.value,
        "capacity": event.capacity,
        "convenors": [{"name": o.name, "sector": o.sector} for o in event.convenors],
        "registration": {
            "open": closed is None,
            "message": closed,
            "opens_at": _instant(event, event.registration_opens_at),
            "closes_at": _instant(event, event.registration_closes_at or event.starts_at),
        },
        "links": {
            "self": url_for(".event", slug=event.slug),
            "page": url_for("public.event", slug=event.slug),
            "register": url_for(".register", slug=event.slug),
            "calendar": url_for("calendar.programme", slug=event.slug),
        },
    }


def programme_json(event: Event) -> list[dict[str, Any]]:
    return [
        {
            "id": session.id,
            "kind": session.kind.value,
            "title": session.title,
            "description": session.description,
            "location": session.location,
            "starts_at": _instant(event, session.starts_at),
            "ends_at": _instant(event, session.ends_at),
            "breakouts": [
                {
                    "id": b.id,
                    "title": b.title,
                    "description": b.description,
                    "room": b.room,
                    "capacity": b.capacity,
                }
                for b in session.breakouts
            ],
        }
        for session in event.sessions
    ]


def registration_json(registration: Registration) -> dict[str, Any]:
    """A registration as its registrant sees it: details, status and personal schedule."""
    event = registration.event
    sessions = []
    for item in places.schedule(registration):
        session, breakout = item.session, item.breakout
        sessions.append(
            {
                "id": session.id,
                "title": session.title,
                "kind": session.kind.value,
                "starts_at": _instant(event, session.starts_at),
                "ends_at": _instant(event, session.ends_at),
                "location": breakout.room if breakout else session.location,
                "table": item.table.number if item.table else None,
                "breakout": (
                    {"id": breakout.id, "title": breakout.title, "room": breakout.room}
                    if breakout
                    else None
                ),
            }
        )
    return {
        "status": registration.status.value,
        **details.details_of(registration),
        "waiting_position": capacity.waiting_position(registration),
        "offer_expires_at": _utc(registration.offer_expires_at),
        "checked_in": registration.checked_in_at is not None,
        "event": {
            "slug": event.slug,
            "title": event.title,
            "venue": event.venue,
            "timezone": event.timezone,
            "starts_at": _instant(event, event.starts_at),
            "ends_at": _instant(event, event.ends_at),
        },
        "sessions": sessions,
    }


def organiser_registration_json(registration: Registration) -> dict[str, Any]:
    """A registration as its organisers see it (never its private token)."""
    return {
        "id": registration.id,
        "status": registration.status.value,
        **details.details_of(registration),
        "created_at": _utc(registration.created_at),
        "waitlisted_at": _utc(registration.waitlisted_at),
        "offer_expires_at": _utc(registration.offer_expires_at),
        "cancelled_at": _utc(registration.cancelled_at),
        "checked_in_at": _utc(registration.checked_in_at),
        "erased": registration.erased_at is not None,
    }


def plan_json(event: Event, plan: Plan | None) -> dict[str, Any] | None:
    if plan is None:
        return None
    seated: dict[tuple[int, str, int], list[int]] = {}
    for assignment in plan.assignments:
        place = ("table", assignment.table_id) if assignment.table_id else None
        place = place or ("breakout", assignment.breakout_id)
        seated.setdefault((assignment.session_id, *place), []).append(assignment.registration_id)
    kind = SessionKind.TABLE_ROUND if plan.kind == PlanKind.TABLES else SessionKind.BREAKOUT_SLOT
    sessions = []
    for session in event.sessions_of(kind):
        tables = breakouts = []
        if plan.kind == PlanKind.TABLES:
            tables = [
                {
                    "number": t.number,
                    "capacity": t.capacity,
                    "accessible": t.accessible,
                    "facilitator": t.facilitator_id,
                    "registrations": sorted(seated.get((session.id, "table", t.id), [])),
                }
                for t in sorted(event.tables, key=lambda t: t.number)
            ]
        else:
            breakouts = [
                {
                    "id": b.id,
                    "title": b.title,
                    "room": b.room,
                    "capacity": b.capacity,
                    "registrations": sorted(seated.get((session.id, "breakout", b.id), [])),
                }
                for b in session.breakouts
            ]
        sessions.append(
            {
                "id": session.id,
                "title": session.title,
                "starts_at": _instant(event, session.starts_at),
                "ends_at": _instant(event, session.ends_at),
                "tables": tables,
                "breakouts": breakouts,
            }
        )
    return {
        "id": plan.id,
        "kind": plan.kind.value,
        "published_at": _utc(plan.published_at),
        "metrics": plan.metrics or {},
        "sessions": sessions,
    }


# --- anyone -----------------------------------------------------------------------------------


@bp.get("/openapi.json")
def openapi():
    return jsonify(spec())


@bp.get("/events")
def event_list():
    return jsonify(events=[event_json(e) for e in setup.upcoming_events(setup.WITH_CONVENORS)])


def _published(slug: str, *load: ExecutableOption) -> Event | None:
    return setup.published_event(slug, *load) if SLUG.match(slug) else None


@bp.get("/events/<slug>")
def event(slug: str):
    found = _published(slug, setup.WITH_CONVENORS, setup.WITH_PROGRAMME)
    if found is None:
        return error(404, "There is no published event at this address.")
    return jsonify({**event_json(found), "programme": programme_json(found)})


@bp.post("/events/<slug>/registrations")
@limit_registrations
def register(slug: str):
    event = _published(slug, setup.WITH_PROGRAMME)  # the preferences are checked against it
    if event is None:
        return error(404, "There is no published event at this address.")
    body = request.get_json(silent=True)
    if not isinstance(body, dict):
        return error(400, "The body must be a JSON object of registration fields.")
    try:
        registration = lifecycle.register(event, body)
    except RegistrationInvalid as invalid:
        return error(422, "Some fields are missing or not valid.", invalid.errors)
    except RegistrationClosed as closed:
        return error(403, str(closed))
    except AlreadyRegistered as duplicate:
        return error(409, str(duplicate), {"email": [str(duplicate)]})
    location = url_for(".registration", token=registration.token)
    return (
        jsonify(token=registration.token, status=registration.status.value),
        201,
        {"Location": location},
    )


@bp.get("/registrations/<token>")
def registration(token: str):
    found = lookup.for_own_page(token)
    if found is None:
        return error(404, "There is nothing at this address.")
    return jsonify(registration_json(found))


# --- organisers, with an API token ------------------------------------------------------------


def _organiser() -> User:
    """The organiser whose API token authorises this request; 401/403 as JSON otherwise."""
    challenge = {"WWW-Authenticate": 'Bearer realm="convene"'}
    header = request.headers.get("Authorization", "")
    if not header:
        raise ApiError(401, "Send your API token as Authorization: Bearer <token>.", challenge)
    match = BEARER.match(header)
    token = api_tokens.authenticate(match.group(1)) if match else None
    if token is None:
        challenge["WWW-Authenticate"] += ', error="invalid_token"'
        raise ApiError(401, "This API token is not valid or has been revoked.", challenge)
    if not token.user.is_active:
        raise ApiError(403, "The account this API token belongs to is disabled.")
    g.api_token = token
    return token.user


def _organised(slug: str) -> Event:
    user = _organiser()
    found = setup.event_for_organiser(slug, user) if SLUG.match(slug) else None
    if found is None:
        raise ApiError(404, "You organise no event at this address.")
    return found


@bp.get("/events/<slug>/registrations")
def registrations(slug: str):
    event = _organised(slug)
    wanted = request.args.get("status", "")
    statuses = {s.value: s for s in RegistrationStatus}
    if wanted and wanted not in statuses:
        return error(
            400,
            f"status must be one of {', '.join(statuses)}.",
            {"status": [f"Not a status: {wanted[:40]}."]},
        )
    found = lookup.registrations_of(event, status=statuses.get(wanted))
    return jsonify(
        event=event.slug,
        count=len(found),
        registrations=[organiser_registration_json(r) for r in found],
    )


@bp.get("/events/<slug>/plans")
def plans(slug: str):
    event = _organised(slug)
    return jsonify({kind.value: plan_json(event, published_plan(event, kind)) for kind in PlanKind})


def _card_json(card: Card) -> dict[str, Any]:
    return {
        "id": card.id,
        "session": {"id": card.session_id, "title": card.session.title},
        "table": card.table.number if card.table is not None else None,
        "breakout": card.breakout.title if card.breakout is not None else None,
        "answers": [
            {"prompt": p["label"], "text": card.answers[p["key"]]}
            for p in prompts_for(card.session)
            if card.answers.get(p["key"])
        ],
        "tags": list(card.tags),
        "commitments": [dict(c) for c in card.commitments],
        "theme": card.theme_id,
    }


@bp.get("/events/<slug>/harvest")
def harvest(slug: str):
    """Approved cards and themes; a theme's sectors only from MIN_TABLES contributing tables."""
    event = _organised(slug)
    approved = [c for c in moderation.cards_of(event) if c.status == CardStatus.APPROVED]
    found_themes = []
    for theme in themes.themes_of(event):
        evidence = themes.evidence(theme)
        found_themes.append(
            {
                "id": theme.id,
                "title": theme.title,
                "cards": evidence.cards,
                "tables": evidence.tables,
                "rounds": evidence.rounds,
                "sectors": evidence.sectors,
            }
        )
    return jsonify(event=event.slug, cards=[_card_json(c) for c in approved], themes=found_themes)


def _tally_json(tally: Tally) -> dict[str, Any]:
    return {
        "voters": tally.voters,
        "agree": tally.agree,
        "disagree": tally.disagree,
        "pass": tally.passed,
        "agreement": round(tally.agreement, 4),
    }


@bp.get("/events/<slug>/vote")
def vote(slug: str):
    """The closing vote in counts, as on the results page: overall from 5 voters, a sector only
    with 5 voters of its own; never who voted, nor how (app/services/voting/results.py)."""
    event = _organised(slug)
    held = vote_of(event)
    state = "not opened"
    if held is not None and held.opened_at is not None:
        state = "closed" if held.closed_at is not None else "open"
    outcome = vote_results(event)
    return jsonify(
        event=event.slug,
        state=state,
        statements=[
            {
                "id": r.statement.id,
                "text": r.statement.text,
                "overall": _tally_json(r.overall) if r.overall is not None else None,
                "sectors": [{"sector": s, **_tally_json(t)} for s, t in r.sectors],
                "bridging": r.bridging,
            }
            for r in outcome.statements
        ],
        bridging=[r.statement.id for r in outcome.bridging],
        dividing=[r.statement.id for r in outcome.dividing],
    )
