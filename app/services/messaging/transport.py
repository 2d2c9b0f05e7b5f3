"""Mail transport: build a message, deliver it by SMTP or to the outbox folder.

Registrants' messages are not sent from here directly: they are stored with the change that
causes them and sent after it commits (messaging/outbox.py), which calls `deliver()`. Delivery is
to SMTP when MAIL_SERVER is set, else to one `.eml` file per message in MAIL_OUTBOX_DIR (written
atomically).

May import: nothing of the app but its configuration.
"""

from __future__ import annotations

import os
import smtplib
import tempfile
import uuid
from email import policy
from email.message import EmailMessage
from email.parser import BytesParser
from email.utils import formatdate, make_msgid
from pathlib import Path

from flask import current_app


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


def deliver(message: EmailMessage) -> None:
    """Send now, by SMTP or to the outbox folder; raises OSError or SMTPException on failure
    (socket.timeout, an OSError, when the server takes over MAIL_TIMEOUT seconds to answer)."""
    if (server := smtp_address()) is not None:
        with smtplib.SMTP(*server, timeout=current_app.config["MAIL_TIMEOUT"]) as smtp:
            smtp.send_message(message)
    else:
        _write_eml(Path(current_app.config["MAIL_OUTBOX_DIR"]), message)


def smtp_address() -> tuple[str, int] | None:
    """The SMTP server mail goes to, or None when it is written to the outbox folder."""
    config = current_app.config
    return (config["MAIL_SERVER"], config["MAIL_PORT"]) if config.get("MAIL_SERVER") else None


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
    files = sorted(folder.glob("*.eml"), key=lambda p: p.stat().st_mtime_ns)
    parser = BytesParser(policy=policy.default)
    return [parser.parsebytes(p.read_bytes()) for p in files]
