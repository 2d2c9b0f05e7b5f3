"""The mail outbox: messages are stored with the change that causes them and sent after it commits.

Contract — while making a change, call `queue(kind, recipient, **options)` with a MailKind
(anything else raises ValueError there and then, in the request) and a Registration, for an
account's own mail (a password reset) a User, or a programme's Member (or change the options of
a message `unsent` returns, so one message says it all). It adds an OutgoingMail row to the same
transaction: if the transaction commits the message will be sent, if it rolls back it never
existed. Nothing is built yet; building a message (text, links and the calendar invite) happens
when it is sent, from the recipient as it is then. Options are stored as they are: never put a
secret in them (a builder derives any link it needs from the rows it reads).

Who sends (setting MAIL_DELIVERY):
- "inline" (default): the code that committed asks `send_committed()` to send; the capacity
  lock and publishing call it after their commit, and the end of every request and app context
  does too, so nothing queued waits for a worker that is not running. Outside a request it
  sends at once; in a request it sends once the response's body has been written (when the
  server asks for more of it, or closes it), so no page waits for the mail server. The worker
  process is still busy meanwhile, up to MAIL_TIMEOUT for each exchange with a server that does
  not answer; after such a timeout this process leaves new mail to the retry for PAUSE.
- "worker": requests only store the row; `flask --app wsgi mail-worker` sends. A burst of
  registrations then costs the web processes no more than an insert each, and the worker (at a
  lower CPU priority) catches up.

In both modes a sender first claims due rows (one UPDATE that moves their `next_attempt_at` a
lease ahead, so two senders never send the same row), builds each, ends its transaction,
delivers, then records what became of them in one transaction (so a mail worker takes the write
lock twice per batch, not per message, and holds no transaction while talking to the server).
A failed delivery is retried with a growing back-off; a row whose sender died is retried when
its lease ends (a message delivered just before is then sent again: at least once, never lost);
`flask --app wsgi send-mail` sends whatever is due, e.g. from cron. A message whose occasion has
passed when it is built (its builder returns None) is marked superseded; one that cannot be
built (the builder raises: building reads only the database, so it would fail at every attempt)
is marked FAILED with the reason in `last_error`, shown to organisers, and never retried.
The builders are given to the outbox at start-up (`init_app(app, builders)`, from
messages.BUILDERS): the outbox knows how to store and deliver a message, not what one says.
"""

from __future__ import annotations

import logging
import smtplib
import time
from collections.abc import Callable, Iterable, Iterator, Mapping
from datetime import timedelta
from email.message import EmailMessage
from typing import NamedTuple

from flask import Flask, Response, current_app, g, has_request_context
from flask_sqlalchemy.session import Session as FlaskSQLAlchemySession
from sqlalchemy import Select, event, func, inspect, select, update
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.orm import selectinload

from app.extensions import WRITE_LOCK, db
from app.models import MailKind, MailStatus, Member, OutgoingMail, Registration, User
from app.models.types import utcnow
from app.services.messaging import transport

log = logging.getLogger(__name__)
QUEUED_KEY = "convene_outbox_queued"
COMMITTED_KEY = "convene_outbox_committed"
INLINE, WORKER = "inline", "worker"
LEASE = timedelta(minutes=10)
MAX_BACKOFF = timedelta(hours=1)
BATCH = 50
BUILDERS_KEY = "convene_mail_builders"
AFTER_RESPONSE_KEY = "convene_mail_after_response"
# After the mail server failed to answer, a process leaves new mail to the retry this long.
PAUSE = timedelta(minutes=1)
PAUSED_KEY = "convene_mail_paused_until"
UNREACHABLE = "not tried: the mail server did not answer a moment ago"
# What became of a claimed message (send_due counts each).
SENT, SUPERSEDED, RETRY, FAILED = "sent", "superseded", "retry", "failed"
OUTCOMES = (SENT, SUPERSEDED, RETRY, FAILED)

# Builds a message from the recipient as it is when sent; None when its occasion has passed.
Builder = Callable[..., EmailMessage | None]


