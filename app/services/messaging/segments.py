"""An organiser's message to a segment of an event's people: everyone confirmed, the waiting
list, one table (in the published tables plan: in any round, or in a chosen one) or one breakout
(in the published breakouts plan).

The message goes through the outbox: one row per recipient, queued in one transaction, so either
everyone in the segment gets it or, if anything fails, nobody does. Subject and body are plain
text, stored as the options of each row and put into the message when it is built
(messages.organiser_message); the subject is one line (a header cannot carry a line break).

A table or a breakout has people only once its plan is published, and only confirmed people have
places (as planning/places.py says); a table's facilitator hosts it in every round.

May import: models, planning.plans, messaging.outbox.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import select

from app.extensions import db
from app.formatting import is_one_line
from app.models import (
    Assignment,
    Event,
    MailKind,
    PlanKind,
    Registration,
    RegistrationStatus,
    SessionKind,
)
from app.services.messaging import outbox
from app.services.planning.plans import published_plan

CONFIRMED, WAITING = "confirmed", "waiting"
SUBJECT_LIMIT, BODY_LIMIT = 200, 10000


class SegmentError(ValueError):
    """The segment or the message cannot be sent as given; the message says why."""


@dataclass(frozen=True)
class Segment:
    key: str  # "confirmed", "waiting", "table-<id>", "table-<id>-<session id>", "breakout-<id>"
    label: str


def segments(event: Event) -> list[Segment]:
    """Every segment the organiser can write to, in the order the form offers them."""
    found = [Segment(CONFIRMED, "Everyone confirmed"), Segment(WAITING, "The waiting list")]
    rounds = event.sessions_of(SessionKind.TABLE_ROUND)
    if published_plan(event, PlanKind.TABLES) is not None:
        for table in event.tables:
            found.append(Segment(f"table-{table.id}", f"Table {table.number}, in any round"))
            found += [
                Segment(f"table-{table.id}-{r.id}", f"Table {table.number} in “{r.title}”")
                for r in rounds
            ]
    if published_plan(event, PlanKind.BREAKOUTS) is not None:
        for slot in event.sessions_of(SessionKind.BREAKOUT_SLOT):
            found += [
                Segment(f"breakout-{b.id}", f"Breakout “{b.title}” ({b.room}), {slot.title}")
                for b in slot.breakouts
            ]
    return found


def segment(event: Event, key: str) -> Segment:
    for candidate in segments(event):
        if candidate.key == key:
            return candidate
    raise SegmentError("Choose who the message is for from the list.")


def recipients(event: Event, key: str) -> list[Registration]:
    """The people of the segment with an email address, by name."""
    segment(event, key)  # refuses a segment the event does not offer
    confirmed = Registration.status == RegistrationStatus.CONFIRMED
    query = select(Registration).where(
        Registration.event_id == event.id, Registration.email.is_not(None)
    )
    if key == CONFIRMED:
        query = query.where(confirmed)
    elif key == WAITING:
        query = query.where(Registration.status == RegistrationStatus.WAITLISTED)
    else:
        kind, number, *session = key.split("-")
        plan = published_plan(event, PlanKind.TABLES if kind == "table" else PlanKind.BREAKOUTS)
        placed = select(Assignment.registration_id).where(Assignment.plan_id == plan.id)
        if kind == "table":
            placed = placed.where(Assignment.table_id == int(number))
            if session:
                placed = placed.where(Assignment.session_id == int(session[0]))
            host = next(t.facilitator_id for t in event.tables if t.id == int(number))
            query = query.where(confirmed, Registration.id.in_(placed) | (Registration.id == host))
        else:
            placed = placed.where(Assignment.breakout_id == int(number))
            query = query.where(confirmed, Registration.id.in_(placed))
    return list(db.session.scalars(query.order_by(Registration.name, Registration.id)))


def check_message(subject: str, body: str) -> tuple[str, str]:
    """The subject and body as they will be sent, or SegmentError saying what is wrong."""
    subject, body = subject.strip(), body.strip()
    if not subject or not body:
        raise SegmentError("Give the message a subject and a text.")
    if not is_one_line(subject):
        raise SegmentError("The subject must be a single line.")
    if len(subject) > SUBJECT_LIMIT or len(body) > BODY_LIMIT:
        raise SegmentError(
            f"Keep the subject within {SUBJECT_LIMIT} characters and the text within {BODY_LIMIT}."
        )
    return subject, body


def send(event: Event, key: str, subject: str, body: str) -> int:
    """Queue the message for everyone in the segment in one transaction; how many it goes to."""
    subject, body = check_message(subject, body)
    people = recipients(event, key)
    try:
        for person in people:
            outbox.queue(MailKind.ORGANISER_MESSAGE, person, subject=subject, body=body)
        db.session.commit()
    except BaseException:
        db.session.rollback()
        raise
    outbox.send_committed()
    return len(people)
