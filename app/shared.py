"""What every blueprint shares: the one-button form, address patterns and the <int:...> of
addresses (bounded to ids a database can hold), template filters and globals. Blueprints import
from here, never from one another.
"""

from __future__ import annotations

import re
from datetime import datetime

from flask import Flask, Response, abort, current_app, redirect, request, url_for
from flask_login import current_user
from flask_wtf import FlaskForm
from werkzeug.routing import IntegerConverter, ValidationError

from app import formatting
from app.models import Event
from app.services.planning.summaries import plan_figures, quality
from app.services.printing.documents import DOCUMENTS
from app.services.printing.pdf import PART_BREAK

# What an event's address name (slug) can be.
SLUG_PATTERN = r"^[a-z0-9]+(?:-[a-z0-9]+)*$"


# The largest id any of our databases holds (PostgreSQL's INTEGER; SQLite's is larger): an id
# beyond it names nothing, and handing it to the database fails (SQLite: OverflowError;
# PostgreSQL: "integer out of range"), so it is refused as not found before any query.
DATABASE_ID_MAX = 2**31 - 1
_DATABASE_ID = re.compile(r"[0-9]{1,10}")  # ASCII digits only: "²".isdigit() is true too


def database_id(text: str | None) -> int | None:
    """The id `text` spells, if it is one a database can hold; else None."""
    if text is None or not _DATABASE_ID.fullmatch(text) or int(text) > DATABASE_ID_MAX:
        return None
    return int(text)


class DatabaseIdConverter(IntegerConverter):
    """<int:...> in an address: an id a database can hold (database_id), so a larger number is
    a 404 like any id that names nothing, instead of a database error."""

    regex = r"[0-9]+"

    def to_python(self, value: str) -> int:
        if (number := database_id(value)) is None:
            raise ValidationError()
        return number


def organisers_only() -> Response | None:
    """For an organiser blueprint's before_request: sign-in first, and harvest editors (who may
    only moderate the harvest of their events) are sent to their harvests or refused."""
    if not current_user.is_authenticated:
        return current_app.login_manager.unauthorized()
    if current_user.is_organiser:
        return None
    if request.endpoint == "organise.dashboard":
        return redirect(url_for("harvest.mine"))
    abort(403)


class ActionForm(FlaskForm):
    """A form with nothing but its CSRF token, for buttons that change state."""


def localtime(instant: datetime, event: Event) -> datetime:
    """A UTC instant as wall-clock time at the event, to format like programme times."""
    return instant.astimezone(event.zone).replace(tzinfo=None)


def webcal(url: str) -> str:
    """The webcal:// form of an http(s) address: calendar apps offer to subscribe to it."""
    return re.sub(r"^https?://", "webcal://", url)


def init_app(app: Flask) -> None:
    """Register the bounded <int:...>, the template filters and globals every page may use.
    Call it before registering blueprints: a rule takes its converters when it is added."""
    app.url_map.converters["int"] = DatabaseIdConverter
    app.jinja_env.filters.update(
        date=formatting.format_date,
        time=formatting.format_time,
        datetime=formatting.format_datetime,
        timespan=formatting.format_timespan,
        plural=formatting.plural,
        localtime=localtime,
        webcal=webcal,
    )
    # The organiser's event page lists the documents from the same table as their addresses.
    app.jinja_env.globals["print_documents"] = DOCUMENTS
    # A plan's measures in words, for the measures partial (planning/_metrics.html).
    app.jinja_env.globals["plan_figures"] = plan_figures
    app.jinja_env.filters["quality"] = quality
    # Where a printed document may be cut into parts laid out side by side (printing/pdf.py).
    app.jinja_env.globals["part_break"] = PART_BREAK
