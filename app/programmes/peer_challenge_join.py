"""The public pages of peer-challenge rounds, each opened by a private link: joining as a peer
or a host (the side's join link), and one's own page (see, change, withdraw; the team and the
dates of each step once known)."""

from __future__ import annotations

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for

from app.models import JoinLink, Member, Programme, ProgrammeKind, ProgrammeStatus
from app.models.peer_challenge import PEER
from app.programmes.mentoring_forms import organisation_suggestions
from app.programmes.peer_challenge_forms import ConfirmForm, HostForm, PeerForm
from app.services.programmes import peer_challenge_members as members
from app.services.programmes.peer_challenge_members import EntryInvalid, told_places
from app.services.programmes.peer_challenge_milestones import STAGES, milestones_of
from app.services.programmes.programmes import join_link

bp = Blueprint("peer_challenge_join", __name__)


def _form(side: str, **kwargs) -> PeerForm | HostForm:
    return PeerForm(**kwargs) if side == PEER else HostForm(**kwargs)


def _link(token: str) -> JoinLink:
    link = join_link(token)
    if link is None or link.programme.kind != ProgrammeKind.PEER_CHALLENGE:
        abort(404)
    return link


def _member(token: str) -> Member:
    member = members.member_by_token(token)
    if member is None or member.programme.kind != ProgrammeKind.PEER_CHALLENGE:
        abort(404)
    return member


@bp.route("/peer-challenge/join/<token>", methods=["GET", "POST"])
def join(token: str):
    link = _link(token)
    programme, side = link.programme, link.side
    form = _form(side)
    if programme.status == ProgrammeStatus.OPEN and form.validate_on_submit():
        try:
            entry = members.check_entry(side, form.raw())
        except EntryInvalid as error:
            form.add_errors(error.errors)
        else:
            member, added = members.join(link, entry)
            if not added:
                return render_template(
                    "programmes/mentoring_already_joined.html", programme=programme
                )
            flash("You have joined. We have emailed you the link to this page.", "success")
            return redirect(url_for(".entry", token=member.token))
    return render_template(
        "programmes/peer_join.html",
        programme=programme,
        side=side,
        form=form,
        organisations=organisation_suggestions(),
        hosts=_hosts_for(programme, side),
    ), (400 if form.errors else 200)


def _hosts_for(programme: Programme, side: str) -> list[Member]:
    """The hosts a peer is shown (their published profile: organisation, sector, themes), to
    name any they must not review; a host is shown none."""
    return members.hosts(programme) if side == PEER else []


@bp.route("/peer-challenge/entry/<token>", methods=["GET", "POST"])
def entry(token: str):
    member = _member(token)
    programme, side = member.programme, member.side
    form = _form(side, data=None if request.method == "POST" else members.details_of(member))
    if form.validate_on_submit():
        try:
            members.update(member, members.check_entry(side, form.raw()))
        except EntryInvalid as error:
            form.add_errors(error.errors)
        else:
            flash("Your entry is saved.", "success")
            return redirect(url_for(".entry", token=token))
    published = programme.status == ProgrammeStatus.PUBLISHED
    milestones = _milestones(member, published)
    return render_template(
        "programmes/peer_entry.html",
        programme=programme,
        member=member,
        side=side,
        form=form,
        organisations=organisation_suggestions(),
        places=told_places(member) if published else [],
        published=published,
        stages=STAGES,
        milestones=milestones,
        has_dates=any(found for _, found in milestones),
        role_words=members.role_words,
        hosts=_hosts_for(programme, side),
    ), (400 if form.errors else 200)


def _milestones(member: Member, published: bool) -> list[tuple[Member, list]]:
    """The dated steps this person should know: a host's own; a peer's teams' once published."""
    if member.side != PEER:
        return [(member, milestones_of(member))]
    if not published:
        return []
    return [(place.host, milestones_of(place.host)) for place in told_places(member)]


@bp.route("/peer-challenge/entry/<token>/withdraw", methods=["GET", "POST"])
def withdraw(token: str):
    """GET asks first; POST takes the peer or host out of the round."""
    member = _member(token)
    form = ConfirmForm()
    if form.validate_on_submit():
        programme = member.programme
        members.withdraw(member)
        return render_template("programmes/mentoring_withdrawn.html", programme=programme)
    return render_template("programmes/peer_withdraw.html", member=member, form=form)
