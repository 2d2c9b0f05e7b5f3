"""Registrations to and from CSV, for organisers.

Export: every field, times in the event's timezone, then each confirmed person's table in every
table round and breakout in every breakout slot, from the published plans (a column per round and
per slot, empty until its plan is published). Every cell a spreadsheet could take for a formula
(one starting with = + - @, tab or carriage return) is prefixed with an apostrophe so it is shown
as text, never run.

Import: preferences are breakouts, best first, separated by semicolons, each given by its id or
its title (as the export's `preference_titles` writes them).

Import: the whole file is checked first, without the lock, against the same rules as the
registration form; if any row is wrong nothing is written and each wrong row is reported. A clean
file is then written in batches of IMPORT_BATCH_ROWS, each its own locked transaction
(registration/capacity.py) that re-checks its emails, seating people in file order and
waitlisting the rest once the event is full; between batches the lock is free, so people
registering for this or any other event are not kept waiting behind a long file.

If a batch fails (ImportStopped: an email registered meanwhile, a database error), that batch is
rolled back and the batches before it stay, with their confirmations: they are real registrations.
Each one records the file it came from (Registration.import_key, the file's digest), so sending
the same file again carries on where it stopped: rows already imported from it are skipped, not
reported as duplicates.

May import: models, registration.{capacity, details, lookup}, planning.plans, messaging.outbox,
tokens.
"""

from __future__ import annotations

import csv
import hashlib
import io
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.orm import selectinload

from app.extensions import db
from app.models import (
    Assignment,
    Event,
    MailKind,
    PlanKind,
    Registration,
    RegistrationStatus,
    Session,
    SessionKind,
)
from app.services.messaging import outbox
from app.services.planning.plans import published_plans
from app.services.registration import capacity, details, lookup
from app.services.registration.details import REQUIRED, Details, RegistrationInvalid
from app.services.tokens import new_token

# The details a file may carry, as the form and the API name them; an export starts the same way,
# so an exported file can be imported again elsewhere.
IMPORT_COLUMNS = [
    "name",
    "email",
    "organisation",
    "sector",
    "profession",
    "role",
    "access_needs",
    "needs_accessible_table",
    "dietary_needs",
    "preferences",
    "consent",
]
EXPORT_COLUMNS = [
    "id",
    "status",
    *IMPORT_COLUMNS,
    "preference_titles",
    "registered_at",
    "waitlisted_at",
    "offer_expires_at",
    "cancelled_at",
    "checked_in_at",
    "erased_at",
]
MAX_IMPORT_ROWS = 5000
# Rows written per locked transaction: a few tenths of a second of the lock on SQLite.
IMPORT_BATCH_ROWS = 200
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
TRUE_WORDS = {"yes", "y", "true", "1", "x"}
FALSE_WORDS = {"no", "n", "false", "0", ""}


def neutralise(value: Any) -> str:
    """A cell value that spreadsheets show as text rather than evaluate."""
    text = "" if value is None else str(value)
    return "'" + text if text.startswith(FORMULA_STARTS) else text


def _time(event: Event, instant: datetime | None) -> str:
    if instant is None:
        return ""
    return instant.astimezone(event.zone).strftime("%Y-%m-%d %H:%M")


def _place_columns(event: Event) -> list[tuple[str, Session]]:
    """A column per table round ("table: Round one") and per breakout slot ("breakout: …"), in
    programme order; a title used twice is told apart by its number."""
    columns: list[tuple[str, Session]] = []
    for session in event.sessions:
        if session.kind == SessionKind.TABLE_ROUND:
            header = f"table: {session.title}"
        elif session.kind == SessionKind.BREAKOUT_SLOT:
            header = f"breakout: {session.title}"
        else:
            continue
        taken = {h for h, _ in columns}
        unique, n = header, 1
        while unique in taken:
            n += 1
            unique = f"{header} ({n})"
        columns.append((unique, session))
    return columns


def _places(event: Event) -> dict[tuple[int, int], str]:
    """(registration id, session id) -> table number or breakout title, from the published plans;
    a table's facilitator hosts it in every round (as planning/places.py says)."""
    found: dict[tuple[int, int], str] = {}
    plans = published_plans(event)
    if not plans:
        return found
    assignments = db.session.scalars(
        select(Assignment)
        .where(Assignment.plan_id.in_([p.id for p in plans]))
        .options(selectinload(Assignment.table), selectinload(Assignment.breakout))
    )
    for a in assignments:
        place = str(a.table.number) if a.table is not None else a.breakout.title
        found[(a.registration_id, a.session_id)] = place
    if any(p.kind == PlanKind.TABLES for p in plans):
        for table in event.tables:
            if table.facilitator_id is not None:
                for session in event.sessions_of(SessionKind.TABLE_ROUND):
                    found[(table.facilitator_id, session.id)] = str(table.number)
    return found


