"""Place cards and name badges as PDF, drawn directly with reportlab.

Cards and badges are fixed-size boxes at fixed places on a sheet: a canvas draws 600 of them in a
fraction of a second, where WeasyPrint needs several seconds of CPU to lay the same HTML out (it
costs about 4 ms a page however plain the page). The sizes below are those of print.css, so the
print view on screen and the PDF look alike; on paper each name and organisation gets the largest
type that fits its box, measured rather than guessed from its length.

Text is set in DejaVu Sans, as WeasyPrint sets it. When the font files cannot be found, or a name
needs a glyph DejaVu lacks (Chinese, say), these functions return None and the caller renders the
HTML with WeasyPrint instead, whose font fallback covers every installed script.

May import: printing.documents (what is printed), registration.check_in_codes (badges' codes).
"""

from __future__ import annotations

import io
from collections.abc import Iterable
from dataclasses import dataclass
from functools import cache
from pathlib import Path

from reportlab.lib.colors import HexColor
from reportlab.lib.pagesizes import A4, landscape
from reportlab.lib.units import mm
from reportlab.pdfbase import pdfmetrics
from reportlab.pdfbase.ttfonts import TTFont
from reportlab.pdfgen.canvas import Canvas

from app.services.printing.documents import Attendee, PrintPack, SheetPreset
from app.services.registration import check_in_codes

REGULAR, BOLD = "ConveneSans", "ConveneSans-Bold"
FONT_FILES = {REGULAR: "DejaVuSans.ttf", BOLD: "DejaVuSans-Bold.ttf"}
FONT_DIRS = ("/usr/share/fonts", "/usr/local/share/fonts", "~/.local/share/fonts", "~/.fonts")


@cache
def _coverage() -> frozenset[int] | None:
    """Register the fonts (once per process); the code points both of them have, or None when
    they are not installed."""
    covered: set[int] | None = None
    for name, filename in FONT_FILES.items():
        path = _find(filename)
        if path is None:
            return None
        font = TTFont(name, str(path))
        pdfmetrics.registerFont(font)
        chars = set(font.face.charToGlyph)
        covered = chars if covered is None else covered & chars
    return frozenset(covered or ())


def _find(filename: str) -> Path | None:
    for folder in FONT_DIRS:
        root = Path(folder).expanduser()
        if root.is_dir():
            for path in root.rglob(filename):
                return path
    return None


def _drawable(texts: Iterable[str]) -> bool:
    covered = _coverage()
    return covered is not None and all(ord(c) in covered for t in texts for c in t if c > " ")


@dataclass
class TextBlock:
    """One text (a name, an organisation) broken into lines at one size, centred in its box."""

    lines: list[str]
    font: str
    size: float
    leading: float
    colour: str = "#000000"
    space_before: float = 0.0  # points

    @property
    def height(self) -> float:
        return self.space_before + len(self.lines) * self.size * self.leading


def wrap(text: str, font: str, size: float, width: float) -> list[str]:
    """Greedy line breaking at spaces; a word wider than the box is broken where it overflows
    (as overflow-wrap: break-word does), so nothing is ever cut off at the side."""
    lines: list[str] = []
    line = ""
    for word in text.split():
        candidate = f"{line} {word}" if line else word
        if pdfmetrics.stringWidth(candidate, font, size) <= width:
            line = candidate
            continue
        if line:
            lines.append(line)
        while len(word) > 1 and pdfmetrics.stringWidth(word, font, size) > width:
            cut = len(word) - 1
            while cut > 1 and pdfmetrics.stringWidth(word[:cut], font, size) > width:
                cut -= 1
            lines.append(word[:cut])
            word = word[cut:]
        line = word
    if line:
        lines.append(line)
    return lines


def fit_lines(blocks: list[tuple], width: float, height: float, levels: int) -> list[TextBlock]:
    """The texts at the largest type (the first level of sizes) at which the first (the name)
    takes at most two lines and all of them fit the box's height; else at the smallest level.

    Each block is (text, font, sizes per level, leading, colour, space before in points)."""
    for level in range(levels):
        laid = [
            TextBlock(wrap(text, font, sizes[level], width), font, sizes[level], lead, colour, gap)
            for text, font, sizes, lead, colour, gap in blocks
            if text
        ]
        if sum(block.height for block in laid) <= height and len(laid[0].lines) <= 2:
            break
    return laid


