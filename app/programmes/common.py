"""What the programmes pages of every kind share: finding the signed-in organiser's programme,
inviting past registrants, and the page, status and cancelling of its background job (a
matching or a team building)."""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Any

from flask import Response, abort, flash, jsonify, redirect, render_template, request, url_for
from flask_login import current_user

from app.extensions import db
from app.models import JobState, Programme, ProgrammeKind, SolveJob
from app.services.planning import jobs
from app.services.programmes import invitations
from app.services.programmes.programmes import ProgrammeError, programme_for_organiser
from app.shared import ActionForm


def organisers_programme(
    programme_id: int, kinds: tuple[ProgrammeKind, ...] = tuple(ProgrammeKind)
) -> Programme:
    """The programme if the signed-in user organises it (and it is of one of `kinds`); 404
    otherwise, so nobody learns that someone else's programme exists."""
    programme = programme_for_organiser(programme_id, current_user, kinds)
    if programme is None:
        abort(404)
    return programme


@dataclass(frozen=True)
class JobWords:
    """How a kind's job page speaks: its title ("Matching"), its heading before the programme's
    name ("Building the teams of"), the section to review ("matches") and what a cancelled run
    keeps."""

    doing: str
    heading: str
    anchor: str  # the programme page's section to review, also the plural in "Review the ..."
    kept: str  # what a cancelled run leaves as it was


def programme_job(programme: Programme, job_id: int) -> SolveJob:
    """The programme's job, or 404; a job whose process died is shown as ended, never running."""
    jobs.expire_lapsed(programme)
    job = db.session.get(SolveJob, job_id)
    if job is None or job.programme_id != programme.id:
        abort(404)
    return job


def job_page(programme: Programme, job: SolveJob, summary: Any, words: JobWords) -> str:
    """The job's progress page; its status and cancel addresses are the calling blueprint's."""
    return render_template(
        "programmes/job.html",
        programme=programme,
        job=job,
        summary=summary,
        words=asdict(words),
        blueprint=request.blueprints[0],
        action=ActionForm(),
        JobState=JobState,
    )


def job_status(job: SolveJob, summary: Any) -> Response:
    """The job's state and figures as JSON, for the page's live progress."""
    return jsonify(
        state=job.state.value,
        **summary.as_json(),
        time_limit=job.params.get("time_limit"),
        error=job.error,
        cancel_requested=job.cancel_requested,
    )


def cancel_job(job: SolveJob, words: JobWords) -> None:
    """Ask the job to stop (the form is the page's CSRF-checked action form) and say so."""
    if not ActionForm().validate_on_submit():
        abort(400)
    jobs.cancel(job)
    if job.state == JobState.RUNNING:
        flash(f"Cancelling: {words.kept}.", "info")
    else:  # cancelled at once, or it had ended already
        flash(job.error or f"This run had already {job.state.value}.", "info")


def invite_page(programme: Programme, template: str) -> Response | str:
    """GET shows who would be invited (registrants of the organiser's past events who asked to
    hear of this kind of programme) and asks first; POST mails them the join links."""
    form = ActionForm()
    if form.validate_on_submit():
        try:
            count = invitations.invite(programme, current_user)
        except ProgrammeError as error:
            flash(str(error), "error")
        else:
            flash(f"Invited {count} people by email.", "success")
        return redirect(url_for("programmes.show", programme_id=programme.id))
    return render_template(
        template,
        programme=programme,
        people=invitations.invitable(programme, current_user),
        form=form,
    )
