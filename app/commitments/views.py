"""An event's actions with their red-amber-green state, taking in the harvest's commitments,
adding the closing plenary's, and updating each one (a dated update)."""

from __future__ import annotations

from flask import Blueprint, Response, abort, flash, redirect, render_template, url_for
from flask_login import current_user

from app.commitments.forms import ActionUpdateForm, FollowUpIntervalsForm, PlenaryActionForm
from app.models import ActionStatus, Event
from app.services.commitments import actions, follow_ups
from app.services.commitments.actions import STATUS_WORDS, ActionError
from app.services.commitments.follow_ups import IntervalError
from app.services.events.setup import event_for_organiser
from app.shared import ActionForm, organisers_only

bp = Blueprint("commitments", __name__)


@bp.before_request
def require_organiser() -> Response | None:
    """Every page here needs a signed-in organiser of the event."""
    return organisers_only()


def _event(slug: str) -> Event:
    event = event_for_organiser(slug, current_user)
    if event is None:
        abort(404)
    return event


def _intervals_form(event: Event) -> FollowUpIntervalsForm:
    chosen = ", ".join(str(m) for m in follow_ups.intervals(event))
    return FollowUpIntervalsForm(prefix="follow-up", months=chosen)


def _list(
    event: Event,
    form: PlenaryActionForm,
    intervals_form: FollowUpIntervalsForm | None = None,
    status: int = 200,
):
    listed = actions.actions_of(event)
    today = event.local_now().date()
    return render_template(
        "commitments/index.html",
        event=event,
        actions=listed,
        rag={a.id: actions.rag(a, today) for a in listed},
        progress=actions.progress(listed),
        status_words=STATUS_WORDS,
        form=form,
        intervals=follow_ups.interval_words(follow_ups.intervals(event)),
        intervals_form=intervals_form or _intervals_form(event),
        follow_ups_sent=follow_ups.sent(event),
        action=ActionForm(),
    ), status


@bp.route("/events/<slug>/actions", methods=["GET", "POST"])
def index(slug: str):
    event = _event(slug)
    form = PlenaryActionForm()
    if form.validate_on_submit():
        try:
            actions.add_plenary_action(event, form.what.data, form.owner.data, form.due_on.data)
        except ActionError as error:
            form.what.errors = [*form.what.errors, str(error)]
        else:
            flash("The commitment is added.", "success")
            return redirect(url_for(".index", slug=slug))
    return _list(event, form, status=400 if form.errors else 200)


@bp.post("/events/<slug>/actions/follow-ups")
def choose_intervals(slug: str):
    """The months after the event at which its organisers are sent the commitments still open."""
    event = _event(slug)
    form = _intervals_form(event)
    if form.validate_on_submit():
        try:
            months = follow_ups.choose_intervals(event, form.months.data)
        except IntervalError as error:
            form.months.errors = [*form.months.errors, str(error)]
        else:
            flash(
                f"Follow-ups will go {follow_ups.interval_words(months)} after the event.",
                "success",
            )
            return redirect(url_for(".index", slug=slug))
    return _list(event, PlenaryActionForm(formdata=None), form, 400)


@bp.post("/events/<slug>/actions/take-in")
def take_in(slug: str):
    event = _event(slug)
    if not ActionForm().validate_on_submit():
        abort(400)
    added = actions.take_in_commitments(event)
    flash(
        f"{added} new commitment{'s' if added != 1 else ''} taken in from approved cards."
        if added
        else "Every commitment on the approved cards is already here.",
        "success",
    )
    return redirect(url_for(".index", slug=slug))


@bp.route("/events/<slug>/actions/<int:action_id>", methods=["GET", "POST"])
def edit(slug: str, action_id: int):
    event = _event(slug)
    action = actions.action_of(event, action_id)
    if action is None:
        abort(404)
    form = ActionUpdateForm(status=action.status.value, owner=action.owner, due_on=action.due_on)
    if form.validate_on_submit():
        try:
            actions.update(
                action,
                ActionStatus(form.status.data),
                form.note.data,
                form.due_on.data,
                form.owner.data,
            )
        except ActionError as error:
            form.note.errors = [*form.note.errors, str(error)]
        else:
            flash("The update is recorded.", "success")
            return redirect(url_for(".index", slug=slug))
    return render_template(
        "commitments/edit.html",
        event=event,
        item=action,
        form=form,
        status_words=STATUS_WORDS,
        rag=actions.rag(action, event.local_now().date()),
    ), (400 if form.errors else 200)
