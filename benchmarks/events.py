"""The published event the app benchmarks register a crowd for: table rounds an hour apart from
9:00 a month from now, tables of one size, and breakouts and convenors where a benchmark wants
them."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, timedelta

from app.models import Event, EventStatus, Organisation, Session, SessionKind, Table


def published_event(
    slug: str,
    title: str,
    description: str,
    *,
    capacity: int,
    rounds: int,
    tables: int,
    table_size: int,
    convenors: Sequence[Organisation] = (),
    breakout_slots: Sequence[Session] = (),
) -> Event:
    """The event, not yet added to the session (time `breakout_slots` from `start_of()`)."""
    start = start_of()
    return Event(
        slug=slug,
        title=title,
        description=description,
        venue="Town Hall",
        timezone="Europe/London",
        starts_at=start,
        ends_at=start + timedelta(hours=7),
        capacity=capacity,
        status=EventStatus.PUBLISHED,
        convenors=list(convenors),
        sessions=[
            Session(
                kind=SessionKind.TABLE_ROUND,
                title=f"Round {n}",
                starts_at=start + timedelta(hours=n),
                ends_at=start + timedelta(hours=n, minutes=50),
            )
            for n in range(1, rounds + 1)
        ]
        + list(breakout_slots),
        tables=[Table(number=n, capacity=table_size) for n in range(1, tables + 1)],
    )


def start_of() -> datetime:
    """When the benchmark event starts: 9:00, thirty days from now (wall-clock time)."""
    return (datetime.now() + timedelta(days=30)).replace(hour=9, minute=0, second=0, microsecond=0)
