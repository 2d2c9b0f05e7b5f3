"""Keep-apart and keep-together rules between two attendees of an event."""

from __future__ import annotations

from sqlalchemy import select

from app.extensions import db
from app.models import Event, Registration, SeatingRule, SeatingRuleKind


class RuleError(ValueError):
    """A rule that cannot be added; the message says why."""


def add(event: Event, kind: str, first_id: int, second_id: int) -> SeatingRule:
    first_id, second_id = sorted((first_id, second_id))
    for registration_id in (first_id, second_id):
        registration = db.session.get(Registration, registration_id)
        if registration is None or registration.event_id != event.id:
            raise RuleError("Both people must be registered for this event.")
    if first_id == second_id:
        raise RuleError("Choose two different people.")
    existing = db.session.scalar(
        select(SeatingRule).where(
            SeatingRule.first_id == first_id, SeatingRule.second_id == second_id
        )
    )
    if existing is not None:
        raise RuleError("These two people already have a rule; remove it first.")
    rule = SeatingRule(
        event=event, kind=SeatingRuleKind(kind), first_id=first_id, second_id=second_id
    )
    db.session.add(rule)
    db.session.commit()
    return rule


def delete(rule: SeatingRule) -> None:
    db.session.delete(rule)
    db.session.commit()
