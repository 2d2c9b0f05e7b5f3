"""Follow-up messages: INTERVALS months after an event ends, its organisers are sent (through the
outbox, with its retries) the actions still open, with a link to update them. A FollowUp row per
event and interval, written in the same transaction as the queued mail, makes each one go once,
however often `flask --app wsgi follow-up-commitments` runs (daily, say).

May import: models, commitments.actions, messaging.outbox.
"""

from __future__ import annotations

import calendar
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from app.extensions import db
from app.models import Event, EventStatus, FollowUp, MailKind
from app.services.commitments.actions import NOT_FINISHED, actions_of
from app.services.messaging import outbox

INTERVALS = (3, 6)


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
    return [m for m in INTERVALS if m not in done and months_after(event.ends_at, m) <= now]


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
