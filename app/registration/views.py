"""The registrant's pages: the registration form, the private manage page and the privacy notice.

The manage token in `/r/<token>` is the only key to a registration, so these pages tell the browser
never to send their address on (Referrer-Policy) and never to store them (Cache-Control).
"""

from __future__ import annotations

from flask import Blueprint, abort, flash, redirect, render_template, url_for

from app.models import Registration, RegistrationStatus
from app.registration.forms import (
    OwnDetailsForm,
    RegisterForm,
    filled,
    suggestions,
    with_preferences,
)
from app.security import limit_registrations
from app.services.events import setup
from app.services.harvest.briefing import published_briefing
from app.services.messaging.messages import HARVEST_NOTICE
from app.services.planning import places
from app.services.registration import capacity, check_in_codes, details, lifecycle, lookup
from app.services.registration.details import RegistrationInvalid
from app.services.registration.lifecycle import AlreadyRegistered, RegistrationClosed
from app.services.series.tablemates import tablemates
from app.services.voting.ballots import vote_of
from app.shared import ActionForm

bp = Blueprint("registration", __name__)


@bp.after_request
def keep_private(response):
    response.headers["Referrer-Policy"] = "no-referrer"
    response.headers["Cache-Control"] = "no-store"
    response.headers["X-Robots-Tag"] = "noindex"
    return response


@bp.route("/events/<slug>/register", methods=["GET", "POST"])
@limit_registrations
def register(slug: str):
    event = setup.published_event(slug, setup.WITH_PROGRAMME)
    if event is None:
        abort(404)
    form = with_preferences(RegisterForm, event)()
    closed = lifecycle.closed_reason(event)
    if closed is None and form.validate_on_submit():
        try:
            registration = lifecycle.register(event, form.raw())
        except RegistrationInvalid as error:
            form.add_errors(error.errors)
        except AlreadyRegistered as error:
            # The form again as typed, so a mistyped email can be corrected and sent again.
            form.add_errors({"email": ["This email is already registered for this event."]})
            return render_template(
                "registration/already_registered.html",
                event=event,
                form=form,
                closed=None,
                full=lifecycle.is_full(event),
                message=str(error),
                **suggestions(),
            )
        except RegistrationClosed as error:
            closed = str(error)
        else:
            return redirect(url_for(".manage", token=registration.token))
    status = 403 if closed and form.is_submitted() else 200
    return render_template(
        "registration/register.html",
        event=event,
        form=form,
        closed=closed,
        full=closed is None and lifecycle.is_full(event),
        **suggestions(),
    ), status


def _registration(token: str) -> Registration:
    registration = lookup.by_token(token)
    if registration is None:
        abort(404)
    return registration


@bp.get("/r/<token>")
def manage(token: str):
    registration = lookup.for_own_page(token)
    if registration is None:
        abort(404)
    return render_template(
        "registration/manage.html",
        registration=registration,
        event=registration.event,
        schedule=places.schedule(registration),
        preferences=details.preferences_by_slot(registration),
        position=capacity.waiting_position(registration),
        can_edit=lifecycle.can_edit(registration),
        can_rejoin=registration.status == RegistrationStatus.CANCELLED
        and lifecycle.closed_reason(registration.event) is None,
        harvest_notice=HARVEST_NOTICE,
        briefing=published_briefing(registration.event),
        tablemates=tablemates(registration),
        vote=vote_of(registration.event),
        action=ActionForm(),
        check_in_code=check_in_codes.svg_data_uri(registration)
        if registration.status == RegistrationStatus.CONFIRMED
        else None,
    )


@bp.route("/r/<token>/edit", methods=["GET", "POST"])
def edit(token: str):
    registration = _registration(token)
    if not lifecycle.can_edit(registration):
        flash("This registration can no longer be changed.", "error")
        return redirect(url_for(".manage", token=token))
    form = filled(OwnDetailsForm, registration)
    if form.validate_on_submit():
        try:
            lifecycle.update_own(registration, form.raw())
        except RegistrationInvalid as error:
            form.add_errors(error.errors)
        except RegistrationClosed as error:
            flash(str(error), "error")
            return redirect(url_for(".manage", token=token))
        else:
            flash("Your details are saved.", "success")
            return redirect(url_for(".manage", token=token))
    return render_template(
        "registration/edit.html",
        registration=registration,
        event=registration.event,
        form=form,
        **suggestions(),
    )


