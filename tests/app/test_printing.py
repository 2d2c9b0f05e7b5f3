"""Printing: every document as a print view and as a PDF whose text, pages and access we check."""

from __future__ import annotations

import http.server
import io
import math
import re
import tempfile
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest
from flask import render_template
from PIL import Image
from pypdf import PdfReader
from reportlab.lib.units import mm
from reportlab.pdfbase.pdfmetrics import stringWidth
from weasyprint import CSS, HTML

from app.extensions import db
from app.models import (
    Assignment,
    Event,
    Organisation,
    Plan,
    PlanKind,
    PlanStatus,
    Registration,
    RegistrationStatus,
    SessionKind,
    User,
)
from app.services.organisations.directory import find_or_create_organisation
from app.services.printing import cards, documents
from app.services.printing.pdf import PART_BREAK, StaticFiles
from app.services.printing.pdf import render_pdf as render_in_parts
from app.services.printing.pdf import split as split_parts
from app.services.registration import check_in_codes
from app.services.tokens import new_token
from tests.conftest import PASSWORD

DOCS = ["table-plan", "facilitator-sheets", "find-your-table", "place-cards", "badges"]
FIRST = ["Amara", "Bartholomew", "Chidi", "Dagny", "Eilidh", "Farida", "Gwilym", "Hemi"]
LAST = ["Okafor", "Lindqvist", "Pemberton", "Tanaka", "Villanueva", "Abernethy"]
SPECIAL = ["Zoë Brontë", "Siobhán Ní Bhriain", "Nguyễn Thị Minh Khai"]
LONG = (
    "Wolfeschlegelsteinhausenbergerdorff-Maximiliana Alexandrina Konstantinopoulou-"
    "Featherstonehaugh de la Vallée-Poussin"
)


def page_texts(pdf: bytes) -> list[str]:
    """Each page's text without whitespace: a name reads the same wherever its lines wrapped."""
    return [squash(page.extract_text()) for page in PdfReader(io.BytesIO(pdf)).pages]


def squash(text: str) -> str:
    return re.sub(r"\s+", "", text)


def has(page: str, *texts: str) -> bool:
    return all(squash(t) in page for t in texts)


def person(event: Event, name: str, organisation: Organisation, **fields) -> Registration:
    registration = Registration(
        event=event,
        token=new_token(),
        name=name,
        email=f"{re.sub(r'[^a-z]', '', name.lower())[:40]}{new_token()[:6]}@example.org",
        organisation=organisation,
        status=fields.pop("status", RegistrationStatus.CONFIRMED),
        profession=fields.pop("profession", "Policy officer"),
        **fields,
    )
    db.session.add(registration)
    return registration


def add_people(event: Event, names: list[str]) -> list[Registration]:
    organisations = [
        find_or_create_organisation(name, sector, confirmed=True)
        for name, sector in [
            ("Northshire County Council", "Local government"),
            ("Valley Primary Care Network", "Health"),
            ("Citizens Advice Riverside", "Voluntary and community"),
        ]
    ]
    people = [person(event, name, organisations[i % 3]) for i, name in enumerate(names)]
    db.session.flush()
    return people


