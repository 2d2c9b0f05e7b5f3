"""What goes on paper: the seating and breakouts of a plan, gathered for the printed documents.

Every document prints from one `PrintPack`: the event's confirmed attendees (alphabetical), its
table rounds and breakout slots, and where each attendee sits or goes according to one tables plan
and one breakouts plan (the published ones unless the organiser picks another). `render_pdf` turns
the print-ready HTML of a document into an A4 PDF with WeasyPrint (in parts, side by side:
printing/pdf.py), so paper and screen do not differ; place cards and badges, fixed boxes on a
sheet, are drawn to the same measurements with reportlab instead (printing/cards.py), which
is many times faster.

May import: models, planning.{plans, places}, printing.pdf.
"""

from __future__ import annotations

import math
import unicodedata
from collections import defaultdict
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path

from sqlalchemy import select
from sqlalchemy.orm import selectinload

from app.extensions import db
from app.models import (
    Assignment,
    Breakout,
    Event,
    Plan,
    PlanKind,
    PlanStatus,
    Registration,
    RegistrationStatus,
    Session,
    SessionKind,
    Table,
)
from app.services.planning import places
from app.services.planning.places import Place
from app.services.planning.plans import published_plan, published_plans
from app.services.printing import pdf

DOCUMENTS = {
    "table-plan": "Table plan",
    "facilitator-sheets": "Facilitator sheets",
    "find-your-table": "Find your table",
    "place-cards": "Place cards",
    "badges": "Name badges",
    "table-tents": "Table tents",
}


class PlanNotFound(LookupError):
    """The organiser asked for a plan that is not one of this event's plans of that kind."""


@dataclass(frozen=True)
class SheetPreset:
    """A label sheet: `columns` x `rows` labels of a size (mm), placed by margins and gaps (mm)."""

    key: str
    label: str
    columns: int
    rows: int
    width: float
    height: float
    margin_top: float
    margin_left: float
    column_gap: float
    row_gap: float = 0.0

    @property
    def per_page(self) -> int:
        return self.columns * self.rows

    def pages(self, count: int) -> int:
        return math.ceil(count / self.per_page)

    def left(self, column: int) -> float:
        return self.margin_left + column * (self.width + self.column_gap)

    def top(self, row: int) -> float:
        return self.margin_top + row * (self.height + self.row_gap)


# Common A4 badge/label sheets (Avery L7166, L7165 and L7173 layouts and their equivalents).
SHEETS = {
    preset.key: preset
    for preset in (
        SheetPreset("8", "8 per A4 (2 × 4, 99.1 × 67.7 mm)", 2, 4, 99.1, 67.7, 13.1, 4.65, 2.5),
        SheetPreset("6", "6 per A4 (2 × 3, 99.1 × 93.1 mm)", 2, 3, 99.1, 93.1, 8.85, 4.65, 2.5),
        SheetPreset("10", "10 per A4 (2 × 5, 99.1 × 57 mm)", 2, 5, 99.1, 57.0, 6.0, 4.65, 2.5),
    )
}
DEFAULT_SHEET = "8"


def sheet_css() -> str:
    """Where each label sits on its sheet, for every preset: generated from SHEETS, so the
    preset table above is the only place a measurement is written down."""
    rules = []
    for preset in SHEETS.values():
        sheet = f".sheet-{preset.key}"
        rules.append(f"{sheet} .label {{ width: {preset.width}mm; height: {preset.height}mm; }}")
        rules += [
            f"{sheet} .col-{c} {{ left: {preset.left(c):.2f}mm; }}" for c in range(preset.columns)
        ]
        rules += [f"{sheet} .row-{r} {{ top: {preset.top(r):.2f}mm; }}" for r in range(preset.rows)]
    return "\n".join(rules) + "\n"


# Tent cards: an A4 sheet (landscape, one card) or half of one (A5, two cards per portrait A4),
# folded along the middle so the two halves stand back to back.
CARD_SIZES = {"a5": "A5 (two cards per A4 sheet)", "a4": "A4 (one card per sheet)"}
# Two to a sheet by default: half the paper and folding, and still readable across a table.
DEFAULT_CARD = "a5"


@dataclass
class Attendee:
    """A confirmed attendee and, per session id, their table number or breakout."""

    person: Registration
    tables: dict[int, Table] = field(default_factory=dict)
    breakouts: dict[int, Breakout] = field(default_factory=dict)

    @property
    def name(self) -> str:
        return self.person.name

    @property
    def organisation(self) -> str:
        return self.person.organisation.name if self.person.organisation else ""


@dataclass
class Seating:
    """One table in one round: its facilitator and the other people sitting there."""

    table: Table
    facilitator: Attendee | None
    people: list[Attendee]


@dataclass
class RoundSeating:
    session: Session
    tables: list[Seating]


