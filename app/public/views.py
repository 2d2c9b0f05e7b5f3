"""Public pages: upcoming events and each event's page with its programme."""

from __future__ import annotations

from flask import Blueprint, abort, render_template
from flask_login import current_user

from app.models import Event, EventStatus
from app.services.events import setup
from app.services.registration import lifecycle

bp = Blueprint("public", __name__)


@bp.get("/")
def index():
    return render_template("public/index.html", events=setup.upcoming_events(setup.WITH_CONVENORS))


@bp.get("/events/<slug>")
def event(slug: str):
    event = setup.published_event(
        slug, setup.WITH_CONVENORS, setup.WITH_PROGRAMME
    ) or _draft_preview(slug)
    if event is None:
        abort(404)
    full = event.status == EventStatus.PUBLISHED and lifecycle.is_full(event)
    return render_template("public/event.html", event=event, full=full)


def _draft_preview(slug: str) -> Event | None:
    """The event's own organisers may look at a draft before publishing it."""
    if not current_user.is_authenticated:
        return None
    event = setup.event_for_organiser(slug, current_user)
    return event if event is not None and event.status == EventStatus.DRAFT else None
