"""Moderation for organisers and harvest editors: cards by round and table with what the
identification check finds in them, approve / edit / redact / reject, themes and suggestions,
and the approved cards as CSV."""

from __future__ import annotations

from flask import Blueprint, Response, abort, flash, redirect, render_template, request, url_for
from flask_login import current_user, login_required

from app.extensions import db
from app.harvest.moderation_forms import (
    EditorForm,
    MoveCardForm,
    RedactForm,
    ReflectionForm,
    ThemeEditForm,
    ThemeForm,
    card_form,
)
from app.models import Card, CardStatus, Event, ReflectionTemplate
from app.services.accounts.organisers import AccountError
from app.services.events.setup import event_for_organiser
from app.services.harvest import capture, editors, identification, moderation, themes
from app.services.harvest.exports import harvest_csv
from app.services.harvest.highlights import highlighted
from app.services.harvest.templates import (
    HARVESTED_KINDS,
    TEMPLATE_LABELS,
    prompts_for,
    reflection_of,
    set_reflection,
)
from app.shared import ActionForm

bp = Blueprint("harvest", __name__)


@bp.before_request
@login_required
def require_login() -> None:
    """Every moderation page needs a signed-in organiser or harvest editor."""


@bp.get("/harvests")
def mine():
    """Where a harvest editor lands: the events whose harvest it was given."""
    return render_template("harvest/mine.html", events=moderation.harvest_events(current_user))


def _event(slug: str) -> Event:
    event = moderation.event_for_harvest(slug, current_user)
    if event is None:
        abort(404)
    return event


def _card(event: Event, card_id: int) -> Card:
    card = moderation.card_of(event, card_id)
    if card is None:
        abort(404)
    return card


def _back(event: Event, card: Card | None = None):
    anchor = f"card-{card.id}" if card is not None else None
    return redirect(url_for(".index", slug=event.slug, _anchor=anchor))


@bp.get("/events/<slug>/harvest")
def index(slug: str):
    event = _event(slug)
    cards = moderation.cards_of(event)
    known = identification.known_identifiers(event)
    hits = {card.id: identification.card_hits(card, known) for card in cards}
    event_themes = themes.themes_of(event)
    move_forms = {}
    for card in cards:
        if card.status == CardStatus.APPROVED:
            form = MoveCardForm(prefix=f"m{card.id}", theme=card.theme_id or 0)
            form.theme.choices = [(0, "No theme")] + [(t.id, t.title) for t in event_themes]
            move_forms[card.id] = form
    return render_template(
        "harvest/moderation.html",
        event=event,
        cards=cards,
        hits=hits,
        describe=moderation.describe,
        highlighted={card.id: highlighted(card, hits[card.id]) for card in cards},
        prompts={card.session_id: prompts_for(card.session) for card in cards},
        themes=[(t, themes.evidence(t)) for t in event_themes],
        theme_forms={
            t.id: ThemeEditForm(prefix=f"t{t.id}", title=t.title, summary=t.summary)
            for t in event_themes
        },
        suggestions=themes.suggest(event),
        min_tables=themes.MIN_TABLES,
        theme_form=ThemeForm(),
        move_forms=move_forms,
        action=ActionForm(),
        redact_form=RedactForm(),
        CardStatus=CardStatus,
    )


@bp.post("/events/<slug>/harvest/cards/<int:card_id>/<any(approve, reject, pending):step>")
def moderate(slug: str, card_id: int, step: str):
    event = _event(slug)
    card = _card(event, card_id)
    if not ActionForm().validate_on_submit():
        abort(400)
    try:
        if step == "approve":
            moderation.approve(card)
        elif step == "reject":
            moderation.reject(card)
        else:
            moderation.back_to_pending(card)
    except moderation.Refused as refused:
        flash(str(refused), "error")
        return _back(event, card)
    db.session.commit()
    flash(
        {
            "approve": "Card approved.",
            "reject": "Card rejected.",
            "pending": "Card is pending again.",
        }[step],
        "success",
    )
    return _back(event, card)