@dataclass
class TableSheet:
    """Everything a facilitator needs for their table: who sits there in each round."""

    table: Table
    facilitator: Attendee | None
    rounds: list[tuple[Session, list[Attendee]]]

    @property
    def note_lines(self) -> int:
        """Ruled 8 mm lines for notes that still fit on the sheet's one page (265 mm of A4 inside
        the margins). Generous allowances, so the notes never spill onto a second page: 36 mm for
        the heading, 10 mm per round heading and for the notes heading, and per person 5 mm for
        each started 90 characters of their line (a 9 pt line holds about 110).
        """
        used = 36 + 10 + 10 * len(self.rounds)
        for _, people in self.rounds:
            for a in people:
                text = " ".join(
                    (a.name, a.organisation, a.person.sector, a.person.profession, *needs(a.person))
                )
                used += 5 * math.ceil(len(text) / 90)
        return max(0, min(14, (265 - used) // 8))


@dataclass
class PrintPack:
    event: Event
    tables_plan: Plan | None
    breakouts_plan: Plan | None
    rounds: list[Session]
    slots: list[Session]
    attendees: list[Attendee]
    tables: list[Table]

    def seating(self) -> list[RoundSeating]:
        """Per round, every table of the event in number order with the people seated there."""
        by_id = {a.person.id: a for a in self.attendees}
        result = []
        for session in self.rounds:
            seated: dict[int, list[Attendee]] = defaultdict(list)
            for attendee in self.attendees:
                table = attendee.tables.get(session.id)
                if table is not None and table.facilitator_id != attendee.person.id:
                    seated[table.id].append(attendee)
            result.append(
                RoundSeating(
                    session,
                    [
                        Seating(table, by_id.get(table.facilitator_id), seated[table.id])
                        for table in self.tables
                    ],
                )
            )
        return result

    def tables_line(self, attendee: Attendee) -> str:
        """Where the attendee sits, for a card or badge: "Table 4", or "Tables 4 · 7 · 2" in
        round order; empty without a tables plan."""
        if self.tables_plan is None or not attendee.tables:
            return ""
        numbers = [
            str(attendee.tables[s.id].number) if s.id in attendee.tables else "—"
            for s in self.rounds
        ]
        return ("Tables " if len(self.rounds) > 1 else "Table ") + " · ".join(numbers)

    def table_sheets(self) -> list[TableSheet]:
        rounds = self.seating()
        return [
            TableSheet(
                table,
                rounds[0].tables[i].facilitator if rounds else None,
                [(r.session, r.tables[i].people) for r in rounds],
            )
            for i, table in enumerate(self.tables)
        ]

    def unseated(self) -> list[Attendee]:
        """Confirmed attendees missing a table in some round (e.g. registered after planning)."""
        if self.tables_plan is None:
            return []
        return [a for a in self.attendees if any(s.id not in a.tables for s in self.rounds)]


def sort_key(name: str) -> str:
    """Alphabetical order as people expect it: accents and case do not matter (Zoë = Zoe)."""
    decomposed = unicodedata.normalize("NFKD", name.strip())
    return "".join(c for c in decomposed if not unicodedata.combining(c)).casefold()


def initial(name: str) -> str:
    """The letter a name is listed under in "find your table"; '#' for anything else."""
    first = sort_key(name)[:1].upper()
    return first if first.isalpha() else "#"


def name_size(text: str, steps: tuple[int, ...] = (18, 28, 44, 70)) -> str:
    """A size class for a name on a fixed-size card or label: longer names get smaller type.

    Names also wrap at any point (print.css), so even the longest name (200 characters) fits
    its box at the smallest size instead of being cut off.
    """
    length = len(text)
    for size, limit in enumerate(steps):
        if length <= limit:
            return f"size-{size}"
    return f"size-{len(steps)}"


def needs(person: Registration) -> list[str]:
    """A person's access and dietary notes, for the facilitator of their table."""
    # Joined with "; " when printed: a note's own closing full stop or semicolon would read
    # "hearing loop.; accessible table".
    access, diet = (_note(text) for text in (person.access_needs, person.dietary_needs))
    notes = [access] if access else []
    if person.needs_accessible_table and "accessible table" not in access.lower():
        notes.append("accessible table")
    if diet:
        notes.append("Diet: " + diet)
    return notes


def _note(text: str) -> str:
    return text.strip().rstrip(".;,").strip()


def event_plans(event: Event, kind: PlanKind) -> list[Plan]:
    """This event's plans of one kind that can be printed (not archived), newest first."""
    return list(
        db.session.scalars(
            select(Plan)
            .where(Plan.event_id == event.id, Plan.kind == kind, Plan.status != PlanStatus.ARCHIVED)
            .order_by(Plan.created_at.desc(), Plan.id.desc())
        )
    )


def choose_plan(event: Event, kind: PlanKind, plan_id: int | None) -> Plan | None:
    """The plan with that id (any status; this event's, this kind), else the published one."""
    if plan_id is None:
        return published_plan(event, kind)
    plan = db.session.get(Plan, plan_id)
    if plan is None or plan.event_id != event.id or plan.kind != kind:
        raise PlanNotFound(f"This event has no {kind.value} plan number {plan_id}.")
    return plan


def print_pack(
    event: Event,
    tables_plan_id: int | None = None,
    breakouts_plan_id: int | None = None,
    person: int | None = None,
) -> PrintPack:
    """Everything the printed documents need, in a handful of queries whatever the event's size;
    for one confirmed person alone with `person` (their registration id), e.g. a walk-in's badge."""
    tables_plan = choose_plan(event, PlanKind.TABLES, tables_plan_id)
    breakouts_plan = choose_plan(event, PlanKind.BREAKOUTS, breakouts_plan_id)
    people = db.session.scalars(
        select(Registration)
        .where(
            Registration.event_id == event.id,
            Registration.status == RegistrationStatus.CONFIRMED,
            Registration.erased_at.is_(None),
            *([Registration.id == person] if person is not None else []),
        )
        .options(selectinload(Registration.organisation))
    )
    attendees = {p.id: Attendee(p) for p in people}
    tables = {t.id: t for t in event.tables}
    breakouts = {b.id: b for s in event.sessions for b in s.breakouts}
    rounds = event.sessions_of(SessionKind.TABLE_ROUND)
    slots = event.sessions_of(SessionKind.BREAKOUT_SLOT)

    plan_ids = [p.id for p in (tables_plan, breakouts_plan) if p is not None]
    rows = db.session.execute(
        select(
            Assignment.registration_id,
            Assignment.session_id,
            Assignment.table_id,
            Assignment.breakout_id,
        ).where(Assignment.plan_id.in_(plan_ids))
    )
    for registration_id, session_id, table_id, breakout_id in rows:
        attendee = attendees.get(registration_id)
        if attendee is None:  # cancelled since the plan was made: their seat stays empty
            continue
        if table_id is not None and table_id in tables:
            attendee.tables[session_id] = tables[table_id]
        elif breakout_id is not None and breakout_id in breakouts:
            attendee.breakouts[session_id] = breakouts[breakout_id]
    if tables_plan is not None:
        # A facilitator hosts their table every round, whether or not the plan lists them there.
        for table in tables.values():
            if table.facilitator_id in attendees:
                for session in rounds:
                    attendees[table.facilitator_id].tables[session.id] = table

    return PrintPack(
        event=event,
        tables_plan=tables_plan,
        breakouts_plan=breakouts_plan,
        rounds=rounds,
        slots=slots,
        attendees=sorted(attendees.values(), key=lambda a: (sort_key(a.name), a.person.id)),
        tables=sorted(tables.values(), key=lambda t: t.number),
    )


@dataclass
class Itinerary:
    person: Registration
    items: list[Place]
    tables_published: bool
    breakouts_published: bool


def itinerary(registration: Registration) -> Itinerary:
    """An attendee's day: every session, with their places (planning/places.py); the programme
    alone, for reference, for anyone without a seat."""
    event = registration.event
    confirmed = registration.status == RegistrationStatus.CONFIRMED
    published = {p.kind for p in published_plans(event)} if confirmed else set()
    items = places.schedule(registration) or [Place(session) for session in event.sessions]
    return Itinerary(
        registration, items, PlanKind.TABLES in published, PlanKind.BREAKOUTS in published
    )


def find_legend(pack: PrintPack) -> str:
    """What the columns of "find your table" are: the tables at the right, breakouts below."""
    rounds = pack.rounds if pack.tables_plan else []
    slots = pack.slots if pack.breakouts_plan else []
    parts = []
    if len(rounds) == 1:
        parts.append(f"R1: your table in {rounds[0].title}")
    elif rounds:
        parts.append(f"R1–R{len(rounds)}: your table in each table round")
    if slots:
        parts.append("under your name: your breakout" + ("s" if len(slots) > 1 else ""))
    legend = "; ".join(parts)
    return legend[:1].upper() + legend[1:]


def render_pdf(html: str, static: pdf.StaticFiles, workers: int = 1) -> bytes:
    """Render print-ready HTML (rendered without its <link>s to stylesheets) to PDF.

    The stylesheets are read from disk and generated here rather than fetched over HTTP, so the
    server never calls itself; the document may load nothing but the app's static files
    (printing/fetching.py). No user text is ever put into a stylesheet: each page's running
    header and footer (the document, the event, its date and venue) are read from the
    attributes of an element of the HTML (`.running`, in printing/_print.html) with
    `string-set`, where an attribute is only ever text.
    """
    stylesheets = [_read(Path(static.folder) / "css" / "print.css"), sheet_css()]
    return pdf.render_pdf(html, stylesheets, workers, static)


@lru_cache(maxsize=4)
def _read_cached(path: Path, mtime: float) -> str:
    return path.read_text(encoding="utf-8")


def _read(path: Path) -> str:
    """A stylesheet's text, read again only when the file changes."""
    return _read_cached(path, path.stat().st_mtime)
