"""Mail goes out only after the transaction that caused it commits."""

import socket

import pytest
from aiosmtpd.controller import Controller

from app.extensions import db
from app.models import Organisation
from app.services.mail import new_message, outbox_messages, queue


def outbox(app):
    return outbox_messages(app.config["MAIL_OUTBOX_DIR"])


def test_queued_mail_is_written_to_the_outbox_after_commit(app):
    queue(new_message("zoe@example.org", "Hello Zoë", "Body text ✓"))
    assert outbox(app) == []
    db.session.add(Organisation(name="X", sector="Health"))
    db.session.commit()
    [message] = outbox(app)
    assert message["To"] == "zoe@example.org"
    assert message["Subject"] == "Hello Zoë"
    assert message.get_content().strip() == "Body text ✓"


def test_rolled_back_transaction_sends_nothing(app):
    queue(new_message("a@example.org", "Never", "x"))
    db.session.rollback()
    db.session.commit()
    assert outbox(app) == []


class Sink:
    def __init__(self):
        self.messages = []

    async def handle_DATA(self, server, session, envelope):
        self.messages.append(envelope)
        return "250 OK"


@pytest.fixture
def smtp_sink():
    with socket.socket() as probe:  # aiosmtpd cannot bind port 0: pick a free port first
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    sink = Sink()
    controller = Controller(sink, hostname="127.0.0.1", port=port)
    controller.start()
    yield sink, port
    controller.stop()


def test_smtp_delivery_when_mail_server_is_set(app, smtp_sink):
    sink, port = smtp_sink
    app.config.update(MAIL_SERVER="127.0.0.1", MAIL_PORT=port)
    queue(new_message("b@example.org", "Via SMTP", "hello", html="<p>hello</p>"))
    db.session.commit()
    [envelope] = sink.messages
    assert envelope.rcpt_tos == ["b@example.org"]
    assert b"Subject: Via SMTP" in envelope.content
    assert outbox(app) == []


def test_failed_smtp_delivery_is_kept_not_raised(app, caplog):
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        closed_port = probe.getsockname()[1]
    app.config.update(MAIL_SERVER="127.0.0.1", MAIL_PORT=closed_port)
    queue(new_message("c@example.org", "Kept", "x"))
    db.session.commit()
    [kept] = outbox_messages(app.config["MAIL_OUTBOX_DIR"] / "failed")
    assert kept["Subject"] == "Kept"
    assert "could not deliver" in caplog.text
