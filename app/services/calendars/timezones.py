"""VTIMEZONE components for calendar files, in the form every calendar reads alike.

icalendar's own VTIMEZONE (lists of RDATE transitions) is misread by Mozilla's ical.js, so
Thunderbird would shift events by an hour. Here a zone is written as Outlook and Google write it:
one STANDARD and one DAYLIGHT rule with a yearly RRULE. Pure: imports only icalendar and models.
"""

from __future__ import annotations

import calendar as gregorian
from dataclasses import dataclass
from datetime import MAXYEAR, MINYEAR, UTC, datetime, timedelta
from functools import cache
from zoneinfo import ZoneInfo

from icalendar import Calendar, Timezone, TimezoneDaylight, TimezoneStandard

from app.models import Event

# The years whose transitions can be computed: each is searched from 1 January to the next one
# in UTC, and a zone's offset may move either end a day past datetime's range.
FIRST_YEAR, LAST_YEAR = MINYEAR + 1, MAXYEAR - 1


def add_timezones(cal: Calendar, event: Event) -> None:
    """A VTIMEZONE for every TZID the calendar's events use (UTC is written with Z instead)."""
    used = {
        component[name].params["TZID"]
        for component in cal.walk("VEVENT")
        for name in ("DTSTART", "DTEND")
        if name in component and "TZID" in component[name].params
    }
    # A year either side of the event's, within what Python's datetime can compute (an event
    # stored in year 1 or 9999 still gets its file, with the rules of the nearest years).
    first_year = max(min(event.starts_at.year, event.ends_at.year) - 1, FIRST_YEAR)
    last_year = min(max(event.starts_at.year, event.ends_at.year) + 1, LAST_YEAR)
    # Before the events, where Outlook and Google put them: a reader meets a zone before its use.
    for tzid in sorted(used, reverse=True):
        cal.subcomponents.insert(0, vtimezone(tzid, min(first_year, last_year), last_year))


@cache
def vtimezone(tzid: str, first_year: int, last_year: int) -> Timezone:
    """A VTIMEZONE for `tzid` correct from `first_year` to `last_year`.

    Written as Outlook and Google write it: one STANDARD and one DAYLIGHT observance, each with a
    yearly RRULE (e.g. BYMONTH=10;BYDAY=-1SU), starting at the first transition of `first_year`.
    A zone with no clock changes gets one STANDARD observance. A zone whose changes follow no
    such rule over those years (a government moved them) gets one observance per transition,
    each with a single DTSTART, still without the RDATE lists that ical.js misreads.

    Cached (every confirmation mail needs one): the component is shared, so it is never changed.
    """
    zone = ZoneInfo(tzid)
    tz = Timezone()
    tz.add("tzid", tzid)
    tz.add("x-lic-location", tzid)
    transitions = [t for year in range(first_year, last_year + 1) for t in _transitions(zone, year)]
    if not transitions:
        start = datetime(first_year, 1, 1)
        offset = _offset(zone, start.replace(tzinfo=UTC))
        tz.add_component(_observance(False, start, offset, offset, _name(zone, start)))
        return tz
    rules = _yearly_rules(zone, transitions, first_year, last_year)
    if rules is not None:
        for rule in rules:
            component = _observance(
                rule.after > rule.before, rule.onset, rule.before, rule.after, rule.name
            )
            component.add(
                "rrule", {"freq": "yearly", "bymonth": rule.onset.month, "byday": rule.byday}
            )
            tz.add_component(component)
        return tz
    first_instant, first_offset, first_next = transitions[0]
    tz.add_component(
        _observance(
            first_offset > first_next,
            datetime(first_year, 1, 1),
            first_offset,
            first_offset,
            _tzname(zone, first_instant - timedelta(seconds=1)),
        )
    )
    for instant, before, after in transitions:
        local = (instant + before).replace(tzinfo=None)
        tz.add_component(_observance(after > before, local, before, after, _tzname(zone, instant)))
    return tz


def _observance(
    daylight: bool, start: datetime, before: timedelta, after: timedelta, name: str
) -> TimezoneStandard | TimezoneDaylight:
    component = TimezoneDaylight() if daylight else TimezoneStandard()
    component.add("dtstart", start)
    component.add("tzoffsetfrom", before)
    component.add("tzoffsetto", after)
    if name:
        component.add("tzname", name)
    return component


def _offset(zone: ZoneInfo, instant: datetime) -> timedelta:
    offset = instant.astimezone(zone).utcoffset()
    assert offset is not None
    return offset


def _tzname(zone: ZoneInfo, instant: datetime) -> str:
    return instant.astimezone(zone).tzname() or ""


def _name(zone: ZoneInfo, local: datetime) -> str:
    return local.replace(tzinfo=zone).tzname() or ""


def _transitions(zone: ZoneInfo, year: int) -> list[tuple[datetime, timedelta, timedelta]]:
    """(UTC instant, offset before, offset after) of each change of UTC offset during `year`."""
    found = []
    moment, end = datetime(year, 1, 1, tzinfo=UTC), datetime(year + 1, 1, 1, tzinfo=UTC)
    offset = _offset(zone, moment)
    while moment < end:
        step = min(moment + timedelta(days=1), end)
        if _offset(zone, step) != offset:
            low, high = moment, step  # the offset changes in (low, high]: narrow to the second
            while high - low > timedelta(seconds=1):
                middle = low + (high - low) / 2
                if _offset(zone, middle) == offset:
                    low = middle
                else:
                    high = middle
            high = high.replace(microsecond=0)
            if _offset(zone, high) == offset:
                high += timedelta(seconds=1)
            after = _offset(zone, high)
            found.append((high, offset, after))
            offset = after
        moment = step
    return found


@dataclass(frozen=True)
class _Rule:
    """One yearly clock change: its first local onset, offsets, BYDAY and abbreviation."""

    onset: datetime
    before: timedelta
    after: timedelta
    byday: str
    name: str


_WEEKDAYS = ("MO", "TU", "WE", "TH", "FR", "SA", "SU")


def _yearly_rules(
    zone: ZoneInfo,
    transitions: list[tuple[datetime, timedelta, timedelta]],
    first_year: int,
    last_year: int,
) -> list[_Rule] | None:
    """Two yearly rules (nth or last weekday of a month, same local time and offsets every year)
    reproducing exactly these transitions, or None when no such pair does."""
    years = list(range(first_year, last_year + 1))
    if len(transitions) != 2 * len(years):
        return None
    rules = []
    for group in (transitions[0::2], transitions[1::2]):  # each year's first change, its second
        onsets = [(instant + before).replace(tzinfo=None) for instant, before, _ in group]
        shapes = {
            (onset.month, onset.time(), onset.weekday(), before, after)
            for onset, (_, before, after) in zip(onsets, group, strict=True)
        }
        common = set.intersection(*(_weekday_positions(onset) for onset in onsets))
        if len(shapes) != 1 or [o.year for o in onsets] != years or not common:
            return None
        position = -1 if -1 in common else min(common)
        instant, before, after = group[0]
        byday = f"{position}{_WEEKDAYS[onsets[0].weekday()]}"
        rules.append(_Rule(onsets[0], before, after, byday, _tzname(zone, instant)))
    return rules


def _weekday_positions(local: datetime) -> set[int]:
    """The BYDAY positions naming this date's weekday in its month: nth, and -1 if the last."""
    positions = {(local.day - 1) // 7 + 1}
    if local.day + 7 > gregorian.monthrange(local.year, local.month)[1]:
        positions.add(-1)
    return positions
