"""The public pages of mentoring schemes and secondment rounds, each opened by a private link:
joining a side (its join link), a member's own page (see, change, withdraw; their match once
published) and the "is this working?" check-in."""

from __future__ import annotations

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for

from app.models import JoinLink, Member, Programme, ProgrammeStatus
from app.programmes.mentoring_forms import (
    CheckInForm,
    MemberForm,
    WithdrawForm,
    choice_options,
    organisation_suggestions,
    submitted_choices,
)
from app.services.programmes import mentoring_check_ins, mentoring_members
from app.services.programmes.mentoring_members import (
    OTHER_SIDE,
    WORDS,
    MemberInvalid,
    public_profiles,
    words,
)
from app.services.programmes.programmes import join_link

bp = Blueprint("mentoring_join", __name__)


def _link(token: str) -> JoinLink:
    link = join_link(token)
    if link is None or link.programme.kind not in WORDS:
        abort(404)
    return link


def _member(token: str) -> Member:
    member = mentoring_members.member_by_token(token)
    if member is None or member.programme.kind not in WORDS:
        abort(404)
    return member


def _page(template: str, programme: Programme, side: str, form: MemberForm, choices, **context):
    return render_template(
        template,
        programme=programme,
        side=side,
        words=words(programme, side),
        other_words=words(programme, OTHER_SIDE[side]),
        form=form,
        profiles=public_profiles(programme, OTHER_SIDE[side]),
        choices=choices,
        choice_options=choice_options(),
        organisations=organisation_suggestions(),
        **context,
    )


@bp.route("/mentoring/join/<token>", methods=["GET", "POST"])
def join(token: str):
    link = _link(token)
    programme, side = link.programme, link.side
    form = MemberForm(words=words(programme, side))
    choices = submitted_choices(request)
    status, choice_errors = 200, []
    if programme.status == ProgrammeStatus.OPEN and form.validate_on_submit():
        try:
            profile = mentoring_members.check_profile(
                programme, side, {**form.raw(), "choices": choices}
            )
        except MemberInvalid as error:
            form.add_errors(error.errors)
            choice_errors = error.errors.get("choices", [])
            status = 400
        else:
            member, added = mentoring_members.join(link, profile)
            if not added:
                return render_template(
                    "programmes/mentoring_already_joined.html", programme=programme
                )
            flash("You have joined. We have emailed you the link to this page.", "success")
            return redirect(url_for(".entry", token=member.token))
    elif form.errors:
        status = 400
    return _page(
        "programmes/mentoring_join.html",
        programme,
        side,
        form,
        choices,
        choice_errors=choice_errors,
    ), status


@bp.route("/mentoring/entry/<token>", methods=["GET", "POST"])
def entry(token: str):
    member = _member(token)
    programme, side = member.programme, member.side
    published = programme.status == ProgrammeStatus.PUBLISHED
    form = MemberForm(
        words=words(programme, side),
        data=None if request.method == "POST" else mentoring_members.details_of(member),
    )
    choices = (
        submitted_choices(request)
        if request.method == "POST"
        else mentoring_members.choices_of(member)
    )
    status, choice_errors = 200, []
    if form.validate_on_submit():
        raw = {**form.raw(), "choices": None if published else choices}
        try:
            mentoring_members.update(member, mentoring_members.check_profile(programme, side, raw))
        except MemberInvalid as error:
            form.add_errors(error.errors)
            choice_errors = error.errors.get("choices", [])
            status = 400
        else:
            flash("Your entry is saved.", "success")
            return redirect(url_for(".entry", token=token))
    elif form.errors:
        status = 400
    return _page(
        "programmes/mentoring_entry.html",
        programme,
        side,
        form,
        choices,
        choice_errors=choice_errors,
        member=member,
        published=published,
        partners=mentoring_members.partners(member) if published else [],
    ), status


@bp.route("/mentoring/entry/<token>/withdraw", methods=["GET", "POST"])
def withdraw(token: str):
    """GET asks first; POST takes the member out of the programme."""
    member = _member(token)
    form = WithdrawForm()
    if form.validate_on_submit():
        programme = member.programme
        mentoring_members.withdraw(member)
        return render_template("programmes/mentoring_withdrawn.html", programme=programme)
    return render_template(
        "programmes/mentoring_withdraw.html",
        member=member,
        words=words(member.programme, member.side),
        partners=mentoring_members.partners(member),
        form=form,
    )


@bp.route("/mentoring/check-in/<token>", methods=["GET", "POST"])
def check_in(token: str):
    check_in = mentoring_check_ins.check_in_by_token(token)
    if check_in is None:
        abort(404)
    form = CheckInForm()
    if form.validate_on_submit():
        mentoring_check_ins.answer(check_in, form.working.data == "yes", form.note.data or "")
        flash("Thank you: the organisers have your answer.", "success")
        return redirect(url_for(".check_in", token=token))
    pair, member = check_in.pair, check_in.member
    return render_template(
        "programmes/mentoring_check_in.html",
        check_in=check_in,
        programme=member.programme,
        partner=pair.mentee if member.side == "mentor" else pair.mentor,
        form=form,
    ), (400 if form.errors else 200)