@bp.route("/events/<slug>/harvest/cards/<int:card_id>/edit", methods=["GET", "POST"])
def edit(slug: str, card_id: int):
    event = _event(slug)
    card = _card(event, card_id)
    prompts = prompts_for(card.session)
    form = card_form(prompts, card if request.method == "GET" else None)
    if form.validate_on_submit():
        was_approved = card.status == CardStatus.APPROVED
        change = moderation.Edit(form.answers(), form.tag_list(), form.commitment_list())
        found = moderation.edit(card, change)
        db.session.commit()
        if found and was_approved:
            flash(
                f"Saved. The card now mentions {moderation.describe(found)}, "
                "so it is pending again.",
                "error",
            )
        elif found:
            flash(f"Saved. The card still mentions {moderation.describe(found)}.", "error")
        else:
            flash("Saved.", "success")
        return _back(event, card)
    return render_template(
        "harvest/edit_card.html", event=event, card=card, form=form, prompts=prompts
    )


@bp.post("/events/<slug>/harvest/cards/<int:card_id>/redact")
def redact(slug: str, card_id: int):
    event = _event(slug)
    card = _card(event, card_id)
    form = RedactForm()
    if not form.validate_on_submit():
        abort(400)
    if moderation.redact_one(card, form.field.data, form.start.data, form.end.data):
        db.session.commit()
        flash("Redacted.", "success")
    else:
        flash("That mention had already changed; the card is shown as it is now.", "error")
    return _back(event, card)


@bp.post("/events/<slug>/harvest/cards/<int:card_id>/redact-all")
def redact_all(slug: str, card_id: int):
    event = _event(slug)
    card = _card(event, card_id)
    if not ActionForm().validate_on_submit():
        abort(400)
    count = identification.redact_all(card)
    db.session.commit()
    flash(f"{count} mention{'s' if count != 1 else ''} redacted.", "success")
    return _back(event, card)


@bp.post("/events/<slug>/harvest/cards/<int:card_id>/theme")
def move(slug: str, card_id: int):
    event = _event(slug)
    card = _card(event, card_id)
    form = MoveCardForm(prefix=f"m{card.id}")
    form.theme.choices = [(0, "No theme")] + [(t.id, t.title) for t in themes.themes_of(event)]
    if not form.validate_on_submit():
        abort(400)
    theme = themes.theme_of(event, form.theme.data) if form.theme.data else None
    try:
        themes.assign(card, theme)
    except ValueError as refused:
        flash(str(refused), "error")
        return _back(event, card)
    db.session.commit()
    return _back(event, card)


@bp.post("/events/<slug>/harvest/themes")
def create_theme(slug: str):
    event = _event(slug)
    form = ThemeForm()
    if not form.validate_on_submit():
        for errors in form.errors.values():
            flash(f"Theme: {' '.join(errors)}", "error")
        return _back(event)
    chosen = [moderation.card_of(event, card_id) for card_id in form.card_ids()]
    cards = [c for c in chosen if c is not None and c.status == CardStatus.APPROVED]
    try:
        theme = themes.create_theme(event, form.title.data, cards)
    except ValueError as refused:
        flash(str(refused), "error")
        return _back(event)
    db.session.commit()
    flash(
        f"Theme “{theme.title}” made with {len(cards)} card{'s' if len(cards) != 1 else ''}.",
        "success",
    )
    return redirect(url_for(".index", slug=event.slug, _anchor="themes"))


@bp.post("/events/<slug>/harvest/themes/<int:theme_id>")
def edit_theme(slug: str, theme_id: int):
    event = _event(slug)
    theme = themes.theme_of(event, theme_id)
    if theme is None:
        abort(404)
    form = ThemeEditForm(prefix=f"t{theme.id}")
    if not form.validate_on_submit():
        for errors in form.errors.values():
            flash(f"{theme.title}: {' '.join(errors)}", "error")
        return redirect(url_for(".index", slug=event.slug, _anchor="themes"))
    try:
        themes.update_theme(theme, form.title.data, form.summary.data or "")
    except ValueError as refused:
        flash(str(refused), "error")
        return redirect(url_for(".index", slug=event.slug, _anchor="themes"))
    db.session.commit()
    flash(f"Theme “{theme.title}” saved.", "success")
    return redirect(url_for(".index", slug=event.slug, _anchor="themes"))


