"""Hand edits to a draft plan: move or swap people, lock seats. Every edit keeps the hard rules
the planner keeps (capacity, balance, facilitators, keep-apart/together, accessibility, the
same topic never twice) or is refused with a message saying which rule it would break.

A hand move or swap locks the seats it changes, so re-solving keeps them (a lock binds the
planner, not the organiser: a locked seat can still be moved by hand). Each edit measures the
plan again (translation.refresh_metrics) and returns what got worse, in plain words.

The rules are the scheduler's own (scheduler/rules.py), checked against the problem the planner
would be given now (planning/translation.py), so an edit can never keep a rule the planner breaks
or break one it keeps.

May import: models, planning.jobs, planning.review, planning.translation, scheduler.
"""

from __future__ import annotations

from app.extensions import db
from app.models import Assignment, Breakout, Plan, PlanKind, PlanStatus, SessionKind, Table
from app.services.planning.jobs import JobError
from app.services.planning.summaries import worsened
from app.services.planning.translation import (
    breakout_assignments,
    breakout_problem,
    refresh_metrics,
    table_problem,
    table_rounds,
    with_names,
)
from scheduler.people import InputError
from scheduler.rules import breakout_rule_breaches, table_rule_breaches


class EditError(ValueError):
    """An edit that would break a rule; the message names it."""


def _editable(plan: Plan) -> None:
    if plan.status != PlanStatus.DRAFT:
        raise EditError("Only draft plans can be edited; publishing a copy comes later.")


def _seat(plan: Plan, registration_id: int, session_id: int) -> Assignment:
    for a in plan.assignments:
        if a.registration_id == registration_id and a.session_id == session_id:
            return a
    raise EditError("That person has no seat in that session of this plan.")


def move(
    plan: Plan, registration_id: int, session_id: int, target_id: int, checked: bool = False
) -> list[str]:
    """Seat one person at another table (or breakout) in one session, and lock the seat.
    Returns the measures this made worse, in words (empty when none). `checked`: the caller
    has just checked this very change against the hard rules (planning/chart.py), so they are
    not checked twice."""
    _editable(plan)
    seat = _seat(plan, registration_id, session_id)
    before = dict(plan.metrics), None if checked else _known_breaches(plan, session_id)
    if plan.kind == PlanKind.TABLES:
        table = db.session.get(Table, target_id)
        if table is None or table.event_id != plan.event_id:
            raise EditError("No such table.")
        seat.table = table
    else:
        breakout = db.session.get(Breakout, target_id)
        if breakout is None or breakout.session_id != session_id:
            raise EditError("No such breakout in that slot.")
        seat.breakout = breakout
    seat.locked = True
    return _finish(plan, session_id, before)


def swap(
    plan: Plan, first_id: int, second_id: int, session_id: int, checked: bool = False
) -> list[str]:
    """Exchange the places of two people in one session, and lock both seats.
    Returns the measures this made worse, in words (empty when none); `checked` as for move."""
    _editable(plan)
    a, b = _seat(plan, first_id, session_id), _seat(plan, second_id, session_id)
    before = dict(plan.metrics), None if checked else _known_breaches(plan, session_id)
    if plan.kind == PlanKind.TABLES:
        a.table, b.table = b.table, a.table
    else:
        a.breakout, b.breakout = b.breakout, a.breakout
    a.locked = b.locked = True
    return _finish(plan, session_id, before)


def _finish(plan: Plan, session_id: int, before: tuple[dict, set[str] | None]) -> list[str]:
    """Check the hard rules (unless already checked: None), measure again, commit; what got
    worse since `before` (the plan's measures and the rules its session already broke)."""
    metrics, known = before
    if known is not None:
        _check(plan, session_id, known)
    else:
        db.session.flush()
    refresh_metrics(plan)
    db.session.commit()
    return worsened(metrics, plan.metrics)


def set_locked(plan: Plan, registration_id: int, session_id: int, locked: bool) -> None:
    """Lock a seat (re-solving keeps it) or unlock it (re-solving may move it, if that helps)."""
    _editable(plan)
    _seat(plan, registration_id, session_id).locked = locked
    db.session.commit()


def _known_breaches(plan: Plan, session_id: int) -> set[str]:
    """The rules the session breaks before an edit (say, someone who has since cancelled is
    still seated): an edit is refused only for a breach it adds, so one old breach does not
    block every edit in its round."""
    try:
        return set(_breaches(plan, session_id))
    except (JobError, InputError):
        return set()


def _check(plan: Plan, session_id: int, known: set[str]) -> None:
    """Raise EditError (and undo the edit) if the edit makes the session break a hard rule it
    did not break before."""
    db.session.flush()
    try:
        breaches = [b for b in _breaches(plan, session_id) if b not in known]
    except (JobError, InputError) as error:
        breaches = [str(error)]
    if breaches:
        db.session.rollback()
        message = with_names(breaches[0], plan.event).rstrip(".")
        raise EditError(message[:1].upper() + message[1:] + ".")


def _breaches(plan: Plan, session_id: int) -> list[str]:
    event = plan.event
    if plan.kind == PlanKind.TABLES:
        round_ids = [s.id for s in event.sessions_of(SessionKind.TABLE_ROUND)]
        return table_rule_breaches(
            table_problem(event), table_rounds(plan), rounds=[round_ids.index(session_id)]
        )
    return breakout_rule_breaches(breakout_problem(event), breakout_assignments(plan))
