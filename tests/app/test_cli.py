"""Shell commands for setting up: seed-demo and first-run (used by `make run`)."""

from collections import Counter

from app.extensions import db
from app.models import Event, EventStatus, Registration, SessionKind, User


def test_seed_demo_makes_a_realistic_published_event_once(app, client):
    runner = app.test_cli_runner()
    result = runner.invoke(args=["seed-demo", "--attendees", "60", "--capacity", "50"])
    assert result.exit_code == 0, result.output
    event = db.session.scalar(db.select(Event).where(Event.slug == "demo"))
    assert event.status == EventStatus.PUBLISHED and event.capacity == 50
    assert len(event.convenors) >= 2
    assert len(event.sessions_of(SessionKind.TABLE_ROUND)) == 3
    assert len(event.sessions_of(SessionKind.BREAKOUT_SLOT)[0].breakouts) == 5
    assert {t.capacity for t in event.tables} == {8}
    statuses = Counter(r.status.value for r in event.registrations)
    assert statuses == {"confirmed": 50, "waitlisted": 10}
    sectors = Counter(r.sector for r in event.registrations)
    assert len(sectors) >= 5 and max(sectors.values()) < 60 * 0.5
    assert len({r.profession for r in event.registrations}) >= 8
    assert len({r.token for r in event.registrations}) == 60
    assert all(len(r.preferences) == 3 for r in event.registrations)

    again = runner.invoke(args=["seed-demo", "--attendees", "60", "--capacity", "50"])
    assert "already exists" in again.output
    assert db.session.scalar(db.select(db.func.count(Registration.id))) == 60
    assert client.get("/events/demo").status_code == 200


def test_first_run_creates_an_organiser_once_and_the_demo(app):
    runner = app.test_cli_runner()
    first = runner.invoke(args=["first-run"])
    assert first.exit_code == 0, first.output
    password = first.output.split("Password (shown only now): ")[1].split()[0]
    user = db.session.scalar(db.select(User))
    assert user.check_password(password)
    demo = db.session.scalar(db.select(Event).where(Event.slug == "demo"))
    assert user in demo.organisers

    second = runner.invoke(args=["first-run"])
    assert second.exit_code == 0
    assert "Password" not in second.output
    assert db.session.scalar(db.select(db.func.count(User.id))) == 1
    assert db.session.scalar(db.select(db.func.count(Event.id))) == 1