def _draw(canvas: Canvas, laid: list[TextBlock], centre_x: float, top: float) -> float:
    """Draw the lines centred on centre_x, from `top` down (PDF coordinates); the bottom."""
    y = top
    for block in laid:
        y -= block.space_before
        canvas.setFont(block.font, block.size)
        canvas.setFillColor(HexColor(block.colour))
        ascent, descent = pdfmetrics.getAscentDescent(block.font, block.size)
        line_height = block.size * block.leading
        for text in block.lines:
            baseline = y - (line_height - (ascent - descent)) / 2 - ascent
            canvas.drawCentredString(centre_x, baseline, text)
            y -= line_height
    return y


# Tent cards, as .face in print.css: each half a card, the name 30 mm (A4) or 20 mm (A5) below
# the fold, the upper half the same turned upside down.
CARD_NAME_SIZES = {"a4": (44, 34, 26, 19, 12), "a5": (32, 24, 18, 14, 9)}
CARD_ORG_SIZES = {"a4": (22, 18, 15, 12, 9), "a5": (16, 13, 11, 9, 7)}
CARD_PADDING = {"a4": (30 * mm, 14 * mm), "a5": (20 * mm, 10 * mm)}
CARD_ORG_GAP = {"a4": 3 * mm, "a5": 2 * mm}


def place_cards(pack: PrintPack, card: str, title: str) -> bytes | None:
    """One tent card per attendee, with their table in each round: two to a portrait A4 sheet
    (A5, the default), or one to a landscape one."""
    if not _drawable(t for a in pack.attendees for t in (a.name, a.organisation)):
        return None
    page = landscape(A4) if card == "a4" else A4
    per_page = 1 if card == "a4" else 2
    card_height = page[1] / per_page
    half = card_height / 2
    top_pad, side_pad = CARD_PADDING[card]
    width = page[0] - 2 * side_pad
    out = io.BytesIO()
    canvas = Canvas(out, pagesize=page, pageCompression=1)
    canvas.setTitle(title)
    for index, attendee in enumerate(pack.attendees):
        if index and index % per_page == 0:
            canvas.showPage()
        card_top = page[1] - (index % per_page) * card_height
        fold = card_top - half
        tables = pack.tables_line(attendee)
        laid = card_face(attendee, tables, card, width, half - top_pad - 4 * mm)  # clear of edge
        _draw(canvas, laid, page[0] / 2, fold - top_pad)
        canvas.saveState()  # the back: the same face turned about the card's centre
        canvas.translate(page[0] / 2, fold)
        canvas.rotate(180)
        canvas.translate(-page[0] / 2, -fold)
        _draw(canvas, laid, page[0] / 2, fold - top_pad)
        canvas.restoreState()
        canvas.setStrokeColor(HexColor("#bbbbbb"))
        canvas.setLineWidth(0.3 * mm)
        canvas.line(0, fold, page[0], fold)
    canvas.showPage()
    canvas.save()
    return out.getvalue()


def card_face(
    attendee: Attendee, tables: str, card: str, width: float, height: float
) -> list[TextBlock]:
    organisation = attendee.organisation
    return fit_lines(
        [
            (attendee.name, BOLD, CARD_NAME_SIZES[card], 1.15, "#000000", 0.0),
            (organisation, REGULAR, CARD_ORG_SIZES[card], 1.3, "#000000", CARD_ORG_GAP[card]),
            (tables, BOLD, CARD_ORG_SIZES[card], 1.3, "#000000", CARD_ORG_GAP[card]),
        ],
        width,
        height,
        levels=len(CARD_NAME_SIZES[card]),
    )


# Badges, as .label and .badge-* in print.css.
BADGE_PADDING = (4 * mm, 5 * mm)
# The sizes of print.css, and a last level smaller still, so that even a 200-character name and
# organisation fit the smallest label (10 per A4, 57 mm high) with the rest.
BADGE_NAME_SIZES = (21, 16, 13, 11, 7.5, 6)
BADGE_ORG_SIZES = (11, 10, 9, 8, 6.5, 5.5)
BADGE_PROFESSION_SIZES = (9, 9, 9, 8, 7, 6)
BADGE_TABLES_SIZES = (9, 9, 9, 9, 8, 7)
# The check-in code, in the bottom right corner (as .badge-code in print.css): big enough for
# a phone camera at arm's length; the text beside it keeps BADGE_CODE_CLEAR from the label's edge.
BADGE_CODE_MM = 15
BADGE_CODE_INSET_MM = 4
BADGE_CODE_CLEAR = 17 * mm