def export_csv(event: Event, registrations: list[Registration]) -> str:
    """The registrations as CSV text (UTF-8 with a byte-order mark so spreadsheets read it)."""
    out = io.StringIO()
    out.write("\ufeff")
    writer = csv.writer(out, lineterminator="\r\n")
    place_columns = _place_columns(event)
    places = _places(event)
    # Headers start with a word, so no title in them can be read as a formula.
    writer.writerow([*EXPORT_COLUMNS, *(h for h, _ in place_columns)])
    for r in registrations:
        # Only confirmed people have places (planning/places.py).
        seated = r.status == RegistrationStatus.CONFIRMED
        row = [
            r.id,
            r.status.value,
            r.name,
            r.email or "",
            r.organisation.name if r.organisation else "",
            r.sector,
            r.profession,
            r.role,
            r.access_needs,
            "yes" if r.needs_accessible_table else "no",
            r.dietary_needs,
            ";".join(str(p.breakout_id) for p in r.preferences),
            "yes" if r.consent else "no",
            "; ".join(p.breakout.title for p in r.preferences),
            _time(event, r.created_at),
            _time(event, r.waitlisted_at),
            _time(event, r.offer_expires_at),
            _time(event, r.cancelled_at),
            _time(event, r.checked_in_at),
            _time(event, r.erased_at),
            *(places.get((r.id, s.id), "") if seated else "" for _, s in place_columns),
        ]
        writer.writerow([neutralise(v) for v in row])
    return out.getvalue()


@dataclass
class ImportRow:
    line: int
    values: dict[str, str]
    details: Details | None = None
    errors: list[str] = field(default_factory=list)
    imported_before: bool = False  # by an earlier, stopped import of this same file: skipped


@dataclass
class ImportPreview:
    rows: list[ImportRow] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)  # about the file as a whole
    ignored_columns: list[str] = field(default_factory=list)
    free_seats: int = 0

    @property
    def ok(self) -> bool:
        return bool(self.rows) and not self.problems and not any(r.errors for r in self.rows)

    @property
    def to_import(self) -> list[ImportRow]:
        return [row for row in self.rows if not row.imported_before]

    @property
    def will_confirm(self) -> int:
        return min(self.free_seats, len(self.to_import))

    @property
    def will_wait(self) -> int:
        return len(self.to_import) - self.will_confirm


class ImportFailed(ValueError):
    def __init__(self, preview: ImportPreview):
        super().__init__("the file has errors; nothing was imported")
        self.preview = preview


class ImportStopped(RuntimeError):
    """A batch could not be written: it was rolled back; `created`, the batches before, stay."""

    def __init__(self, created: list[Registration], line: int, reason: str):
        super().__init__(f"the import stopped at line {line}: {reason}")
        self.created = created
        self.line = line
        self.reason = reason


def import_key(text: str) -> str:
    """What identifies a file's text, so sending the same file again resumes its import."""
    return hashlib.sha256(text.encode()).hexdigest()


def decode(data: bytes) -> str | None:
    """The text of an uploaded file, or None when it is not UTF-8."""
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError:
        return None


def _flag(value: str) -> bool | str:
    word = value.strip().lower()
    if word in TRUE_WORDS:
        return True
    if word in FALSE_WORDS:
        return False
    return value


def _breakout_titles(event: Event) -> dict[str, list[int]]:
    """Each breakout title of the event, folded as a typed one is, with the ids it names."""
    titles: dict[str, list[int]] = {}
    for session in event.sessions_of(SessionKind.BREAKOUT_SLOT):
        for breakout in session.breakouts:
            titles.setdefault(breakout.title.strip().casefold(), []).append(breakout.id)
    return titles


def _preferences(text: str, titles: dict[str, list[int]]) -> tuple[list[int], list[str]]:
    """Breakout ids from "3;1;2" or "Sharing data; Homelessness" (ids and titles may mix)."""
    ids, errors = [], []
    for entry in (p.strip() for p in text.split(";")):
        if not entry:
            continue
        if entry.isascii() and entry.isdigit():
            ids.append(int(entry))
            continue
        named = titles.get(entry.casefold(), [])
        if len(named) == 1:
            ids.append(named[0])
        elif named:
            errors.append(
                f"preferences: “{entry}” is the title of more than one breakout; give its id."
            )
        else:
            errors.append(
                f"preferences: no breakout is called “{entry}”; give breakout titles or ids "
                "separated by semicolons."
            )
    return ids, errors


def _raw(values: dict[str, str], titles: dict[str, list[int]]) -> tuple[dict[str, Any], list[str]]:
    """A row as the service's fields; plus errors in columns the service does not read as text."""
    errors = []
    raw: dict[str, Any] = {k: values.get(k, "") for k in IMPORT_COLUMNS}
    for name in ("needs_accessible_table", "consent"):
        raw[name] = _flag(values.get(name, ""))
        if not isinstance(raw[name], bool):
            errors.append(f"{name}: write yes or no, not “{values[name]}”.")
            raw[name] = False
    raw["preferences"], wrong = _preferences(values.get("preferences", ""), titles)
    errors += wrong
    return raw, errors


