"""Organiser pages for a peer-challenge round's teams: building them in the background (progress,
cancel), adjusting them by hand under the engine's rules, publishing them (after asking), and
publishing the changes made since (after asking), which tells only the people of the teams that
changed."""

from __future__ import annotations

from flask import Blueprint, Response, abort, flash, redirect, render_template, url_for

from app.extensions import db
from app.models import PeerPlace, Programme
from app.models.peer_challenge import HOST, PEER
from app.programmes.common import JobWords, cancel_job, job_page, programme_job
from app.programmes.common import job_status as job_status_json
from app.programmes.peer_challenge import member_of, programme_of
from app.programmes.peer_challenge_forms import (
    PlaceForm,
    PublishChangesForm,
    PublishForm,
    StartForm,
    SwapForm,
)
from app.services.planning import jobs
from app.services.programmes import peer_challenge_teams as teams
from app.services.programmes.peer_challenge_teams import AdjustRefused
from app.shared import ActionForm, organisers_only

bp = Blueprint("peer_teams", __name__)

TEAM_BUILDING = JobWords(
    "Building teams", "Building the teams of", "teams", "the previous teams are kept"
)


@bp.before_request
def require_organiser() -> Response | None:
    return organisers_only()


def _back(programme: Programme, anchor: str = "teams") -> Response:
    return redirect(url_for("programmes.show", programme_id=programme.id, _anchor=anchor))


@bp.post("/programmes/<int:programme_id>/peer-challenge/build")
def build(programme_id: int):
    """Start building the teams in the background; its page shows progress and can cancel."""
    programme = programme_of(programme_id)
    form = StartForm()
    if not form.validate_on_submit():
        for name, errors in form.errors.items():
            flash(f"{getattr(form, name).label.text}: {' '.join(errors)}", "error")
        return _back(programme)
    try:
        job = teams.start(programme, form.time_limit.data)
    except jobs.JobError as error:
        flash(str(error), "error")
        return _back(programme)
    return redirect(url_for(".job", programme_id=programme.id, job_id=job.id))


@bp.get("/programmes/<int:programme_id>/peer-challenge/jobs/<int:job_id>")
def job(programme_id: int, job_id: int):
    programme = programme_of(programme_id)
    job = programme_job(programme, job_id)
    return job_page(programme, job, teams.job_summary(job), TEAM_BUILDING)


@bp.get("/programmes/<int:programme_id>/peer-challenge/jobs/<int:job_id>.json")
def job_status(programme_id: int, job_id: int):
    job = programme_job(programme_of(programme_id), job_id)
    return job_status_json(job, teams.job_summary(job))


@bp.post("/programmes/<int:programme_id>/peer-challenge/jobs/<int:job_id>/cancel")
def cancel(programme_id: int, job_id: int):
    programme = programme_of(programme_id)
    job = programme_job(programme, job_id)
    cancel_job(job, TEAM_BUILDING)
    return redirect(url_for(".job", programme_id=programme.id, job_id=job.id))


def _place(programme: Programme, place_id: str | int | None) -> PeerPlace:
    place = db.session.get(PeerPlace, int(place_id)) if str(place_id or "").isdecimal() else None
    if place is None or place.programme_id != programme.id:
        abort(404)
    return place


def _adjusted(programme: Programme, change, done: str) -> Response:
    try:
        change()
    except AdjustRefused as error:
        flash(str(error), "error")
    else:
        flash(done, "success")
    return _back(programme)


@bp.post("/programmes/<int:programme_id>/peer-challenge/put")
def put(programme_id: int):
    programme = programme_of(programme_id)
    form = PlaceForm()
    if not form.validate_on_submit():
        abort(400)
    if not (form.host.data or "").isdecimal() or not (form.peer.data or "").isdecimal():
        flash("Choose a team and a peer.", "error")
        return _back(programme)
    host = member_of(programme, int(form.host.data))
    peer = member_of(programme, int(form.peer.data))
    if host.side != HOST or peer.side != PEER:
        abort(404)
    return _adjusted(
        programme,
        lambda: teams.put(programme, host, peer),
        f"{peer.name} is on {host.organisation.name}'s team.",
    )


@bp.post("/programmes/<int:programme_id>/peer-challenge/places/<int:place_id>/take-out")
def take_out(programme_id: int, place_id: int):
    programme = programme_of(programme_id)
    if not ActionForm().validate_on_submit():
        abort(400)
    place = _place(programme, place_id)
    done = f"{place.peer.name} is off {place.host.organisation.name}'s team."
    return _adjusted(programme, lambda: teams.take_out(programme, place), done)


@bp.post("/programmes/<int:programme_id>/peer-challenge/swap")
def swap(programme_id: int):
    programme = programme_of(programme_id)
    form = SwapForm()
    if not form.validate_on_submit():
        abort(400)
    if not (form.first.data or "").isdecimal() or not (form.second.data or "").isdecimal():
        flash("Choose the two peers to swap.", "error")
        return _back(programme)
    first, second = _place(programme, form.first.data), _place(programme, form.second.data)
    done = f"{first.peer.name} and {second.peer.name} have swapped teams."
    return _adjusted(programme, lambda: teams.swap(programme, first, second), done)


@bp.route("/programmes/<int:programme_id>/peer-challenge/publish", methods=["GET", "POST"])
def publish(programme_id: int):
    """GET asks first (saying who will be told); POST publishes and tells everyone."""
    programme = programme_of(programme_id)
    form = PublishForm()
    review = teams.review(programme)
    if form.validate_on_submit():
        if not form.confirm.data:
            form.confirm.errors = ["Tick the box to confirm."]
        else:
            try:
                told = teams.publish(programme)
            except AdjustRefused as error:
                flash(str(error), "error")
                return _back(programme)
            flash(f"The teams are published: {told} peers and hosts are being told.", "success")
            return _back(programme)
    return render_template(
        "programmes/peer_publish.html", programme=programme, form=form, review=review
    ), (400 if form.errors else 200)


@bp.route("/programmes/<int:programme_id>/peer-challenge/publish-changes", methods=["GET", "POST"])
def publish_changes(programme_id: int):
    """GET shows the teams that changed since publishing and asks first; POST tells their
    people (nobody else)."""
    programme = programme_of(programme_id)
    form = PublishChangesForm()
    changed = teams.changed_teams(programme)
    if form.validate_on_submit():
        if not form.confirm.data:
            form.confirm.errors = ["Tick the box to confirm."]
        else:
            try:
                told = teams.publish_changes(programme)
            except AdjustRefused as error:
                flash(str(error), "error")
                return _back(programme)
            flash(f"The changes are published: {told} messages are on their way.", "success")
            return _back(programme)
    return render_template(
        "programmes/peer_publish_changes.html", programme=programme, form=form, changed=changed
    ), (400 if form.errors else 200)
