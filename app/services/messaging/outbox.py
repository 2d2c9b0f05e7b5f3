"""The mail outbox: messages are stored with the change that causes them and sent after it commits.

Contract — while making a change, call `queue(kind, recipient, **options)` with a MailKind
(anything else raises ValueError there and then, in the request) and a Registration or, for an
account's own mail (a password reset), a User. It adds an OutgoingMail row to the same
transaction: if the transaction commits the message will be sent, if it rolls back it never
existed. Nothing is built yet; building a message (text, links and the calendar invite) happens
when it is sent, from the recipient as it is then. Options are stored as they are: never put a
secret in them (a builder derives any link it needs from the rows it reads).

Who sends (setting MAIL_DELIVERY):
- "inline" (default): the code that committed sends at once with `send_committed()`; the
  capacity lock and publishing call it after their commit, and the end of every app context (so
  of every request) does too, so nothing queued waits for a worker that is not running.
- "worker": requests only store the row; `flask --app wsgi mail-worker` sends. A burst of
  registrations then costs the web processes no more than an insert each, and the worker (at a
  lower CPU priority) catches up.

In both modes a sender first claims due rows (one UPDATE that moves their `next_attempt_at` a
lease ahead, so two senders never send the same row), builds and delivers each, then records
what became of them in one transaction (so a mail worker takes the write lock twice per batch,
not per message). A failed delivery is retried with a growing back-off; a row whose sender died
is retried when its lease ends (a message delivered just before is then sent again: at least
once, never lost); `flask --app wsgi send-mail` sends whatever is due, e.g. from cron. A
message whose occasion has passed when it is built (its builder returns None) is marked
superseded. The builders are given to the outbox at start-up (`init_app(app, builders)`, from
messages.BUILDERS): the outbox knows how to store and deliver a message, not what one says.
"""

from __future__ import annotations

import logging
import smtplib
import time
from collections.abc import Callable, Mapping
from datetime import timedelta
from email.message import EmailMessage
from typing import NamedTuple

from flask import Flask, current_app
from flask_sqlalchemy.session import Session as FlaskSQLAlchemySession
from sqlalchemy import event, func, inspect, select, update
from sqlalchemy.orm import selectinload

from app.extensions import WRITE_LOCK, db
from app.models import MailKind, MailStatus, OutgoingMail, Registration, User
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

# Builds a message from the recipient as it is when sent; None when its occasion has passed.
Builder = Callable[..., EmailMessage | None]


def queue(kind: MailKind, recipient: Registration | User, **options) -> OutgoingMail:
    """Send message `kind` to `recipient` once the current transaction commits."""
    kind = MailKind(kind)  # a typo fails here, in the change that asked for it
    to = {"user": recipient} if isinstance(recipient, User) else {"registration": recipient}
    row = OutgoingMail(kind=kind.value, options=options, **to)
    db.session.add(row)
    db.session.info.setdefault(QUEUED_KEY, []).append(row)
    return row


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
    app.extensions[BUILDERS_KEY] = dict(builders)
    app.teardown_appcontext(_send_at_teardown)


def _send_at_teardown(_error: BaseException | None = None) -> None:
    """The safety net for code that committed without calling send_committed()."""
    session = db.session()
    if session.info.get(COMMITTED_KEY):
        session.rollback()  # whatever is unfinished now would be discarded at teardown anyway
        send_committed()


def send_committed() -> None:
    """In inline mode, send what this session's committed transactions queued. Never raises:
    the change is committed, and a message that could not be sent stays due for a retry."""
    ids = db.session.info.pop(COMMITTED_KEY, [])
    if not ids or current_app.config["MAIL_DELIVERY"] != INLINE:
        return
    try:
        send_due(ids)
    except Exception:
        db.session.rollback()
        log.exception("could not send mail %s now; it stays in the outbox", ids)


def send_due(ids: list[int] | None = None, limit: int = BATCH) -> dict[str, int]:
    """Claim and send due messages (only those in `ids` when given), oldest first, then record
    what became of them in one transaction. Returns how many were sent, superseded and failed."""
    outcomes = [(row, *_deliver(row)) for row in _claim(ids, limit)]
    if outcomes:
        _record(outcomes)
    counts = {"sent": 0, "superseded": 0, "failed": 0}
    for _, outcome, _ in outcomes:
        counts[outcome] += 1
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


def _deliver(row: OutgoingMail) -> tuple[str, str | None]:
    """Build and deliver one message: ("sent" | "superseded" | "failed", the error if failed)."""
    builders = current_app.extensions[BUILDERS_KEY]
    try:
        message = builders[MailKind(row.kind)](row.recipient, **row.options)
        if message is None:
            return "superseded", None
        transport.deliver(message)
    except (OSError, smtplib.SMTPException) as error:
        log.warning("could not deliver mail %s (attempt %s): %s", row.id, row.attempts, error)
        return "failed", f"{type(error).__name__}: {error}"
    except Exception as error:  # a bug in a builder: keep the message, and the worker going
        log.exception("could not build mail %s (%s)", row.id, row.kind)
        return "failed", f"{type(error).__name__}: {error}"
    return "sent", None


def _record(outcomes: list[tuple[OutgoingMail, str, str | None]]) -> None:
    now = utcnow()
    changes = []
    for row, outcome, error in outcomes:
        if outcome == "failed":
            backoff = min(MAX_BACKOFF, timedelta(minutes=2 ** min(row.attempts - 1, 6)))
            changes.append({"id": row.id, "next_attempt_at": now + backoff, "last_error": error})
        else:
            changes.append({"id": row.id, "status": MailStatus(outcome), "done_at": now})
    _begin_writing()
    for change in changes:
        row_id = change.pop("id")
        db.session.execute(update(OutgoingMail).where(OutgoingMail.id == row_id).values(change))
    db.session.commit()


class Backlog(NamedTuple):
    """An event's mail not sent yet, for the organiser's eyes."""

    waiting: int
    failing: int  # tried and failed; retried with a back-off
    last_error: str | None


def backlog(event_id: int) -> Backlog:
    pending = (
        select(OutgoingMail)
        .join(Registration)
        .where(OutgoingMail.status == MailStatus.PENDING, Registration.event_id == event_id)
    )
    waiting, failing = db.session.execute(
        pending.with_only_columns(func.count(), func.count(OutgoingMail.last_error))
    ).one()
    last_error = None
    if failing:
        last_error = db.session.scalar(
            pending.with_only_columns(OutgoingMail.last_error)
            .where(OutgoingMail.last_error.is_not(None))
            .order_by(OutgoingMail.id.desc())
            .limit(1)
        )
    return Backlog(waiting, failing, last_error)


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