def badges(pack: PrintPack, sheet: SheetPreset, title: str) -> bytes | None:
    """A badge per attendee on label sheets: event, name, organisation, profession, tables."""
    texts = [pack.event.title]
    for a in pack.attendees:
        texts += [a.name, a.organisation, a.person.profession]
    if not _drawable(texts):
        return None
    out = io.BytesIO()
    canvas = Canvas(out, pagesize=A4, pageCompression=1)
    canvas.setTitle(title)
    pad_y, pad_x = BADGE_PADDING
    width = sheet.width * mm - 2 * pad_x
    for index, attendee in enumerate(pack.attendees):
        slot = index % sheet.per_page
        if index and slot == 0:
            canvas.showPage()
        left = sheet.left(slot % sheet.columns) * mm
        top = A4[1] - sheet.top(slot // sheet.columns) * mm
        canvas.saveState()  # nothing may spill onto the next label (overflow: hidden)
        path = canvas.beginPath()
        path.rect(left, top - sheet.height * mm, sheet.width * mm, sheet.height * mm)
        canvas.clipPath(path, stroke=0, fill=0)
        centre = left + sheet.width * mm / 2
        event = TextBlock(wrap(pack.event.title, REGULAR, 8, width), REGULAR, 8, 1.3, "#444444")
        rule = _draw(canvas, [event], centre, top - pad_y) - 1 * mm
        canvas.setStrokeColor(HexColor("#888888"))
        canvas.setLineWidth(0.3 * mm)
        canvas.line(left + pad_x, rule, left + sheet.width * mm - pad_x, rule)
        room = rule - 2 * mm - (top - sheet.height * mm + pad_y)
        body = badge_body(pack, attendee, width - BADGE_CODE_CLEAR, room)
        _draw(canvas, body, centre - BADGE_CODE_CLEAR / 2, rule - 2 * mm)
        right, bottom = left + sheet.width * mm, top - sheet.height * mm
        inset, size = BADGE_CODE_INSET_MM * mm, BADGE_CODE_MM * mm
        _draw_code(
            canvas,
            check_in_codes.modules(attendee.person),
            right - inset - size,
            bottom + inset,
            size,
        )
        canvas.restoreState()
    canvas.showPage()
    canvas.save()
    return out.getvalue()


def badge_body(pack: PrintPack, attendee: Attendee, width: float, height: float) -> list[TextBlock]:
    tables = ""
    if pack.tables_plan is not None and attendee.tables:
        numbers = [
            str(attendee.tables[s.id].number) if s.id in attendee.tables else "—"
            for s in pack.rounds
        ]
        tables = ("Tables " if len(pack.rounds) > 1 else "Table ") + " · ".join(numbers)
    return fit_lines(
        [
            (attendee.name, BOLD, BADGE_NAME_SIZES, 1.15, "#000000", 0.0),
            (attendee.organisation, REGULAR, BADGE_ORG_SIZES, 1.3, "#000000", 1.5 * mm),
            (attendee.person.profession, REGULAR, BADGE_PROFESSION_SIZES, 1.3, "#333333", 1 * mm),
            (tables, BOLD, BADGE_TABLES_SIZES, 1.3, "#000000", 1.5 * mm),
        ],
        width,
        height,
        levels=len(BADGE_NAME_SIZES),
    )


def _draw_code(canvas: Canvas, grid: list[list[bool]], x: float, y: float, size: float) -> None:
    """A QR code's dark modules, `size` wide with its lower left corner at (x, y); each run of
    dark modules in a row is one rectangle, to keep the PDF small."""
    module = size / len(grid)
    canvas.setFillColor(HexColor("#000000"))
    for r, row in enumerate(grid):
        top = y + size - r * module
        c = 0
        while c < len(row):
            if not row[c]:
                c += 1
                continue
            start = c
            while c < len(row) and row[c]:
                c += 1
            canvas.rect(x + start * module, top - module, (c - start) * module, module, 0, 1)
