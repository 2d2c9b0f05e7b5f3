"""Organiser pages for series: the list, one series' events and themes side by side, adding and
taking out events, and linking a theme to the same theme at an earlier event."""

from __future__ import annotations

from flask import Blueprint, Response, abort, flash, redirect, render_template, url_for
from flask_login import current_user
from wtforms.fields.choices import SelectChoice

from app.formatting import format_date
from app.models import Event, Series, Theme
from app.series.forms import AddEventForm, SeriesForm, ThemeLinkForm
from app.services.series import grouping
from app.services.series.grouping import SeriesError
from app.services.series.overview import SMALLEST_GROUP, overview
from app.shared import ActionForm, organisers_only

bp = Blueprint("series", __name__)

NEW_THEME = 0  # the link form's choice for "a theme of its own"


@bp.before_request
def require_organiser() -> Response | None:
    """Every series page needs a signed-in organiser."""
    return organisers_only()


def _series(series_id: int) -> Series:
    series = grouping.series_for_organiser(series_id, current_user)
    if series is None:
        abort(404)
    return series


@bp.route("/series", methods=["GET", "POST"])
def index():
    form = SeriesForm()
    if form.validate_on_submit():
        try:
            series = grouping.create_series(form.name.data, current_user)
        except SeriesError as error:
            form.name.errors = [*form.name.errors, str(error)]
        else:
            flash(f"The series “{series.name}” is made: add its events.", "success")
            return redirect(url_for(".show", series_id=series.id))
    return render_template(
        "series/index.html", series_list=grouping.series_of_organiser(current_user), form=form
    )


def _add_form(series: Series) -> AddEventForm:
    form = AddEventForm(prefix="add")
    form.event.choices = [
        SelectChoice(e.id, f"{e.title} ({format_date(e.starts_at)})")
        for e in grouping.events_to_add(current_user)
    ]
    return form


def _link_form(series: Series, theme: Theme) -> ThemeLinkForm:
    link = grouping.current_link(theme)
    form = ThemeLinkForm(prefix=f"t{theme.id}", same_as=link or NEW_THEME)
    form.same_as.choices = [SelectChoice(NEW_THEME, "A theme of its own")] + [
        SelectChoice(t.id, f"{t.title} ({t.event.title}, {t.event.starts_at:%B %Y})")
        for t in grouping.earlier_themes(series, theme)
    ]
    return form


def _rename_form(series: Series) -> SeriesForm:
    return SeriesForm(prefix="rename", name=series.name)


def _page(
    series: Series,
    add_form: AddEventForm | None = None,
    status: int = 200,
    rename_form: SeriesForm | None = None,
):
    figures = overview(series)
    links = {
        cell.theme.id: _link_form(series, cell.theme)
        for row in figures.themes
        for cells in row.cells[1:]
        for cell in cells
    }
    return render_template(
        "series/show.html",
        series=series,
        overview=figures,
        add_form=add_form or _add_form(series),
        rename_form=rename_form or _rename_form(series),
        link_forms=links,
        smallest_group=SMALLEST_GROUP,
    ), status


@bp.get("/series/<int:series_id>")
def show(series_id: int):
    return _page(_series(series_id))


@bp.post("/series/<int:series_id>/name")
def rename(series_id: int):
    series = _series(series_id)
    form = _rename_form(series)
    if form.validate_on_submit():
        try:
            grouping.rename_series(series, form.name.data)
        except SeriesError as error:
            form.name.errors = [*form.name.errors, str(error)]
        else:
            flash(f"The series is now called “{series.name}”.", "success")
            return redirect(url_for(".show", series_id=series.id))
    return _page(series, status=400, rename_form=form)


@bp.route("/series/<int:series_id>/delete", methods=["GET", "POST"])
def delete(series_id: int):
    """GET asks first (its events stay; the links between their themes go); POST deletes."""
    series = _series(series_id)
    form = ActionForm()
    if form.validate_on_submit():
        name = series.name
        grouping.delete_series(series)
        flash(f"The series “{name}” is deleted; its events are still there.", "success")
        return redirect(url_for(".index"))
    return render_template(
        "series/delete.html",
        series=series,
        links=len(grouping.links_within(series)),
        form=form,
    )


@bp.post("/series/<int:series_id>/events")
def add_event(series_id: int):
    series = _series(series_id)
    form = _add_form(series)
    if not form.validate_on_submit():
        if not form.event.errors:
            form.event.errors = ["Choose one of your events that is in no series yet."]
        return _page(series, form, 400)
    try:
        event = grouping.add_event(series, form.event.data, current_user)
    except SeriesError as error:
        form.event.errors = [str(error)]
        return _page(series, form, 400)
    flash(f"“{event.title}” is now part of the series.", "success")
    return redirect(url_for(".show", series_id=series.id))


def _event(series: Series, event_id: int) -> Event:
    event = grouping.event_in_series(series, event_id)
    if event is None:
        abort(404)
    return event


@bp.route("/series/<int:series_id>/events/<int:event_id>/remove", methods=["GET", "POST"])
def remove_event(series_id: int, event_id: int):
    """GET asks first (its theme links go with it); POST takes the event out of the series."""
    series = _series(series_id)
    event = _event(series, event_id)
    form = ActionForm()
    if form.validate_on_submit():
        grouping.remove_event(series, event)
        flash(f"“{event.title}” is no longer part of the series.", "success")
        return redirect(url_for(".show", series_id=series.id))
    return render_template(
        "series/remove_event.html",
        series=series,
        event=event,
        links=len(grouping.links_with_others(series, event)),
        form=form,
    )


@bp.post("/series/<int:series_id>/themes/<int:theme_id>")
def link_theme(series_id: int, theme_id: int):
    series = _series(series_id)
    theme = grouping.theme_in_series(series, theme_id)
    if theme is None:
        abort(404)
    form = _link_form(series, theme)
    if not form.validate_on_submit():
        flash("Choose a theme of an earlier event of this series.", "error")
        return redirect(url_for(".show", series_id=series.id, _anchor=f"theme-{theme.id}"))
    try:
        grouping.link_theme(series, theme, form.same_as.data or None)
    except SeriesError as error:
        flash(str(error), "error")
    else:
        flash(
            f"“{theme.title}” now shares a row with the earlier theme it continues."
            if form.same_as.data
            else f"“{theme.title}” is a theme of its own.",
            "success",
        )
    return redirect(url_for(".show", series_id=series.id, _anchor=f"theme-{theme.id}"))
