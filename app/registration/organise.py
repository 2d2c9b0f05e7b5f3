"""Organiser pages for an event's registrations: list, counts, search, edit, cancel, promote,
check-in, CSV export and import, and erasure. Every page needs a signed-in organiser of the event.
"""

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
from flask_wtf import FlaskForm
from flask_wtf.file import FileField
from wtforms import BooleanField, HiddenField

from app.extensions import db
from app.models import Event, Registration, RegistrationStatus
from app.organise.access import event_or_404
from app.registration.forms import DetailsForm, filled, suggestions
from app.services.messaging import outbox
from app.services.registration import csv_files, details, lifecycle, lookup
from app.services.registration.details import RegistrationInvalid
from app.services.registration.lifecycle import RegistrationClosed
from app.shared import ActionForm, database_id, organisers_only

bp = Blueprint("organise_registrations", __name__)


class ImportForm(FlaskForm):
    file = FileField("CSV file", description="UTF-8 CSV with a header line naming the columns.")
    csv_text = HiddenField()
    send_confirmations = BooleanField(
        "Email each person their confirmation and private link", default=True
    )


@bp.before_request
def require_organiser() -> Response | None:
    """Every page here needs a signed-in organiser."""
    return organisers_only()


def _registration(event: Event, registration_id: int) -> Registration:
    registration = db.session.get(Registration, registration_id)
    if registration is None or registration.event_id != event.id:
        abort(404)
    return registration


def _back(event: Event) -> str:
    """Where to return after a one-click action: the list (with its filters) if asked, else it."""
    back = request.form.get("back", "")
    home = url_for(".index", slug=event.slug)
    return back if back.startswith(home) and "//" not in back else home


@bp.get("")
def index(slug: str):
    event = event_or_404(slug)
    args = request.args
    status = args.get("status", "")
    wanted = RegistrationStatus(status) if status in {s.value for s in RegistrationStatus} else None
    registrations = lookup.registrations_of(
        event,
        text=args.get("q", "")[:200],
        status=wanted,
        sector=args.get("sector", "")[:100],
        organisation_id=database_id(args.get("organisation")),
    )
    counts = lookup.counts(event)
    return render_template(
        "registration/organise/index.html",
        event=event,
        registrations=registrations,
        counts=counts,
        mail=outbox.backlog(event.id),
        filters=args,
        action=ActionForm(),
        statuses=list(RegistrationStatus),
        here=request.full_path.rstrip("?"),
        organisations=counts.organisations,
    )


@bp.get("/registrations.csv")
def export(slug: str):
    event = event_or_404(slug)
    text = csv_files.export_csv(event, lookup.registrations_of(event))
    return Response(
        text.encode("utf-8"),
        mimetype="text/csv",
        headers={
            "Content-Disposition": f'attachment; filename="{event.slug}-registrations.csv"',
            "Cache-Control": "no-store",
        },
    )


@bp.route("/import", methods=["GET", "POST"])
def import_csv(slug: str):
    """Upload shows a preview; confirming (the checked text sent back) imports it, or nothing if
    any row is wrong. Written in batches: one that fails stops the import, and sending the same
    file again carries on (app/services/registration/csv_files.py)."""
    event = event_or_404(slug)
    form = ImportForm()
    preview = None
    if form.validate_on_submit():
        if form.csv_text.data and "confirm" in request.form:
            try:
                created = csv_files.import_csv(
                    event, form.csv_text.data, send_confirmations=form.send_confirmations.data
                )
            except csv_files.ImportFailed as failed:
                preview = failed.preview
                flash("Nothing was imported: the file has errors.", "error")
            except csv_files.ImportStopped as stopped:
                flash(
                    f"The import stopped at line {stopped.line}: {stopped.reason}. "
                    f"{len(stopped.created)} registrations before that line were imported and "
                    f"stay; nothing from line {stopped.line} on was. Send the same file again to "
                    "import the rest: rows already imported from it are skipped.",
                    "error",
                )
                return redirect(url_for(".import_csv", slug=event.slug))
            else:
                n = csv_files.counts_by_status(created)
                flash(
                    f"Imported {len(created)} registrations: {n['confirmed']} confirmed, "
                    f"{n['waitlisted']} on the waiting list.",
                    "success",
                )
                return redirect(url_for(".index", slug=event.slug))
        elif form.file.data:
            text = csv_files.decode(form.file.data.read())
            if text is None:
                form.file.errors = ["The file must be CSV saved as UTF-8."]
            else:
                preview = csv_files.preview_import(event, text)
                form.csv_text.data = text
                form.send_confirmations.data = True
        else:
            form.file.errors = ["Choose a CSV file to upload."]
    return render_template(
        "registration/organise/import.html",
        event=event,
        form=form,
        preview=preview,
        columns=csv_files.IMPORT_COLUMNS,
        required=details.REQUIRED,
        batch_rows=csv_files.IMPORT_BATCH_ROWS,
    )


