"""Actions: what an event committed to, who owns it (a role or sector), when it is due, and how
it stands (open, in progress, done, dropped), each change a dated update.

Red-amber-green: done is green; an action past its due date and not done is red; one due within
AMBER_DAYS, or with no due date, is amber; one due later is green. Dropped actions have no colour
and do not count in progress ("7 of 12 done" counts the actions not dropped).

May import: models.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, timedelta

from sqlalchemy import select

from app.extensions import db
from app.models import Action, ActionStatus, ActionUpdate, Card, CardStatus, Event

AMBER_DAYS = 30
TEXT_LENGTH = 500
OWNER_LENGTH = 200
STATUS_WORDS = {
    ActionStatus.OPEN: "Open",
    ActionStatus.IN_PROGRESS: "In progress",
    ActionStatus.DONE: "Done",
    ActionStatus.DROPPED: "Dropped",
}
NOT_FINISHED = (ActionStatus.OPEN, ActionStatus.IN_PROGRESS)


class ActionError(ValueError):
    """What cannot be recorded, in plain words."""


def actions_of(event: Event) -> list[Action]:
    """The event's actions, soonest due first (those with no due date last)."""
    rows = db.session.scalars(select(Action).where(Action.event_id == event.id))
    return sorted(rows, key=lambda a: (a.due_on is None, a.due_on or date.max, a.id))


def action_of(event: Event, action_id: int) -> Action | None:
    return db.session.scalar(
        select(Action).where(Action.id == action_id, Action.event_id == event.id)
    )


def take_in_commitments(event: Event) -> int:
    """Make an action of every commitment on the event's approved cards not taken in yet."""
    cards = db.session.scalars(
        select(Card).where(Card.event_id == event.id, Card.status == CardStatus.APPROVED)
    )
    known = {a.source for a in actions_of(event)}
    added = 0
    for card in cards:
        for n, commitment in enumerate(card.commitments, start=1):
            source = f"card-{card.id}-{n}"
            what = (commitment.get("action") or "").strip()
            if source in known or not what:
                continue
            owner = (commitment.get("owner") or "").strip()[:OWNER_LENGTH]
            db.session.add(Action(event_id=event.id, source=source, what=what, owner=owner))
            added += 1
    db.session.commit()
    return added


def _checked(what: str, owner: str) -> tuple[str, str]:
    what, owner = " ".join((what or "").split()), " ".join((owner or "").split())
    if not what:
        raise ActionError("Say what was committed to.")
    if len(what) > TEXT_LENGTH:
        raise ActionError(f"Say it in at most {TEXT_LENGTH} characters ({len(what)}).")
    if len(owner) > OWNER_LENGTH:
        raise ActionError(f"The owner must be at most {OWNER_LENGTH} characters.")
    return what, owner


def add_plenary_action(event: Event, what: str, owner: str, due_on: date | None) -> Action:
    """A commitment made at the closing plenary, typed in by the organiser."""
    what, owner = _checked(what, owner)
    taken = sum(1 for a in actions_of(event) if a.source.startswith("plenary-"))
    action = Action(
        event_id=event.id, source=f"plenary-{taken + 1}", what=what, owner=owner, due_on=due_on
    )
    db.session.add(action)
    db.session.commit()
    return action


def update(
    action: Action, status: ActionStatus, note: str, due_on: date | None, owner: str
) -> ActionUpdate:
    """Record where an action stands now (a dated update), its owner and due date."""
    _, owner = _checked(action.what, owner)
    note = (note or "").strip()
    if len(note) > TEXT_LENGTH:
        raise ActionError(f"Keep the note to {TEXT_LENGTH} characters ({len(note)}).")
    action.status, action.due_on, action.owner = status, due_on, owner
    entry = ActionUpdate(action=action, status=status, note=note)
    db.session.add(entry)
    db.session.commit()
    return entry


def rag(action: Action, today: date) -> str | None:
    """ "red", "amber", "green", or None for a dropped action (see the module docstring)."""
    if action.status == ActionStatus.DROPPED:
        return None
    if action.status == ActionStatus.DONE:
        return "green"
    if action.due_on is None or action.due_on <= today + timedelta(days=AMBER_DAYS):
        return "red" if action.due_on is not None and action.due_on < today else "amber"
    return "green"


@dataclass(frozen=True)
class Progress:
    done: int
    counted: int  # actions not dropped

    @property
    def words(self) -> str:
        return f"{self.done} of {self.counted} done"


def progress(actions: Iterable[Action]) -> Progress:
    counted = [a for a in actions if a.status != ActionStatus.DROPPED]
    return Progress(sum(1 for a in counted if a.status == ActionStatus.DONE), len(counted))
