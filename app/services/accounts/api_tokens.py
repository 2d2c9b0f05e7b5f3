"""Organiser API tokens: created and revoked on the organiser's page, used as `Bearer` tokens.

A token is `cvn_` and 43 random URL-safe characters (256 bits). Only its SHA-256 hash is kept,
so it is shown once, when created, and a lost token is revoked and replaced, never recovered.

May import: models, tokens.
"""

from __future__ import annotations

import hashlib
import re

from sqlalchemy import select

from app.extensions import db
from app.models import ApiToken, User
from app.models.types import utcnow
from app.services.tokens import new_token

PREFIX = "cvn_"
TOKEN_PATTERN = re.compile(r"^cvn_[A-Za-z0-9_-]{43}$")
NAME_LIMIT = 100


class TokenError(ValueError):
    """A token request that cannot be carried out; the message says why."""


def _digest(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def create(user: User, name: str) -> tuple[ApiToken, str]:
    """A new token for this organiser; returns the row and the token (shown once, never stored)."""
    name = " ".join(name.split())
    if not name:
        raise TokenError("Give the token a name, e.g. the system that will use it.")
    if len(name) > NAME_LIMIT:
        raise TokenError(f"Use at most {NAME_LIMIT} characters.")
    token = PREFIX + new_token()
    row = ApiToken(user=user, name=name, prefix=token[:12], token_hash=_digest(token))
    db.session.add(row)
    db.session.commit()
    return row, token


def tokens_of(user: User) -> list[ApiToken]:
    return list(
        db.session.scalars(
            select(ApiToken)
            .where(ApiToken.user_id == user.id)
            .order_by(ApiToken.revoked_at.is_not(None), ApiToken.created_at.desc(), ApiToken.id)
        )
    )


def token_of(user: User, token_id: int) -> ApiToken | None:
    """The organiser's own token with this id; None for anyone else's."""
    row = db.session.get(ApiToken, token_id)
    return row if row is not None and row.user_id == user.id else None


def revoke(row: ApiToken) -> None:
    if row.revoked_at is None:
        row.revoked_at = utcnow()
        db.session.commit()


def authenticate(token: str) -> ApiToken | None:
    """The live token matching this bearer string, or None (malformed ones match nothing)."""
    if not TOKEN_PATTERN.match(token):
        return None
    row = db.session.scalar(select(ApiToken).where(ApiToken.token_hash == _digest(token)))
    if row is None or row.revoked_at is not None:
        return None
    row.last_used_at = utcnow()
    db.session.commit()
    return row
