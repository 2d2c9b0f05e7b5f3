"""How dates and times read on screen and on paper (always in the event's own timezone)."""

from __future__ import annotations

from datetime import datetime


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
