"""A person's check-in code: a QR code of their entry at the registration desk.

Printed on their badge, and shown in their confirmation message and on their own page, it opens
`/organise/events/<slug>/desk/<registration id>` for a signed-in organiser (a phone camera is the
scanner); anyone else who opens it is asked to sign in. It never holds the private manage token:
a badge is read by everyone in the room, and the token is the key to the registration. Like every
link that leaves the site, it is built on PUBLIC_URL (app/services/urls.py), never on the Host
header of the request that happened to draw it.

May import: models, urls.
"""

from __future__ import annotations

import html

import segno

from app.models import Registration
from app.services.urls import external_url


def desk_entry_url(registration: Registration) -> str:
    """The organiser's address of this person's desk entry."""
    return external_url("desk.entry", slug=registration.event.slug, registration_id=registration.id)


def _code(registration: Registration) -> segno.QRCode:
    return segno.make(desk_entry_url(registration), error="m")


def svg_data_uri(registration: Registration) -> str:
    """The code as an SVG data: URI for an <img> (pages and printed HTML; the CSP allows data:)."""
    return _code(registration).svg_data_uri(scale=4, border=2)


def modules(registration: Registration) -> list[list[bool]]:
    """The code's dark (True) and light modules, row by row, without the quiet zone: for drawing
    it with reportlab or as an HTML table."""
    return [[bool(cell) for cell in row] for row in _code(registration).matrix]


def html_table(registration: Registration, module_px: int = 5) -> str:
    """The code as an HTML table of coloured cells, with its quiet zone: mail programs show it
    although they block images (data: images and SVG above all)."""
    grid = modules(registration)
    border = 3
    width = len(grid[0]) + 2 * border
    light = ["0"] * width
    rows = [light] * border
    rows += [["0"] * border + ["1" if c else "0" for c in row] + ["0"] * border for row in grid]
    rows += [light] * border
    cell = f"width:{module_px}px;height:{module_px}px;padding:0;"
    colours = {"1": "background:#000000;", "0": "background:#ffffff;"}
    body = "".join(
        "<tr>" + "".join(f'<td style="{cell}{colours[c]}"></td>' for c in row) + "</tr>"
        for row in rows
    )
    label = html.escape(f"Check-in code for {registration.name}", quote=True)
    return (
        f'<table role="img" aria-label="{label}" cellpadding="0" cellspacing="0" border="0" '
        f'style="border-collapse:collapse;line-height:0;">{body}</table>'
    )
