"""Forgotten passwords: an emailed link, single-use, that lasts an hour.

`request_reset(email)` answers nothing, whoever asks: for an active organiser it stores a
PasswordReset and queues a MailKind.PASSWORD_RESET through the outbox (so the mail leaves only
if the row is committed, and is retried like any other); for an unknown or inactive address it
does nothing. At most RESETS_PER_HOUR links are sent to one account in an hour, so the form cannot
be used to flood an organiser's mailbox (the view limits requests per address too).

The link's token is an HMAC, keyed by the app's SECRET_KEY, of the row's random nonce: the
message builder (messaging/messages.py) derives it when the outbox sends, so the token is never
stored, nor written in the outbox row; the row keeps only its SHA-256 hash, to find it by. A
link opens nothing once used (the reset is deleted), once it has expired, or once the account's
password has changed in any way (organisers.set_password deletes every reset of the account).
Completing a reset sets the password through organisers.set_password, so it also ends every
sign-in of the account.

May import: models, accounts.organisers, accounts.sign_ins, messaging.outbox.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import secrets
from datetime import timedelta

from flask import current_app
from sqlalchemy import delete, func, select

from app.extensions import db
from app.models import MailKind, PasswordReset, User
from app.models.types import utcnow
from app.services.accounts import sign_ins
from app.services.accounts.organisers import (
    AccountError,
    check_new_password,
    organiser_by_email,
    set_password,
)
from app.services.messaging import outbox

RESET_LIFETIME = timedelta(hours=1)
RESETS_PER_HOUR = 3
DEAD_LINK = (
    "This link to choose a new password no longer works: it has been used, it is more than an "
    "hour old, or the password has been changed since. Ask for a new link."
)


def _token(nonce: str) -> str:
    key = current_app.config["SECRET_KEY"].encode()
    mac = hmac.new(key, b"password-reset/" + nonce.encode(), hashlib.sha256).digest()
    return base64.urlsafe_b64encode(mac).rstrip(b"=").decode()


def _digest(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def request_reset(email: str) -> None:
    """Mail a reset link to the active organiser with this address, if there is one."""
    sign_ins.begin_writing()
    now = utcnow()
    db.session.execute(delete(PasswordReset).where(PasswordReset.expires_at < now))
    user = organiser_by_email(email)
    if user is None or not user.is_active:
        db.session.commit()
        return
    sent_lately = db.session.scalar(
        select(func.count(PasswordReset.id)).where(
            PasswordReset.user_id == user.id, PasswordReset.created_at > now - timedelta(hours=1)
        )
    )
    if sent_lately < RESETS_PER_HOUR:
        nonce = secrets.token_hex(32)
        reset = PasswordReset(
            user=user,
            nonce=nonce,
            token_hash=_digest(_token(nonce)),
            created_at=now,
            expires_at=now + RESET_LIFETIME,
        )
        db.session.add(reset)
        db.session.flush()
        outbox.queue(MailKind.PASSWORD_RESET, user, reset_id=reset.id)
    db.session.commit()


def live_reset(token: str) -> PasswordReset | None:
    """The unused, unexpired reset this link's token opens, or None."""
    if not token or len(token) > 100:
        return None
    reset = db.session.scalar(
        select(PasswordReset).where(PasswordReset.token_hash == _digest(token))
    )
    if reset is None or reset.expires_at <= utcnow() or not reset.user.is_active:
        return None
    return reset


def link_token(reset_id: int) -> str | None:
    """For the message builder: the token of this reset's link, or None if it opens nothing now
    (used, expired, or voided by a password change), so the mail is not sent."""
    reset = db.session.get(PasswordReset, reset_id)
    if reset is None or reset.expires_at <= utcnow():
        return None
    return _token(reset.nonce)


def complete_reset(token: str, password: str, again: str) -> None:
    """Set the new password through this link; AccountError if the password will not do (field
    "password" or "again": the link still works) or the link opens nothing (field None)."""
    check_new_password(password, again)
    # Claim the reset by deleting it: of two uses at once, one deletes the row, the other finds
    # none (the row is locked on PostgreSQL, the database on SQLite), so a link works once.
    sign_ins.begin_writing()
    user_id = db.session.scalar(
        delete(PasswordReset)
        .where(PasswordReset.token_hash == _digest(token), PasswordReset.expires_at > utcnow())
        .returning(PasswordReset.user_id)
    )
    user = db.session.get(User, user_id) if user_id is not None else None
    if user is None or not user.is_active:
        db.session.rollback()
        raise AccountError(DEAD_LINK)
    set_password(user, password, again)
