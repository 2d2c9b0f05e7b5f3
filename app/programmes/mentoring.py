"""Organiser pages of mentoring schemes and secondment rounds (one engine: a host offering
placements is a mentor whose capacity is its places, a secondee a mentee): the programme page's
section (join links, members), editing and removing members, and the CSV import."""

from __future__ import annotations

from flask import (
    Blueprint,
    Response,
    abort,
    flash,
    redirect,
    render_template,
    request,
    url_for,
)

from app.extensions import db
from app.models import (
    JobKind,
    JobState,
    Member,
    MentoringMatching,
    MentoringPair,
    Programme,
    ProgrammeKind,
    ProgrammeStatus,
)
from app.programmes.common import (
    JobWords,
    cancel_job,
    invite_page,
    job_page,
    organisers_programme,
    programme_job,
)
from app.programmes.common import job_status as job_status_json
from app.programmes.mentoring_forms import (
    ImportForm,
    MatchForm,
    MemberForm,
    WithdrawForm,
    organisation_suggestions,
)
from app.services.planning import jobs
from app.services.programmes import (
    mentoring_check_ins,
    mentoring_matching,
    mentoring_members,
    mentoring_review,
)
from app.services.programmes.mentoring_members import MemberInvalid, Words, words
from app.services.programmes.mentoring_review import AdjustRefused
from app.services.programmes.programmes import join_token
from app.services.urls import external_url
from app.shared import ActionForm, database_id, organisers_only

bp = Blueprint("mentoring", __name__)

MATCHING = JobWords("Matching", "Matching", "matches", jobs.kept(True))
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
    jobs.expire_lapsed(programme)  # a job whose process died is shown as ended, never "running"
    # Shown as soon as anyone has joined: the organiser may pair by hand before any matching.
    matched_before = db.session.get(MentoringMatching, programme.id) is not None
    return render_template(
        "programmes/mentoring_section.html",
        programme=programme,
        sides=sides,
        review=mentoring_review.review(programme) if programme.members or matched_before else None,
        at_risk=mentoring_check_ins.at_risk(programme),
        mentor_words=words(programme, "mentor"),
        mentee_words=words(programme, "mentee"),
        action=ActionForm(),
        match_form=MatchForm(**_sides(programme)),
        job=jobs.latest_job(programme, JobKind.MENTORING),
        JobState=JobState,
    )


def _sides(programme: Programme) -> dict[str, Words]:
    """The words of both sides, as the forms that name them take them."""
    return {"mentor": words(programme, "mentor"), "mentee": words(programme, "mentee")}


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
    """GET asks first; POST removes the member, their preferences and any pair (whoever they
    were matched with, once published, is told and listed to match again)."""
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
        partners=mentoring_members.partners(member),
        form=form,
    )


@bp.route("/programmes/<int:programme_id>/import", methods=["GET", "POST"])
def import_members(programme_id: int):
    """MENTORS.csv and/or MENTEES.csv, in the command line's formats plus email and bio."""
    programme = _programme(programme_id)
    form = ImportForm(**_sides(programme))
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


@bp.post("/programmes/<int:programme_id>/match")
def match(programme_id: int):
    """Start matching in the background; its page shows progress and can cancel it."""
    programme = _programme(programme_id)
    form = MatchForm(**_sides(programme))
    if not form.validate_on_submit():
        for name, errors in form.errors.items():
            flash(f"{getattr(form, name).label.text}: {' '.join(errors)}", "error")
        return redirect(url_for("programmes.show", programme_id=programme.id))
    try:
        job = mentoring_matching.start(programme, form.mode.data, form.time_limit.data)
    except jobs.JobError as error:
        flash(str(error), "error")
        return redirect(url_for("programmes.show", programme_id=programme.id))
    return redirect(url_for(".job", programme_id=programme.id, job_id=job.id))


@bp.get("/programmes/<int:programme_id>/jobs/<int:job_id>")
def job(programme_id: int, job_id: int):
    programme = _programme(programme_id)
    job = programme_job(programme, job_id)
    return job_page(programme, job, mentoring_matching.job_summary(job), MATCHING)


@bp.get("/programmes/<int:programme_id>/jobs/<int:job_id>.json")
def job_status(programme_id: int, job_id: int):
    job = programme_job(_programme(programme_id), job_id)
    return job_status_json(job, mentoring_matching.job_summary(job))


