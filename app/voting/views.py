"""The organiser's vote page (statements, open, close, results and their CSV) and the attendee's
ballot page behind their private manage link. Results are counts only (services/voting)."""

from __future__ import annotations

from flask import Blueprint, Response, abort, flash, redirect, render_template, request, url_for
from flask_login import current_user
from wtforms.fields.choices import SelectChoice

from app.models import Choice, Event
from app.security import limit_registrations
from app.services.events import setup
from app.services.events.setup import event_for_organiser
from app.services.registration import lookup
from app.services.voting import ballots
from app.services.voting import results as tallies
from app.services.voting.ballots import VoteError
from app.services.voting.results import MIN_VOTERS, results
from app.shared import ActionForm, organisers_only
from app.voting.forms import BallotLinkForm, StatementForm

bp = Blueprint("voting", __name__)

CHOICE_WORDS = {Choice.AGREE: "Agree", Choice.DISAGREE: "Disagree", Choice.PASS: "Pass"}


@bp.before_request
def require_organiser_or_token() -> Response | None:
    """Organiser pages need a signed-in organiser; the ballot page needs only its private link."""
    if request.endpoint in ("voting.ballot", "voting.cast", "voting.room"):
        return None
    return organisers_only()


@bp.after_request
def keep_ballots_private(response):
    if request.endpoint in ("voting.ballot", "voting.cast"):
        response.headers["Referrer-Policy"] = "no-referrer"
        response.headers["Cache-Control"] = "no-store"
        response.headers["X-Robots-Tag"] = "noindex"
    return response


def _event(slug: str) -> Event:
    event = event_for_organiser(slug, current_user)
    if event is None:
        abort(404)
    return event


def _statement_form(event: Event) -> StatementForm:
    form = StatementForm()
    form.theme.choices = [SelectChoice(t.id, t.title) for t in ballots.approved_themes(event)]
    return form


@bp.route("/organise/events/<slug>/vote", methods=["GET", "POST"])
def manage(slug: str):
    event = _event(slug)
    form = _statement_form(event)
    if form.validate_on_submit():
        try:
            ballots.add_statement(event, form.text.data, form.theme.data)
        except VoteError as error:
            form.text.errors = [*form.text.errors, str(error)]
        else:
            flash("The statement is added.", "success")
            return redirect(url_for(".manage", slug=slug))
    return render_template(
        "voting/manage.html",
        event=event,
        vote=ballots.vote_of(event),
        statements=ballots.statements_of(event),
        results=results(event),
        form=form,
        action=ActionForm(),
        last_round_over=ballots.last_round_over(event),
        room_code=ballots.room_code(event),
        min_voters=MIN_VOTERS,
    ), (400 if form.errors else 200)


@bp.post("/organise/events/<slug>/vote/statements/<int:statement_id>/remove")
def remove_statement(slug: str, statement_id: int):
    event = _event(slug)
    statement = ballots.statement_of(event, statement_id)
    if statement is None or not ActionForm().validate_on_submit():
        abort(404 if statement is None else 400)
    try:
        ballots.remove_statement(statement)
    except VoteError as error:
        flash(str(error), "error")
    return redirect(url_for(".manage", slug=slug))


@bp.post("/organise/events/<slug>/vote/open")
def open_vote(slug: str):
    event = _event(slug)
    if not ActionForm().validate_on_submit():
        abort(400)
    try:
        ballots.open_vote(event)
    except VoteError as error:
        flash(str(error), "error")
    else:
        flash("The vote is open: attendees vote from their registration pages.", "success")
    return redirect(url_for(".manage", slug=slug))


@bp.route("/organise/events/<slug>/vote/close", methods=["GET", "POST"])
def close_vote(slug: str):
    """GET asks first (a closed vote stays closed); POST closes it."""
    event = _event(slug)
    form = ActionForm()
    if form.validate_on_submit():
        try:
            ballots.close_vote(event)
        except VoteError as error:
            flash(str(error), "error")
        else:
            flash("The vote is closed.", "success")
        return redirect(url_for(".manage", slug=slug))
    return render_template("voting/close.html", event=event, form=form)


@bp.get("/organise/events/<slug>/vote.csv")
def results_csv(slug: str):
    event = _event(slug)
    return Response(
        tallies.results_csv(results(event)),
        mimetype="text/csv",
        headers={"Content-Disposition": f'attachment; filename="{event.slug}-vote.csv"'},
    )


def _registration(token: str):
    registration = lookup.by_token(token)
    if registration is None:
        abort(404)
    return registration


@bp.route("/events/<slug>/vote", methods=["GET", "POST"])
@limit_registrations
def room(slug: str):
    """What the plenary's QR code opens: ask for one's ballot link by email."""
    event = setup.published_event(slug)
    vote = ballots.vote_of(event) if event is not None else None
    if vote is None or vote.opened_at is None:
        abort(404)
    form = BallotLinkForm()
    sent = False
    if vote.is_open and form.validate_on_submit():
        ballots.send_ballot_link(event, form.email.data)
        sent = True
    return render_template("voting/room.html", event=event, vote=vote, form=form, sent=sent)


@bp.get("/r/<token>/vote")
def ballot(token: str):
    registration = _registration(token)
    event = registration.event
    vote = ballots.vote_of(event)
    if vote is None or vote.opened_at is None:
        abort(404)
    return render_template(
        "voting/ballot.html",
        registration=registration,
        event=event,
        vote=vote,
        statements=ballots.statements_of(event),
        mine=ballots.my_ballots(registration),
        can_vote=ballots.can_vote(registration),
        choices=CHOICE_WORDS,
        action=ActionForm(),
    )


@bp.post("/r/<token>/vote/<int:statement_id>")
def cast(token: str, statement_id: int):
    registration = _registration(token)
    if not ActionForm().validate_on_submit():
        abort(400)
    try:
        ballots.cast(registration, statement_id, request.form.get("choice", ""))
    except VoteError as error:
        flash(str(error), "error")
    return redirect(url_for(".ballot", token=token, _anchor=f"statement-{statement_id}"))
