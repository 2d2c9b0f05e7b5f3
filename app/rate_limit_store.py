"""Rate-limit counts in a SQLite file, shared by every process of one machine.

The `limits` library keeps counts in Redis, Memcached, MongoDB or one process's memory. Without
Redis, memory would be per process: under gunicorn with N workers each counts alone, and every
limit is N times looser. This storage keeps the counts in a small SQLite file beside the database
instead (`convene-sqlite:///path/to/file`), for the fixed counters the sign-in backoff uses and the
moving windows of flask-limiter's limits. Each change is one short write transaction; the counts
need no durability, so the file is written without waiting for the disk.
"""

from __future__ import annotations

import os
import sqlite3
import threading
import time
from pathlib import Path

from limits.storage import MovingWindowSupport, Storage

SCHEME = "convene-sqlite"
SCHEMA = """
CREATE TABLE IF NOT EXISTS counter (key TEXT PRIMARY KEY, value INTEGER, expires_at REAL);
CREATE TABLE IF NOT EXISTS window_entry (key TEXT, at REAL, expires_at REAL);
CREATE INDEX IF NOT EXISTS window_entry_key_at ON window_entry (key, at);
CREATE INDEX IF NOT EXISTS window_entry_expires_at ON window_entry (expires_at);
"""
# Entries of keys nobody asks about again are swept away after every this many acquisitions.
SWEEP_EVERY = 200


class SQLiteFileStorage(Storage, MovingWindowSupport):
    STORAGE_SCHEME = [SCHEME]

    def __init__(self, uri: str, wrap_exceptions: bool = False, **options) -> None:
        super().__init__(uri, wrap_exceptions=wrap_exceptions, **options)
        self.path = Path(uri.removeprefix(f"{SCHEME}://"))
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self._local = threading.local()
        self._acquisitions = 0
        self._connection().executescript(SCHEMA)

    @property
    def base_exceptions(self) -> type[Exception]:
        return sqlite3.Error

    def _connection(self) -> sqlite3.Connection:
        """One connection per thread and process (a forked worker opens its own)."""
        held = getattr(self._local, "connection", None)
        if held is None or self._local.pid != os.getpid():
            held = sqlite3.connect(self.path, timeout=10, isolation_level=None)
            held.execute("PRAGMA journal_mode = WAL")
            held.execute("PRAGMA synchronous = OFF")
            self._local.connection, self._local.pid = held, os.getpid()
        return held

    def _write(self) -> _Transaction:
        return _Transaction(self._connection())

    # --- fixed counters ----------------------------------------------------------------------

    def incr(self, key: str, expiry: int, amount: int = 1) -> int:
        now = time.time()
        with self._write() as db:
            db.execute("DELETE FROM counter WHERE key = ? AND expires_at <= ?", (key, now))
            [value] = db.execute(
                "INSERT INTO counter VALUES (?, ?, ?) "
                "ON CONFLICT (key) DO UPDATE SET value = value + excluded.value RETURNING value",
                (key, amount, now + expiry),
            ).fetchone()
        return value

    def get(self, key: str) -> int:
        row = (
            self._connection()
            .execute(
                "SELECT value FROM counter WHERE key = ? AND expires_at > ?", (key, time.time())
            )
            .fetchone()
        )
        return row[0] if row else 0

    def get_expiry(self, key: str) -> float:
        now = time.time()
        row = (
            self._connection()
            .execute(
                "SELECT MAX(expires_at) FROM ("
                " SELECT expires_at FROM counter WHERE key = ? AND expires_at > ?"
                " UNION ALL SELECT expires_at FROM window_entry WHERE key = ? AND expires_at > ?)",
                (key, now, key, now),
            )
            .fetchone()
        )
        return row[0] if row and row[0] is not None else now

    def clear(self, key: str) -> None:
        with self._write() as db:
            db.execute("DELETE FROM counter WHERE key = ?", (key,))
            db.execute("DELETE FROM window_entry WHERE key = ?", (key,))

    def reset(self) -> int:
        with self._write() as db:
            counters = db.execute("DELETE FROM counter").rowcount
            entries = db.execute("DELETE FROM window_entry").rowcount
        return counters + entries

    def check(self) -> bool:
        try:
            self._connection().execute("SELECT 1")
        except sqlite3.Error:
            return False
        return True

    # --- moving windows ----------------------------------------------------------------------

    def acquire_entry(self, key: str, limit: int, expiry: int, amount: int = 1) -> bool:
        """Add `amount` entries to the window of `key` if it then holds at most `limit`."""
        if amount > limit:
            return False
        now = time.time()
        with self._write() as db:
            [held] = db.execute(
                "SELECT COUNT(*) FROM window_entry WHERE key = ? AND at > ?", (key, now - expiry)
            ).fetchone()
            if held + amount > limit:
                return False
            db.executemany(
                "INSERT INTO window_entry VALUES (?, ?, ?)", [(key, now, now + expiry)] * amount
            )
            self._acquisitions += 1
            if self._acquisitions % SWEEP_EVERY == 0:
                db.execute("DELETE FROM window_entry WHERE expires_at <= ?", (now,))
        return True

    def get_moving_window(self, key: str, limit: int, expiry: int) -> tuple[float, int]:
        """The oldest entry still in the window of `key`, and how many there are."""
        now = time.time()
        oldest, held = (
            self._connection()
            .execute(
                "SELECT MIN(at), COUNT(*) FROM window_entry WHERE key = ? AND at > ?",
                (key, now - expiry),
            )
            .fetchone()
        )
        return (oldest, held) if held else (now, 0)


class _Transaction:
    """BEGIN IMMEDIATE ... COMMIT (or ROLLBACK on an error): a read-then-write that no other
    process can interleave with."""

    def __init__(self, connection: sqlite3.Connection):
        self.connection = connection

    def __enter__(self) -> sqlite3.Connection:
        self.connection.execute("BEGIN IMMEDIATE")
        return self.connection

    def __exit__(self, kind, error, traceback) -> None:
        self.connection.execute("ROLLBACK" if kind else "COMMIT")
