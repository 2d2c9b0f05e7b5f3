"""Organiser pages: events, their programme, breakouts and tables. Every page needs sign-in."""

from __future__ import annotations

from flask import Blueprint, Response, abort, flash, redirect, render_template, request, url_for
from flask_login import current_user

from app.extensions import db
from app.formatting import plural
from app.models import Breakout, Event, RegistrationStatus, Session, SessionKind, Table
from app.organise.access import event_or_404
from app.organise.forms import (
    AddTablesForm,
    BreakoutForm,
    CopyEventForm,
    EventForm,
    MessageForm,
    SessionForm,
    TableForm,
    slugify,
)
from app.services.events import setup
from app.services.events.setup import EventDetails, EventError
from app.services.messaging import segments
from app.services.organisations import directory
from app.services.registration import lookup
from app.shared import ActionForm, organisers_only

bp = Blueprint("organise", __name__)


@bp.before_request
def require_organiser() -> Response | None:
    """Every organiser page needs a signed-in organiser."""
    return organisers_only()


def _session(event: Event, session_id: int) -> Session:
    session = db.session.get(Session, session_id)
    if session is None or session.event_id != event.id:
        abort(404)
    return session


def _breakout(session: Session, breakout_id: int) -> Breakout:
    breakout = db.session.get(Breakout, breakout_id)
    if breakout is None or breakout.session_id != session.id:
        abort(404)
    return breakout


def _table(event: Event, table_id: int) -> Table:
    table = db.session.get(Table, table_id)
    if table is None or table.event_id != event.id:
        abort(404)
    return table


def _details(form: EventForm) -> EventDetails:
    new = (form.new_convenor_name.data, form.new_convenor_sector.data)
    return EventDetails(
        title=form.title.data.strip(),
        slug=form.slug.data or slugify(form.title.data),
        description=form.description.data or "",
        venue=form.venue.data or "",
        contact_email=(form.contact_email.data or "").strip() or current_user.email,
        timezone=form.timezone.data,
        starts_at=form.starts_at.data,
        ends_at=form.ends_at.data,
        capacity=form.capacity.data,
        registration_opens_at=form.registration_opens_at.data,
        registration_closes_at=form.registration_closes_at.data,
        waitlist_policy=form.waitlist_policy.data,
        offer_hours=form.offer_hours.data,
        convenor_ids=form.convenors.data or [],
        new_convenor=new if all(new) else None,
    )


def _report(form, error: EventError) -> None:
    field = getattr(form, error.field, None) if error.field else None
    if field is not None:
        field.errors = [*field.errors, str(error)]
    else:
        flash(str(error), "error")


@bp.get("/")
def dashboard():
    events = setup.events_for(current_user)
    return render_template(
        "organise/dashboard.html",
        events=events,
        confirmed=lookup.confirmed_counts(events),
    )


@bp.route("/events/new", methods=["GET", "POST"])
def new_event():
    form = EventForm(organisations=directory.all_organisations())
    if request.method == "GET":
        form.contact_email.data = current_user.email
    if form.validate_on_submit():
        try:
            event = setup.create_event(_details(form), current_user)
        except EventError as error:
            _report(form, error)
        else:
            flash(f"Created “{event.title}” as a draft.", "success")
            return redirect(url_for(".event", slug=event.slug))
    return render_template("organise/event_form.html", form=form, event=None)


@bp.route("/events/<slug>/edit", methods=["GET", "POST"])
def edit_event(slug: str):
    event = event_or_404(slug)
    form = EventForm(obj=event, organisations=directory.all_organisations())
    if request.method == "GET":
        form.convenors.data = [o.id for o in event.convenors]
        form.waitlist_policy.data = event.waitlist_policy.value
        form.contact_email.data = event.contact  # an organiser's, for an event made without one
    over = 0  # places held beyond a lowered capacity, while the page asks first
    if form.validate_on_submit():
        beyond = setup.places_over(event, form.capacity.data)
        if beyond and form.lower_capacity_to.data != str(form.capacity.data):
            # Asked first: the page says what happens to those over it and asks to save again.
            form.lower_capacity_to.data = str(form.capacity.data)
            over = beyond
        else:
            try:
                setup.update_event(event, _details(form))
            except EventError as error:
                _report(form, error)
            else:
                flash("Saved.", "success")
                return redirect(url_for(".event", slug=event.slug))
    return render_template("organise/event_form.html", form=form, event=event, over=over)


