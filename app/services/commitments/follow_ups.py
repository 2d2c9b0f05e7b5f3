"""Follow-up messages: at each of an event's intervals (whole months after it ends; its organisers
choose them, DEFAULT_INTERVALS otherwise) its organisers are sent (through the outbox, with its
retries) the actions still open, with a link to update them. A FollowUp row per event and
interval, written in the same transaction as the queued mail, makes each one go once, however
often `flask --app wsgi follow-up-commitments` runs (daily, say).

The intervals belong to the event, not its series: each event's commitments are followed up on
their own page, and events of one series may end years apart. Changing them after a follow-up
went leaves that one sent; a new interval already past goes at the next run.

May import: models, commitments.actions, messaging.outbox.
"""

from __future__ import annotations

import calendar
from datetime import datetime

from sqlalchemy import delete, select
from sqlalchemy.exc import IntegrityError

from app.extensions import db
from app.models import Event, EventStatus, FollowUp, FollowUpInterval, MailKind
from app.services.commitments.actions import NOT_FINISHED, actions_of
from app.services.messaging import outbox

DEFAULT_INTERVALS = (3, 6)
LONGEST = 24  # months: a follow-up two years on is the latest that still belongs to the event
MOST = 4  # intervals an event can have


class IntervalError(ValueError):
    """Intervals the rules do not allow; the message says what is wrong, in plain words."""


def intervals(event: Event) -> tuple[int, ...]:
    """The months after the event at which its follow-ups go, soonest first."""
    chosen = db.session.scalars(
        select(FollowUpInterval.months)
        .where(FollowUpInterval.event_id == event.id)
        .order_by(FollowUpInterval.months)
    ).all()
    return tuple(chosen) or DEFAULT_INTERVALS


def interval_words(months: tuple[int, ...]) -> str:
    """(3, 6, 12) -> "3, 6 and 12 months"; (1,) -> "1 month"."""
    numbers = [str(m) for m in months]
    listed = ", ".join(numbers[:-1]) + " and " + numbers[-1] if len(numbers) > 1 else numbers[0]
    return f"{listed} month{'s' if months[-1] != 1 else ''}"


def parse_intervals(text: str) -> tuple[int, ...]:
    """ "3, 6, 12" -> (3, 6, 12): whole months from 1 to LONGEST, at most MOST of them, each once;
    IntervalError naming what is wrong otherwise."""
    parts = [part.strip() for part in (text or "").replace(";", ",").split(",")]
    parts = [part for part in parts if part]
    if not parts:
        raise IntervalError("Give at least one number of months, for example: 3, 6.")
    months = []
    for part in parts:
        if not part.isdigit():
            raise IntervalError(f"“{part}” is not a whole number of months.")
        number = int(part)
        if not 1 <= number <= LONGEST:
            raise IntervalError(f"{number} months: give intervals from 1 to {LONGEST} months.")
        if number in months:
            raise IntervalError(f"{number} months is given twice.")
        months.append(number)
    if len(months) > MOST:
        raise IntervalError(f"Give at most {MOST} intervals ({len(months)} given).")
    return tuple(sorted(months))


def choose_intervals(event: Event, text: str) -> tuple[int, ...]:
    """Store the intervals typed for the event (see parse_intervals); nothing changes on error."""
    months = parse_intervals(text)
    db.session.execute(delete(FollowUpInterval).where(FollowUpInterval.event_id == event.id))
    db.session.add_all(FollowUpInterval(event_id=event.id, months=m) for m in months)
    db.session.commit()
    return months


def sent(event: Event) -> list[FollowUp]:
    """The follow-ups already queued for the event, soonest interval first."""
    return list(
        db.session.scalars(
            select(FollowUp).where(FollowUp.event_id == event.id).order_by(FollowUp.months)
        )
    )


def months_after(moment: datetime, months: int) -> datetime:
    """The same day `months` later (the month's last day when it is shorter)."""
    month = moment.month - 1 + months
    year, month = moment.year + month // 12, month % 12 + 1
    day = min(moment.day, calendar.monthrange(year, month)[1])
    return moment.replace(year=year, month=month, day=day)


def due(event: Event) -> list[int]:
    """The intervals whose follow-up for this event is due and not yet queued."""
    done = set(db.session.scalars(select(FollowUp.months).where(FollowUp.event_id == event.id)))
    now = event.local_now()
    return [m for m in intervals(event) if m not in done and months_after(event.ends_at, m) <= now]


def queue_due() -> int:
    """Queue every follow-up that is due; returns how many messages were queued."""
    queued = 0
    events = db.session.scalars(select(Event).where(Event.status != EventStatus.DRAFT)).all()
    for event in events:
        for months in due(event):
            still_open = [a for a in actions_of(event) if a.status in NOT_FINISHED]
            db.session.add(FollowUp(event_id=event.id, months=months))
            if still_open:  # with nothing open there is nothing to ask about
                for organiser in event.organisers:
                    outbox.queue(
                        MailKind.COMMITMENTS_FOLLOW_UP, organiser, event_id=event.id, months=months
                    )
                    queued += 1
            try:
                db.session.commit()
            except IntegrityError:  # another run queued it first
                db.session.rollback()
                queued -= len(event.organisers) if still_open else 0
    return queued
