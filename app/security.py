"""Security for every response and request: headers, rate limits and sign-in backoff.

Headers (every response):
- Content-Security-Policy: scripts, styles and everything else only from this site; no inline
  script or style (templates load app/static/js files), no plugins, no framing by other sites.
- X-Frame-Options DENY (older browsers' frame-ancestors), X-Content-Type-Options nosniff.
- Referrer-Policy no-referrer: no address of ours, above all a private link `/r/<token>`, is ever
  sent to another site. Browsers then send no Referer with our own form posts either, so
  Flask-WTF's HTTPS Referer check is off (config.py, WTF_CSRF_SSL_STRICT); every form still needs
  its session-bound CSRF token, and the session cookie is SameSite=Lax.

Rate limits (flask-limiter; numbers in config.py, RATELIMIT_*; counted in Redis when REDIS_URL
is set, else in a SQLite file every process of the machine shares, app/rate_limit_store.py):
- sign-in attempts per address, and a backoff after repeated wrong passwords (see "Sign-in
  backoff" below); requests for a password reset link per address;
- unknown private links per address (guessing registration tokens or API tokens);
- registrations per address (generous: one office may register a whole council) and per email.
"""

from __future__ import annotations

import hashlib
import math
import time
from collections.abc import Callable

from flask import Flask, Response, abort, current_app, request
from flask_limiter.util import get_remote_address
from limits import parse
from werkzeug.exceptions import TooManyRequests
from werkzeug.middleware.proxy_fix import ProxyFix

from app import rate_limit_store
from app.extensions import limiter

CONTENT_SECURITY_POLICY = "; ".join(
    [
        "default-src 'self'",
        "script-src 'self'",
        "style-src 'self'",
        "img-src 'self' data:",
        "font-src 'self'",
        "connect-src 'self'",
        "object-src 'none'",
        "base-uri 'none'",
        "form-action 'self'",
        "frame-ancestors 'none'",
    ]
)
HSTS_SECONDS = 2 * 365 * 24 * 3600
# Statuses that mean "no such private link": each one counts as a guess.
GUESS_STATUSES = {401, 404}


def init_app(app: Flask) -> None:
    if proxies := app.config.get("TRUSTED_PROXIES", 0):
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=proxies, x_proto=proxies, x_host=proxies)
    limiter.init_app(app)
    _say_where_limits_are_counted(app)
    app.before_request(_refuse_nul_characters)
    app.before_request(_refuse_token_guessers)
    app.after_request(_count_token_guesses)
    app.after_request(_security_headers)


def _say_where_limits_are_counted(app: Flask) -> None:
    storage = app.config["RATELIMIT_STORAGE_URI"]
    if not app.config.get("RATELIMIT_ENABLED"):
        app.logger.warning("Rate limits are off (RATELIMIT_ENABLED=0).")
    elif storage.startswith("memory://") and not app.testing:
        app.logger.warning(
            "Rate limits are counted in this process's memory: with several worker processes "
            "each counts alone, so every limit is that many times looser. Leave "
            "RATELIMIT_STORAGE_URI unset (a file shared by all processes) or set REDIS_URL."
        )
    elif storage.startswith(rate_limit_store.SCHEME):
        app.logger.info("Rate limits are counted in %s.", storage.partition("://")[2])


def _security_headers(response: Response) -> Response:
    headers = response.headers
    headers.setdefault("Content-Security-Policy", CONTENT_SECURITY_POLICY)
    headers.setdefault("X-Frame-Options", "DENY")
    headers.setdefault("X-Content-Type-Options", "nosniff")
    headers.setdefault("Cross-Origin-Opener-Policy", "same-origin")
    headers.setdefault("Referrer-Policy", "no-referrer")
    if request.is_secure:
        headers.setdefault("Strict-Transport-Security", f"max-age={HSTS_SECONDS}")
    return response


def _opens_by_token() -> bool:
    rule = request.url_rule
    return rule is not None and "token" in rule.arguments


# Blueprints whose forms run every text through app/services/registration/details.py, which shows
# "contains control characters" beside the field instead.
CHECK_THEIR_OWN_TEXT = {"registration", "organise_registrations"}


def _refuse_nul_characters() -> None:
    """No text we store or look up may hold NUL: PostgreSQL refuses it with an error. An address
    holding one (`%00`) names nothing (404); a query or form value with one is bad input (400)."""
    if "\x00" in request.path:
        abort(404)
    values = list(request.args.values())
    posted = request.method in ("POST", "PUT", "PATCH") and not request.is_json
    if posted and request.blueprint not in CHECK_THEIR_OWN_TEXT:
        values += request.form.values()
    if any("\x00" in value for value in values):
        abort(400, "Text may not contain NUL characters.")


# --- private links: guessing ------------------------------------------------------------------


def _limits_on() -> bool:
    return bool(current_app.config.get("RATELIMIT_ENABLED")) and limiter.enabled


def _guess_limit():
    return parse(current_app.config["RATELIMIT_TOKEN_GUESSES"])


def _guess_key() -> tuple[str, str, str]:
    return current_app.config["RATELIMIT_KEY_PREFIX"], "token-guess", get_remote_address()


def _guarded() -> bool:
    """Requests that present a secret: a private link's token, or an API bearer token."""
    return _opens_by_token() or "Authorization" in request.headers


def _refuse_token_guessers() -> None:
    if not _limits_on() or not _guarded():
        return
    if not limiter.limiter.test(_guess_limit(), *_guess_key()):
        raise TooManyRequests(
            "Too many requests for addresses that do not exist. Wait a minute and try again."
        )


