"""The registration desk on the day (/organise/events/<slug>/desk): find people as you type,
check them in (and undo), see where each sits next, scan a badge's code to open one person, and
register walk-ins. Organisers of the event only.

Every action is a plain form too: the search is a GET, check-in a POST that returns to the desk,
so the desk works without JavaScript; app/static/js/desk.js filters as you type and checks in
without leaving the page (it asks for JSON).
"""

from __future__ import annotations

from flask import (
    Blueprint,
    Response,
    abort,
    flash,
    jsonify,
    redirect,
    render_template,
    request,
    url_for,
)
from wtforms import BooleanField, SelectField

from app.extensions import db
from app.models import Event, Registration, SessionKind
from app.organise.access import event_or_404
from app.registration.forms import DetailsForm, suggestions, with_preferences
from app.services.planning import walk_ins
from app.services.registration import desk, lifecycle
from app.services.registration.details import RegistrationInvalid
from app.services.registration.lifecycle import RegistrationClosed
from app.shared import ActionForm, localtime, organisers_only

bp = Blueprint("desk", __name__)


class WalkInForm(DetailsForm):
    """The registration form as the organiser fills it in for someone standing at the desk."""

    sector = SelectField(
        "Sector of their organisation",
        description="Needed only when their organisation is not among the suggestions.",
        validate_choice=False,
    )
    needs_accessible_table = BooleanField("They need a step-free, wheelchair-accessible table")
    consent = BooleanField(
        "They agree that the organisers may use their details to run this event, as the "
        "privacy notice describes"
    )
    over_capacity = BooleanField("Yes, register them beyond the event's capacity")


@bp.before_request
def require_organiser() -> Response | None:
    return organisers_only()


def _registration(event: Event, registration_id: int) -> Registration:
    registration = db.session.get(Registration, registration_id)
    if registration is None or registration.event_id != event.id or registration.erased_at:
        abort(404)
    return registration


def _page(event: Event, entries: list[desk.Entry], query: str, scanned: Registration | None):
    checked_in, confirmed = desk.arrived(event)
    return render_template(
        "registration/desk.html",
        event=event,
        entries=entries,
        query=query,
        scanned=scanned,
        checked_in=checked_in,
        confirmed=confirmed,
        next_round=desk.next_session(event, SessionKind.TABLE_ROUND),
        next_slot=desk.next_session(event, SessionKind.BREAKOUT_SLOT),
    )


@bp.get("")
def index(slug: str):
    event = event_or_404(slug)
    query = request.args.get("q", "")[:200]
    return _page(event, desk.entries(event, query), query, None)


@bp.get("/<int:registration_id>")
def entry(slug: str, registration_id: int):
    """One person's entry: what their check-in code opens."""
    event = event_or_404(slug)
    person = _registration(event, registration_id)
    return _page(event, desk.entries(event, only=person.id), "", person)


@bp.post("/<int:registration_id>/check-in")
def check_in(slug: str, registration_id: int):
    event = event_or_404(slug)
    person = _registration(event, registration_id)
    if not ActionForm().validate_on_submit():
        abort(400)
    arrived = request.form.get("arrived") != "0"
    wants_json = request.accept_mimetypes.best == "application/json"
    try:
        lifecycle.check_in(person, arrived)
    except RegistrationClosed as error:
        if wants_json:
            return jsonify(error=str(error)), 409
        flash(f"{person.name}: {error}", "error")
    else:
        done = "Checked in" if arrived else "Undid the check-in of"
        if wants_json:
            checked_in, confirmed = desk.arrived(event)
            return jsonify(
                checked_in=person.checked_in_at is not None,
                time=_time(event, person),
                message=f"{done} {person.name}.",
                arrived=checked_in,
                confirmed=confirmed,
            )
        flash(f"{done} {person.name}.", "success")
    if request.form.get("from") == "entry":
        return redirect(url_for(".entry", slug=slug, registration_id=person.id))
    query = request.form.get("q", "")[:200]
    return redirect(url_for(".index", slug=slug, q=query or None))


def _time(event: Event, person: Registration) -> str:
    if person.checked_in_at is None:
        return ""
    return localtime(person.checked_in_at, event).strftime("%H:%M")


@bp.route("/walk-in", methods=["GET", "POST"])
def walk_in(slug: str):
    event = event_or_404(slug)
    form = with_preferences(WalkInForm, event)()
    full = None
    if form.validate_on_submit():
        try:
            done = walk_ins.register(event, form.raw(), over_capacity=form.over_capacity.data)
        except RegistrationInvalid as error:
            form.add_errors(error.errors)
        except walk_ins.AlreadyRegistered as error:
            flash(f"{error} Their desk entry is below.", "info")
            return redirect(url_for(".entry", slug=slug, registration_id=error.registration.id))
        except walk_ins.EventFull as error:
            full = error
        else:
            person = done.registration
            said = [f"Registered and checked in {person.name}."]
            if done.over_capacity:
                said.append(f"The event is now over its capacity of {event.capacity}.")
            if done.placed:
                said.append("Placed at " + "; ".join(done.placed) + ".")
            flash(" ".join(said), "success")
            if done.unplaced:
                flash("Not placed: " + "; ".join(done.unplaced) + ".", "error")
            return redirect(url_for(".entry", slug=slug, registration_id=person.id))
    return render_template(
        "registration/walk_in.html",
        event=event,
        form=form,
        full=full,
        **suggestions(for_organiser=True),
    )
