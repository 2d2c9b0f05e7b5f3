"""Absolute links to this site, for what leaves it: mail, calendar files and printed QR codes.

Every link is built on the configured PUBLIC_URL (config.py), never on a request's Host header:
whoever sends a request chooses its Host, and a link mailed to someone else must not point there.
Shared by messaging/, calendars/ and printing/; imports nothing of the services.
"""

from __future__ import annotations

from urllib.parse import urlsplit

from flask import current_app


def external_url(endpoint: str, **values) -> str:
    """An absolute URL for `endpoint` on the site's configured PUBLIC_URL."""
    parts = urlsplit(current_app.config["PUBLIC_URL"])
    adapter = current_app.url_map.bind(
        parts.netloc, script_name=parts.path or "/", url_scheme=parts.scheme or "https"
    )
    return adapter.build(endpoint, values, force_external=True)
