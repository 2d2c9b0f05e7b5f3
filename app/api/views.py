"""The JSON API under /api/v1 (DESIGN.md lists its addresses and fields).

It is exempt from the form CSRF token but accepts only JSON bodies for changes: a browser cannot
send `application/json` to another site without that site's CORS consent, so a forged cross-site
form post is refused here with 415 before any view runs.
"""

from __future__ import annotations

from typing import Any

from flask import Blueprint, jsonify, request, url_for
from werkzeug.exceptions import HTTPException

from app.extensions import csrf
from app.models import Event, Registration
from app.services import capacity, events
from app.services import registration as service
from app.services.registration import AlreadyRegistered, RegistrationClosed, RegistrationInvalid

bp = Blueprint("api", __name__)
csrf.exempt(bp)


def error(status: int, message: str, errors: dict[str, list[str]] | None = None):
    body: dict[str, Any] = {"message": message}
    if errors:
        body["errors"] = errors
    return jsonify(body), status


@bp.errorhandler(HTTPException)
def http_error(exc: HTTPException):
    return error(exc.code or 500, exc.description or exc.name)


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


@bp.post("/events/<slug>/registrations")
def register(slug: str):
    event = events.published_event(slug)
    if event is None:
        return error(404, "There is no published event at this address.")
    body = request.get_json(silent=True)
    if not isinstance(body, dict):
        return error(400, "The body must be a JSON object of registration fields.")
    try:
        registration = service.register(event, body)
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


def _instant(event: Event, wall_clock) -> str:
    """A programme time as ISO 8601 with the event's UTC offset on that day."""
    return wall_clock.replace(tzinfo=event.zone).isoformat()


def registration_json(registration: Registration) -> dict[str, Any]:
    event = registration.event
    sessions = []
    for item in service.personal_schedule(registration):
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
    offer = registration.offer_expires_at
    return {
        "status": registration.status.value,
        **service.details_of(registration),
        "waiting_position": capacity.waiting_position(registration),
        "offer_expires_at": offer.isoformat() if offer else None,
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


@bp.get("/registrations/<token>")
def registration(token: str):
    found = service.by_token(token)
    if found is None:
        return error(404, "There is nothing at this address.")
    return jsonify(registration_json(found))
