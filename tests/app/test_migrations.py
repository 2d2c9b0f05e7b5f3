"""The Alembic revisions build exactly the schema the models describe, and can be undone."""

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from flask_migrate import downgrade, upgrade
from sqlalchemy import inspect, text
from sqlalchemy.exc import IntegrityError

from app.extensions import db
from tests.conftest import drop_everything


def test_migrations_match_the_models(app):
    drop_everything()
    upgrade()
    with db.engine.connect() as connection:
        context = MigrationContext.configure(connection, opts={"compare_type": True})
        differences = compare_metadata(context, db.metadata)
    assert differences == []


def test_migrations_downgrade_to_an_empty_database(app):
    drop_everything()
    upgrade()
    downgrade(revision="base")
    assert set(inspect(db.engine).get_table_names()) <= {"alembic_version"}


def test_the_directory_migration_keeps_every_stored_sector(app):
    """Sectors typed before the managed list: spellings of a default sector become it, any other
    stays a sector of its own; names get their normal form; registrations remember what they
    typed; and every organisation already stored has its sector confirmed."""
    drop_everything()
    upgrade(revision="7115f5cb1f7f")
    with db.engine.begin() as connection:
        for name, sector in [
            ("Swale BC", "Local Government"),
            ("Kent Police", "Policing"),
            ("Medway NHS FT", "Health"),
            ("Widget Works", "Widgets"),
            ("Widget Makers", "widgets"),
        ]:
            connection.execute(
                text("INSERT INTO organisation (name, sector) VALUES (:n, :s)"),
                {"n": name, "s": sector},
            )
        connection.execute(
            text(
                "INSERT INTO event (slug, title, description, venue, timezone, starts_at, ends_at,"
                " capacity, status, waitlist_policy, offer_hours, created_at) VALUES ('e', 'E',"
                " '', '', 'UTC', '2030-01-01 09:00', '2030-01-01 17:00', 10, 'published',"
                " 'auto_promote', 48, '2029-01-01 00:00+00:00')"
            )
        )
        connection.execute(
            text(
                "INSERT INTO registration (event_id, token, name, email, organisation_id,"
                " profession, role, access_needs, dietary_needs, needs_accessible_table, consent,"
                " status, created_at, updated_at) SELECT e.id, 'tok-swale-0123456789', 'Ann',"
                " 'ann@example.org', o.id, 'GP', '', '', '', false, true, 'confirmed',"
                " '2029-01-01 00:00+00:00', '2029-01-01 00:00+00:00' FROM event e, organisation o"
                " WHERE o.name = 'Swale BC'"
            )
        )
    upgrade()
    with db.engine.connect() as connection:
        stored = dict(connection.execute(text("SELECT name, sector FROM organisation")).all())
        keys = dict(connection.execute(text("SELECT name, key FROM organisation")).all())
        sectors = [row[0] for row in connection.execute(text("SELECT name FROM sector"))]
        typed = connection.scalar(text("SELECT organisation_typed FROM registration"))
        confirmed = connection.execute(text("SELECT sector_confirmed FROM organisation")).all()
        given = connection.scalar(text("SELECT sector_given FROM registration"))
    assert stored == {
        "Swale BC": "Local government",
        "Kent Police": "Police and justice",
        "Medway NHS FT": "NHS and health",
        "Widget Works": "Widgets",
        "Widget Makers": "Widgets",
    }
    assert sectors.count("Widgets") == 1 and "widgets" not in sectors
    assert "NHS and health" in sectors and len(sectors) == 12
    assert keys["Swale BC"] == "swale borough council"
    assert typed == "Swale BC"
    # So nobody's sector moves, and no registration has a sector of its own yet.
    assert confirmed == [(True,)] * 5 and given == ""


def test_the_outbox_can_store_mail_that_failed_for_good(app):
    """The status is text under a CHECK constraint: the migration lets 'failed' in."""
    drop_everything()
    upgrade()
    with db.engine.begin() as connection:
        connection.execute(
            text(
                "INSERT INTO event (slug, title, description, venue, timezone, starts_at, ends_at,"
                " capacity, status, waitlist_policy, offer_hours, created_at, sequence) VALUES"
                " ('e', 'E', '', '', 'UTC', '2030-01-01 09:00', '2030-01-01 17:00', 10,"
                " 'published', 'auto_promote', 48, '2029-01-01 00:00+00:00', 0)"
            )
        )
        connection.execute(
            text(
                "INSERT INTO registration (event_id, token, name, email, profession, role,"
                " access_needs, dietary_needs, needs_accessible_table, consent, status,"
                " created_at, updated_at, calendar_sequence) SELECT id, 'tok-0123456789abcdef',"
                " 'Ann', 'ann@example.org', 'GP', '', '', '', false, true, 'confirmed',"
                " '2029-01-01 00:00+00:00', '2029-01-01 00:00+00:00', 0 FROM event"
            )
        )
        connection.execute(
            text(
                "INSERT INTO outgoing_mail (kind, options, registration_id, status, created_at,"
                " next_attempt_at, attempts, last_error) SELECT 'confirmation', '{}', id,"
                " 'failed', '2029-01-01 00:00+00:00', '2029-01-01 00:00+00:00', 1, 'ValueError'"
                " FROM registration"
            )
        )
    with pytest.raises(IntegrityError), db.engine.begin() as connection:
        connection.execute(text("UPDATE outgoing_mail SET status = 'lost'"))  # still checked
    downgrade(revision="5b1fa3b3b5c1")
    with db.engine.connect() as connection:
        assert connection.scalar(text("SELECT status FROM outgoing_mail")) == "pending"


def test_the_contact_migration_gives_each_event_an_organisers_address(app):
    """Events stored before the contact address get their first organiser's; one without an
    organiser gets none (the page then shows none, rather than a made-up address)."""
    drop_everything()
    upgrade(revision="e42e3ef69b1b")
    with db.engine.begin() as connection:
        for user_id, email in [(1, "first@example.org"), (2, "second@example.org")]:
            connection.execute(
                text(
                    'INSERT INTO "user" (id, email, name, password_hash, active, created_at)'
                    " VALUES (:id, :email, '', 'x', true, '2029-01-01 00:00+00:00')"
                ),
                {"id": user_id, "email": email},
            )
        for event_id, slug in [(1, "with-organisers"), (2, "without")]:
            connection.execute(
                text(
                    "INSERT INTO event (id, slug, title, description, venue, timezone, starts_at,"
                    " ends_at, capacity, status, waitlist_policy, offer_hours, created_at) VALUES"
                    " (:id, :slug, 'E', '', '', 'UTC', '2030-01-01 09:00', '2030-01-01 17:00', 10,"
                    " 'published', 'auto_promote', 48, '2029-01-01 00:00+00:00')"
                ),
                {"id": event_id, "slug": slug},
            )
        connection.execute(
            text("INSERT INTO event_organiser (event_id, user_id) VALUES (1, 2), (1, 1)")
        )
    upgrade()
    with db.engine.connect() as connection:
        contacts = dict(connection.execute(text("SELECT slug, contact_email FROM event")).all())
    assert contacts == {"with-organisers": "first@example.org", "without": ""}