def preview_import(event: Event, text: str) -> ImportPreview:
    """Check every row of a CSV file without writing anything."""
    preview = ImportPreview(free_seats=capacity.free_seats(event))
    try:
        reader = csv.DictReader(io.StringIO(text, newline=""))
        header = [h.strip() for h in (reader.fieldnames or [])]
    except csv.Error as exc:
        preview.problems.append(f"This is not a readable CSV file ({exc}).")
        return preview
    missing = [c for c in REQUIRED if c not in header]
    if missing:
        preview.problems.append(
            "The first line must name the columns; missing: " + ", ".join(missing) + "."
        )
        return preview
    preview.ignored_columns = [h for h in header if h not in IMPORT_COLUMNS]
    reader.fieldnames = header
    registered = lookup.emails_of(event)
    titles = _breakout_titles(event)
    imported_before = _emails_imported_from(event, import_key(text))
    seen: dict[str, int] = {}
    try:
        for values in reader:
            if len(preview.rows) >= MAX_IMPORT_ROWS:
                preview.problems.append(f"At most {MAX_IMPORT_ROWS} rows can be imported at once.")
                break
            if None in values:  # more cells than columns
                values.pop(None)
                extra = ["this row has more cells than the header has columns."]
            else:
                extra = []
            values = {k: (v or "") for k, v in values.items()}
            row = ImportRow(line=reader.line_num, values=values, errors=extra)
            preview.rows.append(row)
            raw, errors = _raw(values, titles)
            row.errors.extend(errors)
            try:
                row.details = details.check_details(
                    event, raw, require_consent=False, by_organiser=True
                )
            except RegistrationInvalid as invalid:
                row.errors.extend(
                    f"{name}: {' '.join(messages)}" for name, messages in invalid.errors.items()
                )
                continue
            email = row.details.email
            if email in seen:
                row.errors.append(f"email: {email} is also on line {seen[email]}.")
            elif email in imported_before:
                row.imported_before = True
            elif email in registered:
                row.errors.append(f"email: {email} is already registered for this event.")
            seen.setdefault(email, row.line)
    except csv.Error as exc:
        preview.problems.append(f"Line {reader.line_num} is not valid CSV ({exc}).")
    if not preview.rows and not preview.problems:
        preview.problems.append("The file has no rows to import.")
    return preview


def import_csv(event: Event, text: str, *, send_confirmations: bool) -> list[Registration]:
    """Check every row (ImportFailed: nothing written), then write them in locked batches;
    ImportStopped if a batch cannot be written (see the module's docstring)."""
    preview = preview_import(event, text)
    if not preview.ok:
        raise ImportFailed(preview)
    key = import_key(text)
    rows = preview.to_import
    created: list[Registration] = []
    for start in range(0, len(rows), IMPORT_BATCH_ROWS):
        batch = rows[start : start + IMPORT_BATCH_ROWS]
        try:
            created.extend(_write_batch(event, batch, key, send_confirmations))
        except SQLAlchemyError as error:
            db.session.rollback()
            reason = f"the database could not save these rows ({type(error).__name__})"
            raise ImportStopped(created, batch[0].line, reason) from error
        except ImportStopped as stopped:
            raise ImportStopped(created, stopped.line, stopped.reason) from None
    return created


def _write_batch(
    event: Event, batch: list[ImportRow], key: str, send_confirmations: bool
) -> list[Registration]:
    written = []
    with capacity.locked_event(event.id) as locked:
        # Checked again under the lock: someone may have registered since the file was checked.
        emails = [row.details.email for row in batch if row.details]
        taken = set(
            db.session.scalars(
                select(Registration.email).where(
                    Registration.event_id == locked.id, Registration.email.in_(emails)
                )
            )
        )
        for row in batch:
            assert row.details is not None
            if row.details.email in taken:
                reason = f"{row.details.email} registered meanwhile"
                raise ImportStopped([], row.line, reason)
            registration = Registration(event_id=locked.id, token=new_token(), import_key=key)
            # Finding each organisation needs none of this batch's people written first.
            with db.session.no_autoflush:
                details.apply_details(registration, row.details)
            written.append(registration)
        capacity.admit_all(locked, written)
        if send_confirmations:
            for registration in written:
                outbox.queue(MailKind.CONFIRMATION, registration)
    return written


def _emails_imported_from(event: Event, key: str) -> set[str]:
    return set(
        db.session.scalars(
            select(Registration.email).where(
                Registration.event_id == event.id,
                Registration.import_key == key,
                Registration.email.is_not(None),
            )
        )
    )


def counts_by_status(created: list[Registration]) -> dict[str, int]:
    return {s.value: sum(1 for r in created if r.status == s) for s in RegistrationStatus}