def queue(kind: MailKind, recipient: Registration | User | Member, **options) -> OutgoingMail:
    """Send message `kind` to `recipient` once the current transaction commits."""
    kind = MailKind(kind)  # a typo fails here, in the change that asked for it
    if isinstance(recipient, User):
        to = {"user": recipient}
    elif isinstance(recipient, Member):
        to = {"member": recipient}
    else:
        to = {"registration": recipient}
    row = OutgoingMail(kind=kind.value, options=options, **to)
    db.session.add(row)
    db.session.info.setdefault(QUEUED_KEY, []).append(row)
    return row


def unsent(kind: MailKind, registration_ids: Iterable[int]) -> dict[int, OutgoingMail]:
    """Messages of `kind` to these registrations that no sender has tried yet, by registration
    id, locked until the transaction ends: a change that would queue a second message of the
    kind can add to one of these instead, so the person gets one message (built when it is
    sent). A sender claiming one meanwhile waits for the lock (PostgreSQL's SELECT ... FOR
    UPDATE; on SQLite the caller's write lock), then sees it changed; one already claimed is
    not returned, as it may be on its way."""
    rows = db.session.scalars(
        select(OutgoingMail)
        .where(
            OutgoingMail.kind == MailKind(kind).value,
            OutgoingMail.registration_id.in_(list(registration_ids)),
            OutgoingMail.status == MailStatus.PENDING,
            OutgoingMail.attempts == 0,
        )
        .order_by(OutgoingMail.id)
        .with_for_update()
    )
    found: dict[int, OutgoingMail] = {}
    for row in rows:
        found.setdefault(row.registration_id, row)
    return found


@event.listens_for(FlaskSQLAlchemySession, "after_commit")
def _remember_committed(session) -> None:
    queued = session.info.pop(QUEUED_KEY, [])
    # The identity key, not .id: objects are expired by now and may not load anything.
    ids = [key[0] for row in queued if (key := inspect(row).identity) is not None]
    session.info.setdefault(COMMITTED_KEY, []).extend(ids)


@event.listens_for(FlaskSQLAlchemySession, "after_soft_rollback")
def _forget_rolled_back(session, previous_transaction) -> None:
    if previous_transaction.parent is None:  # the outermost transaction, not a savepoint
        session.info.pop(QUEUED_KEY, None)


def init_app(app: Flask, builders: Mapping[MailKind, Builder]) -> None:
    """Check the delivery setting and take the builder of every kind of message."""
    if app.config["MAIL_DELIVERY"] not in (INLINE, WORKER):
        raise RuntimeError(
            f"MAIL_DELIVERY={app.config['MAIL_DELIVERY']!r}: expected {INLINE!r} or {WORKER!r}"
        )
    if missing := [kind.value for kind in MailKind if kind not in builders]:
        raise RuntimeError(f"no message builder for mail kinds {missing}")
    if not app.config["MAIL_TIMEOUT"] > 0:
        raise RuntimeError(f"MAIL_TIMEOUT={app.config['MAIL_TIMEOUT']!r}: expected seconds > 0")
    app.extensions[BUILDERS_KEY] = dict(builders)
    app.after_request(_send_after_response)
    app.teardown_request(_send_at_teardown)
    app.teardown_appcontext(_send_at_teardown)


def _send_after_response(response: Response) -> Response:
    """In a request, inline mail goes once the response's body has been written: the server
    asks for more of the body after writing the last of it, and the mail is sent then (or when
    it closes the response, for a response without a body), so nobody's page waits for SMTP.
    (Not at close() alone: the development server closes only once the browser lets go.)"""
    ids = g.pop(AFTER_RESPONSE_KEY, []) + db.session.info.pop(COMMITTED_KEY, [])
    if not ids or current_app.config["MAIL_DELIVERY"] != INLINE:
        return response
    app = current_app._get_current_object()
    pending = [ids]

    def send_once() -> None:
        if pending:
            with app.app_context():  # the request's context is gone by now
                _send_inline(pending.pop())

    def body_then_send(body: Iterable[bytes]) -> Iterator[bytes]:
        yield from body
        send_once()

    if not response.is_streamed:
        response.headers["Content-Length"] = str(len(response.get_data()))
    response.response = body_then_send(response.response)
    response.call_on_close(send_once)
    return response


def _send_at_teardown(_error: BaseException | None = None) -> None:
    """The safety net for code that committed without calling send_committed(), and for mail
    left for a response that never came (a request context that made none, as in tests)."""
    session = db.session()
    ids = g.pop(AFTER_RESPONSE_KEY, []) + session.info.pop(COMMITTED_KEY, [])
    if ids:
        session.rollback()  # whatever is unfinished now would be discarded at teardown anyway
        _send_inline(ids)


