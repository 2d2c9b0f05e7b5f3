"""The mail outbox: a message is stored with the change that causes it and sent after the commit,
by the web process itself (MAIL_DELIVERY=inline) or by a mail worker (MAIL_DELIVERY=worker)."""

import http.client
import json
import socket
import threading
import time
from collections.abc import Iterator
from datetime import timedelta

import pytest
from sqlalchemy import select, update
from werkzeug.serving import make_server

from app.extensions import db
from app.models import Event, MailKind, MailStatus, OutgoingMail, Registration
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


def counts(**outcomes: int) -> dict[str, int]:
    """What send_due() reports: nothing unless said."""
    return dict.fromkeys(outbox.OUTCOMES, 0) | outcomes


def sent(app):
    return outbox_messages(app.config["MAIL_OUTBOX_DIR"])


def rows() -> list[OutgoingMail]:
    db.session.rollback()  # a fresh look, at what other threads committed too
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

    assert outbox.send_due() == counts()  # backing off

    app.config.update(MAIL_PORT=smtp_sink.port)
    db.session.execute(update(OutgoingMail).values(next_attempt_at=utcnow()))
    db.session.commit()
    result = app.test_cli_runner().invoke(args=["send-mail"])
    assert (
        "Sent 1 messages (0 no longer applied, 0 to be retried, 0 could not be written); "
        "0 still waiting." in result.output
    )
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
    assert outbox.send_due([row.id]) == counts()


def test_a_broken_message_does_not_stop_the_others(app, event, caplog):
    app.config["MAIL_DELIVERY"] = outbox.WORKER
    registration = lifecycle.register(event, ZOE)
    db.session.add(OutgoingMail(kind="no-such-message", registration=registration))
    outbox.queue(MailKind.MANAGE_LINK, registration)
    db.session.commit()
    assert outbox.send_due() == counts(sent=2, failed=1)
    assert [r.status for r in rows()] == [MailStatus.SENT, MailStatus.FAILED, MailStatus.SENT]
    assert "'no-such-message' is not a valid MailKind" in rows()[1].last_error
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
    assert outbox.send_due() == counts(sent=1, superseded=1)
    [message] = sent(worker_mode)
    assert message["Subject"] == "Registration cancelled: Learning Day"
    assert [r.status for r in rows()] == [MailStatus.SUPERSEDED, MailStatus.SENT]


def test_erased_registrations_get_no_pending_mail(worker_mode, client, event):
    register_form(client)
    lifecycle.erase(db.session.scalar(select(Registration)))
    assert outbox.send_due() == counts(superseded=1)
    assert sent(worker_mode) == []


def test_a_sender_that_died_leaves_the_message_for_the_next(worker_mode, client, event):
    register_form(client)
    outbox._claim(None, 10)  # claimed, then the process is gone
    assert outbox.send_due() == counts()
    db.session.execute(update(OutgoingMail).values(next_attempt_at=utcnow() - timedelta(seconds=1)))
    db.session.commit()  # the lease has run out
    assert outbox.send_due() == counts(sent=1)


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


# --- a mail server that does not answer, and what cannot be built --------------------------------


@pytest.fixture
def blackhole() -> Iterator[int]:
    """A loopback port that accepts connections and never says a word (a stalled mail server)."""
    listener = socket.create_server(("127.0.0.1", 0))
    held: list[socket.socket] = []

    def accept() -> None:
        while True:
            try:
                held.append(listener.accept()[0])
            except OSError:  # the listener is closed: the test is over
                return

    thread = threading.Thread(target=accept, daemon=True)
    thread.start()
    yield listener.getsockname()[1]
    listener.shutdown(socket.SHUT_RDWR)  # wakes accept() (close alone would not)
    listener.close()
    thread.join(timeout=5)
    for connection in held:
        connection.close()


@pytest.fixture
def single_worker(app) -> Iterator[str]:
    """The app under a one-request-at-a-time WSGI server on loopback, like a sync gunicorn
    worker: while it sends mail after a response it serves nobody else. Yields its address."""
    httpd = make_server("127.0.0.1", 0, app, threaded=False)
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    yield httpd.server_port
    httpd.shutdown()
    thread.join(timeout=10)


