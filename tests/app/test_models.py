"""Integrity the database itself enforces, whatever code writes to it."""

from datetime import timedelta

import pytest
from sqlalchemy import text
from sqlalchemy.exc import IntegrityError, StatementError

from app.extensions import db
from app.models import (
    Assignment,
    Breakout,
    Event,
    Organisation,
    Plan,
    PlanKind,
    Registration,
    RegistrationStatus,
    SessionKind,
    Table,
)
from app.services.tokens import new_token
from tests.conftest import future


def _registration(event, email, **kw):
    return Registration(
        event=event,
        token=new_token(),
        name="A Person",
        email=email,
        status=RegistrationStatus.CONFIRMED,
        **kw,
    )


def _event(slug="another", **kw):
    start = future()
    fields = dict(
        slug=slug,
        title="T",
        timezone="UTC",
        starts_at=start,
        ends_at=start + timedelta(hours=2),
        capacity=10,
    )
    fields.update(kw)
    return Event(**fields)


def _fails(*objects):
    db.session.add_all(objects)
    with pytest.raises((IntegrityError, StatementError)):
        db.session.commit()
    db.session.rollback()


def test_event_slug_is_unique(event):
    _fails(_event(slug=event.slug))


def test_email_registers_once_per_event(event):
    db.session.add(_registration(event, "a@example.org"))
    db.session.commit()
    _fails(_registration(event, "a@example.org"))


def test_same_email_may_register_for_another_event(event):
    other = _event()
    db.session.add_all(
        [_registration(event, "a@example.org"), _registration(other, "a@example.org")]
    )
    db.session.commit()
    assert {r.event.slug for r in db.session.query(Registration)} == {event.slug, "another"}


def test_erased_registrations_do_not_clash_on_email(event):
    db.session.add_all([_registration(event, None), _registration(event, None)])
    db.session.commit()


def test_capacity_cannot_be_negative(app):
    _fails(_event(capacity=-1))


def test_event_must_end_after_it_starts(app):
    start = future()
    _fails(_event(starts_at=start, ends_at=start))


def test_table_numbers_are_unique_per_event(event):
    _fails(Table(event=event, number=1, capacity=6))


def test_table_capacity_is_positive(event):
    _fails(Table(event=event, number=99, capacity=0))


def test_breakout_capacity_is_positive_and_minimum_within_it(event):
    slot = event.sessions_of(SessionKind.BREAKOUT_SLOT)[0]
    _fails(Breakout(session=slot, title="x", room="r", capacity=0))
    _fails(Breakout(session=slot, title="x", room="r", capacity=5, min_attendance=6))


def test_status_column_rejects_unknown_values_in_sql(event):
    with pytest.raises(IntegrityError):
        db.session.execute(text("UPDATE event SET status = 'bogus'"))
        db.session.commit()
    db.session.rollback()


def test_organisation_name_is_unique(app):
    db.session.add(Organisation(name="X", sector="Health"))
    db.session.commit()
    _fails(Organisation(name="X", sector="Housing"))


def test_registration_datetimes_read_back_timezone_aware(event):
    registration = _registration(event, "tz@example.org")
    db.session.add(registration)
    db.session.commit()
    db.session.expire_all()
    assert db.session.get(Registration, registration.id).created_at.utcoffset() == timedelta(0)


def test_foreign_keys_are_enforced(event):
    plan = Plan(event=event, kind=PlanKind.TABLES)
    db.session.add(plan)
    db.session.commit()
    _fails(
        Assignment(
            plan_id=plan.id,
            registration_id=999_999,
            session_id=event.sessions[0].id,
            table_id=event.tables[0].id,
        )
    )
