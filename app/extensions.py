"""Flask extensions, created once and bound to the app in create_app()."""

import fcntl
import logging
import sqlite3
import threading

from flask_limiter import Limiter
from flask_limiter.util import get_remote_address
from flask_login import LoginManager
from flask_migrate import Migrate
from flask_sqlalchemy import SQLAlchemy
from flask_wtf import CSRFProtect
from sqlalchemy import MetaData, event
from sqlalchemy.engine import Engine
from sqlalchemy.orm import DeclarativeBase
from sqlalchemy.pool import Pool

logger = logging.getLogger(__name__)

# Named constraints keep Alembic revisions portable between SQLite and PostgreSQL.
NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING_CONVENTION)


db = SQLAlchemy(model_class=Base)
migrate = Migrate()
csrf = CSRFProtect()
login_manager = LoginManager()
login_manager.login_view = "auth.login"
login_manager.login_message = "Please sign in to see organiser pages."
login_manager.login_message_category = "info"
# Limits and their storage come from the app's RATELIMIT_* settings (config.py, app/security.py).
limiter = Limiter(key_func=get_remote_address)


# --- SQLite transactions (see app/services/registration/capacity.py for why) ----------------
# pysqlite starts transactions itself, lazily, and only before writes, so "lock, re-check, write"
# cannot be expressed through it. The SQLAlchemy recipe: switch pysqlite's handling off on connect
# and emit BEGIN ourselves when SQLAlchemy begins a transaction. A connection carrying the
# WRITE_LOCK execution option begins with BEGIN IMMEDIATE, taking SQLite's write lock up front.
WRITE_LOCK = "convene_write_lock"
SQLITE_BUSY_TIMEOUT_MS = 30_000


@event.listens_for(Engine, "connect")
def _sqlite_on_connect(dbapi_connection, record) -> None:
    if not isinstance(dbapi_connection, sqlite3.Connection):
        return
    dbapi_connection.isolation_level = None
    cursor = dbapi_connection.cursor()
    # Waiting writers queue on the lock instead of failing at once with "database is locked".
    cursor.execute(f"PRAGMA busy_timeout = {SQLITE_BUSY_TIMEOUT_MS}")
    # Write-ahead logging lets pages be read while a registration is being written.
    cursor.execute("PRAGMA journal_mode = WAL")
    # SQLite ignores foreign keys (and their ON DELETE rules) unless asked, per connection.
    cursor.execute("PRAGMA foreign_keys = ON")
    cursor.close()
    _open_lock_file(dbapi_connection, record.info)


# SQLite makes a waiting writer poll for the lock, sleeping longer each time (up to 100 ms), so
# under a burst the lock sits idle between holders and writers queue in no order. Writers taking
# the write lock therefore first queue on a lock that hands straight on at each commit or
# rollback: an flock() on a file beside the database (between the connections of every thread
# and process; the kernel wakes the next waiter, and a process that dies lets go), or, for a
# database in memory or a lock file that cannot be opened, a lock of this process. SQLite's own
# lock stays the guarantee.
_in_memory_writers = threading.Lock()
_LOCK_FILE = "convene_writer_lock_file"
_HOLDS_WRITERS = "convene_holds_writers"


# Lock files that could not be opened, each warned about once per process.
_unopened_lock_files: set[str] = set()


def _open_lock_file(dbapi_connection: sqlite3.Connection, info: dict) -> None:
    databases = dbapi_connection.execute("PRAGMA database_list")
    [path] = [file for _, name, file in databases if name == "main"]
    if not path:  # a database in memory
        return
    lock_path = f"{path}-writer.lock"
    try:
        # The file stays open as long as the connection.
        info[_LOCK_FILE] = open(lock_path, "ab")  # noqa: SIM115
    except OSError as error:
        # Read-only, or not ours: reads never needed the file, and writers still queue within
        # this process (the in-memory lock) and between processes on SQLite's own lock.
        if lock_path not in _unopened_lock_files:
            _unopened_lock_files.add(lock_path)
            logger.warning(
                "Cannot open the writers' lock file %s (%s): writers from several processes "
                "will wait on SQLite's own lock, in no order. Make it writable by this user.",
                lock_path,
                error.strerror or error,
            )


@event.listens_for(Engine, "begin")
def _sqlite_on_begin(connection) -> None:
    if connection.dialect.name != "sqlite":
        return
    if not connection.get_execution_options().get(WRITE_LOCK):
        connection.exec_driver_sql("BEGIN")
        connection.info[_READING] = True
        return
    _begin_immediate(connection.info, connection.exec_driver_sql)


def _begin_immediate(info: dict, execute) -> None:
    _acquire_writers(info)
    try:
        execute("BEGIN IMMEDIATE")
    except BaseException:
        _release_writers(info)
        raise


# A deferred transaction that has read and then writes fails at once with "database is locked"
# (SQLITE_BUSY_SNAPSHOT, no busy timeout) if another connection wrote in between: with a solve
# writing its progress twice a second, any organiser's form could. So just before a deferred
# transaction's first write (or schema change) its read-only part is ended, having written
# nothing, and a transaction holding the write lock begins in its place: the write sees the
# latest data, as under PostgreSQL's READ COMMITTED. Checks that must still hold when the write
# is committed take the write lock before they read (app/services/registration/capacity.py).
_READING = "convene_reading"
_WRITES = ("INSERT", "UPDATE", "DELETE", "REPLACE", "CREATE", "ALTER", "DROP")


@event.listens_for(Engine, "before_cursor_execute")
def _sqlite_before_write(connection, cursor, statement, parameters, context, executemany) -> None:
    if not connection.info.get(_READING) or not statement.lstrip()[:7].upper().startswith(_WRITES):
        return
    connection.info.pop(_READING)
    if connection.in_nested_transaction():  # a COMMIT would end its savepoints too
        return
    cursor.execute("COMMIT")
    _begin_immediate(connection.info, cursor.execute)


def _acquire_writers(info: dict) -> None:
    if (lock_file := info.get(_LOCK_FILE)) is not None:
        fcntl.flock(lock_file, fcntl.LOCK_EX)
    else:
        _in_memory_writers.acquire()
    info[_HOLDS_WRITERS] = True


def _release_writers(info: dict) -> None:
    if not info.pop(_HOLDS_WRITERS, False):
        return
    if (lock_file := info.get(_LOCK_FILE)) is not None:
        fcntl.flock(lock_file, fcntl.LOCK_UN)
    else:
        _in_memory_writers.release()


@event.listens_for(Engine, "commit")
@event.listens_for(Engine, "rollback")
def _sqlite_transaction_ended(connection) -> None:
    connection.info.pop(_READING, None)
    _release_writers(connection.info)


@event.listens_for(Pool, "reset")
def _sqlite_connection_reset(_dbapi_connection, record, _state) -> None:
    # A connection going back to the pool mid-transaction is rolled back there: let go too.
    record.info.pop(_READING, None)
    _release_writers(record.info)


@event.listens_for(Pool, "close")
def _sqlite_connection_closed(_dbapi_connection, record) -> None:
    _release_writers(record.info)
    if (lock_file := record.info.pop(_LOCK_FILE, None)) is not None:
        lock_file.close()
