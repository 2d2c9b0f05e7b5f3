"""The app on a fresh SQLite database in a temporary folder, for benchmarks that measure it."""

from __future__ import annotations

import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from flask import Flask

from app import create_app
from app.extensions import db
from config import TestingConfig


@contextmanager
def scratch_app(**settings: Any) -> Iterator[Flask]:
    """The app (TestingConfig plus `settings`) with its context pushed and its tables made; the
    folder and database are gone afterwards."""
    with tempfile.TemporaryDirectory() as folder:
        config = TestingConfig()
        config.INSTANCE_DIR = Path(folder)
        config.MAIL_OUTBOX_DIR = Path(folder) / "outbox"
        config.SQLALCHEMY_DATABASE_URI = f"sqlite:///{Path(folder) / 'bench.sqlite3'}"
        for name, value in settings.items():
            setattr(config, name, value)
        app = create_app(config)
        with app.app_context():
            db.create_all()
            yield app
