"""Logs without private links: no log Convene writes or configures may hold a private token.

A private link (`/r/<token>...`, a table's capture page `/t/<token>`, the API's
`/api/v1/registrations/<token>`, an organiser's `/reset-password/<token>`) is the only key to
what it opens, and an access log keeps every address asked for, so `redact` rewrites them to
`/r/[token]` (and so on). Any other token-shaped value in an address (32 or more URL-safe
characters with a capital or an underscore, after a `/`, `=` or quote, plain or percent-encoded:
what `tokens.new_token()` makes, where no slug or hex digest fits) becomes `[token]` too, so a
private link added later is covered before anyone extends the list.

`PRIVATE_LINKS` is a logging filter doing it to each record, its traceback included. `init_app`
puts it on the loggers Convene's processes write to: the development server's access log
(`werkzeug`), the app's log (Flask names the path of a request that failed) and Flask's
handler, which prints what the app's modules log. gunicorn.conf.py puts it on gunicorn's
access and error logs.

May import: nothing of the app.
"""

from __future__ import annotations

import logging
import re

from flask import Flask
from flask.logging import default_handler

_PRIVATE_PATH = re.compile(
    r"(/r/|/t/|/api/v1/registrations/|/reset-password/)[^/?#&\s\"']+", re.IGNORECASE
)
_TOKEN_SHAPED = re.compile(
    r"([/=\"']|%2[Ff]|%3[Dd])(?=[A-Za-z0-9_-]*[A-Z_])[A-Za-z0-9_-]{32,}(?![A-Za-z0-9_-])"
)
_TRACEBACK = logging.Formatter()


def redact(text: str) -> str:
    """`text` with every private link's token replaced by `[token]`."""
    return _TOKEN_SHAPED.sub(r"\1[token]", _PRIVATE_PATH.sub(r"\1[token]", text))


class PrivateLinkFilter(logging.Filter):
    """Rewrites a log record's message and traceback with `redact`; lets every record through."""

    def filter(self, record: logging.LogRecord) -> bool:
        message = record.getMessage()
        redacted = redact(message)
        if redacted != message:
            record.msg, record.args = redacted, None
        if record.exc_info and not record.exc_text:
            # Formatted now, as a handler would, so that the text handlers print is the redacted.
            record.exc_text = _TRACEBACK.formatException(record.exc_info)
        if record.exc_text:
            record.exc_text = redact(record.exc_text)
        return True


PRIVATE_LINKS = PrivateLinkFilter()


def init_app(app: Flask) -> None:
    """Keep private links out of the development server's, the app's and Flask's logs."""
    for log in (logging.getLogger("werkzeug"), app.logger):
        log.addFilter(PRIVATE_LINKS)  # the same filter object each time: added once
    default_handler.addFilter(PRIVATE_LINKS)
