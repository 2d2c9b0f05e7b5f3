"""No log Convene writes or configures holds a private token: the development server's access
log, the app's own log of a failed request, and gunicorn's access log (through gunicorn.conf.py,
which `gunicorn wsgi:app` reads when started in the project's directory)."""

from __future__ import annotations

import logging
import os
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pytest
from werkzeug.serving import make_server

from app.extensions import db
from app.models import Event, Registration, RegistrationStatus
from app.services.tokens import new_token
from tests.conftest import free_port

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture
def registration(event: Event) -> Registration:
    person = Registration(
        event=event,
        token=new_token(),
        name="Amara Okafor",
        email="amara@example.org",
        organisation=event.convenors[0],
        profession="Policy officer",
        status=RegistrationStatus.CONFIRMED,
    )
    db.session.add(person)
    db.session.commit()
    return person


def private_addresses(token: str) -> list[str]:
    """Addresses holding a private token: the manage link and pages under it, the API's, a
    sign-in link carrying one onward, and a token-shaped path of a kind added later."""
    return [
        f"/r/{token}",
        f"/r/{token}/invite.ics?download=1",
        f"/api/v1/registrations/{token}",
        f"/login?next=%2Fr%2F{token}",
        f"/reset-password/{token}",
    ]


def get(url: str) -> int:
    try:
        with urllib.request.urlopen(url, timeout=30) as response:
            return response.status
    except urllib.error.HTTPError as error:
        return error.code


@pytest.fixture
def dev_server(app) -> Iterator[str]:
    """The app served by Werkzeug's development server (what `flask run` uses) on loopback."""
    server = make_server("127.0.0.1", 0, app, threaded=True)
    # Requests still sending their mail after the response are waited for at server_close().
    server.daemon_threads = False
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_port}"
    server.shutdown()
    server.server_close()
    thread.join()


def test_development_server_logs_private_links_without_their_tokens(
    app, registration, dev_server, caplog
):
    caplog.set_level(logging.INFO, logger="werkzeug")
    assert get(dev_server + f"/r/{registration.token}") == 200
    for address in private_addresses(registration.token)[1:]:
        get(dev_server + address)
    access = [r.getMessage() for r in caplog.records if r.name == "werkzeug"]
    assert len(access) == 5
    assert all(registration.token not in line for line in access)
    assert '"GET /r/[token] HTTP/1.1" 200' in access[0]
    assert "GET /r/[token]/invite.ics?download=1 HTTP/1.1" in access[1]
    assert "GET /api/v1/registrations/[token] HTTP/1.1" in access[2]
    assert "GET /login?next=/r/[token] HTTP/1.1" in access[3]  # the query, decoded
    assert "GET /reset-password/[token] HTTP/1.1" in access[4]


def test_a_failed_request_is_logged_without_its_token(app, registration, dev_server, caplog):
    """Flask logs the path of a request that failed, with the traceback: a page under a private
    link failing (here one that raises, naming its token, as a database error would) must not
    write the token there."""

    def broken(token: str):
        raise RuntimeError(f"no such row: {token!r}")

    app.add_url_rule("/r/<token>/broken", view_func=broken)
    app.config["PROPAGATE_EXCEPTIONS"] = False  # as in production: logged, then a 500 page
    assert get(dev_server + f"/r/{registration.token}/broken") == 500
    logged = [
        text for record in caplog.records for text in (record.getMessage(), record.exc_text or "")
    ]
    assert any("Exception on /r/[token]/broken [GET]" in text for text in logged)
    assert any("RuntimeError: no such row: '[token]'" in text for text in logged)
    assert registration.token not in caplog.text


def test_gunicorn_access_log_has_no_private_tokens(app, registration, tmp_path):
    port = free_port()
    access_log = tmp_path / "access.log"
    env = {
        **os.environ,
        "DATABASE_URL": app.config["SQLALCHEMY_DATABASE_URI"],
        "CONVENE_INSTANCE_PATH": str(tmp_path / "gunicorn"),
        "SECRET_KEY": "logs-test",
        "RATELIMIT_ENABLED": "0",
        "CONVENE_ENV": "development",
    }
    env.pop("REDIS_URL", None)
    command = [sys.executable, "-m", "gunicorn", "--bind", f"127.0.0.1:{port}"]
    command += ["--access-logfile", str(access_log), "--workers", "1", "wsgi:app"]
    process = subprocess.Popen(command, cwd=ROOT, env=env, stderr=subprocess.PIPE, text=True)
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 30
        while get_or_none(base + "/api/v1/events") is None:
            assert process.poll() is None, f"gunicorn exited: {process.stderr.read()}"
            assert time.monotonic() < deadline, "gunicorn did not answer"
            time.sleep(0.1)
        for address in private_addresses(registration.token):
            get(base + address)
    finally:
        process.terminate()
        _, errors = process.communicate(timeout=30)
    lines = access_log.read_text().splitlines()
    assert registration.token not in access_log.read_text() + errors
    assert any('"GET /r/[token] HTTP/1.1" 200' in line for line in lines)
    assert any('"GET /api/v1/registrations/[token] HTTP/1.1" 200' in line for line in lines)
    assert any('"GET /login?next=%2Fr%2F[token] HTTP/1.1"' in line for line in lines)


def get_or_none(url: str) -> int | None:
    """The status of a GET, or None while nothing listens there yet."""
    try:
        return get(url)
    except OSError:
        return None
