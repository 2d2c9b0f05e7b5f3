"""The practical ceiling for benchmarks/load.py: a bare Flask endpoint doing one database insert.

It uses the same database settings as Convene (app/extensions.py: SQLite in WAL mode with a busy
timeout, or PostgreSQL through psycopg with SQLAlchemy's pool) and is served by the same gunicorn
settings, so the difference from Convene's figures is the cost of Convene's own work.

    DATABASE_URL=... gunicorn 'benchmarks.ceiling:create_app()'
"""

from __future__ import annotations

import os

from flask import Flask, jsonify
from sqlalchemy import (
    Column,
    DateTime,
    Integer,
    MetaData,
    String,
    Table,
    create_engine,
    func,
    insert,
)

# The same db object as Convene's: importing it registers the same SQLite connection settings.
from app.extensions import db

metadata = MetaData()
hits = Table(
    "ceiling_hit",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("note", String(100), nullable=False),
    Column("created_at", DateTime(timezone=True), server_default=func.now()),
)


def create_app() -> Flask:
    app = Flask(__name__)
    app.config["SQLALCHEMY_DATABASE_URI"] = os.environ["DATABASE_URL"]
    app.config["SQLALCHEMY_ENGINE_OPTIONS"] = {"pool_pre_ping": True}
    db.init_app(app)

    @app.post("/hit")
    def hit():
        with db.engine.begin() as connection:
            row = connection.execute(insert(hits).values(note="hit")).inserted_primary_key
        return jsonify(id=row[0]), 201

    return app


def create_table(url: str) -> None:
    engine = create_engine(url)
    metadata.create_all(engine)
    engine.dispose()