def send_committed() -> None:
    """In inline mode, send what this session's committed transactions queued: now, or in a
    request once its response has been written. Never raises: the change is committed, and a
    message that could not be sent stays due for a retry."""
    ids = db.session.info.pop(COMMITTED_KEY, [])
    if not ids or current_app.config["MAIL_DELIVERY"] != INLINE:
        return
    if has_request_context():
        g.setdefault(AFTER_RESPONSE_KEY, []).extend(ids)
    else:
        _send_inline(ids)


def _send_inline(ids: list[int]) -> None:
    if current_app.config["MAIL_DELIVERY"] != INLINE:
        return
    try:
        send_due(ids)
    except Exception:
        db.session.rollback()
        log.exception("could not send mail %s now; it stays in the outbox", ids)


def send_due(ids: list[int] | None = None, limit: int = BATCH) -> dict[str, int]:
    """Claim and send due messages (only those in `ids` when given), oldest first, then record
    what became of them in one transaction. No transaction is open while the mail server is
    talked to. Returns how many were sent, superseded, left to retry and failed for good."""
    built = [_build(row) for row in _claim(ids, limit)]
    db.session.rollback()  # end the read transaction the builders used before the network
    outcomes = [_deliver(attempt) for attempt in built]
    if outcomes:
        _record(outcomes)
    counts = dict.fromkeys(OUTCOMES, 0)
    for outcome in outcomes:
        counts[outcome.outcome] += 1
    return counts


def _claim(ids: list[int] | None, limit: int) -> list[OutgoingMail]:
    now = utcnow()
    due = (OutgoingMail.status == MailStatus.PENDING) & (OutgoingMail.next_attempt_at <= now)
    _begin_writing()
    if ids is None:
        ids = list(
            db.session.scalars(
                select(OutgoingMail.id).where(due).order_by(OutgoingMail.id).limit(limit)
            )
        )
    claimed = []
    if ids:
        claimed = db.session.scalars(
            update(OutgoingMail)
            .where(OutgoingMail.id.in_(ids), due)
            .values(next_attempt_at=now + LEASE, attempts=OutgoingMail.attempts + 1)
            .returning(OutgoingMail.id)
        ).all()
    db.session.commit()
    if not claimed:
        return []
    return list(
        db.session.scalars(
            select(OutgoingMail)
            .where(OutgoingMail.id.in_(claimed))
            .options(
                selectinload(OutgoingMail.registration).selectinload(Registration.event),
                selectinload(OutgoingMail.user),
                selectinload(OutgoingMail.member).selectinload(Member.programme),
            )
            .order_by(OutgoingMail.id)
        )
    )


def _begin_writing() -> None:
    """End any read transaction and begin one holding the write lock from its first statement
    (on SQLite a read transaction that later writes fails at once if another wrote meanwhile)."""
    session = db.session()
    if session.in_transaction():
        session.rollback()
    session.connection(execution_options={WRITE_LOCK: True})


class _Attempt(NamedTuple):
    """One claimed row, with its message once built, or what became of it already."""

    row_id: int
    attempts: int
    message: EmailMessage | None
    outcome: str | None = None  # SUPERSEDED, FAILED or RETRY when decided while building
    error: str | None = None


def _build(row: OutgoingMail) -> _Attempt:
    """Build a claimed row's message. Building reads only stored data and the code: unless the
    database itself failed, what fails now fails at every attempt, so the row is FAILED with
    the reason, never retried."""
    builders = current_app.extensions[BUILDERS_KEY]
    try:
        message = builders[MailKind(row.kind)](row.recipient, **row.options)
        if message is not None:
            message.as_bytes()  # a header that cannot be written fails here, not at delivery
    except SQLAlchemyError as error:  # e.g. the database was locked or went away: try again
        log.warning("could not read what mail %s needs: %s", row.id, error)
        db.session.rollback()
        return _Attempt(row.id, row.attempts, None, RETRY, f"{type(error).__name__}: {error}")
    except Exception as error:
        log.exception("could not build mail %s (%s); it will not be tried again", row.id, row.kind)
        return _Attempt(row.id, row.attempts, None, FAILED, f"{type(error).__name__}: {error}")
    if message is None:
        return _Attempt(row.id, row.attempts, None, SUPERSEDED)
    return _Attempt(row.id, row.attempts, message)


