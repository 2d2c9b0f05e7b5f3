"""Absolute links to this site, for what leaves it: mail, calendar files and printed QR codes.

Links come from the configured PUBLIC_URL; without one, from the address of the request that
queued the message (kept with it in the outbox) or of the request being answered. Never from a
Host header alone when PUBLIC_URL is set. Shared by messaging/, calendars/ and printing/; imports
nothing of the services.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from urllib.parse import urlsplit

from flask import current_app, has_request_context, request

FALLBACK_URL = "http://localhost:5000/"
# The site address the message being built links to: the one its request saw when it was queued.
_link_base: ContextVar[str | None] = ContextVar("link_base", default=None)


@contextmanager
def links_to(base_url: str | None) -> Iterator[None]:
    reset = _link_base.set(base_url)
    try:
        yield
    finally:
        _link_base.reset(reset)


def external_url(endpoint: str, **values) -> str:
    """An absolute URL on the configured PUBLIC_URL (else the address of the request that queued
    the message, or this request's), for mail."""
    base = (
        current_app.config.get("PUBLIC_URL")
        or _link_base.get()
        or (request.url_root if has_request_context() else FALLBACK_URL)
    )
    parts = urlsplit(base)
    adapter = current_app.url_map.bind(
        parts.netloc, script_name=parts.path or "/", url_scheme=parts.scheme or "https"
    )
    return adapter.build(endpoint, values, force_external=True)