@bp.post("/programmes/<int:programme_id>/jobs/<int:job_id>/cancel")
def cancel(programme_id: int, job_id: int):
    programme = _programme(programme_id)
    job = programme_job(programme, job_id)
    cancel_job(job, MATCHING)
    return redirect(url_for(".job", programme_id=programme.id, job_id=job.id))


def _chosen_member(programme: Programme, name: str, side: str) -> Member:
    """The member of `side` a form's select named (404 if none of this programme)."""
    member_id = database_id(request.form.get(name))
    member = mentoring_members.member_of(programme, member_id) if member_id else None
    if member is None or member.side != side:
        abort(404)
    return member


def _adjusted(programme: Programme, change) -> Response:
    """Make an adjustment from a one-button form; a refusal is said plainly at the matches."""
    if not ActionForm().validate_on_submit():
        abort(400)
    try:
        message = change()
    except AdjustRefused as error:
        flash(str(error), "error")
    else:
        flash(message, "success")
    return redirect(url_for("programmes.show", programme_id=programme.id) + "#matches")


@bp.post("/programmes/<int:programme_id>/pairs")
def pair(programme_id: int):
    programme = _programme(programme_id)
    mentor = _chosen_member(programme, "mentor", "mentor")
    mentee = _chosen_member(programme, "mentee", "mentee")

    def change() -> str:
        mentoring_review.pair(programme, mentor, mentee)
        return f"{mentee.name} is now with {mentor.name}."

    return _adjusted(programme, change)


def _pair(programme: Programme, pair_id: int) -> MentoringPair:
    pair = db.session.get(MentoringPair, pair_id)
    if pair is None or pair.programme_id != programme.id:
        abort(404)
    return pair


@bp.post("/programmes/<int:programme_id>/pairs/<int:pair_id>/unpair")
def unpair(programme_id: int, pair_id: int):
    programme = _programme(programme_id)
    pair = _pair(programme, pair_id)
    mentor, mentee = pair.mentor.name, pair.mentee.name

    def change() -> str:
        mentoring_review.unpair(programme, pair)
        return f"{mentee} is no longer with {mentor}."

    return _adjusted(programme, change)


@bp.post("/programmes/<int:programme_id>/pairs/<int:pair_id>/move")
def move(programme_id: int, pair_id: int):
    programme = _programme(programme_id)
    pair = _pair(programme, pair_id)
    mentor = _chosen_member(programme, "mentor", "mentor")
    mentee = pair.mentee

    def change() -> str:
        mentoring_review.move(programme, mentee, mentor)
        return f"{mentee.name} is now with {mentor.name}."

    return _adjusted(programme, change)


@bp.post("/programmes/<int:programme_id>/members/<int:member_id>/no-rematch")
def no_rematch(programme_id: int, member_id: int):
    """Take a member off the list to match again, without a new match."""
    programme = _programme(programme_id)
    member = _member(programme, member_id)

    def change() -> str:
        mentoring_review.no_rematch(member)
        return f"{member.name} is no longer listed to match again."

    return _adjusted(programme, change)


@bp.route("/programmes/<int:programme_id>/publish", methods=["GET", "POST"])
def publish(programme_id: int):
    """GET asks first (everyone is emailed); POST publishes."""
    programme = _programme(programme_id)
    form = ActionForm()
    if form.validate_on_submit():
        try:
            changes = programme.status == ProgrammeStatus.PUBLISHED
            told = mentoring_review.publish(programme)
        except AdjustRefused as error:
            flash(str(error), "error")
        else:
            if changes:
                flash(
                    f"The changes are published: {told} people are being told their new match.",
                    "success",
                )
            else:
                flash(f"The matches are published: {told} people are being told theirs.", "success")
        return redirect(url_for("programmes.show", programme_id=programme.id))
    review = mentoring_review.review(programme)
    return render_template(
        "programmes/mentoring_publish.html",
        programme=programme,
        review=review,
        members=len(programme.members),
        form=form,
    )


@bp.route("/programmes/<int:programme_id>/invite", methods=["GET", "POST"])
def invite(programme_id: int):
    return invite_page(_programme(programme_id), "programmes/mentoring_invite.html")