@bp.route("/r/<token>/cancel", methods=["GET", "POST"])
def cancel(token: str):
    """GET asks first; POST cancels (or leaves the waiting list)."""
    registration = _registration(token)
    if registration.status == RegistrationStatus.CANCELLED:
        return redirect(url_for(".manage", token=token))
    form = ActionForm()
    if form.validate_on_submit():
        waiting = registration.status == RegistrationStatus.WAITLISTED
        lifecycle.cancel(registration)
        flash(
            "You have left the waiting list." if waiting else "Your registration is cancelled.",
            "success",
        )
        return redirect(url_for(".manage", token=token))
    return render_template(
        "registration/cancel.html", registration=registration, event=registration.event, form=form
    )


@bp.route("/r/<token>/claim", methods=["GET", "POST"])
def claim(token: str):
    """The link in an offer email: GET shows the offer, POST claims the seat."""
    registration = _registration(token)
    form = ActionForm()
    if form.validate_on_submit():
        if lifecycle.claim(registration):
            flash("The place is yours: your registration is confirmed.", "success")
        else:
            flash("Sorry, this offer is no longer open.", "error")
        return redirect(url_for(".manage", token=token))
    return render_template(
        "registration/claim.html", registration=registration, event=registration.event, form=form
    )


@bp.post("/r/<token>/rejoin")
def rejoin(token: str):
    registration = _registration(token)
    if not ActionForm().validate_on_submit():
        abort(400)
    try:
        lifecycle.rejoin(registration)
    except RegistrationClosed as error:
        flash(str(error), "error")
    else:
        if registration.status == RegistrationStatus.CONFIRMED:
            flash("You are booked in again: your place is confirmed.", "success")
        else:
            flash("The event is full: you are on the waiting list.", "success")
    return redirect(url_for(".manage", token=token))


@bp.post("/r/<token>/programmes")
def hear_of_programmes(token: str):
    """Give or withdraw consent to be invited to mentoring schemes and secondments."""
    registration = _registration(token)
    if not ActionForm().validate_on_submit():
        abort(400)
    hear = not registration.hear_of_programmes
    try:
        lifecycle.set_hear_of_programmes(registration, hear)
    except RegistrationClosed as error:
        flash(str(error), "error")
    else:
        flash(
            "The organisers may invite you to mentoring schemes and secondments."
            if hear
            else "You will not be invited to mentoring schemes and secondments.",
            "success",
        )
    return redirect(url_for(".manage", token=token))


@bp.post("/r/<token>/peer-challenges")
def hear_of_peer_challenges(token: str):
    """Give or withdraw consent to be invited to peer challenges."""
    registration = _registration(token)
    if not ActionForm().validate_on_submit():
        abort(400)
    hear = not registration.hear_of_peer_challenges
    try:
        lifecycle.set_hear_of_peer_challenges(registration, hear)
    except RegistrationClosed as error:
        flash(str(error), "error")
    else:
        flash(
            "The organisers may invite you to peer challenges."
            if hear
            else "You will not be invited to peer challenges.",
            "success",
        )
    return redirect(url_for(".manage", token=token))


@bp.post("/r/<token>/tablemates")
def share_tablemates(token: str):
    """Give or withdraw consent to be shown to (and to see) the people one sat with."""
    registration = _registration(token)
    if not ActionForm().validate_on_submit():
        abort(400)
    share = not registration.share_tablemates
    try:
        lifecycle.set_share_tablemates(registration, share)
    except RegistrationClosed as error:
        flash(str(error), "error")
    else:
        flash(
            "You will see the people you sat with who agreed too, and they will see you."
            if share
            else "You are no longer shown to the people you sat with, nor they to you.",
            "success",
        )
    return redirect(url_for(".manage", token=token))


@bp.get("/privacy")
def privacy():
    return render_template("registration/privacy.html")
