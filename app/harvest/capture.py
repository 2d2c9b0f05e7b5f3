"""A table's capture page, `/t/<token>`: no sign-in, made for a phone. What the table writes is
kept with its table and round only; nothing about who wrote it."""

from __future__ import annotations

from flask import Blueprint, abort, redirect, render_template, request, url_for
from flask_wtf import FlaskForm

from app.models import CapturePoint
from app.security import limit_cards
from app.services.harvest import capture
from app.services.harvest.templates import prompts_for

bp = Blueprint("capture", __name__)

COMMITMENT_ROWS = 3


def _point(token: str) -> CapturePoint:
    point = capture.point_for_token(token)
    if point is None:
        abort(404)
    return point


def _draft() -> capture.Draft:
    form = request.form
    answers = {
        key[len("answer-") :]: value for key, value in form.items() if key.startswith("answer-")
    }
    commitments = [
        (form.get(f"action-{i}", ""), form.get(f"owner-{i}", "")) for i in range(COMMITMENT_ROWS)
    ]
    return capture.Draft(answers=answers, tags=form.get("tags", ""), commitments=commitments)


@bp.route("/t/<token>", methods=["GET", "POST"])
@limit_cards
def card(token: str):
    point = _point(token)
    form = FlaskForm()  # its CSRF token only: the fields follow the round's prompts
    error = None
    if request.method == "POST":
        if not form.validate_on_submit():
            error = "The page had expired; please send the card again."
        else:
            try:
                capture.take_card(point, _draft())
            except capture.CardRefused as refused:
                error = str(refused)
            else:
                return redirect(url_for(".card", token=token, saved=1))
    typed = request.form if request.method == "POST" else {}
    return render_template(
        "harvest/capture.html",
        point=point,
        event=point.event,
        prompts=prompts_for(point.session),
        open=capture.is_open(point.event),
        saved=request.method == "GET" and request.args.get("saved") == "1",
        error=error,
        typed=typed,
        form=form,
        rows=range(COMMITMENT_ROWS),
    ), (422 if error else 200)
