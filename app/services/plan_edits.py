"""Hand edits to a draft plan: move or swap people, lock seats. Every edit keeps the hard rules
the planner keeps (capacity, balance, facilitators, keep-apart/together, accessibility, the
same topic never twice) or is refused with a message saying which rule it would break."""

from __future__ import annotations

from collections import Counter

from app.extensions import db
from app.models import (
    Assignment,
    Breakout,
    Plan,
    PlanKind,
    PlanStatus,
    SeatingRuleKind,
    Table,
)
from app.services.planning import facilitators, refresh_metrics, seating_rules
from scheduler.metrics import balanced_size_ranges


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


def move(plan: Plan, registration_id: int, session_id: int, target_id: int) -> None:
    """Seat one person at another table (or breakout) in one session."""
    _editable(plan)
    seat = _seat(plan, registration_id, session_id)
    if seat.locked:
        raise EditError(f"{seat.registration.name}'s seat is locked; unlock it first.")
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
    _check(plan, session_id)
    refresh_metrics(plan)
    db.session.commit()


def swap(plan: Plan, first_id: int, second_id: int, session_id: int) -> None:
    """Exchange the places of two people in one session."""
    _editable(plan)
    a, b = _seat(plan, first_id, session_id), _seat(plan, second_id, session_id)
    for seat in (a, b):
        if seat.locked:
            raise EditError(f"{seat.registration.name}'s seat is locked; unlock it first.")
    if plan.kind == PlanKind.TABLES:
        a.table, b.table = b.table, a.table
    else:
        a.breakout, b.breakout = b.breakout, a.breakout
    _check(plan, session_id)
    refresh_metrics(plan)
    db.session.commit()


def set_locked(plan: Plan, registration_id: int, session_id: int, locked: bool) -> None:
    _editable(plan)
    _seat(plan, registration_id, session_id).locked = locked
    db.session.commit()


def _check(plan: Plan, session_id: int) -> None:
    """Raise EditError (and undo the edit) if the session's seating breaks a hard rule."""
    db.session.flush()
    seats = [a for a in plan.assignments if a.session_id == session_id]
    problem = (
        _table_problem(plan, seats)
        if plan.kind == PlanKind.TABLES
        else _breakout_problem(plan, seats)
    )
    if problem:
        db.session.rollback()
        raise EditError(problem)


def _table_problem(plan: Plan, seats: list[Assignment]) -> str | None:
    event = plan.event
    at = {a.registration_id: a.table for a in seats}
    sizes = Counter(a.table_id for a in seats)
    ranges = balanced_size_ranges(len(seats), [t.capacity for t in event.tables])
    for table, (low, high) in zip(event.tables, ranges, strict=True):
        if not low <= sizes.get(table.id, 0) <= high:
            return (
                f"Table {table.number} would have {sizes.get(table.id, 0)} people; tables "
                f"must stay balanced ({low}–{high} there). Swap people instead of moving."
            )
    for registration_id, index in facilitators(event).items():
        table = event.tables[index]
        if registration_id in at and at[registration_id] != table:
            return (
                f"{table.facilitator.name} facilitates table {table.number} "
                "and stays there every round."
            )
    for a in seats:
        if a.registration.needs_accessible_table and not a.table.accessible:
            return f"{a.registration.name} needs an accessible table."
    for rule in seating_rules(event):
        first, second = at.get(rule.first_id), at.get(rule.second_id)
        if first is None or second is None:
            continue
        if rule.kind == SeatingRuleKind.KEEP_APART and first == second:
            return f"{rule.first.name} and {rule.second.name} must be kept apart."
        if rule.kind == SeatingRuleKind.KEEP_TOGETHER and first != second:
            return f"{rule.first.name} and {rule.second.name} must sit together."
    return None


def _breakout_problem(plan: Plan, seats: list[Assignment]) -> str | None:
    fill = Counter(a.breakout_id for a in seats)
    for a in seats:
        if fill[a.breakout_id] > a.breakout.capacity:
            return f"“{a.breakout.title}” holds only {a.breakout.capacity} people."
    topics: Counter[tuple[int, str]] = Counter(
        (a.registration_id, a.breakout.title) for a in plan.assignments if a.breakout
    )
    for (registration_id, title), count in topics.items():
        if count > 1:
            name = next(
                a.registration.name
                for a in plan.assignments
                if a.registration_id == registration_id
            )
            return f"{name} would attend “{title}” twice."
    return None
