"""People as the planners see them, and the PEOPLE.csv and HISTORY.csv formats that carry them."""

from __future__ import annotations

import csv
import io
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path

REQUIRED_COLUMNS = ("id", "name", "organisation", "sector", "profession")
OPTIONAL_COLUMNS = ("facilitator", "prefs")


class InputError(ValueError):
    """Input the planners cannot use; the message names the row or constraint at fault."""


@dataclass(frozen=True)
class Person:
    id: str
    name: str
    organisation: str
    sector: str
    profession: str
    facilitator: bool = False
    preferences: tuple[str, ...] = ()


def read_people_csv(path: str | Path) -> list[Person]:
    """Read PEOPLE.csv: header `id,name,organisation,sector,profession[,facilitator][,prefs]`."""
    return [
        _person_from_row(path, line, values)
        for line, values in read_csv_rows(path, REQUIRED_COLUMNS, OPTIONAL_COLUMNS)
    ]


def read_csv_rows(
    path: str | Path, required: tuple[str, ...], optional: tuple[str, ...]
) -> Iterator[tuple[int, dict[str, str]]]:
    """(line number, {column: stripped value}) for each row of a UTF-8 CSV file with an `id`
    column; raises InputError naming the file and row for unreadable text, a wrong header, a
    row longer than the header, an empty id or an id seen before."""
    text = _read_text(path)
    reader = csv.DictReader(io.StringIO(text, newline=""))
    check_columns(path, reader.fieldnames, required, optional)
    seen: dict[str, int] = {}
    try:
        for line, row in enumerate(reader, start=2):
            if None in row:
                raise InputError(f"{path}: row {line} has more cells than the header")
            values = {key: (value or "").strip() for key, value in row.items()}
            row_id = values["id"]
            if not row_id:
                raise InputError(f"{path}: row {line} has an empty id")
            if row_id in seen:
                raise InputError(
                    f"{path}: row {line} repeats id {row_id!r} (first on row {seen[row_id]})"
                )
            seen[row_id] = line
            yield line, values
    except csv.Error as exc:
        raise InputError(f"{path}: row {reader.line_num} is not valid CSV ({exc})") from None


def whole_number(path: str | Path, line: int, column: str, text: str) -> int:
    """`text` as an int, or InputError naming the file, row and column."""
    try:
        return int(text)
    except ValueError:
        raise InputError(
            f"{path}: row {line} {column} must be a whole number, not {text!r}"
        ) from None


def read_history_csv(path: str | Path, people: Sequence[Person]) -> list[tuple[str, str]]:
    """Read HISTORY.csv: header `a,b`, one pair of person ids (of PEOPLE.csv) per row who sat
    together at an earlier event. A pair given twice, in either order, counts once."""
    known = {person.id for person in people}
    pairs: dict[frozenset[str], tuple[str, str]] = {}
    for line, a, b in read_id_pairs_csv(path, ("a", "b"), (known, known), ("person", "person")):
        if a == b:
            raise InputError(f"{path}: row {line} pairs {a!r} with themselves")
        pairs.setdefault(frozenset((a, b)), (a, b))
    return list(pairs.values())


def read_id_pairs_csv(
    path: str | Path,
    header: tuple[str, str],
    known: tuple[set[str], set[str]],
    nouns: tuple[str, str],
) -> list[tuple[int, str, str]]:
    """The rows (line, first id, second id) of a CSV file of two columns, `header` exactly,
    each id one of the `known` ids of its column (else InputError naming the row and the id,
    as its column's noun: "row 3 names unknown person '99'")."""
    reader = csv.DictReader(io.StringIO(_read_text(path), newline=""))
    if [name.strip() for name in reader.fieldnames or []] != list(header):
        found = ",".join(reader.fieldnames or [])
        raise InputError(f"{path}: the header must be {','.join(header)}, not {found or 'empty'!r}")
    rows = []
    try:
        for line, row in enumerate(reader, start=2):
            if None in row:
                raise InputError(f"{path}: row {line} has more cells than the header")
            ids = [(value or "").strip() for value in row.values()]
            for noun, given, ids_known in zip(nouns, ids, known, strict=True):
                if given not in ids_known:
                    raise InputError(f"{path}: row {line} names unknown {noun} {given!r}")
            rows.append((line, *ids))
    except csv.Error as exc:
        raise InputError(f"{path}: row {reader.line_num} is not valid CSV ({exc})") from None
    return rows


def _read_text(path: str | Path) -> str:
    try:
        return Path(path).read_text(encoding="utf-8-sig")
    except OSError as exc:
        raise InputError(f"{path}: cannot read ({exc.strerror})") from exc
    except UnicodeDecodeError:
        raise InputError(f"{path}: not UTF-8 text") from None


def check_columns(
    path: str | Path,
    header: Sequence[str] | None,
    required: tuple[str, ...],
    optional: tuple[str, ...],
) -> None:
    """Raise InputError when a CSV header lacks a required column or has an unknown one."""
    header = header or []
    missing = [c for c in required if c not in header]
    if missing:
        raise InputError(f"{path}: missing column(s) {', '.join(missing)}")
    unknown = [c for c in header if c not in required + optional]
    if unknown:
        raise InputError(f"{path}: unknown column(s) {', '.join(unknown)}")


def _person_from_row(path: str | Path, line: int, values: dict[str, str]) -> Person:
    person_id = values["id"]
    flag = values.get("facilitator", "")
    if flag not in ("", "0", "1"):
        raise InputError(f"{path}: row {line} facilitator must be 0 or 1, not {flag!r}")
    prefs = tuple(p.strip() for p in values.get("prefs", "").split(";") if p.strip())
    if len(set(prefs)) != len(prefs):
        raise InputError(f"{path}: row {line} ranks the same breakout twice")
    return Person(
        id=person_id,
        name=values["name"],
        organisation=values["organisation"],
        sector=values["sector"],
        profession=values["profession"],
        facilitator=flag == "1",
        preferences=prefs,
    )
