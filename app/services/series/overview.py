"""The series page's figures: each event's attendance, sectors and how its commitments stand, and
its harvest's themes side by side, a theme and the later themes linked to it sharing one row.

Sector counts follow the privacy rule of the whole app: no figure for a group that small, so
sectors with fewer than SMALLEST_GROUP attendees at an event are counted together.

May import: models, commitments.actions.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field

from sqlalchemy import func, select

from app.extensions import db
from app.models import (
    Card,
    CardStatus,
    Event,
    RegistrationStatus,
    Series,
    Theme,
    ThemeLink,
)
from app.services.commitments.actions import Progress, actions_of, progress

SMALLEST_GROUP = 5


@dataclass(frozen=True)
class EventFigures:
    event: Event
    confirmed: int
    checked_in: int
    sectors: list[tuple[str, int]]  # largest first; sectors too small to show are left out
    other_sectors: int  # people in sectors with fewer than SMALLEST_GROUP attendees
    commitments: Progress


@dataclass(frozen=True)
class ThemeCell:
    theme: Theme
    cards: int  # approved cards


@dataclass
class ThemeRow:
    """One theme as it recurs: per event (in the series' order) the themes that are it."""

    cells: list[list[ThemeCell]] = field(default_factory=list)

    @property
    def events(self) -> int:
        return sum(1 for cell in self.cells if cell)


@dataclass(frozen=True)
class Overview:
    events: list[EventFigures]
    themes: list[ThemeRow]


def overview(series: Series) -> Overview:
    events = list(series.events)
    return Overview([_figures(e) for e in events], theme_rows(events))


def _figures(event: Event) -> EventFigures:
    # erased registrations still count: erasure keeps what anonymous counts need
    confirmed = [r for r in event.registrations if r.status == RegistrationStatus.CONFIRMED]
    counts = Counter(r.sector or "No sector given" for r in confirmed)
    shown = sorted(
        ((s, n) for s, n in counts.items() if n >= SMALLEST_GROUP), key=lambda x: (-x[1], x[0])
    )
    return EventFigures(
        event=event,
        confirmed=len(confirmed),
        checked_in=sum(1 for r in confirmed if r.checked_in_at is not None),
        sectors=shown,
        other_sectors=sum(n for n in counts.values() if n < SMALLEST_GROUP),
        commitments=progress(actions_of(event)),
    )


def theme_rows(events: list[Event]) -> list[ThemeRow]:
    """Rows of linked themes, in order of the event where each first appears."""
    position = {e.id: i for i, e in enumerate(events)}
    themes = list(
        db.session.scalars(select(Theme).where(Theme.event_id.in_(position)).order_by(Theme.id))
    )
    ids = {t.id for t in themes}
    same_as = {
        link.theme_id: link.same_as_id
        for link in db.session.scalars(select(ThemeLink).where(ThemeLink.theme_id.in_(ids)))
        if link.same_as_id in ids
    }
    cards = dict(
        db.session.execute(
            select(Card.theme_id, func.count())
            .where(Card.theme_id.in_(ids), Card.status == CardStatus.APPROVED)
            .group_by(Card.theme_id)
        ).all()
    )

    def root(theme_id: int) -> int:
        seen = {theme_id}
        while theme_id in same_as and same_as[theme_id] not in seen:  # links never loop, but
            theme_id = same_as[theme_id]  # an event moved in time must not hang the page
            seen.add(theme_id)
        return theme_id

    rows: dict[int, ThemeRow] = {}
    for theme in sorted(themes, key=lambda t: (position[t.event_id], t.id)):
        row = rows.setdefault(root(theme.id), ThemeRow([[] for _ in events]))
        row.cells[position[theme.event_id]].append(ThemeCell(theme, cards.get(theme.id, 0)))
    return list(rows.values())
