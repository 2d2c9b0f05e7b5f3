"""Calendar files over HTTP: `/r/<token>/invite.ics` (one person's, private) and
`/events/<slug>/programme.ics` (public).

Calendar apps poll a subscribed address for ever, so every response carries an ETag (a hash of the
bytes, which are the same until something changes) and Last-Modified, and a repeated request
costs a 304 with no body.
"""

from __future__ import annotations

import hashlib
import re
from datetime import datetime

from flask import Blueprint, Response, abort, request

from app.services.calendars import feeds
from app.services.events.setup import published_event
from app.services.registration import lookup

bp = Blueprint("calendar", __name__)


@bp.get("/r/<token>/invite.ics")
def invite(token: str) -> Response:
    registration = lookup.by_token(token)
    if registration is None or not feeds.has_calendar(registration):
        abort(404)  # the same page as any unknown address: nothing says whether a token exists
    event = registration.event
    modified = feeds.last_modified(event, registration)
    body = feeds.to_bytes(feeds.personal_calendar(registration, modified))
    response = _calendar_response(body, f"{event.slug}-my-programme.ics", modified)
    # Only the person's own client may keep it; shared caches must not.
    response.headers["Cache-Control"] = "private, no-cache"
    response.headers["X-Robots-Tag"] = "noindex"
    return response.make_conditional(request)


@bp.get("/events/<slug>/programme.ics")
def programme(slug: str) -> Response:
    event = published_event(slug)
    if event is None:
        abort(404)
    modified = feeds.last_modified(event)
    body = feeds.to_bytes(feeds.programme_calendar(event, modified))
    response = _calendar_response(body, f"{event.slug}-programme.ics", modified)
    response.headers["Cache-Control"] = "public, max-age=300"
    return response.make_conditional(request)


def _calendar_response(body: bytes, filename: str, modified: datetime) -> Response:
    response = Response(body, content_type="text/calendar; charset=utf-8")
    safe_name = re.sub(r"[^A-Za-z0-9._-]", "-", filename)
    response.headers["Content-Disposition"] = f'attachment; filename="{safe_name}"'
    response.set_etag(hashlib.sha256(body).hexdigest()[:32])
    response.last_modified = modified
    return response
