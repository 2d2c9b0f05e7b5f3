"""The briefing: written and approved by organisers and harvest editors, read by anyone once
published (`/events/<slug>/briefing`), as a page and as a PDF."""

from __future__ import annotations

from flask import (
    Blueprint,
    Response,
    abort,
    current_app,
    flash,
    redirect,
    render_template,
    request,
    url_for,
)
from flask_login import current_user, login_required
from flask_wtf import FlaskForm
from wtforms import TextAreaField
from wtforms.validators import Length

from app.models import Event
from app.services.events.setup import published_event
from app.services.harvest import briefing as briefings
from app.services.harvest.moderation import event_for_harvest
from app.services.printing import documents
from app.services.printing.pdf import StaticFiles
from app.shared import ActionForm

bp = Blueprint("briefing", __name__)

TITLE = "Briefing"


class SummaryForm(FlaskForm):
    summary = TextAreaField(
        "Summary",
        description=(
            "A few paragraphs for policymakers, in your words. "
            "Leave a blank line between paragraphs."
        ),
        validators=[Length(max=10_000)],
    )


def _event(slug: str) -> Event:
    event = event_for_harvest(slug, current_user)
    if event is None:
        abort(404)
    return event


@bp.route("/organise/events/<slug>/harvest/briefing", methods=["GET", "POST"])
@login_required
def organiser(slug: str):
    event = _event(slug)
    briefing = briefings.briefing_for(event)
    form = SummaryForm(data={"summary": briefing.summary} if request.method == "GET" else None)
    if form.validate_on_submit():
        briefings.save_summary(briefing, form.summary.data or "")
        flash("Summary saved.", "success")
        return redirect(url_for(".organiser", slug=event.slug))
    return render_template(
        "harvest/briefing.html",
        event=event,
        briefing=briefing,
        content=briefings.content(event),
        identifying=briefings.identifying_cards(event),
        form=form,
        action=ActionForm(),
    )


@bp.post("/organise/events/<slug>/harvest/briefing/<any(approve, publish, draft):step>")
@login_required
def step(slug: str, step: str):
    event = _event(slug)
    if not ActionForm().validate_on_submit():
        abort(400)
    briefing = briefings.briefing_for(event)
    try:
        if step == "approve":
            briefings.approve(briefing)
            flash("Briefing approved. Publish it when it is ready to be read.", "success")
        elif step == "publish":
            if request.form.get("confirm") != "yes":
                raise briefings.BriefingRefused("Tick the box to confirm anyone may read it.")
            briefings.publish(briefing)
            flash("Briefing published.", "success")
        else:
            briefings.back_to_draft(briefing)
            flash("Briefing is a draft again.", "success")
    except briefings.BriefingRefused as refused:
        flash(str(refused), "error")
    return redirect(url_for(".organiser", slug=event.slug))


def _pdf(event: Event, briefing) -> Response:
    html = render_template(
        "harvest/briefing_print.html",
        event=event,
        briefing=briefing,
        content=briefings.content(event),
        title=TITLE,
        doc="briefing",
        pdf=True,
        pdf_url="",
        back_url="",
    )
    static = StaticFiles(current_app.static_folder or "", current_app.static_url_path or "/static")
    return Response(
        documents.render_pdf(html, static),
        mimetype="application/pdf",
        headers={"Content-Disposition": f'attachment; filename="{event.slug}-briefing.pdf"'},
    )


@bp.get("/organise/events/<slug>/harvest/briefing.pdf")
@login_required
def organiser_pdf(slug: str):
    event = _event(slug)
    return _pdf(event, briefings.briefing_for(event))


def _published(slug: str):
    event = published_event(slug)
    briefing = briefings.published_briefing(event) if event is not None else None
    if briefing is None:
        abort(404)
    return event, briefing


@bp.get("/events/<slug>/briefing")
def public(slug: str):
    event, briefing = _published(slug)
    return render_template(
        "harvest/briefing_public.html",
        event=event,
        briefing=briefing,
        content=briefings.content(event),
    )


@bp.get("/events/<slug>/briefing.pdf")
def public_pdf(slug: str):
    event, briefing = _published(slug)
    return _pdf(event, briefing)
