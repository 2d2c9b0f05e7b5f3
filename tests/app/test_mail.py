"""The mail outbox: a message is stored with the change that causes it and sent after the commit,
by the web process itself (MAIL_DELIVERY=inline) or by a mail worker (MAIL_DELIVERY=worker)."""

from datetime import timedelta

import pytest
from sqlalchemy import select, update

from app.extensions import db
from app.models import MailKind, MailStatus, OutgoingMail, Registration
from app.models.types import utcnow
from app.services.messaging import outbox
from app.services.messaging.transport import outbox_messages
from app.services.registration import lifecycle
from tests.conftest import free_port, fresh_app

ZOE = {
    "name": "Zoë Adams",
    "email": "zoe@example.org",
    "organisation": "Riverside NHS Trust",
    "profession": "Nurse",
    "consent": True,
}


def sent(app):
    return outbox_messages(app.config["MAIL_OUTBOX_DIR"])


def rows() -> list[OutgoingMail]:
    db.session.expire_all()
    return list(db.session.scalars(select(OutgoingMail).order_by(OutgoingMail.id)))


def register_form(client, **changes):
    fields = {**ZOE, "consent": "y", **changes}
    return client.submit("/events/learning-day/register", fields)


def test_a_registration_is_mailed_once_its_transaction_commits(app, event):
    registration = lifecycle.register(event, ZOE)
    [message] = sent(app)
    assert message["To"] == "zoe@example.org"
    assert message["Subject"] == "You're registered: Learning Day"
    assert f"/r/{registration.token}" in message.get_body(("plain",)).get_content()
    [row] = rows()
    assert (row.kind, row.status, row.attempts) == ("confirmation", MailStatus.SENT, 1)
    assert row.done_at is not None


def test_an_unknown_kind_of_message_fails_when_queued_not_in_the_outbox(app, event):
    registration = lifecycle.register(event, ZOE)
    with pytest.raises(ValueError, match="confirmaton"):
        outbox.queue("confirmaton", registration)
    db.session.rollback()
    assert [r.kind for r in rows()] == ["confirmation"]


def test_every_kind_of_message_needs_a_builder_at_start_up(app):
    some = {MailKind.CONFIRMATION: lambda registration: None}
    with pytest.raises(RuntimeError, match="manage_link"):
        outbox.init_app(app, builders=some)


def test_a_rolled_back_change_leaves_no_message(app, event):
    registration = lifecycle.register(event, ZOE)
    outbox.queue(MailKind.CANCELLATION, registration)
    db.session.rollback()
    db.session.commit()
    outbox.send_committed()
    assert [r.kind for r in rows()] == ["confirmation"]
    assert len(sent(app)) == 1


def test_smtp_delivery_when_mail_server_is_set(app, event, smtp_sink):
    app.config.update(MAIL_SERVER="127.0.0.1", MAIL_PORT=smtp_sink.port)
    lifecycle.register(event, ZOE)
    [envelope] = smtp_sink.envelopes
    assert envelope.rcpt_tos == ["zoe@example.org"]
    assert b"Subject: You're registered: Learning Day" in envelope.content
    assert b"text/calendar" in envelope.content
    assert sent(app) == []


def test_a_failed_delivery_is_kept_and_retried_later(app, event, smtp_sink, caplog):
    app.config.update(MAIL_SERVER="127.0.0.1", MAIL_PORT=free_port())  # nobody listens there
    registration = lifecycle.register(event, ZOE)
    assert registration.id is not None  # the registration itself is stored regardless
    [row] = rows()
    assert row.status == MailStatus.PENDING and row.attempts == 1
    assert "ConnectionRefusedError" in row.last_error
    assert row.next_attempt_at > utcnow()
    assert "could not deliver mail" in caplog.text

    assert outbox.send_due() == {"sent": 0, "superseded": 0, "failed": 0}  # backing off

    app.config.update(MAIL_PORT=smtp_sink.port)
    db.session.execute(update(OutgoingMail).values(next_attempt_at=utcnow()))
    db.session.commit()
    result = app.test_cli_runner().invoke(args=["send-mail"])
    assert "Sent 1 messages (0 no longer applied, 0 failed); 0 still waiting." in result.output
    [envelope] = smtp_sink.envelopes
    assert envelope.rcpt_tos == ["zoe@example.org"]
    [row] = rows()
    assert row.status == MailStatus.SENT and row.attempts == 2


