"""Which events a signed-in organiser may work on: only those they organise."""

from flask import abort
from flask_login import current_user

from app.models import Event
from app.services.events.setup import event_for_organiser


def event_or_404(slug: str) -> Event:
    """The organiser's event; anyone else gets the same 404 as for an event that does not exist."""
    event = event_for_organiser(slug, current_user)
    if event is None:
        abort(404)
    return event
