"""What keeps an organiser signed in, and what lets one choose a new password.

A SignIn is one signed-in browser: its cookie carries a random key, the row only the key's
SHA-256 hash. Signing out deletes the row, so a copy of that cookie stops working; a password
change or "sign out everywhere" deletes every row of the account.

A PasswordReset is one emailed link to choose a new password. The link's token is an HMAC (with
the app's SECRET_KEY) of the row's random nonce, so the message can be built when the outbox
sends it; the row keeps the nonce and the token's hash, and neither opens anything without the
key. A reset is deleted when it is used and whenever the account's password changes.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, String
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.extensions import db
from app.models.types import UTCDateTime, utcnow
from app.models.user import User


class SignIn(db.Model):
    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("user.id", ondelete="CASCADE"), index=True)
    key_hash: Mapped[str] = mapped_column(String(64), unique=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    user: Mapped[User] = relationship()

    def __repr__(self) -> str:
        return f"<SignIn {self.id} of user {self.user_id}>"


class PasswordReset(db.Model):
    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("user.id", ondelete="CASCADE"), index=True)
    nonce: Mapped[str] = mapped_column(String(64), unique=True)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime)

    user: Mapped[User] = relationship()

    def __repr__(self) -> str:
        return f"<PasswordReset {self.id} of user {self.user_id}>"