def test_a_message_is_claimed_by_one_sender_only(app, event):
    app.config["MAIL_DELIVERY"] = outbox.WORKER
    lifecycle.register(event, ZOE)
    [row] = rows()
    first = outbox._claim(None, 10)
    assert [r.id for r in first] == [row.id]
    assert outbox._claim(None, 10) == []  # leased to the first sender
    assert outbox.send_due([row.id]) == {"sent": 0, "superseded": 0, "failed": 0}


def test_a_broken_message_does_not_stop_the_others(app, event, caplog):
    app.config["MAIL_DELIVERY"] = outbox.WORKER
    registration = lifecycle.register(event, ZOE)
    db.session.add(OutgoingMail(kind="no-such-message", registration=registration))
    outbox.queue(MailKind.MANAGE_LINK, registration)
    db.session.commit()
    assert outbox.send_due() == {"sent": 2, "superseded": 0, "failed": 1}
    assert [r.status for r in rows()] == [MailStatus.SENT, MailStatus.PENDING, MailStatus.SENT]
    assert "could not build mail" in caplog.text


@pytest.fixture
def worker_mode(app):
    app.config["MAIL_DELIVERY"] = outbox.WORKER
    return app


def test_in_worker_mode_requests_only_store_the_message(worker_mode, client, event):
    response = register_form(client)
    assert response.status_code == 302
    assert sent(worker_mode) == []
    [row] = rows()
    assert (row.kind, row.status, row.attempts) == ("confirmation", MailStatus.PENDING, 0)


def test_the_mail_worker_sends_links_on_the_public_url(worker_mode, client, event):
    worker_mode.config["PUBLIC_URL"] = "https://convene.example.org"
    register_form(client, email="amal@example.org")
    client.post("/api/v1/events/learning-day/registrations", json=ZOE)
    stops = iter([False, False, True])
    outbox.run_worker(poll_seconds=0, stop=lambda: next(stops))
    amal, zoe = sent(worker_mode)
    for message in (amal, zoe):
        assert "https://convene.example.org/r/" in message.get_body(("plain",)).get_content()
    assert [r.status for r in rows()] == [MailStatus.SENT, MailStatus.SENT]


def test_a_message_overtaken_by_events_is_not_sent(worker_mode, client, event):
    register_form(client)
    registration = db.session.scalar(select(Registration))
    lifecycle.cancel(registration)
    assert outbox.send_due() == {"sent": 1, "superseded": 1, "failed": 0}
    [message] = sent(worker_mode)
    assert message["Subject"] == "Registration cancelled: Learning Day"
    assert [r.status for r in rows()] == [MailStatus.SUPERSEDED, MailStatus.SENT]


def test_erased_registrations_get_no_pending_mail(worker_mode, client, event):
    register_form(client)
    lifecycle.erase(db.session.scalar(select(Registration)))
    assert outbox.send_due() == {"sent": 0, "superseded": 1, "failed": 0}
    assert sent(worker_mode) == []


def test_a_sender_that_died_leaves_the_message_for_the_next(worker_mode, client, event):
    register_form(client)
    outbox._claim(None, 10)  # claimed, then the process is gone
    assert outbox.send_due() == {"sent": 0, "superseded": 0, "failed": 0}
    db.session.execute(update(OutgoingMail).values(next_attempt_at=utcnow() - timedelta(seconds=1)))
    db.session.commit()  # the lease has run out
    assert outbox.send_due() == {"sent": 1, "superseded": 0, "failed": 0}


def test_an_unknown_delivery_mode_is_refused_at_start(tmp_path):
    with pytest.raises(RuntimeError, match="MAIL_DELIVERY='sometimes'"):
        next(fresh_app(tmp_path, MAIL_DELIVERY="sometimes"))


def test_organisers_see_mail_that_could_not_be_delivered(app, signed_in, event):
    page = signed_in.get("/organise/events/learning-day/registrations").get_data(as_text=True)
    assert "All sent" in page
    app.config.update(MAIL_SERVER="127.0.0.1", MAIL_PORT=free_port())  # nobody listens there
    lifecycle.register(event, ZOE)
    page = signed_in.get("/organise/events/learning-day/registrations").get_data(as_text=True)
    assert "1 waiting to be sent; 1 could not be delivered yet" in page
    assert "ConnectionRefusedError" in page