def seat(event: Event, people: list[Registration], status=PlanStatus.PUBLISHED) -> Plan:
    """A tables plan made directly: round r seats person i at table ((i + r * (i // 8)) % 8) + 1,
    so tables fill evenly and mix differently each round."""
    plan = Plan(event=event, kind=PlanKind.TABLES, status=status)
    tables = event.tables[:8]
    for r, session in enumerate(event.sessions_of(SessionKind.TABLE_ROUND)):
        for i, registration in enumerate(people):
            table = tables[(i + r * (i // 8)) % 8]
            plan.assignments.append(
                Assignment(registration=registration, session=session, table=table)
            )
    db.session.add(plan)
    return plan


def send_to_breakouts(event: Event, people: list[Registration]) -> Plan:
    plan = Plan(event=event, kind=PlanKind.BREAKOUTS, status=PlanStatus.PUBLISHED)
    for slot in event.sessions_of(SessionKind.BREAKOUT_SLOT):
        for i, registration in enumerate(people):
            plan.assignments.append(
                Assignment(registration=registration, session=slot, breakout=slot.breakouts[i % 2])
            )
    db.session.add(plan)
    return plan


@pytest.fixture
def attendees(event: Event) -> list[Registration]:
    """45 confirmed attendees (some with non-ASCII names, one very long), seated by published
    plans; the first facilitates table 1. Plus a waitlisted and a cancelled registration (who
    still has a seat in the plan, from before cancelling): neither may be printed."""
    names = [f"{f} {last}" for last in LAST for f in FIRST][:41] + SPECIAL + [LONG]
    people = add_people(event, names)
    people[8].access_needs = "Step-free access"  # seated at table 1 in round one
    people[8].dietary_needs = "Vegan"
    event.tables[0].facilitator = people[0]
    cancelled = person(
        event, "Cancelled Person", people[0].organisation, status=RegistrationStatus.CANCELLED
    )
    person(event, "Waiting Person", people[0].organisation, status=RegistrationStatus.WAITLISTED)
    seat(event, [*people, cancelled])
    send_to_breakouts(event, people)
    db.session.commit()
    return people


def seating(event: Event, people: list[Registration]) -> dict[tuple[str, int], set[str]]:
    """(round title, table number) -> names seated there, read back from the published plan."""
    plan = documents.print_pack(event)
    return {
        (r.session.title, s.table.number): {a.name for a in s.people}
        | ({s.facilitator.name} if s.facilitator else set())
        for r in plan.seating()
        for s in r.tables
    }


def pdf(client, url: str) -> bytes:
    response = client.get(url)
    assert response.status_code == 200, url
    assert response.mimetype == "application/pdf"
    assert response.headers["Content-Disposition"].startswith("attachment;")
    return response.data


def test_event_page_links_to_every_print_document(signed_in, event):
    page = signed_in.get("/organise/events/learning-day").get_data(as_text=True)
    assert 'href="/organise/events/learning-day/print"' in page
    for doc in DOCS:
        assert f'href="/organise/events/learning-day/print/{doc}"' in page
        assert f'href="/organise/events/learning-day/print/{doc}.pdf"' in page


def test_print_page_offers_drafts_and_label_sheets(signed_in, event, attendees):
    draft = seat(event, attendees, status=PlanStatus.DRAFT)
    db.session.commit()
    page = signed_in.get("/organise/events/learning-day/print").get_data(as_text=True)
    assert f'<option value="{draft.id}">Draft #{draft.id}' in page
    assert "8 per A4 (2 × 4, 99.1 × 67.7 mm)" in page
    assert "10 per A4" in page

    chosen = signed_in.get(f"/organise/events/learning-day/print?plan={draft.id}&sheet=10")
    link = re.search(r'href="(/organise/events/learning-day/print/badges\.pdf[^"]*)"', chosen.text)
    assert f"plan={draft.id}" in link.group(1) and "sheet=10" in link.group(1)


@pytest.mark.parametrize("doc", DOCS)
def test_html_print_views_render(signed_in, event, attendees, doc):
    response = signed_in.get(f"/organise/events/learning-day/print/{doc}")
    assert response.status_code == 200
    html = response.get_data(as_text=True)
    assert "/static/css/print.css" in html
    assert f'href="/organise/events/learning-day/print/{doc}.pdf"' in html
    for registration in attendees:
        assert registration.name in html
    assert "Cancelled Person" not in html
    assert "Waiting Person" not in html


def table_heading(number: int) -> str:
    """'Table 1' as squashed PDF text, not matching 'Table 10'."""
    return rf"Table{number}(?!\d)"


def test_table_plan_pdf_has_every_table_whole_on_one_page(signed_in, event, attendees):
    pages = page_texts(pdf(signed_in, "/organise/events/learning-day/print/table-plan.pdf"))
    text = "".join(pages)
    assert has(text, *(a.name for a in attendees))
    assert not has(text, "Cancelled Person")
    rounds = [s.title for s in event.sessions_of(SessionKind.TABLE_ROUND)]
    for table in event.tables:
        assert len(re.findall(table_heading(table.number), text)) == len(rounds)
    # Each round starts a page and names itself in the page header; within a round, a table's
    # heading and all its people are on one page.
    for (round_title, number), names in seating(event, attendees).items():
        assert any(
            has(page, round_title, *names) and re.search(table_heading(number), page)
            for page in pages
        ), f"table {number} of {round_title} is split across pages"
    assert has(text, "Facilitator: " + attendees[0].name)


def test_facilitator_sheets_are_one_page_per_table(signed_in, event, attendees):
    pages = page_texts(pdf(signed_in, "/organise/events/learning-day/print/facilitator-sheets.pdf"))
    assert len(pages) == len(event.tables)
    seated = seating(event, attendees)
    for page, table in zip(pages, event.tables, strict=True):
        assert re.search(table_heading(table.number), page)
        for round_title in ("Round one", "Round two"):
            assert has(page, round_title, *seated[(round_title, table.number)])
        assert has(page, "Notes")
    assert has(pages[0], "Facilitator: " + attendees[0].name, "Step-free access", "Vegan")
    assert has(pages[0], "Local government", "Valley Primary Care Network")


def test_find_your_table_lists_everyone_alphabetically(signed_in, event, attendees):
    pages = page_texts(pdf(signed_in, "/organise/events/learning-day/print/find-your-table.pdf"))
    text = "".join(pages)
    expected = sorted((a.name for a in attendees), key=documents.sort_key)
    positions = [text.index(squash(name)) for name in expected]
    assert positions == sorted(positions)
    # Each row: name, organisation, table per round, breakout and its room.
    for attendee in documents.print_pack(event).attendees:
        row = [attendee.name, attendee.organisation]
        row += [str(table.number) for table in attendee.tables.values()]
        row += [f"{b.title}{b.room}" for b in attendee.breakouts.values()]
        assert squash("".join(row)) in text


def test_place_cards_print_each_name_on_both_halves(signed_in, event, attendees):
    # Two cards to a sheet unless asked otherwise, each with the person's table in each round.
    pages = page_texts(pdf(signed_in, "/organise/events/learning-day/print/place-cards.pdf"))
    assert len(pages) == math.ceil(len(attendees) / 2)
    pack = documents.print_pack(event)
    for attendee in pack.attendees:
        assert sum(p.count(squash(attendee.name)) for p in pages) == 2
        tables = pack.tables_line(attendee)
        assert tables.startswith("Tables ") and tables.count("·") == 1
        assert (
            sum(p.count(squash(attendee.name + attendee.organisation + tables)) for p in pages) == 2
        )
    a4 = page_texts(pdf(signed_in, "/organise/events/learning-day/print/place-cards.pdf?card=a4"))
    assert len(a4) == len(attendees)
    assert has("".join(a4), *(a.name for a in attendees))


@pytest.mark.parametrize(("sheet", "per_page"), [("8", 8), ("10", 10), ("6", 6)])
def test_badges_fill_label_sheets(signed_in, event, attendees, sheet, per_page):
    url = f"/organise/events/learning-day/print/badges.pdf?sheet={sheet}"
    pages = page_texts(pdf(signed_in, url))
    assert len(pages) == math.ceil(len(attendees) / per_page)
    for number, page in enumerate(pages):
        on_sheet = attendees_sorted(attendees)[number * per_page : (number + 1) * per_page]
        assert has(page, *on_sheet)
    assert not has("".join(pages), "Waiting Person")


def attendees_sorted(attendees: list[Registration]) -> list[str]:
    return sorted((a.name for a in attendees), key=documents.sort_key)


def test_non_ascii_names_render_in_pdf(signed_in, event, attendees):
    for doc in DOCS:
        text = "".join(page_texts(pdf(signed_in, f"/organise/events/learning-day/print/{doc}.pdf")))
        for name in SPECIAL:
            assert has(text, name), (doc, name)


@pytest.mark.parametrize("doc", ["place-cards", "badges"])
def test_longest_names_fit_inside_their_card_or_label(app, event, attendees, doc):
    """Lay the document out and check no name or organisation box overflows its card or label."""
    longest = "Ł" * 8 + " " + "M" * 150 + " " + "w" * 40  # 200 characters (the most a name holds)
    extra = add_people(event, [longest])
    extra[0].organisation.name = "The " + "Northshire Integrated " * 8 + "Partnership"
    db.session.commit()
    with app.test_request_context():
        pack = documents.print_pack(event)
        html = render_template(
            f"printing/{doc.replace('-', '_')}.html",
            event=event,
            pack=pack,
            check_in_codes={
                a.person.id: check_in_codes.svg_data_uri(a.person) for a in pack.attendees
            },
            doc=doc,
            title=doc,
            sheet=documents.SHEETS["10"],
            card="a5",
            pdf=True,
            name_size=documents.name_size,
            initial=documents.initial,
            needs=documents.needs,
            pdf_url="",
            back_url="",
        )
    stylesheets = [
        CSS(filename=app.static_folder + "/css/print.css"),
        CSS(string=documents.sheet_css()),
    ]
    document = HTML(string=html).render(stylesheets=stylesheets)
    container = "label" if doc == "badges" else "face"
    checked = 0
    for page in document.pages:
        for box in _boxes(page._page_box):
            if container in _classes(box):
                bottom = box.position_y + box.margin_height()
                right = box.position_x + box.margin_width()
                for inner in _boxes(box):
                    if {
                        "card-name",
                        "card-org",
                        "badge-name",
                        "badge-org",
                        "badge-code",
                    } & _classes(inner):
                        assert inner.position_y + inner.margin_height() <= bottom + 0.5
                        assert inner.position_x + inner.margin_width() <= right + 0.5
                        checked += 1
    assert checked >= len(attendees) + 1


def _boxes(box):
    yield box
    for child in getattr(box, "children", ()):
        yield from _boxes(child)


def _classes(box) -> set[str]:
    element = getattr(box, "element", None)
    return set((element.get("class") or "").split()) if element is not None else set()


def test_print_views_need_an_organiser_of_the_event(client, app, event, attendees):
    for url in (
        "/organise/events/learning-day/print",
        "/organise/events/learning-day/print/badges",
        "/organise/events/learning-day/print/badges.pdf",
    ):
        response = client.get(url)
        assert response.status_code == 302
        assert "/login" in response.headers["Location"]
    other = User(email="other@example.org", name="Other Organiser")
    other.set_password(PASSWORD)
    db.session.add(other)
    db.session.commit()
    client.submit("/login", {"email": other.email, "password": PASSWORD})
    for doc in DOCS:
        assert client.get(f"/organise/events/learning-day/print/{doc}").status_code == 404
        assert client.get(f"/organise/events/learning-day/print/{doc}.pdf").status_code == 404
    assert client.get("/organise/events/learning-day/print").status_code == 404


def test_bad_print_options_are_not_found(signed_in, event, attendees):
    base = "/organise/events/learning-day/print"
    assert signed_in.get(f"{base}/seating-chart").status_code == 404
    assert signed_in.get(f"{base}/badges?sheet=99").status_code == 404
    assert signed_in.get(f"{base}/place-cards?card=a3").status_code == 404
    assert signed_in.get(f"{base}/table-plan?plan=abc").status_code == 404
    assert signed_in.get(f"{base}/table-plan?plan=99999").status_code == 404
    breakouts = db.session.scalar(db.select(Plan).where(Plan.kind == PlanKind.BREAKOUTS))
    assert signed_in.get(f"{base}/table-plan?plan={breakouts.id}").status_code == 404
    options = signed_in.get(f"{base}?plan=abc&sheet=99")
    assert options.status_code == 200
    assert "Please correct what is marked below" in options.get_data(as_text=True)


def test_without_a_plan_the_documents_say_so(signed_in, event):
    add_people(event, ["Amara Okafor", "Chidi Pemberton"])
    db.session.commit()
    for doc in ("table-plan", "facilitator-sheets", "find-your-table"):
        html = signed_in.get(f"/organise/events/learning-day/print/{doc}").get_data(as_text=True)
        assert "There is no table" in html, doc
        text = "".join(page_texts(pdf(signed_in, f"/organise/events/learning-day/print/{doc}.pdf")))
        assert has(text, "There is no table", "plan to print yet"), doc
    # Cards and badges need no plan: everyone confirmed gets one.
    badges = "".join(page_texts(pdf(signed_in, "/organise/events/learning-day/print/badges.pdf")))
    assert has(badges, "Amara Okafor", "Chidi Pemberton")


def test_a_chosen_draft_prints_instead_of_the_published_plan(signed_in, event, attendees):
    draft = Plan(event=event, kind=PlanKind.TABLES, status=PlanStatus.DRAFT)
    round_one, round_two = event.sessions_of(SessionKind.TABLE_ROUND)
    for registration in attendees:
        for session in (round_one, round_two):
            draft.assignments.append(
                Assignment(registration=registration, session=session, table=event.tables[9])
            )
    db.session.add(draft)
    db.session.commit()
    url = f"/organise/events/learning-day/print/table-plan.pdf?plan={draft.id}"
    text = "".join(page_texts(pdf(signed_in, url)))
    assert has(text, f"Draft table plan #{draft.id}")
    pack = documents.print_pack(event, draft.id)
    table_ten = pack.seating()[0].tables[9]
    assert len(table_ten.people) == len(attendees) - 1  # all but table 1's facilitator


def test_names_are_text_never_markup(signed_in, event, attendees):
    payload = '<script>alert("x")</script><img src=x onerror=alert(1)>'
    draft = seat(event, [*attendees, *add_people(event, [payload])], status=PlanStatus.DRAFT)
    db.session.commit()
    for doc in DOCS:
        url = f"/organise/events/learning-day/print/{doc}"
        html = signed_in.get(f"{url}?plan={draft.id}").get_data(as_text=True)
        assert "<script>alert" not in html and "<img src=x" not in html
        assert "&lt;script&gt;alert(&#34;x&#34;)&lt;/script&gt;&lt;img src=x" in html, doc
        text = "".join(page_texts(pdf(signed_in, f"{url}.pdf?plan={draft.id}")))
        assert has(text, payload), doc


def test_itinerary_shows_the_published_places(client, event, attendees):
    registration = attendees[5]
    response = client.get(f"/r/{registration.token}/itinerary")
    assert response.status_code == 200
    assert response.headers["Cache-Control"] == "private, no-store"
    html = response.get_data(as_text=True)
    pack = documents.print_pack(event)
    me = next(a for a in pack.attendees if a.person.id == registration.id)
    for session in event.sessions_of(SessionKind.TABLE_ROUND):
        assert f"Table {me.tables[session.id].number}" in html
    slot = event.sessions_of(SessionKind.BREAKOUT_SLOT)[0]
    assert me.breakouts[slot.id].title in html
    assert f'href="/r/{registration.token}/itinerary.pdf"' in html

    text = "".join(page_texts(pdf(client, f"/r/{registration.token}/itinerary.pdf")))
    assert has(text, registration.name, "Learning Day", me.breakouts[slot.id].title)
    for session in event.sessions_of(SessionKind.TABLE_ROUND):
        assert has(text, f"{session.title}Table {me.tables[session.id].number}")


def test_itinerary_of_waitlisted_or_unknown(client, event, attendees):
    waiting = db.session.scalar(
        db.select(Registration).where(Registration.name == "Waiting Person")
    )
    html = client.get(f"/r/{waiting.token}/itinerary").get_data(as_text=True)
    assert "waiting list" in html
    assert "Table " not in html
    assert client.get("/r/not-a-token/itinerary").status_code == 404
    assert client.get("/r/not-a-token/itinerary.pdf").status_code == 404


def test_itinerary_never_shows_a_draft(client, event):
    people = add_people(event, ["Dagny Tanaka"])
    seat(event, people, status=PlanStatus.DRAFT)
    db.session.commit()
    html = client.get(f"/r/{people[0].token}/itinerary").get_data(as_text=True)
    assert "Tables have not been allocated yet" in html
    assert "Table " not in html


def test_attendee_page_links_to_the_itinerary(client, event, attendees):
    token = attendees[5].token
    page = client.get(f"/r/{token}").get_data(as_text=True)
    assert f'href="/r/{token}/itinerary"' in page
    assert f'href="/r/{token}/itinerary.pdf"' in page


def test_pdf_laid_out_in_parts_by_workers_is_the_same_as_in_one_process(app, signed_in, attendees):
    """The table plan is cut into parts (one per round here) that worker processes lay out side
    by side; the joined PDF must read exactly as the one laid out in this process."""
    url = "/organise/events/learning-day/print/table-plan.pdf"
    assert PART_BREAK in signed_in.get(url.removesuffix(".pdf")).text
    app.config["PRINT_WORKERS"] = 2
    in_parts = page_texts(pdf(signed_in, url))
    app.config["PRINT_WORKERS"] = 1
    assert page_texts(pdf(signed_in, url)) == in_parts
    assert has(in_parts[0], "Tables 1–")  # the footer names the tables on the page


def test_parts_are_joined_in_order():
    body = PART_BREAK.join(f"<p>Part {n}</p>" for n in range(5))
    html = f'<html><body><main class="document">{body}</main></body></html>'
    assert len(split_parts(html)) == 5
    for workers in (1, 2):
        pages = page_texts(render_in_parts(html, ["@page { size: A6 }"], workers))
        assert pages == [f"Part{n}" for n in range(5)]


def test_page_furniture_names_event_and_document_on_every_page(signed_in, event, attendees):
    event.title = 'The "Big" Day \\ Learning'
    db.session.commit()
    pages = page_texts(pdf(signed_in, "/organise/events/learning-day/print/table-plan.pdf"))
    assert len(pages) > 1
    weekday = event.starts_at.strftime("%A")  # the event is a month from today
    for page in pages:
        assert has(page, "Table plan", f'The "Big" Day \\ Learning · {weekday}')


def test_find_your_table_footer_names_first_and_last_person_on_the_page(
    signed_in, event, attendees
):
    pages = page_texts(pdf(signed_in, "/organise/events/learning-day/print/find-your-table.pdf"))
    names = attendees_sorted(attendees)
    assert has(pages[0], f"{names[0]} – ")
    assert has(pages[-1], f" – {names[-1]}")
    legend = documents.find_legend(documents.print_pack(event))
    assert all(has(page, legend) for page in pages)  # what the columns are, at the top right


@pytest.mark.parametrize(("card", "sheet"), [("a4", "8"), ("a5", "10"), ("a5", "6")])
def test_drawn_cards_and_badges_fit_the_longest_names(app, event, attendees, card, sheet):
    """Cards and badges are drawn with reportlab: every line of every name and organisation,
    at the size chosen for it, fits across its card or label, and all of it fits down."""
    longest = "Ł" * 8 + " " + "M" * 150 + " " + "w" * 40  # 200 characters (the most a name holds)
    extra = add_people(event, [longest])
    extra[0].organisation.name = "The " + "Northshire Integrated " * 8 + "Partnership"
    db.session.commit()
    pack = documents.print_pack(event)
    preset = documents.SHEETS[sheet]
    assert cards.place_cards(pack, card, "Place cards") is not None
    assert cards.badges(pack, preset, "Badges") is not None
    card_width = (297 - 28) * mm if card == "a4" else (210 - 20) * mm
    card_room = (105 - 34) * mm if card == "a4" else (74.25 - 24) * mm
    label_width = (preset.width - 10) * mm
    label_room = (preset.height - 8 - 12) * mm  # less the event's line, its rule and the gap
    for attendee in pack.attendees:
        for laid, width, room in (
            (
                cards.card_face(attendee, pack.tables_line(attendee), card, card_width, card_room),
                card_width,
                card_room,
            ),
            (cards.badge_body(pack, attendee, label_width, label_room), label_width, label_room),
        ):
            assert "".join(laid[0].lines).replace(" ", "") == attendee.name.replace(" ", "")
            for block in laid:
                assert all(
                    stringWidth(line, block.font, block.size) <= width for line in block.lines
                )
            assert sum(block.height for block in laid) <= room, attendee.name


def test_cards_needing_a_font_dejavu_lacks_are_laid_out_by_weasyprint(signed_in, event):
    """A name in a script DejaVu Sans does not cover (Chinese here) is not drawn with missing
    glyphs: the document falls back to WeasyPrint, whose font fallback finds any installed font."""
    add_people(event, ["Amara Okafor", "王芳"])
    db.session.commit()
    pack = documents.print_pack(event)
    assert cards.place_cards(pack, "a4", "Place cards") is None
    assert cards.badges(pack, documents.SHEETS["8"], "Badges") is None
    for doc, pages in (("place-cards", 1), ("badges", 1)):
        url = f"/organise/events/learning-day/print/{doc}.pdf"
        reader = PdfReader(io.BytesIO(pdf(signed_in, url)))
        assert len(reader.pages) == pages
        assert "WeasyPrint" in reader.metadata.producer


def test_cards_and_badges_are_drawn_when_dejavu_has_every_glyph(signed_in, event, attendees):
    for doc in ("place-cards", "badges"):
        reader = PdfReader(
            io.BytesIO(pdf(signed_in, f"/organise/events/learning-day/print/{doc}.pdf"))
        )
        assert "ReportLab" in reader.metadata.producer, doc


class Listener:
    """A real HTTP server on a loopback port that records every request it is sent: anything the
    PDF renderer fetches from a URL in a document ends up here."""

    def __init__(self) -> None:
        self.requests: list[str] = []
        requests = self.requests

        class Handler(http.server.BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                requests.append(self.path)
                self.send_error(404)

            def log_message(self, *args) -> None:  # the test reads self.requests instead
                pass

        self.server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()


@pytest.fixture
def listener() -> Iterator[Listener]:
    server = Listener()
    yield server
    server.server.shutdown()
    server.server.server_close()


def marker_image(path) -> str:
    """A 7 x 3 pixel PNG at `path` (a size no printed document has), as a file: URL."""
    Image.new("RGB", (7, 3), "red").save(path)
    return path.as_uri()


def images(pdf: bytes) -> list[tuple[int, int]]:
    return [image.image.size for page in PdfReader(io.BytesIO(pdf)).pages for image in page.images]


@pytest.fixture
def short_tmp_path() -> Iterator[Path]:
    """A folder with a short name: the attack text holds its path and must fit in a name field
    (PostgreSQL enforces the column's 200 characters)."""
    with tempfile.TemporaryDirectory(prefix="cv") as folder:
        yield Path(folder)


def test_attack_text_in_printed_fields_fetches_nothing_and_reads_no_file(
    signed_in, client, event, listener, short_tmp_path
):
    """Every field that reaches a printed document carries text that breaks out of a CSS string
    (a form feed ends it) into rules with url()s, or HTML asking for images: the renderer must
    print it as text, ask the listener for nothing and copy no local file into the PDF."""
    secret = marker_image(short_tmp_path / "secret.png")

    def breakout(name: str) -> str:
        return (
            f"Hall\f}} }} html {{ background: url({listener.url}/{name}) }} "
            f"html::before {{ content: url({secret}) }} x{{"
        )

    def short_breakout(name: str) -> str:  # for fields of 120 characters
        return f"\f}}}}html{{background:url({listener.url}/{name})}}x{{"

    markup = f'<img src="{secret}"><img src="{listener.url}/img">" style="background: url({secret})'
    event.title = breakout("title")
    event.venue = breakout("venue")
    for session in event.sessions:
        session.title = breakout("session")
        for option in session.breakouts:
            option.title, option.room = breakout("breakout"), breakout("room")
    people = add_people(event, ["Amara Okafor", markup, "王芳 " + breakout("name")])
    people[0].organisation.name = breakout("organisation")
    people[1].profession = short_breakout("profession")
    people[1].access_needs, people[1].dietary_needs = markup, short_breakout("diet")
    event.tables[0].facilitator = people[1]
    seat(event, people)
    send_to_breakouts(event, people)
    db.session.commit()

    printed = {
        doc: pdf(signed_in, f"/organise/events/learning-day/print/{doc}.pdf") for doc in DOCS
    }
    signed_in.get("/logout")
    printed["itinerary"] = pdf(client, f"/r/{people[1].token}/itinerary.pdf")

    assert listener.requests == []
    for doc, document in printed.items():
        assert (7, 3) not in images(document), doc
    for doc in ("table-plan", "facilitator-sheets", "find-your-table", "itinerary"):
        # The event's title is printed as it was typed (pypdf reads the text around the form
        # feed's empty glyph as UTF-16, hence the NULs).
        text = "".join(page_texts(printed[doc])).replace("\x00", "")
        assert has(text, f"html {{ background: url({listener.url}/title) }}"), doc
    table_plan = page_texts(printed["table-plan"])[0].replace("\x00", "")
    assert has(table_plan, "Table plan", f"url({listener.url}/venue)", '<imgsrc="')


def test_the_pdf_renderer_loads_only_the_apps_static_files(tmp_path, listener):
    """Only data: URLs and files inside the static folder load; a file beside it, reached by
    file:, by ../ or by its escaped form, and any other host are refused."""
    static = tmp_path / "static"
    static.mkdir()
    Image.new("RGB", (5, 5), "blue").save(static / "logo.png")
    secret = marker_image(tmp_path / "secret.png")
    body = f"""
        <img src="/static/logo.png">
        <img src="{secret}"><img src="/static/../secret.png"><img src="/static/%2e%2e/secret.png">
        <img src="{listener.url}/image"><img src="https://print.invalid/secret.png">
        <link rel="stylesheet" href="{listener.url}/style.css">
        <a rel="attachment" href="{secret}">attached</a>
        <p style="background: url({listener.url}/background)">text</p>
        <p style="background: url('data:image/svg+xml,<svg xmlns=%22http://www.w3.org/2000/svg%22/>')">data</p>
    """
    html = f'<html><body><main class="document">{body}</main></body></html>'
    for workers in (1, 2):
        document = render_in_parts(html, [], workers, StaticFiles(str(static)))
        assert images(document) == [(5, 5)]
        assert PdfReader(io.BytesIO(document)).attachments == {}
    assert listener.requests == []
