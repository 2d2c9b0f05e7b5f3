"""Without Redis, rate limits are counted in a SQLite file that every worker process shares, so
that N gunicorn workers do not make every limit N times looser."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
import urllib.error
import urllib.request
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest
from limits import parse
from limits.storage import storage_from_string
from limits.strategies import MovingWindowRateLimiter

import config
from app.rate_limit_store import SCHEME, SQLiteFileStorage
from app.services.tokens import new_token
from tests.conftest import free_port

ROOT = Path(__file__).resolve().parents[2]
# Every request is counted before the event is looked up.
NO_SUCH_EVENT = "/api/v1/events/no-such-event/registrations"


@pytest.fixture
def uri(tmp_path) -> str:
    return f"{SCHEME}://{tmp_path / 'limits.sqlite3'}"


def test_without_redis_limits_are_counted_in_a_file_in_the_instance_folder(monkeypatch):
    monkeypatch.delenv("RATELIMIT_STORAGE_URI", raising=False)
    monkeypatch.setattr(config.Config, "REDIS_URL", None)
    expected = f"{SCHEME}://{config.Config.INSTANCE_DIR / 'rate-limits.sqlite3'}"
    uri = config.DevelopmentConfig().RATELIMIT_STORAGE_URI
    assert uri == expected
    monkeypatch.setattr(config.Config, "REDIS_URL", "redis://127.0.0.1:6379/15")
    assert config.DevelopmentConfig().RATELIMIT_STORAGE_URI == "redis://127.0.0.1:6379/15"


def test_two_processes_share_one_moving_window(uri):
    """Two storages on one file stand for two worker processes."""
    limit = parse("3 per minute")
    first = MovingWindowRateLimiter(storage_from_string(uri))
    second = MovingWindowRateLimiter(SQLiteFileStorage(uri))
    assert [first.hit(limit, "guess"), second.hit(limit, "guess"), first.hit(limit, "guess")] == [
        True,
        True,
        True,
    ]
    assert not second.hit(limit, "guess")
    assert not first.test(limit, "guess")
    assert second.test(limit, "someone-else")
    reset_at, remaining = second.get_window_stats(limit, "guess")
    assert remaining == 0 and time.time() < reset_at <= time.time() + 60


def test_a_window_lets_go_of_entries_older_than_it(uri):
    limit = parse("2 per second")
    limiter = MovingWindowRateLimiter(SQLiteFileStorage(uri))
    assert limiter.hit(limit, "k") and limiter.hit(limit, "k") and not limiter.hit(limit, "k")
    time.sleep(1.05)
    assert limiter.hit(limit, "k")


def test_counters_count_expire_and_clear(uri):
    """What the sign-in backoff uses (app/security.py): incr, get, get_expiry, clear."""
    storage, elsewhere = SQLiteFileStorage(uri), SQLiteFileStorage(uri)
    assert storage.incr("failures", expiry=1) == 1
    assert elsewhere.incr("failures", expiry=1) == 2
    assert storage.get("failures") == 2
    assert time.time() < elsewhere.get_expiry("failures") <= time.time() + 1
    time.sleep(1.05)
    assert storage.get("failures") == 0
    assert storage.incr("failures", expiry=60) == 1
    elsewhere.clear("failures")
    assert storage.get("failures") == 0
    assert storage.check()


def test_gunicorn_workers_share_one_limit(tmp_path):
    """Three worker processes, twelve registrations at once from one address: the limit of five
    per address holds for them all."""
    instance = tmp_path / "instance"
    database = f"sqlite:///{tmp_path / 'convene.sqlite3'}"
    env = {
        **{k: v for k, v in os.environ.items() if k not in ("REDIS_URL", "RATELIMIT_STORAGE_URI")},
        "DATABASE_URL": database,
        "CONVENE_INSTANCE_PATH": str(instance),
        "SECRET_KEY": "rate-limit-test",
        "CONVENE_ENV": "development",
        "RATELIMIT_REGISTRATION_PER_ADDRESS": "5 per minute",
    }
    flask = [sys.executable, "-m", "flask", "--app", "wsgi"]
    subprocess.run([*flask, "db", "upgrade"], cwd=ROOT, env=env, check=True, capture_output=True)
    port = free_port()
    # Loaded once, then forked (--preload): each worker still opens its own connection.
    command = [
        sys.executable,
        "-m",
        "gunicorn",
        "--preload",
        "--workers",
        "3",
        "-b",
        f"127.0.0.1:{port}",
    ]
    server = subprocess.Popen([*command, "wsgi:app"], cwd=ROOT, env=env, stderr=subprocess.PIPE)
    base = f"http://127.0.0.1:{port}"
    try:
        _wait_until_up(base + "/login", server)
        with ThreadPoolExecutor(12) as pool:
            statuses = list(pool.map(lambda _: _register(f"{base}{NO_SUCH_EVENT}"), range(12)))
    finally:
        server.terminate()
        log = server.communicate(timeout=30)[1].decode()
    assert sorted(statuses) == [404] * 5 + [429] * 7, log
    assert (instance / "rate-limits.sqlite3").exists()


def _register(url: str) -> int:
    body = json.dumps({"email": f"{new_token()[:10]}@example.org"}).encode()
    headers = {"Content-Type": "application/json"}
    return _status(urllib.request.Request(url, data=body, headers=headers))


def _status(url: str | urllib.request.Request) -> int:
    try:
        with urllib.request.urlopen(url, timeout=10) as response:
            return response.status
    except urllib.error.HTTPError as error:
        return error.code


def _wait_until_up(url: str, server: subprocess.Popen, timeout: float = 120) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        assert server.poll() is None, "gunicorn exited"
        try:
            _status(url)
            return
        except OSError:
            time.sleep(0.2)
    raise AssertionError(f"gunicorn did not answer at {url}")
