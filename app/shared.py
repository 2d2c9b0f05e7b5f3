"""What every blueprint shares: the one-button form, address patterns, template filters and
globals. Blueprints import from here, never from one another.
"""

from __future__ import annotations

import re
from datetime import datetime

from flask import Flask
from flask_wtf import FlaskForm

from app import formatting
from app.models import Event
from app.services.printing.documents import DOCUMENTS
from app.services.printing.pdf import PART_BREAK

# What an event's address name (slug) can be.
SLUG_PATTERN = r"^[a-z0-9]+(?:-[a-z0-9]+)*$"


class ActionForm(FlaskForm):
    """A form with nothing but its CSRF token, for buttons that change state."""


def localtime(instant: datetime, event: Event) -> datetime:
    """A UTC instant as wall-clock time at the event, to format like programme times."""
    return instant.astimezone(event.zone).replace(tzinfo=None)


def webcal(url: str) -> str:
    """The webcal:// form of an http(s) address: calendar apps offer to subscribe to it."""
    return re.sub(r"^https?://", "webcal://", url)


def init_app(app: Flask) -> None:
    """Register the template filters and globals every page may use."""
    app.jinja_env.filters.update(
        date=formatting.format_date,
        time=formatting.format_time,
        datetime=formatting.format_datetime,
        timespan=formatting.format_timespan,
        localtime=localtime,
        webcal=webcal,
    )
    # The organiser's event page lists the documents from the same table as their addresses.
    app.jinja_env.globals["print_documents"] = DOCUMENTS
    # Where a printed document may be cut into parts laid out side by side (printing/pdf.py).
    app.jinja_env.globals["part_break"] = PART_BREAK
