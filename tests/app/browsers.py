"""Browsers of their own, for tests where several people use the site at once.

The test client runs its requests in the test's app context when one is active, so two clients
would share `g`: flask-login's signed-in user and Flask-WTF's CSRF token would leak from one to
the other. A Browser runs each request in a fresh app context, as a server does.
"""

from __future__ import annotations

from flask import Flask

from app.extensions import db
from tests.conftest import PASSWORD, Client


class Browser(Client):
    def open(self, *args, **kwargs):
        with self.application.app_context():
            return super().open(*args, **kwargs)

    def sign_in(self, email: str, password: str = PASSWORD):
        return self.submit("/login", {"email": email, "password": password})

    def signed_in(self) -> bool:
        """Whether an organiser page opens (else it sends to the sign-in page)."""
        return self.get("/organise/").status_code == 200


def browser(app: Flask, address: str = "127.0.0.1") -> Browser:
    """A new browser, with no cookies, whose requests come from `address`."""
    client = Browser(app, app.response_class, use_cookies=True)
    client.environ_base["REMOTE_ADDR"] = address
    return client


def look_again() -> None:
    """End the test's own read transaction, so that it sees what the browsers wrote since (on
    SQLite a transaction sees the database as it was when it began)."""
    db.session.rollback()
