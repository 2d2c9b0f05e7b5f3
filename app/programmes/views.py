"""Organiser pages for programmes: the list with a form to create one, and one programme's page,
whose body is its kind's section (each kind's pages live in a module of their own)."""

from __future__ import annotations

from collections.abc import Callable

from flask import Blueprint, Response, flash, redirect, render_template, url_for
from flask_login import current_user
from markupsafe import Markup

from app.models import Programme, ProgrammeKind
from app.programmes import mentoring, peer_challenge
from app.programmes.common import organisers_programme
from app.programmes.forms import ProgrammeForm
from app.services.programmes import programmes
from app.services.programmes.programmes import ProgrammeError
from app.shared import organisers_only

bp = Blueprint("programmes", __name__)

# Each kind's part of the programme page: a function of the programme giving its HTML (rendered
# from a template of its own, so it is trusted as markup).
SECTIONS: dict[ProgrammeKind, Callable[[Programme], str]] = {
    ProgrammeKind.MENTORING: mentoring.section,
    ProgrammeKind.SECONDMENT: mentoring.section,
    ProgrammeKind.PEER_CHALLENGE: peer_challenge.section,
}


@bp.before_request
def require_organiser() -> Response | None:
    """Every programmes page needs a signed-in organiser."""
    return organisers_only()


@bp.route("/programmes", methods=["GET", "POST"])
def index():
    form = ProgrammeForm()
    if form.validate_on_submit():
        try:
            programme = programmes.create_programme(
                ProgrammeKind(form.kind.data), form.name.data, form.description.data, current_user
            )
        except ProgrammeError as error:
            form.name.errors = [*form.name.errors, str(error)]
        else:
            flash(f"The {programme.kind.label.lower()} “{programme.name}” is made.", "success")
            return redirect(url_for(".show", programme_id=programme.id))
    status = 400 if form.errors else 200
    return render_template(
        "programmes/index.html",
        programmes=programmes.programmes_of_organiser(current_user),
        form=form,
    ), status


@bp.get("/programmes/<int:programme_id>")
def show(programme_id: int):
    programme = organisers_programme(programme_id)
    section = SECTIONS.get(programme.kind)
    return render_template(
        "programmes/show.html",
        programme=programme,
        section=Markup(section(programme)) if section else "",
    )
