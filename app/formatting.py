"""How dates and times read on screen and on paper (always in the event's own timezone), counts
with the noun that agrees with them, and user text where only one line of plain text fits (a mail
header, a calendar property)."""

from __future__ import annotations

import re
from datetime import datetime

# Line breaks (CR, LF, NEL, Unicode's line and paragraph separators) and other control characters.
_BREAKS_AND_CONTROLS = re.compile(r"[\x00-\x1f\x7f-\x9f\u2028\u2029]+")


def is_one_line(text: str) -> bool:
    """Whether `text` has no line break or control character."""
    return _BREAKS_AND_CONTROLS.search(text) is None


def one_line(text: str) -> str:
    """`text` with each run of line breaks and control characters made one space. Forms refuse
    them in single-line fields; this keeps mail and calendars working with whatever is stored."""
    return _BREAKS_AND_CONTROLS.sub(" ", text).strip()


_CONTROLS_BUT_TAB_AND_NEWLINE = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f]")


def plain_lines(text: str) -> str:
    """`text` with its line ends made LF and other control characters (which calendar files may
    not carry) made spaces: for descriptions, where line breaks are welcome."""
    lines = re.sub(r"\r\n?|\u2028|\u2029", "\n", text)
    return _CONTROLS_BUT_TAB_AND_NEWLINE.sub(" ", lines)


def plural(count: int, singular: str, plural_form: str | None = None) -> str:
    """The count with its noun in the right number: "1 breakout slot", "2 breakout slots",
    "1 person", "3 people" (give the plural when it is not the singular + "s")."""
    noun = singular if count == 1 else (plural_form or singular + "s")
    return f"{count} {noun}"


def format_date(value: datetime) -> str:
    return f"{value:%A} {value.day} {value:%B %Y}"


def format_time(value: datetime) -> str:
    return f"{value:%H:%M}"


def format_datetime(value: datetime) -> str:
    return f"{format_date(value)}, {format_time(value)}"


def format_timespan(start: datetime, end: datetime) -> str:
    if start.date() == end.date():
        return f"{format_date(start)}, {format_time(start)}–{format_time(end)}"
    return f"{format_datetime(start)} – {format_datetime(end)}"
