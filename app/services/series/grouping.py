"""Grouping events into a series, and linking a theme to the same theme at an earlier event.

A series belongs to its organisers; an organiser adds only events they organise, and an event is
in at most one series. Taking an event out of a series also removes the links between its
themes and those of the series' other events; deleting a series removes every link between its
events' themes, and never an event.

May import: models, series.history.
"""

from __future__ import annotations

from sqlalchemy import delete, or_, select

from app.extensions import db
from app.models import Event, Series, Theme, ThemeLink, User, series_events
from app.services.series.history import series_of

NAME_LENGTH = 200


class SeriesError(ValueError):
    """A change the rules do not allow; the message says why, in plain words."""


def series_for_organiser(series_id: int, user: User) -> Series | None:
    """The series, if this user is one of its organisers; None otherwise (no hint it exists)."""
    return db.session.scalar(
        select(Series).where(Series.id == series_id, Series.organisers.contains(user))
    )


def series_of_organiser(user: User) -> list[Series]:
    return list(
        db.session.scalars(
            select(Series).where(Series.organisers.contains(user)).order_by(Series.name)
        )
    )


def check_name(name: str) -> str:
    name = " ".join((name or "").split())
    if not name:
        raise SeriesError("Give the series a name.")
    if len(name) > NAME_LENGTH:
        raise SeriesError(f"The name must be at most {NAME_LENGTH} characters.")
    return name


def create_series(name: str, user: User) -> Series:
    series = Series(name=check_name(name), organisers=[user])
    db.session.add(series)
    db.session.commit()
    return series


def rename_series(series: Series, name: str) -> Series:
    series.name = check_name(name)
    db.session.commit()
    return series


def links_within(series: Series) -> list[ThemeLink]:
    """Every link between themes of the series' events (links never cross series)."""
    themes = select(Theme.id).where(Theme.event_id.in_([e.id for e in series.events]))
    return list(
        db.session.scalars(
            select(ThemeLink).where(
                or_(ThemeLink.theme_id.in_(themes), ThemeLink.same_as_id.in_(themes))
            )
        )
    )


def delete_series(series: Series) -> None:
    """The series and its theme links go; its events stay, in no series."""
    for link in links_within(series):
        db.session.delete(link)
    series.events.clear()
    series.organisers.clear()
    db.session.delete(series)
    db.session.commit()


def events_to_add(user: User) -> list[Event]:
    """The user's events that are in no series yet, in date order."""
    in_a_series = select(series_events.c.event_id)
    return list(
        db.session.scalars(
            select(Event)
            .where(Event.organisers.contains(user), Event.id.not_in(in_a_series))
            .order_by(Event.starts_at, Event.id)
        )
    )


def add_event(series: Series, event_id: int, user: User) -> Event:
    event = db.session.scalar(
        select(Event).where(Event.id == event_id, Event.organisers.contains(user))
    )
    if event is None:
        raise SeriesError("Choose one of your events.")
    current = series_of(event)
    if current is not None:
        raise SeriesError(f"“{event.title}” is already in the series “{current.name}”.")
    series.events.append(event)
    db.session.commit()
    return event


def links_with_others(series: Series, event: Event) -> list[ThemeLink]:
    """The theme links between this event's themes and the other events' of the series."""
    theirs = [e.id for e in series.events if e.id != event.id]
    if not theirs:
        return []
    mine = select(Theme.id).where(Theme.event_id == event.id)
    others = select(Theme.id).where(Theme.event_id.in_(theirs))
    return list(
        db.session.scalars(
            select(ThemeLink).where(
                or_(
                    ThemeLink.theme_id.in_(mine) & ThemeLink.same_as_id.in_(others),
                    ThemeLink.theme_id.in_(others) & ThemeLink.same_as_id.in_(mine),
                )
            )
        )
    )


def remove_event(series: Series, event: Event) -> None:
    for link in links_with_others(series, event):
        db.session.delete(link)
    series.events.remove(event)
    db.session.commit()


def event_in_series(series: Series, event_id: int) -> Event | None:
    return next((e for e in series.events if e.id == event_id), None)


def earlier_themes(series: Series, theme: Theme) -> list[Theme]:
    """Themes of the series' events that start before the theme's event: what it may link to."""
    event = theme.event
    earlier = [e.id for e in series.events if e.starts_at < event.starts_at and e.id != event.id]
    if not earlier:
        return []
    return list(
        db.session.scalars(
            select(Theme)
            .join(Event)
            .where(Theme.event_id.in_(earlier))
            .order_by(Event.starts_at, Theme.id)
        )
    )


def theme_in_series(series: Series, theme_id: int) -> Theme | None:
    theme = db.session.get(Theme, theme_id)
    if theme is None or event_in_series(series, theme.event_id) is None:
        return None
    return theme


def current_link(theme: Theme) -> int | None:
    """The id of the earlier theme this theme is the same as, if any."""
    return db.session.scalar(select(ThemeLink.same_as_id).where(ThemeLink.theme_id == theme.id))


def link_theme(series: Series, theme: Theme, same_as_id: int | None) -> None:
    """Say `theme` is the same as an earlier theme of the series (None: a theme of its own)."""
    db.session.execute(delete(ThemeLink).where(ThemeLink.theme_id == theme.id))
    if same_as_id is not None:
        if same_as_id not in {t.id for t in earlier_themes(series, theme)}:
            db.session.rollback()
            raise SeriesError("Choose a theme of an earlier event of this series.")
        db.session.add(ThemeLink(theme_id=theme.id, same_as_id=same_as_id))
    db.session.commit()
