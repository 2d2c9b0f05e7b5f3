"""Organiser pages of mentoring schemes and secondment rounds (one engine: a host offering
placements is a mentor whose capacity is its places, a secondee a mentee): the programme page's
section (join links, members), editing and removing members, and the CSV import."""

from __future__ import annotations

from flask import Blueprint, Response, abort, flash, redirect, render_template, request, url_for

from app.models import Member, Programme, ProgrammeKind
from app.programmes.common import organisers_programme
from app.programmes.mentoring_forms import (
    ImportForm,
    MemberForm,
    WithdrawForm,
    organisation_suggestions,
)
from app.services.programmes import mentoring_members
from app.services.programmes.mentoring_members import MemberInvalid, words
from app.services.programmes.programmes import join_token
from app.services.urls import external_url
from app.shared import organisers_only

bp = Blueprint("mentoring", __name__)
KINDS = (ProgrammeKind.MENTORING, ProgrammeKind.SECONDMENT)
SIDES = ("mentor", "mentee")


@bp.before_request
def require_organiser() -> Response | None:
    return organisers_only()


def _programme(programme_id: int) -> Programme:
    return organisers_programme(programme_id, KINDS)


def section(programme: Programme) -> str:
    """The programme page's body for these kinds."""
    sides = [
        {
            "side": side,
            "words": words(programme, side),
            "join_url": external_url("mentoring_join.join", token=join_token(programme, side)),
            "members": mentoring_members.members(programme, side),
        }
        for side in SIDES
    ]
    return render_template("programmes/mentoring_section.html", programme=programme, sides=sides)


def _member(programme: Programme, member_id: int) -> Member:
    member = mentoring_members.member_of(programme, member_id)
    if member is None:
        abort(404)
    return member


@bp.route("/programmes/<int:programme_id>/members/<int:member_id>", methods=["GET", "POST"])
def edit_member(programme_id: int, member_id: int):
    """An organiser corrects a member's details (their preferences stay theirs)."""
    programme = _programme(programme_id)
    member = _member(programme, member_id)
    form = MemberForm(
        words=words(programme, member.side),
        data=None if request.method == "POST" else mentoring_members.details_of(member),
    )
    if form.validate_on_submit():
        try:
            profile = mentoring_members.check_profile(
                programme, member.side, form.raw(), by_organiser=True
            )
            mentoring_members.update(member, profile)
        except MemberInvalid as error:
            form.add_errors(error.errors)
        else:
            flash(f"{member.name}'s details are saved.", "success")
            return redirect(url_for("programmes.show", programme_id=programme.id))
    return render_template(
        "programmes/mentoring_member_edit.html",
        programme=programme,
        member=member,
        words=words(programme, member.side),
        form=form,
        organisations=organisation_suggestions(for_organiser=True),
    ), (400 if form.errors else 200)


@bp.route("/programmes/<int:programme_id>/members/<int:member_id>/remove", methods=["GET", "POST"])
def remove_member(programme_id: int, member_id: int):
    """GET asks first; POST removes the member, their preferences and any pair."""
    programme = _programme(programme_id)
    member = _member(programme, member_id)
    form = WithdrawForm()
    if form.validate_on_submit():
        name = member.name
        mentoring_members.withdraw(member)
        flash(f"{name} is no longer in the programme.", "success")
        return redirect(url_for("programmes.show", programme_id=programme.id))
    return render_template(
        "programmes/mentoring_member_remove.html",
        programme=programme,
        member=member,
        words=words(programme, member.side),
        form=form,
    )


@bp.route("/programmes/<int:programme_id>/import", methods=["GET", "POST"])
def import_members(programme_id: int):
    """MENTORS.csv and/or MENTEES.csv, in the command line's formats plus email and bio."""
    programme = _programme(programme_id)
    form = ImportForm()
    errors: list[str] = []
    if form.validate_on_submit():
        files = {
            side: (upload.filename or f"{side}s.csv", upload.read())
            for side, upload in (("mentor", form.mentors.data), ("mentee", form.mentees.data))
            if upload and upload.filename
        }
        if not files:
            errors = ["Choose a file of mentors, of mentees, or both."]
        else:
            try:
                result = mentoring_members.import_csv(programme, files)
            except MemberInvalid as error:
                errors = error.errors["file"]
            else:
                added = ", ".join(
                    f"{count} {words(programme, side).many}" for side, count in result.added.items()
                )
                flash(f"Imported {added}; each has been sent their own link.", "success")
                return redirect(url_for("programmes.show", programme_id=programme.id))
    return render_template(
        "programmes/mentoring_import.html",
        programme=programme,
        form=form,
        errors=errors,
        mentor_words=words(programme, "mentor"),
        mentee_words=words(programme, "mentee"),
    ), (400 if errors or form.errors else 200)
