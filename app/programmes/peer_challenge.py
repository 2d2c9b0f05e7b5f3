"""Organiser pages of peer-challenge rounds: the programme page's section (join links, peers,
hosts, teams, timeline), editing and removing peers and hosts, the CSV import, and each host's
dated milestones. Building, adjusting and publishing the teams are in peer_challenge_teams.py."""

from __future__ import annotations

from flask import Blueprint, Response, abort, flash, redirect, render_template, request, url_for

from app.models import JobState, Member, Programme, ProgrammeKind
from app.models.peer_challenge import HOST, PEER
from app.programmes.common import invite_page, organisers_programme
from app.programmes.mentoring_forms import organisation_suggestions
from app.programmes.peer_challenge_forms import (
    ConfirmForm,
    HostForm,
    ImportForm,
    MilestonesForm,
    OnSiteForm,
    PeerForm,
    PlaceForm,
    RemindersForm,
    StartForm,
    SwapForm,
)
from app.services.programmes import peer_challenge_members as members
from app.services.programmes import peer_challenge_milestones as milestones
from app.services.programmes import peer_challenge_teams as teams
from app.services.programmes.peer_challenge_members import EntryInvalid, role_words
from app.services.programmes.peer_challenge_milestones import MilestoneError
from app.services.programmes.programmes import join_token
from app.services.urls import external_url
from app.shared import ActionForm, organisers_only

bp = Blueprint("peer_challenge", __name__)
KINDS = (ProgrammeKind.PEER_CHALLENGE,)
SIDE_NAMES = {PEER: ("peer", "peers"), HOST: ("host", "hosts")}


@bp.before_request
def require_organiser() -> Response | None:
    return organisers_only()


def programme_of(programme_id: int) -> Programme:
    return organisers_programme(programme_id, KINDS)


def member_of(programme: Programme, member_id: int) -> Member:
    member = members.member_of(programme, member_id)
    if member is None:
        abort(404)
    return member


def section(programme: Programme) -> str:
    """The programme page's body for a peer-challenge round."""
    sides = [
        {
            "side": side,
            "names": SIDE_NAMES[side],
            "join_url": external_url("peer_challenge_join.join", token=join_token(programme, side)),
            "members": members.members(programme, side),
        }
        for side in (PEER, HOST)
    ]
    return render_template(
        "programmes/peer_section.html",
        programme=programme,
        sides=sides,
        review=teams.review(programme),
        job=teams.latest_job(programme),
        JobState=JobState,
        start_form=StartForm(),
        place_form=PlaceForm(),
        swap_form=SwapForm(),
        action=ActionForm(),
        timeline=milestones.timeline(programme),
        reminder_days=milestones.reminder_days(programme),
        stages=milestones.STAGES,
        role_words=role_words,
    )


@bp.route("/programmes/<int:programme_id>/peer-challenge/<int:member_id>", methods=["GET", "POST"])
def edit_member(programme_id: int, member_id: int):
    """An organiser corrects a peer's or host's details."""
    programme = programme_of(programme_id)
    member = member_of(programme, member_id)
    data = None if request.method == "POST" else members.details_of(member)
    form = PeerForm(data=data) if member.side == PEER else HostForm(data=data)
    if form.validate_on_submit():
        try:
            members.update(member, members.check_entry(member.side, form.raw(), by_organiser=True))
        except EntryInvalid as error:
            form.add_errors(error.errors)
        else:
            flash(f"{member.name}'s details are saved.", "success")
            return redirect(url_for("programmes.show", programme_id=programme.id))
    return render_template(
        "programmes/peer_member_edit.html",
        programme=programme,
        member=member,
        side=member.side,
        form=form,
        organisations=organisation_suggestions(for_organiser=True),
    ), (400 if form.errors else 200)


@bp.route(
    "/programmes/<int:programme_id>/peer-challenge/<int:member_id>/remove",
    methods=["GET", "POST"],
)
def remove_member(programme_id: int, member_id: int):
    """GET asks first; POST removes the peer or host and their places on teams."""
    programme = programme_of(programme_id)
    member = member_of(programme, member_id)
    form = ConfirmForm()
    if form.validate_on_submit():
        name = member.name
        members.withdraw(member)
        flash(f"{name} is no longer in the round.", "success")
        return redirect(url_for("programmes.show", programme_id=programme.id))
    return render_template(
        "programmes/peer_member_remove.html", programme=programme, member=member, form=form
    )