@bp.route("/events/<slug>/copy", methods=["GET", "POST"])
def copy_event(slug: str):
    """A new draft from this event: asks for the new title, address and start."""
    event = event_or_404(slug)
    form = CopyEventForm()
    if request.method == "GET":
        form.title.data = f"{event.title} (copy)"
        form.starts_at.data = event.starts_at
    if form.validate_on_submit():
        title = form.title.data.strip()
        try:
            copy = setup.copy_event(
                event, title, form.slug.data or slugify(title), form.starts_at.data, current_user
            )
        except EventError as error:
            _report(form, error)
        else:
            flash(f"Created “{copy.title}” as a draft, copied from “{event.title}”.", "success")
            return redirect(url_for(".event", slug=copy.slug))
    return render_template("organise/copy_event.html", form=form, event=event)


@bp.get("/events/<slug>")
def event(slug: str):
    event = event_or_404(slug)
    return render_template(
        "organise/event.html",
        event=event,
        counts=lookup.status_counts(event),
        problems=setup.publication_problems(event),
        action=ActionForm(),
        SessionKind=SessionKind,
    )


@bp.post("/events/<slug>/<any(publish, close, reopen):change>")
def change_status(slug: str, change: str):
    event = event_or_404(slug)
    if not ActionForm().validate_on_submit():
        abort(400)
    try:
        getattr(setup, change)(event)
    except EventError as error:
        flash(str(error), "error")
    else:
        flash(
            {"publish": "Published.", "close": "Closed.", "reopen": "Re-opened."}[change], "success"
        )
    return redirect(url_for(".event", slug=event.slug))


@bp.route("/events/<slug>/message", methods=["GET", "POST"])
def message(slug: str):
    """Write to a segment: the first send shows how many people will get it and asks again."""
    event = event_or_404(slug)
    form = MessageForm(segments=segments.segments(event))
    people = None  # who will get it, while the page asks to confirm
    if form.validate_on_submit():
        chosen = segments.segment(event, form.segment.data)
        count = len(segments.recipients(event, chosen.key))
        if count and form.confirmed.data == f"{chosen.key}:{count}":
            try:
                sent = segments.send(event, chosen.key, form.subject.data, form.body.data)
            except segments.SegmentError as error:
                flash(str(error), "error")
            else:
                flash(f"Sent to {plural(sent, 'person', 'people')}: {chosen.label}.", "success")
                return redirect(url_for(".event", slug=event.slug))
        form.confirmed.data = f"{chosen.key}:{count}"
        people = (count, chosen.label)
    return render_template("organise/message.html", form=form, event=event, people=people)


@bp.route("/events/<slug>/sessions/new", methods=["GET", "POST"])
@bp.route("/events/<slug>/sessions/<int:session_id>/edit", methods=["GET", "POST"])
def edit_session(slug: str, session_id: int | None = None):
    event = event_or_404(slug)
    session = _session(event, session_id) if session_id else None
    form = SessionForm(obj=session, event=event)
    if request.method == "GET" and session is not None:
        form.kind.data = session.kind.value
    if form.validate_on_submit():
        fields = {
            "kind": form.kind.data,
            "title": form.title.data.strip(),
            "description": form.description.data or "",
            "location": form.location.data or "",
            "starts_at": form.starts_at.data,
            "ends_at": form.ends_at.data,
        }
        try:
            setup.save_session(event, session, **fields)
        except EventError as error:
            _report(form, error)
        else:
            flash("Session saved.", "success")
            return redirect(url_for(".event", slug=event.slug) + "#programme")
    return render_template("organise/session_form.html", form=form, event=event, session=session)


