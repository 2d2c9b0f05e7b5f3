"""Organiser accounts: creation, sign-in and passwords.

A password is set in one place, `set_password`, whatever asked for it (the organiser's own
change, an emailed reset, the CLI): it checks the new password, ends every sign-in of the account
(app/services/accounts/sign_ins.py) and voids every reset link not used yet.

May import: models, accounts.sign_ins.
"""

from __future__ import annotations

import secrets

from email_validator import EmailNotValidError, validate_email
from sqlalchemy import delete, select

from app.extensions import db
from app.models import PasswordReset, User
from app.services.accounts import sign_ins

MIN_PASSWORD_LENGTH = 12
MAX_PASSWORD_LENGTH = 200


class AccountError(ValueError):
    """An account request that cannot be carried out; the message says why, and `field` names
    the form field it is about, if any."""

    def __init__(self, message: str, field: str | None = None) -> None:
        super().__init__(message)
        self.field = field


def normalise_email(email: str) -> str:
    """The canonical form of an address, or AccountError naming what is wrong with it."""
    try:
        return validate_email(email.strip(), check_deliverability=False).normalized.lower()
    except EmailNotValidError as exc:
        raise AccountError(f"{email!r} is not a valid email address: {exc}") from None


def check_new_password(password: str, again: str | None = None) -> None:
    """AccountError (about field "password" or "again") unless this may be a new password."""
    if len(password) < MIN_PASSWORD_LENGTH:
        raise AccountError(
            f"the password must be at least {MIN_PASSWORD_LENGTH} characters", field="password"
        )
    if len(password) > MAX_PASSWORD_LENGTH:
        raise AccountError(
            f"the password must be at most {MAX_PASSWORD_LENGTH} characters", field="password"
        )
    if again is not None and again != password:
        raise AccountError("the two new passwords are not the same", field="again")


def create_organiser(email: str, password: str | None = None) -> tuple[User, str]:
    """Create an organiser; without a password one is generated. Returns the user and password."""
    address = normalise_email(email)
    if db.session.scalar(select(User).where(User.email == address)):
        raise AccountError(f"an organiser with email {address} already exists")
    if password is None:
        password = secrets.token_urlsafe(12)
    check_new_password(password)
    user = User(email=address)
    user.set_password(password)
    db.session.add(user)
    db.session.commit()
    return user, password


def organiser_by_email(email: str) -> User | None:
    return db.session.scalar(select(User).where(User.email == email.strip().lower()))


def authenticate(email: str, password: str) -> User | None:
    """The active organiser with these credentials, or None (same answer for any wrong part)."""
    user = organiser_by_email(email)
    if user is None or not user.is_active:
        # Hash anyway so a wrong email takes as long as a wrong password.
        User(email="", password_hash="").set_password(password)
        return None
    return user if user.check_password(password) else None


def set_password(user: User, password: str, again: str | None = None) -> None:
    """Give the account this password (checked; `again` must match when given), end all its
    sign-ins and void its unused reset links, in one transaction."""
    check_new_password(password, again)
    sign_ins.begin_writing()
    user.set_password(password)
    db.session.execute(delete(PasswordReset).where(PasswordReset.user_id == user.id))
    sign_ins.end_all(user)


def change_password(user: User, current: str, new: str, again: str) -> None:
    """The organiser's own change: the current password first, then as `set_password`."""
    if not user.check_password(current):
        raise AccountError("that is not your current password", field="current")
    if new == current:
        raise AccountError("the new password is the same as the current one", field="password")
    set_password(user, new, again)


def reset_password(email: str, password: str | None = None) -> tuple[User, str]:
    """For the CLI: a new password (generated when not given) for the organiser with this email,
    ending all their sign-ins. Returns the user and the password."""
    user = organiser_by_email(normalise_email(email))
    if user is None:
        raise AccountError(f"there is no organiser with email {email.strip()}")
    if password is None:
        password = secrets.token_urlsafe(12)
    set_password(user, password)
    return user, password