def _deliver(attempt: _Attempt) -> _Attempt:
    """Deliver a built message: SENT, or RETRY with the error. Once the mail server has let a
    message time out, this process leaves new messages for that server to the retry for PAUSE
    without trying: each try would hold a web worker for MAIL_TIMEOUT."""
    if attempt.message is None:  # decided while building
        return attempt
    server = transport.smtp_address()
    paused_server, paused_until = current_app.extensions.get(PAUSED_KEY, (None, 0.0))
    if server is not None and server == paused_server and time.monotonic() < paused_until:
        return attempt._replace(outcome=RETRY, error=UNREACHABLE)
    try:
        transport.deliver(attempt.message)
    except (OSError, smtplib.SMTPException) as error:
        log.warning(
            "could not deliver mail %s (attempt %s): %s", attempt.row_id, attempt.attempts, error
        )
        # smtplib reports a reply that never came as the server having disconnected.
        if isinstance(error, TimeoutError | smtplib.SMTPServerDisconnected):
            current_app.extensions[PAUSED_KEY] = (server, time.monotonic() + PAUSE.total_seconds())
        return attempt._replace(outcome=RETRY, error=f"{type(error).__name__}: {error}")
    except Exception as error:  # a surprise in the transport: keep the message, and the others
        log.exception("could not deliver mail %s (attempt %s)", attempt.row_id, attempt.attempts)
        return attempt._replace(outcome=RETRY, error=f"{type(error).__name__}: {error}")
    current_app.extensions.pop(PAUSED_KEY, None)
    return attempt._replace(outcome=SENT)


def _record(outcomes: list[_Attempt]) -> None:
    now = utcnow()
    changes = []
    for attempt in outcomes:
        change: dict = {"id": attempt.row_id}
        if attempt.outcome == RETRY:
            backoff = min(MAX_BACKOFF, timedelta(minutes=2 ** min(attempt.attempts - 1, 6)))
            change.update(next_attempt_at=now + backoff, last_error=attempt.error)
        else:
            change.update(status=MailStatus(attempt.outcome), done_at=now)
            if attempt.outcome == FAILED:
                change["last_error"] = attempt.error
        changes.append(change)
    _begin_writing()
    for change in changes:
        row_id = change.pop("id")
        db.session.execute(update(OutgoingMail).where(OutgoingMail.id == row_id).values(change))
    db.session.commit()


class Backlog(NamedTuple):
    """An event's mail not sent, for the organiser's eyes."""

    waiting: int
    failing: int  # tried and failed; retried with a back-off
    last_error: str | None
    failed: int  # could never be built: not retried
    failed_reason: str | None


def backlog(event_id: int) -> Backlog:
    of_event = select(OutgoingMail).join(Registration).where(Registration.event_id == event_id)
    pending = of_event.where(OutgoingMail.status == MailStatus.PENDING)
    waiting, failing = db.session.execute(
        pending.with_only_columns(func.count(), func.count(OutgoingMail.last_error))
    ).one()
    failed = of_event.where(OutgoingMail.status == MailStatus.FAILED)
    failed_count = db.session.scalar(failed.with_only_columns(func.count()))
    return Backlog(
        waiting,
        failing,
        _latest_error(pending) if failing else None,
        failed_count,
        _latest_error(failed) if failed_count else None,
    )


def _latest_error(rows: Select) -> str | None:
    return db.session.scalar(
        rows.with_only_columns(OutgoingMail.last_error)
        .where(OutgoingMail.last_error.is_not(None))
        .order_by(OutgoingMail.id.desc())
        .limit(1)
    )


def pending_count() -> int:
    return db.session.scalar(
        select(func.count(OutgoingMail.id)).where(OutgoingMail.status == MailStatus.PENDING)
    )


def run_worker(poll_seconds: float, stop: Callable[[], bool] = lambda: False) -> None:
    """Send due mail until `stop()` says so, looking again every `poll_seconds` when idle."""
    while not stop():
        outcome = send_due()
        if not any(outcome.values()):
            time.sleep(poll_seconds)