@bp.route("/programmes/<int:programme_id>/peer-challenge/import", methods=["GET", "POST"])
def import_members(programme_id: int):
    """PEERS.csv and/or HOSTS.csv, in the command line's formats plus email (and contact)."""
    programme = programme_of(programme_id)
    form = ImportForm()
    errors: list[str] = []
    if form.validate_on_submit():
        files = {
            side: (upload.filename or members.FILE_NAMES[side], upload.read())
            for side, upload in ((PEER, form.peers.data), (HOST, form.hosts.data))
            if upload and upload.filename
        }
        if not files:
            errors = ["Choose a file of peers, of hosts, or both."]
        else:
            try:
                added = members.import_csv(programme, files)
            except EntryInvalid as error:
                errors = error.errors["file"]
            else:
                counts = ", ".join(
                    f"{count} {SIDE_NAMES[side][0 if count == 1 else 1]}"
                    for side, count in added.items()
                )
                flash(f"Imported {counts}; each has been sent their own link.", "success")
                return redirect(url_for("programmes.show", programme_id=programme.id))
    return render_template(
        "programmes/peer_import.html", programme=programme, form=form, errors=errors
    ), (400 if errors or form.errors else 200)


@bp.route(
    "/programmes/<int:programme_id>/peer-challenge/<int:member_id>/dates",
    methods=["GET", "POST"],
)
def dates(programme_id: int, member_id: int):
    """A host's timeline: the first day on site dates every step at the usual distance from
    it; each step's date can then be moved."""
    programme = programme_of(programme_id)
    host = member_of(programme, member_id)
    if host.side != HOST:
        abort(404)
    on_site_form = OnSiteForm(prefix="on-site")
    current = {m.stage: m.due for m in host.milestones}
    form = MilestonesForm(data=None if request.method == "POST" else current)
    if request.form.get("which") == "on-site" and on_site_form.validate_on_submit():
        if on_site_form.on_site.data is None:
            on_site_form.on_site.errors = ["Give the first day on site."]
        else:
            milestones.date_from_on_site(host, on_site_form.on_site.data)
            flash(f"Every step at {host.organisation.name} is dated from it.", "success")
            return redirect(url_for(".dates", programme_id=programme.id, member_id=host.id))
    elif request.form.get("which") == "steps" and form.validate_on_submit():
        given = {stage: form[stage].data for stage in milestones.STAGES if form[stage].data}
        try:
            milestones.set_dates(host, given)
        except MilestoneError as error:
            form[error.stage].errors = [str(error)]
        else:
            flash(f"The dates at {host.organisation.name} are saved.", "success")
            return redirect(url_for("programmes.show", programme_id=programme.id))
    return render_template(
        "programmes/peer_dates.html",
        programme=programme,
        host=host,
        on_site_form=on_site_form,
        form=form,
        stages=milestones.STAGES,
        reminder_days=milestones.reminder_days(programme),
    ), (400 if form.errors or on_site_form.errors else 200)


@bp.route("/programmes/<int:programme_id>/peer-challenge/reminders", methods=["GET", "POST"])
def reminders(programme_id: int):
    """How many days before each step its reminder goes, for the whole round."""
    programme = programme_of(programme_id)
    form = RemindersForm(data={"reminder_days": milestones.reminder_days(programme)})
    if form.validate_on_submit():
        try:
            milestones.set_reminder_days(programme, form.reminder_days.data)
        except MilestoneError as error:
            form.reminder_days.errors = [str(error)]
        else:
            days = form.reminder_days.data
            flash(f"Reminders go {days} day{'s' if days != 1 else ''} before each step.", "success")
            return redirect(
                url_for("programmes.show", programme_id=programme.id, _anchor="timeline-heading")
            )
    return render_template("programmes/peer_reminders.html", programme=programme, form=form), (
        400 if form.errors else 200
    )


@bp.route("/programmes/<int:programme_id>/peer-challenge/invite", methods=["GET", "POST"])
def invite(programme_id: int):
    return invite_page(programme_of(programme_id), "programmes/peer_invite.html")
