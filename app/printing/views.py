"""Print views: each document is a print-ready HTML page, and the same page rendered to PDF.

Organiser documents live under /organise (sign-in, and only the event's organisers); an attendee's
itinerary is reached with their private token, like the rest of their registration.
"""

from __future__ import annotations

from flask import Blueprint, Response, abort, current_app, render_template, request, url_for
from wtforms import Form, SelectField
from wtforms.fields.choices import SelectChoice

from app.models import Event, PlanKind, PlanStatus
from app.organise.access import event_or_404
from app.services.harvest import capture
from app.services.harvest.templates import prompts_for
from app.services.printing import cards, documents
from app.services.printing.pdf import StaticFiles, start_workers
from app.services.registration import check_in_codes, lookup
from app.shared import database_id, organisers_only

bp = Blueprint("printing", __name__)
itinerary_bp = Blueprint("itinerary", __name__)

DOC = "any(" + ", ".join(f'"{doc}"' for doc in documents.DOCUMENTS) + "):doc"
OPTIONS = ("plan", "breakouts_plan", "sheet", "card", "person")


@bp.before_request
def require_organiser() -> Response | None:
    """Every print view needs a signed-in organiser."""
    return organisers_only()


def _id_argument(name: str) -> int | None:
    raw = request.args.get(name, "")
    if not raw:
        return None
    if (plan_id := database_id(raw)) is None:
        abort(404)
    return plan_id


def _choice(name: str, choices: dict, default: str) -> str:
    value = request.args.get(name) or default
    if value not in choices:
        abort(404)
    return value


def _options() -> dict[str, str]:
    """The print options in this request, to carry over into links (e.g. HTML view → PDF)."""
    return {name: request.args[name] for name in OPTIONS if request.args.get(name)}


def _pdf_response(html: str, filename: str) -> Response:
    static = StaticFiles(current_app.static_folder or "", current_app.static_url_path or "/static")
    workers = current_app.config.get("PRINT_WORKERS", 1)
    return _pdf_bytes(documents.render_pdf(html, static, workers), filename)


def _pdf_bytes(pdf: bytes, filename: str) -> Response:
    return Response(
        pdf,
        mimetype="application/pdf",
        headers={"Content-Disposition": f'attachment; filename="{filename}"'},
    )


class PrintOptionsForm(Form):
    """Which plan to print and on what paper (a GET form: choosing changes nothing)."""

    plan = SelectField("Table plan", default="")
    breakouts_plan = SelectField("Breakouts plan", default="")
    sheet = SelectField(
        "Badge labels",
        choices=[SelectChoice(key, preset.label) for key, preset in documents.SHEETS.items()],
        default=documents.DEFAULT_SHEET,
    )
    card = SelectField(
        "Place cards",
        choices=[SelectChoice(key, label) for key, label in documents.CARD_SIZES.items()],
        default=documents.DEFAULT_CARD,
    )


def _plan_choices(event: Event, kind: PlanKind) -> list[SelectChoice]:
    plans = documents.event_plans(event, kind)
    published = [p for p in plans if p.status == PlanStatus.PUBLISHED]
    first = "The published plan" if published else "The published plan (none yet)"
    return [SelectChoice("", first)] + [
        SelectChoice(str(p.id), f"Draft #{p.id}, made {p.created_at:%d %b %H:%M} UTC")
        for p in plans
        if p.status == PlanStatus.DRAFT
    ]


@bp.get("/events/<slug>/print")
def index(slug: str):
    event = event_or_404(slug)
    form = PrintOptionsForm(request.args)
    form.plan.choices = _plan_choices(event, PlanKind.TABLES)
    form.breakouts_plan.choices = _plan_choices(event, PlanKind.BREAKOUTS)
    valid = form.validate() if request.args else True
    options = {k: v for k, v in form.data.items() if v} if valid else {}
    # PDFs are downloaded from this page: have their worker processes ready.
    start_workers(current_app.config.get("PRINT_WORKERS", 1))
    return render_template(
        "printing/index.html",
        event=event,
        form=form,
        options=options,
        documents=documents.DOCUMENTS,
    )


@bp.get(f"/events/<slug>/print/<{DOC}>")
def document(slug: str, doc: str):
    return _document(slug, doc, pdf=False)


@bp.get(f"/events/<slug>/print/<{DOC}>.pdf")
def document_pdf(slug: str, doc: str):
    return _document(slug, doc, pdf=True)


def _document(slug: str, doc: str, pdf: bool):
    event = event_or_404(slug)
    sheet = documents.SHEETS[_choice("sheet", documents.SHEETS, documents.DEFAULT_SHEET)]
    card = _choice("card", documents.CARD_SIZES, documents.DEFAULT_CARD)
    try:
        pack = documents.print_pack(
            event, _id_argument("plan"), _id_argument("breakouts_plan"), _id_argument("person")
        )
    except documents.PlanNotFound:
        abort(404)
    if pdf and pack.attendees and doc in ("place-cards", "badges"):
        # Drawn directly (app/services/printing/cards.py) unless a name needs a font only
        # WeasyPrint finds.
        title = f"{documents.DOCUMENTS[doc]} · {event.title}"
        drawn = (
            cards.place_cards(pack, card, title)
            if doc == "place-cards"
            else cards.badges(pack, sheet, title)
        )
        if drawn is not None:
            return _pdf_bytes(drawn, f"{event.slug}-{doc}.pdf")
    legend = documents.find_legend(pack)
    with_codes = doc in ("table-tents", "facilitator-sheets")
    html = render_template(
        f"printing/{doc.replace('-', '_')}.html",
        event=event,
        pack=pack,
        find_legend=legend,
        doc=doc,
        title=documents.DOCUMENTS[doc],
        sheet=sheet,
        card=card,
        pdf=pdf,
        name_size=documents.name_size,
        initial=documents.initial,
        needs=documents.needs,
        capture_codes=capture.codes(event) if with_codes else {},
        check_in_codes={a.person.id: check_in_codes.svg_data_uri(a.person) for a in pack.attendees}
        if doc == "badges"
        else {},
        prompts_for=prompts_for,
        pdf_url=url_for(".document_pdf", slug=slug, doc=doc, **_options()),
        back_url=url_for(".index", slug=slug, **_options()),
    )
    if pdf:
        return _pdf_response(html, f"{event.slug}-{doc}.pdf")
    return html


@bp.get("/print/labels.css")
def sheet_css():
    """Label positions for every badge sheet preset (generated from the preset table)."""
    return Response(documents.sheet_css(), mimetype="text/css")


@itinerary_bp.get("/r/<token>/itinerary")
def itinerary(token: str):
    return _itinerary(token, pdf=False)


@itinerary_bp.get("/r/<token>/itinerary.pdf")
def itinerary_pdf(token: str):
    return _itinerary(token, pdf=True)


def _itinerary(token: str, pdf: bool):
    registration = lookup.by_token(token)
    if registration is None or registration.erased_at is not None:
        abort(404)
    html = render_template(
        "printing/itinerary.html",
        event=registration.event,
        plan=documents.itinerary(registration),
        doc="itinerary",
        title="Your day",
        pdf=pdf,
        pdf_url=url_for(".itinerary_pdf", token=token),
        back_url=f"/r/{token}",
    )
    response = (
        _pdf_response(html, f"{registration.event.slug}-itinerary.pdf")
        if pdf
        else Response(html, mimetype="text/html")
    )
    # The token in the address is the key to this registration: keep it out of caches and
    # out of the Referer header of any link followed from here.
    response.headers["Cache-Control"] = "private, no-store"
    response.headers["Referrer-Policy"] = "no-referrer"
    return response
