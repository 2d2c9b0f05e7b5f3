"""The mail layer: messages queued during a transaction are sent only after it commits.

Contract (after Indico): call `queue(message)` while making a change; if the transaction commits,
every queued message is delivered; if it rolls back, none is. Delivery is to SMTP when MAIL_SERVER
is set, else to one `.eml` file per message in MAIL_OUTBOX_DIR (written atomically). A delivery
failure is logged and the message kept in the outbox's `failed/` folder, never raised into the
request that already committed.
"""

from __future__ import annotations

import logging
import os
import smtplib
import tempfile
import uuid
from email.message import EmailMessage
from email.utils import formatdate, make_msgid
from pathlib import Path

from flask import current_app
from flask_sqlalchemy.session import Session as FlaskSQLAlchemySession
from sqlalchemy import event

log = logging.getLogger(__name__)
QUEUE_KEY = "convene_mail_queue"


def new_message(to: str, subject: str, text: str, html: str | None = None) -> EmailMessage:
    """A message from the configured sender, with a plain-text body and an optional HTML one."""
    message = EmailMessage()
    message["From"] = current_app.config["MAIL_SENDER"]
    message["To"] = to
    message["Subject"] = subject
    message["Date"] = formatdate(localtime=False)
    message["Message-ID"] = make_msgid(domain="convene.example")
    message.set_content(text)
    if html is not None:
        message.add_alternative(html, subtype="html")
    return message


def queue(message: EmailMessage) -> None:
    """Send `message` once the current database transaction commits."""
    from app.extensions import db

    session = db.session()
    if not session.in_transaction():
        session.begin()  # so a rollback before any query still discards the message
    session.info.setdefault(QUEUE_KEY, []).append(message)


@event.listens_for(FlaskSQLAlchemySession, "after_commit")
def _send_queued(session) -> None:
    for message in session.info.pop(QUEUE_KEY, []):
        deliver(message)


@event.listens_for(FlaskSQLAlchemySession, "after_soft_rollback")
def _drop_queued(session, previous_transaction) -> None:
    if previous_transaction.parent is None:  # the outermost transaction, not a savepoint
        session.info.pop(QUEUE_KEY, None)


def deliver(message: EmailMessage) -> None:
    """Send now, by SMTP or to the outbox folder; failures are logged and kept, not raised."""
    config = current_app.config
    try:
        if config.get("MAIL_SERVER"):
            with smtplib.SMTP(config["MAIL_SERVER"], config["MAIL_PORT"], timeout=30) as smtp:
                smtp.send_message(message)
        else:
            _write_eml(Path(config["MAIL_OUTBOX_DIR"]), message)
    except (OSError, smtplib.SMTPException):
        log.exception("could not deliver mail to %s; kept in the outbox's failed/", message["To"])
        _write_eml(Path(config["MAIL_OUTBOX_DIR"]) / "failed", message)


def _write_eml(folder: Path, message: EmailMessage) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / f"{uuid.uuid4().hex}.eml"
    fd, tmp = tempfile.mkstemp(dir=folder, suffix=".tmp")
    with os.fdopen(fd, "wb") as handle:
        handle.write(message.as_bytes())
    os.replace(tmp, path)
    return path


def outbox_messages(folder: Path) -> list[EmailMessage]:
    """The messages in an outbox folder, oldest first (for tests and the organiser's eyes)."""
    from email import policy
    from email.parser import BytesParser

    files = sorted(folder.glob("*.eml"), key=lambda p: p.stat().st_mtime_ns)
    parser = BytesParser(policy=policy.default)
    return [parser.parsebytes(p.read_bytes()) for p in files]
