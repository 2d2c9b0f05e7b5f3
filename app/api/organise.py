"""The organiser's API tokens page (/organise/api-tokens): make a token, see it once, revoke it."""

from __future__ import annotations

from flask import Blueprint, Response, abort, flash, redirect, render_template, url_for
from flask_login import current_user
from flask_wtf import FlaskForm
from wtforms import StringField
from wtforms.validators import DataRequired, Length

from app.models import ApiToken
from app.services.accounts import api_tokens
from app.shared import ActionForm, organisers_only

bp = Blueprint("api_tokens", __name__)


class NewTokenForm(FlaskForm):
    name = StringField(
        "Name",
        description="What will use it, e.g. “Council CRM import”. Only you see it.",
        validators=[DataRequired(), Length(max=api_tokens.NAME_LIMIT)],
    )


@bp.before_request
def require_organiser() -> Response | None:
    """Only a signed-in organiser manages their own tokens."""
    return organisers_only()


def _own(token_id: int) -> ApiToken:
    token = api_tokens.token_of(current_user, token_id)
    if token is None:
        abort(404)
    return token


@bp.route("", methods=["GET", "POST"])
def index():
    form = NewTokenForm()
    if form.validate_on_submit():
        try:
            row, secret = api_tokens.create(current_user, form.name.data)
        except api_tokens.TokenError as error:
            form.name.errors = [*form.name.errors, str(error)]
        else:
            # Shown in this answer only: not flashed (the session cookie is signed, not secret),
            # not stored, and this page is not cached.
            page = render_template("api/token_created.html", token=row, secret=secret)
            return page, 201, {"Cache-Control": "no-store"}
    return render_template("api/tokens.html", form=form, tokens=api_tokens.tokens_of(current_user))


@bp.route("/<int:token_id>/revoke", methods=["GET", "POST"])
def revoke(token_id: int):
    """GET asks first; POST revokes."""
    token = _own(token_id)
    if token.revoked_at is not None:
        flash(f"“{token.name}” is already revoked.", "info")
        return redirect(url_for(".index"))
    form = ActionForm()
    if form.validate_on_submit():
        api_tokens.revoke(token)
        flash(f"Revoked “{token.name}”: it no longer opens the API.", "success")
        return redirect(url_for(".index"))
    return render_template("api/token_revoke.html", token=token, form=form)