@bp.post("/events/<slug>/harvest/themes/<int:theme_id>/delete")
def delete_theme(slug: str, theme_id: int):
    event = _event(slug)
    theme = themes.theme_of(event, theme_id)
    if theme is None:
        abort(404)
    if not ActionForm().validate_on_submit():
        abort(400)
    themes.delete_theme(theme)
    db.session.commit()
    flash("Theme removed; its cards are still approved.", "success")
    return redirect(url_for(".index", slug=event.slug, _anchor="themes"))


@bp.route("/events/<slug>/harvest/prompts", methods=["GET", "POST"])
def prompts_page(slug: str):
    """Each table round's and breakout slot's template and wording, the capture addresses,
    and closing the harvest."""
    event = _event(slug)
    sessions = [s for s in event.sessions if s.kind in HARVESTED_KINDS]
    forms = {s.id: ReflectionForm(prefix=f"s{s.id}") for s in sessions}
    for session in sessions:
        form = forms[session.id]
        form.template.choices = [(t.value, label) for t, label in TEMPLATE_LABELS.items()]
        reflection = reflection_of(session)
        if request.method == "GET":
            form.template.data = (
                reflection.template if reflection else ReflectionTemplate.WHAT_SO_WHAT
            ).value
    posted = request.form.get("session")
    if request.method == "POST" and posted and posted.isdigit() and int(posted) in forms:
        session = next(s for s in sessions if s.id == int(posted))
        form = forms[session.id]
        if form.validate_on_submit():
            chosen = ReflectionTemplate(form.template.data)
            current = reflection_of(session)
            same = current is not None and current.template == chosen
            labels = (
                {
                    p["key"]: request.form.get(f"s{session.id}-label-{p['key']}", "")[:300]
                    for p in prompts_for(session)
                }
                if same or current is None
                else {}
            )
            set_reflection(session, chosen, labels)
            db.session.commit()
            flash(f"Questions for {session.title} saved.", "success")
            return redirect(
                url_for(".prompts_page", slug=event.slug, _anchor=f"session-{session.id}")
            )
    codes = capture.codes(event)
    return render_template(
        "harvest/prompts.html",
        event=event,
        sessions=sessions,
        forms=forms,
        prompts={s.id: prompts_for(s) for s in sessions},
        codes=codes,
        open=capture.is_open(event),
        action=ActionForm(),
    )


@bp.post("/events/<slug>/harvest/<any(close, reopen):step>")
def open_or_close(slug: str, step: str):
    event = _event(slug)
    if not ActionForm().validate_on_submit():
        abort(400)
    if step == "close":
        capture.close_harvest(event)
        flash("The harvest is closed: capture pages take no more cards.", "success")
    else:
        capture.reopen_harvest(event)
        flash("The harvest is open again: tables can send cards.", "success")
    return redirect(url_for(".prompts_page", slug=event.slug))


def _organised_event(slug: str) -> Event:
    """Only the event's organisers choose its harvest editors."""
    event = event_for_organiser(slug, current_user)
    if event is None:
        abort(404)
    return event


@bp.route("/events/<slug>/harvest/editors", methods=["GET", "POST"])
def editors_page(slug: str):
    event = _organised_event(slug)
    form = EditorForm()
    if form.validate_on_submit():
        try:
            user, created = editors.add_editor(event, form.email.data)
        except AccountError as refused:
            form.email.errors.append(str(refused).capitalize() + ".")
        else:
            news = " We mailed them a link to choose a password." if created else ""
            flash(f"{user.email} can now moderate this harvest.{news}", "success")
            return redirect(url_for(".editors_page", slug=event.slug))
    return render_template(
        "harvest/editors.html",
        event=event,
        form=form,
        editors=editors.editors_of(event),
        action=ActionForm(),
    )


@bp.post("/events/<slug>/harvest/editors/<int:user_id>/remove")
def remove_editor(slug: str, user_id: int):
    event = _organised_event(slug)
    if not ActionForm().validate_on_submit():
        abort(400)
    editors.remove_editor(event, user_id)
    flash("They can no longer moderate this harvest.", "success")
    return redirect(url_for(".editors_page", slug=event.slug))


@bp.get("/events/<slug>/harvest.csv")
def export(slug: str):
    event = _event(slug)
    return Response(
        harvest_csv(event),
        mimetype="text/csv",
        headers={"Content-Disposition": f'attachment; filename="{event.slug}-harvest.csv"'},
    )