def timed(port: int, method: str, path: str, body: dict | None = None) -> tuple[int, float]:
    """(status, seconds) of one request; fails if no answer comes within 10 s (the old code
    answered a registration after SMTP's 30 s)."""
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
    started = time.monotonic()
    payload = json.dumps(body) if body is not None else None
    connection.request(method, path, payload, {"Content-Type": "application/json"})
    response = connection.getresponse()
    response.read()
    connection.close()
    return response.status, time.monotonic() - started


def settled(predicate, within: float = 10.0) -> None:
    """Wait (polling the database) until `predicate()` holds: the server works in its thread."""
    deadline = time.monotonic() + within
    while not predicate():
        assert time.monotonic() < deadline, "the server did not get there in time"
        time.sleep(0.05)


def test_a_mail_server_that_never_answers_holds_no_request(app, event, blackhole, single_worker):
    mail_timeout = 3.0
    app.config.update(MAIL_SERVER="127.0.0.1", MAIL_PORT=blackhole, MAIL_TIMEOUT=mail_timeout)
    url = "/api/v1/events/learning-day/registrations"

    status, seconds = timed(single_worker, "POST", url, ZOE)
    assert status == 201 and seconds < mail_timeout
    [row] = rows()
    assert row.last_error is None  # the answer came while the mail server was still awaited
    settled(lambda: "timed out" in (rows()[0].last_error or ""))
    [row] = rows()
    assert row.status == MailStatus.PENDING and row.attempts == 1
    assert row.next_attempt_at > utcnow()  # left to the outbox's retry

    # The server timed out a moment ago: the next registration's mail is not even tried, so
    # nothing holds the worker and the home page right behind it answers at once.
    status, _ = timed(single_worker, "POST", url, {**ZOE, "email": "amal@example.org"})
    assert status == 201
    status, seconds = timed(single_worker, "GET", "/")
    assert status == 200 and seconds < mail_timeout
    settled(lambda: len([r for r in rows() if r.last_error]) == 2)
    assert rows()[1].last_error == outbox.UNREACHABLE and rows()[1].status == MailStatus.PENDING


def test_a_title_with_a_line_break_stored_before_the_form_refused_it_is_mailed(app, client, event):
    db.session.execute(
        update(Event).values(title="Learning Day\r\nBcc: everyone@evil.example", venue="Hall\n2")
    )
    db.session.commit()
    assert register_form(client).status_code == 302
    [message] = sent(app)
    assert message["Subject"] == "You're registered: Learning Day Bcc: everyone@evil.example"
    assert message["Bcc"] is None
    assert "Where: Hall 2" in message.get_body(("plain",)).get_content()
    assert [r.status for r in rows()] == [MailStatus.SENT]


def test_mail_that_can_never_be_built_is_failed_shown_and_not_retried(
    worker_mode, signed_in, event
):
    register_form(signed_in)
    # An address with a line break, stored by some other road: no message can be addressed.
    db.session.execute(update(Registration).values(email="zoe@example.org\r\nBcc: x@evil.example"))
    db.session.commit()
    cli = worker_mode.test_cli_runner()
    result = cli.invoke(args=["send-mail"])
    assert "Sent 0 messages (0 no longer applied, 0 to be retried, 1 could not be written)" in (
        result.output
    )
    [row] = rows()
    assert row.status == MailStatus.FAILED and row.attempts == 1
    assert "Header values may not contain linefeed" in row.last_error

    page = signed_in.get("/organise/events/learning-day/registrations").get_data(as_text=True)
    assert "1 could not be written and will not be sent" in page
    assert "Header values may not contain linefeed" in page

    db.session.execute(update(OutgoingMail).values(next_attempt_at=utcnow() - timedelta(hours=1)))
    db.session.commit()
    assert "0 could not be written" in cli.invoke(args=["send-mail"]).output
    assert rows()[0].attempts == 1  # never tried again
    assert sent(worker_mode) == []