@bp.route("/events/<slug>/sessions/<int:session_id>/breakouts/new", methods=["GET", "POST"])
@bp.route(
    "/events/<slug>/sessions/<int:session_id>/breakouts/<int:breakout_id>/edit",
    methods=["GET", "POST"],
)
def edit_breakout(slug: str, session_id: int, breakout_id: int | None = None):
    event = event_or_404(slug)
    session = _session(event, session_id)
    if session.kind != SessionKind.BREAKOUT_SLOT:
        abort(404)
    breakout = _breakout(session, breakout_id) if breakout_id else None
    form = BreakoutForm(obj=breakout)
    if form.validate_on_submit():
        setup.save_breakout(
            session,
            breakout,
            title=form.title.data.strip(),
            room=form.room.data.strip(),
            description=form.description.data or "",
            capacity=form.capacity.data,
            min_attendance=form.min_attendance.data,
        )
        flash("Breakout saved.", "success")
        return redirect(url_for(".event", slug=event.slug) + "#programme")
    return render_template(
        "organise/breakout_form.html", form=form, event=event, session=session, breakout=breakout
    )


@bp.route("/events/<slug>/tables/new", methods=["GET", "POST"])
def add_tables(slug: str):
    event = event_or_404(slug)
    form = AddTablesForm()
    if form.validate_on_submit():
        tables = setup.add_tables(event, form.count.data, form.capacity.data, form.accessible.data)
        flash(f"Added {plural(len(tables), 'table')}.", "success")
        return redirect(url_for(".event", slug=event.slug) + "#tables")
    return render_template("organise/tables_form.html", form=form, event=event)


@bp.route("/events/<slug>/tables/<int:table_id>/edit", methods=["GET", "POST"])
def edit_table(slug: str, table_id: int):
    event = event_or_404(slug)
    table = _table(event, table_id)
    candidates = sorted(
        (r for r in event.registrations if r.status == RegistrationStatus.CONFIRMED),
        key=lambda r: r.name.lower(),
    )
    form = TableForm(obj=table, candidates=candidates)
    if request.method == "GET":
        form.facilitator_id.data = table.facilitator_id or 0
    if form.validate_on_submit():
        try:
            setup.save_table(
                table,
                form.number.data,
                form.capacity.data,
                form.accessible.data,
                form.facilitator_id.data or None,
            )
        except EventError as error:
            _report(form, error)
        else:
            flash(f"Table {table.number} saved.", "success")
            return redirect(url_for(".event", slug=event.slug) + "#tables")
    return render_template("organise/table_form.html", form=form, event=event, table=table)


@bp.route("/events/<slug>/sessions/<int:session_id>/delete", methods=["GET", "POST"])
def delete_session(slug: str, session_id: int):
    event = event_or_404(slug)
    session = _session(event, session_id)
    return _confirm_delete(
        event,
        f"the session “{session.title}”",
        lambda: setup.delete_session(session),
        "#programme",
    )


@bp.route(
    "/events/<slug>/sessions/<int:session_id>/breakouts/<int:breakout_id>/delete",
    methods=["GET", "POST"],
)
def delete_breakout(slug: str, session_id: int, breakout_id: int):
    event = event_or_404(slug)
    breakout = _breakout(_session(event, session_id), breakout_id)
    return _confirm_delete(
        event,
        f"the breakout “{breakout.title}”",
        lambda: setup.delete_breakout(breakout),
        "#programme",
    )


@bp.route("/events/<slug>/tables/<int:table_id>/delete", methods=["GET", "POST"])
def delete_table(slug: str, table_id: int):
    event = event_or_404(slug)
    table = _table(event, table_id)
    return _confirm_delete(
        event, f"table {table.number}", lambda: setup.delete_table(table), "#tables"
    )


def _confirm_delete(event: Event, what: str, delete, anchor: str):
    """GET asks; POST (with its CSRF token) deletes."""
    form = ActionForm()
    if form.validate_on_submit():
        delete()
        flash(f"Deleted {what}.", "success")
        return redirect(url_for(".event", slug=event.slug) + anchor)
    return render_template("organise/confirm_delete.html", form=form, event=event, what=what)