@bp.route("/<int:registration_id>", methods=["GET", "POST"])
def detail(slug: str, registration_id: int):
    event = event_or_404(slug)
    registration = _registration(event, registration_id)
    form = filled(DetailsForm, registration)
    if registration.erased_at is None and form.validate_on_submit():
        try:
            lifecycle.update_by_organiser(registration, form.raw())
        except RegistrationInvalid as error:
            form.add_errors(error.errors)
        else:
            flash("Saved.", "success")
            return redirect(url_for(".detail", slug=slug, registration_id=registration.id))
    return render_template(
        "registration/organise/detail.html",
        event=event,
        registration=registration,
        form=form,
        action=ActionForm(),
        preferences=details.preferences_by_slot(registration),
        **suggestions(for_organiser=True),
    )


@bp.post("/<int:registration_id>/check-in")
def check_in(slug: str, registration_id: int):
    event = event_or_404(slug)
    registration = _registration(event, registration_id)
    if not ActionForm().validate_on_submit():
        abort(400)
    arrived = request.form.get("arrived") != "0"
    try:
        lifecycle.check_in(registration, arrived)
    except RegistrationClosed as error:
        flash(str(error), "error")
    else:
        done = "Checked in" if arrived else "Undid the check-in of"
        flash(f"{done} {registration.name}.", "success")
    return redirect(_back(event))


@bp.post("/<int:registration_id>/promote")
def promote(slug: str, registration_id: int):
    event = event_or_404(slug)
    registration = _registration(event, registration_id)
    if not ActionForm().validate_on_submit():
        abort(400)
    if registration.status != RegistrationStatus.WAITLISTED:
        flash(f"{registration.name} is not on the waiting list.", "error")
    else:
        over = lifecycle.promote(registration)
        message = f"Confirmed {registration.name}."
        if over:
            message += f" The event is now {over} over its capacity of {event.capacity}."
        flash(message, "success")
    return redirect(_back(event))


@bp.route("/<int:registration_id>/cancel", methods=["GET", "POST"])
def cancel(slug: str, registration_id: int):
    event = event_or_404(slug)
    registration = _registration(event, registration_id)
    form = ActionForm()
    if registration.status == RegistrationStatus.CANCELLED:
        flash("This registration is already cancelled.", "info")
        return redirect(url_for(".detail", slug=slug, registration_id=registration.id))
    if form.validate_on_submit():
        lifecycle.cancel(registration, by_organiser=True)
        flash(f"Cancelled {registration.name}'s registration; they have been told.", "success")
        return redirect(url_for(".detail", slug=slug, registration_id=registration.id))
    return render_template(
        "registration/organise/confirm.html",
        event=event,
        registration=registration,
        form=form,
        title=f"Cancel {registration.name}'s registration?",
        explanation="Their place passes to the waiting list, and they are emailed that it is "
        "cancelled. They can book again while registration is open.",
        button=f"Yes, cancel {registration.name}'s registration",
    )


@bp.route("/<int:registration_id>/erase", methods=["GET", "POST"])
def erase(slug: str, registration_id: int):
    event = event_or_404(slug)
    registration = _registration(event, registration_id)
    form = ActionForm()
    if registration.erased_at is not None:
        flash("This registration's personal data is already erased.", "info")
        return redirect(url_for(".detail", slug=slug, registration_id=registration.id))
    if form.validate_on_submit():
        lifecycle.erase(registration)
        flash("Personal data erased. Only anonymous counts remain.", "success")
        return redirect(url_for(".index", slug=slug))
    return render_template(
        "registration/organise/confirm.html",
        event=event,
        registration=registration,
        form=form,
        title=f"Erase {registration.name}'s personal data?",
        explanation="Their name, email, needs, preferences and private link are removed for "
        "good; only their organisation, sector and status remain for anonymous counts. If they "
        "still hold a place, it passes to the waiting list. This cannot be undone.",
        button="Yes, erase their personal data",
    )