def _count_token_guesses(response: Response) -> Response:
    if _limits_on() and _guarded() and response.status_code in GUESS_STATUSES:
        limiter.limiter.hit(_guess_limit(), *_guess_key())
    return response


# --- registration -----------------------------------------------------------------------------


def _registrant_email() -> str:
    """The email a registration request is for (form or JSON body), normalised loosely."""
    if request.is_json:
        body = request.get_json(silent=True)
        value = body.get("email") if isinstance(body, dict) else None
    else:
        value = request.form.get("email")
    return value.strip().lower()[:254] if isinstance(value, str) else ""


def limit_registrations(view: Callable) -> Callable:
    """Registration limits, shared by the form and the API: per address and per email."""
    per_address = limiter.shared_limit(
        lambda: current_app.config["RATELIMIT_REGISTRATION_PER_ADDRESS"],
        scope="register-address",
        methods=["POST"],
    )
    per_email = limiter.shared_limit(
        lambda: current_app.config["RATELIMIT_REGISTRATION_PER_EMAIL"],
        scope="register-email",
        key_func=_registrant_email,
        methods=["POST"],
        exempt_when=lambda: not _registrant_email(),
    )
    return per_address(per_email(view))


def _capture_point_key() -> str:
    # A digest, so the rate-limit store never holds a table's private address.
    token = (request.view_args or {}).get("token", "")
    return hashlib.sha256(token.encode()).hexdigest()[:32]


def limit_cards(view: Callable) -> Callable:
    """Cards sent to one table's capture page, and from one address to any table."""
    per_table = limiter.limit(
        lambda: current_app.config["RATELIMIT_CARDS_PER_TABLE"],
        key_func=_capture_point_key,
        methods=["POST"],
    )
    per_address = limiter.shared_limit(
        lambda: current_app.config["RATELIMIT_CARDS_PER_ADDRESS"],
        scope="cards-address",
        methods=["POST"],
    )
    return per_address(per_table(view))


# --- sign-in ----------------------------------------------------------------------------------


def limit_logins(view: Callable) -> Callable:
    return limiter.limit(lambda: current_app.config["RATELIMIT_LOGIN"], methods=["POST"])(view)


def limit_password_resets(view: Callable) -> Callable:
    """Requests for a reset link per address (each account also gets only a few an hour)."""
    return limiter.limit(lambda: current_app.config["RATELIMIT_PASSWORD_RESET"], methods=["POST"])(
        view
    )


# Sign-in backoff. Wrong passwords are counted per account *and* address, so a stranger failing
# from one address slows down only that address: the owner, at another, signs in as usual.
# - From the LOGIN_BACKOFF_AFTER-th wrong password for an account from one address, each further
#   try from there waits 1, 2, 4... seconds, up to LOGIN_BACKOFF_MAX_SECONDS.
# - A guesser with many addresses is slowed down for the account as a whole: from the
#   LOGIN_BACKOFF_ACCOUNT_AFTER-th wrong password for it from anywhere, every address that has
#   itself failed for the account waits alike. An address with no failures for the account is
#   never kept waiting, so no one can lock an organiser out: each address a guesser has gets
#   one try at once, then waits with the rest.
# - A right password clears that address's count for the account, not the account's (which
#   lapses by itself), so a guesser gains nothing from the owner signing in meanwhile.
# Counts live LOGIN_BACKOFF_MAX_SECONDS * 4 from the first wrong password; unknown accounts are
# counted alike, so the answers say nothing about which accounts exist.


def _account_key(email: str) -> str:
    prefix = current_app.config["RATELIMIT_KEY_PREFIX"]
    return f"{prefix}/login-failures/{email.strip().lower()[:254]}"


def _address_key(email: str) -> str:
    return f"{_account_key(email)}/from/{get_remote_address()}"


def _seconds_left(blocked_key: str) -> int:
    if not limiter.storage.get(blocked_key):
        return 0
    return max(1, math.ceil(limiter.storage.get_expiry(blocked_key) - time.time()))


def login_wait_seconds(email: str) -> int:
    """Seconds before this account may be tried again from this request's address (0: now)."""
    if not _limits_on() or not limiter.storage.get(_address_key(email)):
        return 0
    return max(
        _seconds_left(_address_key(email) + "/blocked"),
        _seconds_left(_account_key(email) + "/blocked"),
    )


def _count_failure(key: str, after: int) -> None:
    """One more wrong password under `key`; from the `after`-th on, wait 1, 2, 4... s (capped)."""
    storage = limiter.storage
    cap = current_app.config["LOGIN_BACKOFF_MAX_SECONDS"]
    over = storage.incr(key, expiry=cap * 4) - after
    if over >= 0:
        # A counter keeps its first expiry: start the new wait afresh.
        storage.clear(key + "/blocked")
        storage.incr(key + "/blocked", expiry=min(2**over, cap))


def record_login_failure(email: str) -> None:
    """Count a wrong password for this account, from this address and from anywhere."""
    if not _limits_on():
        return
    _count_failure(_address_key(email), current_app.config["LOGIN_BACKOFF_AFTER"])
    _count_failure(_account_key(email), current_app.config["LOGIN_BACKOFF_ACCOUNT_AFTER"])


def clear_login_failures(email: str) -> None:
    """A right password: this address starts afresh for the account."""
    if _limits_on():
        limiter.storage.clear(_address_key(email))
        limiter.storage.clear(_address_key(email) + "/blocked")
