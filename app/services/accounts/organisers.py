"""Organiser accounts: creation and sign-in.

May import: models only.
"""

from __future__ import annotations

import secrets

from email_validator import EmailNotValidError, validate_email
from sqlalchemy import select

from app.extensions import db
from app.models import User

MIN_PASSWORD_LENGTH = 12


class AccountError(ValueError):
    """An account request that cannot be carried out; the message says why."""


def normalise_email(email: str) -> str:
    """The canonical form of an address, or AccountError naming what is wrong with it."""
    try:
        return validate_email(email.strip(), check_deliverability=False).normalized.lower()
    except EmailNotValidError as exc:
        raise AccountError(f"{email!r} is not a valid email address: {exc}") from None


def create_organiser(email: str, password: str | None = None) -> tuple[User, str]:
    """Create an organiser; without a password one is generated. Returns the user and password."""
    address = normalise_email(email)
    if db.session.scalar(select(User).where(User.email == address)):
        raise AccountError(f"an organiser with email {address} already exists")
    if password is None:
        password = secrets.token_urlsafe(12)
    if len(password) < MIN_PASSWORD_LENGTH:
        raise AccountError(f"the password must be at least {MIN_PASSWORD_LENGTH} characters")
    user = User(email=address)
    user.set_password(password)
    db.session.add(user)
    db.session.commit()
    return user, password


def authenticate(email: str, password: str) -> User | None:
    """The active organiser with these credentials, or None (same answer for any wrong part)."""
    user = db.session.scalar(select(User).where(User.email == email.strip().lower()))
    if user is None or not user.is_active:
        # Hash anyway so a wrong email takes as long as a wrong password.
        User(email="", password_hash="").set_password(password)
        return None
    return user if user.check_password(password) else None
