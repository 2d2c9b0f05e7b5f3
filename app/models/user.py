"""Accounts: organisers, and harvest editors who may only moderate the harvest of their events."""

from __future__ import annotations

import enum
from datetime import datetime

from flask import current_app
from flask_login import UserMixin
from sqlalchemy import String
from sqlalchemy.orm import Mapped, mapped_column
from werkzeug.security import check_password_hash, generate_password_hash

from app.extensions import db
from app.models.event import _enum
from app.models.types import UTCDateTime, utcnow


class UserRole(enum.StrEnum):
    ORGANISER = "organiser"
    HARVEST_EDITOR = "harvest_editor"


class User(UserMixin, db.Model):
    id: Mapped[int] = mapped_column(primary_key=True)
    email: Mapped[str] = mapped_column(String(254), unique=True)
    name: Mapped[str] = mapped_column(String(200), default="")
    password_hash: Mapped[str] = mapped_column(String(255))
    active: Mapped[bool] = mapped_column(default=True)
    role: Mapped[UserRole] = mapped_column(
        _enum(UserRole, "user_role"),
        default=UserRole.ORGANISER,
        server_default=UserRole.ORGANISER.value,
    )
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    @property
    def is_organiser(self) -> bool:
        return self.role == UserRole.ORGANISER

    @property
    def is_active(self) -> bool:
        return self.active

    def set_password(self, password: str) -> None:
        # scrypt with a random salt, at the cost the settings name (config.PASSWORD_HASH_METHOD).
        method = current_app.config["PASSWORD_HASH_METHOD"]
        self.password_hash = generate_password_hash(password, method=method)

    def check_password(self, password: str) -> bool:
        return check_password_hash(self.password_hash, password)
