"""Organiser sign-ins: one row per signed-in browser, so signing out really ends a session.

Flask's session is a signed cookie that the server forgets nothing about: a copy of it works for
as long as it is kept. So a sign-in also puts a random key in that cookie, and keeps the key's
SHA-256 hash here; a request is signed in only while its key's row exists (the user loader in
app/auth/views.py asks `signed_in_user`). Signing out deletes this browser's row: a copied cookie
stops working and the organiser's other browsers stay signed in. Changing the password and "sign
out everywhere" delete every row of the account. A sign-in lasts at most SIGN_IN_LIFETIME; older
rows of an account are deleted when it next signs in.

Rows rather than a per-account counter in the cookie: a counter can only end all sessions at once,
so plain sign-out would sign the organiser out everywhere to end the one copy.

May import: models, tokens.
"""

from __future__ import annotations

import hashlib
from datetime import timedelta

from sqlalchemy import delete, select

from app.extensions import WRITE_LOCK, db
from app.models import SignIn, User
from app.models.types import utcnow
from app.services.tokens import new_token

SIGN_IN_LIFETIME = timedelta(days=30)


def begin_writing() -> None:
    """End the read transaction (a sign-in reads the account first) and begin one holding
    SQLite's write lock from its first statement: a read transaction that later writes fails at
    once with "database is locked" if anyone else wrote meanwhile, e.g. during a registration
    burst. As registration.capacity.begin_writing, which the accounts sit below. Inside a
    transaction that holds the lock already (a password change), carries on in it."""
    session = db.session()
    if session.in_transaction():
        if session.connection().get_execution_options().get(WRITE_LOCK):
            return
        session.commit()
    session.connection(execution_options={WRITE_LOCK: True})


def _digest(key: str) -> str:
    return hashlib.sha256(key.encode()).hexdigest()


def start(user: User) -> str:
    """A new sign-in for this organiser; returns the key for its session cookie (not stored)."""
    begin_writing()
    db.session.execute(
        delete(SignIn).where(
            SignIn.user_id == user.id, SignIn.created_at < utcnow() - SIGN_IN_LIFETIME
        )
    )
    key = new_token()
    db.session.add(SignIn(user=user, key_hash=_digest(key)))
    db.session.commit()
    return key


def signed_in_user(user_id: str, key: str | None) -> User | None:
    """The active organiser whose live sign-in this key is, or None (ended, expired, forged)."""
    if not key or not (user_id.isascii() and user_id.isdigit()):
        return None
    sign_in = db.session.scalar(select(SignIn).where(SignIn.key_hash == _digest(key)))
    if sign_in is None or sign_in.user_id != int(user_id):
        return None
    if sign_in.created_at < utcnow() - SIGN_IN_LIFETIME:
        return None
    return sign_in.user


def end(key: str | None) -> None:
    """End the sign-in with this key (this browser's)."""
    if key:
        begin_writing()
        db.session.execute(delete(SignIn).where(SignIn.key_hash == _digest(key)))
        db.session.commit()


def end_all(user: User) -> None:
    """End every sign-in of this organiser, committing with whatever the caller changed in its
    write transaction (see begin_writing)."""
    begin_writing()
    db.session.execute(delete(SignIn).where(SignIn.user_id == user.id))
    db.session.commit()
