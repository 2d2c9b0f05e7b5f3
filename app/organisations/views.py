"""The directory of organisations and the list of sectors, for organisers (every page needs
sign-in): counts, aliases, likely duplicates, merge (confirmed first), rename, split, sectors,
and the organisations registrants typed in, whose sector waits for an organiser to confirm."""

from __future__ import annotations

from flask import Blueprint, Response, abort, flash, redirect, render_template, request, url_for
from flask_login import current_user

from app.extensions import db
from app.models import Organisation, OrganisationAlias, Sector
from app.organisations.forms import ConfirmSectorForm, MergeForm, OrganisationForm, SectorForm
from app.services.events.setup import upcoming_events
from app.services.organisations import directory, sectors
from app.services.organisations.suggestions import suggest
from app.shared import ActionForm, database_id, organisers_only

bp = Blueprint("organisations", __name__)


@bp.before_request
def require_organiser() -> Response | None:
    """Every directory page needs a signed-in organiser."""
    return organisers_only()


@bp.get("/organisations")
def index():
    organisations = directory.all_organisations()
    unconfirmed = [o for o in organisations if not o.sector_confirmed]
    given = directory.proposed_sectors()
    # One with nobody registered now still shows the sector it was typed in with.
    proposed = {o.id: given.get(o.id) or [(o.sector, 0)] for o in unconfirmed}
    return render_template(
        "organisations/index.html",
        organisations=organisations,
        unconfirmed=unconfirmed,
        proposed=proposed,
        confirm_forms={
            o.id: ConfirmSectorForm(prefix=f"c{o.id}", sector=proposed[o.id][0][0])
            for o in unconfirmed
        },
        counts=directory.registration_counts(upcoming_events()),
        suggestions=suggest(),
        forms={o.id: OrganisationForm(obj=o, prefix=f"o{o.id}") for o in organisations},
        changes=directory.changes(),
        action=ActionForm(),
    )


@bp.route("/organisations/merge", methods=["GET", "POST"])
def merge():
    """Asks first (GET: what would move), merges on POST."""
    chosen = request.form if request.method == "POST" else request.args
    source = _organisation(chosen.get("source_id"))
    into = _organisation(chosen.get("into_id"))
    form = MergeForm(source_id=source.id, into_id=into.id)
    if form.validate_on_submit():
        name = source.name
        try:
            directory.merge(source, into, by=current_user)
        except directory.DirectoryError as error:
            flash(str(error), "error")
        else:
            flash(f"Merged “{name}” into “{into.name}”, which it now names too.", "success")
        return redirect(url_for(".index"))
    counts = directory.registration_counts()
    return render_template(
        "organisations/merge.html",
        form=form,
        source=source,
        into=into,
        moving=counts.get(source.id, 0),
    )


@bp.post("/organisations/<int:organisation_id>")
def edit(organisation_id: int):
    organisation = db.session.get(Organisation, organisation_id) or abort(404)
    form = OrganisationForm(prefix=f"o{organisation.id}")
    if not form.validate_on_submit():
        flash("Give the organisation a name and a sector from the list.", "error")
        return redirect(url_for(".index"))
    try:
        directory.rename(organisation, form.name.data, by=current_user)
        directory.change_sector(organisation, form.sector.data, by=current_user)
    except directory.DirectoryError as error:
        db.session.rollback()
        flash(str(error), "error")
    else:
        flash(f"Saved “{organisation.name}”.", "success")
    return redirect(url_for(".index") + f"#organisation-{organisation.id}")


@bp.post("/organisations/<int:organisation_id>/confirm")
def confirm_sector(organisation_id: int):
    """Confirm the sector of an organisation a registrant typed in: from now on it is the
    sector of everyone registered from it."""
    organisation = db.session.get(Organisation, organisation_id) or abort(404)
    form = ConfirmSectorForm(prefix=f"c{organisation.id}")
    if not form.validate_on_submit():
        flash("Choose one of the sectors to confirm.", "error")
        return redirect(url_for(".index"))
    try:
        directory.change_sector(organisation, form.sector.data, by=current_user)
    except directory.DirectoryError as error:
        flash(str(error), "error")
    else:
        flash(f"“{organisation.name}” is confirmed in {organisation.sector}.", "success")
    return redirect(url_for(".index") + f"#organisation-{organisation.id}")


@bp.post("/organisations/aliases/<int:alias_id>/split")
def split(alias_id: int):
    alias = db.session.get(OrganisationAlias, alias_id)
    if alias is None or not ActionForm().validate_on_submit():
        abort(400)
    organisation = directory.split(alias, by=current_user)
    flash(f"“{organisation.name}” is an organisation of its own again.", "success")
    return redirect(url_for(".index") + f"#organisation-{organisation.id}")


@bp.route("/sectors", methods=["GET", "POST"])
def sector_list():
    form = SectorForm()
    if form.validate_on_submit():
        try:
            sectors.add(form.name.data, by=current_user)
        except sectors.SectorError as error:
            form.name.errors.append(str(error))
        else:
            flash(f"Added the sector “{form.name.data}”.", "success")
            return redirect(url_for(".sector_list"))
    return render_template(
        "organisations/sectors.html",
        form=form,
        every_sector=sectors.every_sector(),
        renames={s.id: SectorForm(obj=s, prefix=f"s{s.id}") for s in sectors.every_sector()},
        action=ActionForm(),
    )


@bp.post("/sectors/<int:sector_id>/<any(rename, retire, restore):change>")
def sector_change(sector_id: int, change: str):
    sector = db.session.get(Sector, sector_id) or abort(404)
    try:
        if change == "rename":
            form = SectorForm(prefix=f"s{sector.id}")
            if not form.validate_on_submit():
                abort(400)
            sectors.rename(sector, form.name.data, by=current_user)
        elif not ActionForm().validate_on_submit():
            abort(400)
        elif change == "retire":
            sectors.retire(sector, by=current_user)
        else:
            sectors.restore(sector, by=current_user)
    except sectors.SectorError as error:
        db.session.rollback()
        flash(str(error), "error")
    return redirect(url_for(".sector_list"))


def _organisation(value: str | None) -> Organisation:
    organisation_id = database_id(value)
    organisation = db.session.get(Organisation, organisation_id) if organisation_id else None
    if organisation is None:
        abort(404)
    return organisation
