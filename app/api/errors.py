"""JSON error bodies for /api/v1: `{"message": ..., "errors": {field: [messages]}}`, never HTML."""

from __future__ import annotations

from typing import Any

from flask import jsonify
from werkzeug.exceptions import HTTPException

# Headers an error must keep when it is turned into a JSON body.
KEPT_HEADERS = {"allow", "retry-after", "www-authenticate"}
MESSAGES = {
    400: "The request could not be understood.",
    404: "There is nothing at this address.",
    405: "This address does not accept that method.",
    413: "The body is larger than this API accepts.",
    429: "Too many requests. Wait a little and try again.",
    500: "Something went wrong on our side; the error has been logged. Please try again.",
}


def error(
    status: int,
    message: str,
    errors: dict[str, list[str]] | None = None,
    headers: dict[str, str] | None = None,
):
    body: dict[str, Any] = {"message": message}
    if errors:
        body["errors"] = errors
    return jsonify(body), status, headers or {}


def from_exception(exc: HTTPException):
    """An HTTP error as JSON, keeping Allow (405) and Retry-After (429)."""
    status = exc.code or 500
    headers = {k: v for k, v in exc.get_headers() if k.lower() in KEPT_HEADERS}
    retry_after = getattr(exc, "retry_after", None)
    if isinstance(retry_after, int) and retry_after > 0:
        headers["Retry-After"] = str(retry_after)
    # Werkzeug's stock descriptions talk of "the server" and "the URL": say it plainly instead,
    # but keep a description a view gave on purpose (e.g. abort(400, "...")).
    stock = exc.description == type(exc).description
    message = MESSAGES.get(status) if stock or status >= 500 else exc.description
    if status == 429 and getattr(exc, "limit", None) is not None:
        message = f"Too many requests (at most {exc.limit.limit}). Wait a little and try again."
    return error(status, message or exc.description or exc.name, None, headers)
