"""Settings read from the environment, with working defaults (DESIGN.md, "Configuration")."""

from __future__ import annotations

import os
import secrets
from pathlib import Path
from urllib.parse import urlsplit

BASE_DIR = Path(__file__).resolve().parent
INSTANCE_DIR = Path(os.environ.get("CONVENE_INSTANCE_PATH", BASE_DIR / "instance"))
DEVELOPMENT_URL = "http://127.0.0.1:5000"
DEVELOPMENT_HOSTS = ["127.0.0.1", "localhost"]


def _secret_key(instance_dir: Path) -> str:
    """SECRET_KEY from the environment, else one generated once and kept in instance/."""
    if key := os.environ.get("SECRET_KEY"):
        return key
    key_file = instance_dir / "secret_key"
    if not key_file.exists():
        instance_dir.mkdir(parents=True, exist_ok=True)
        key_file.write_text(secrets.token_hex(32))
        key_file.chmod(0o600)
    return key_file.read_text().strip()


def _names(value: str) -> list[str]:
    return [name.strip() for name in value.split(",") if name.strip()]


def _flag(name: str, *, default: bool) -> bool:
    value = os.environ.get(name)
    if value is None or value == "":
        return default
    return value.strip().lower() not in {"0", "false", "no", "off"}


class Config:
    INSTANCE_DIR = INSTANCE_DIR
    SQLALCHEMY_DATABASE_URI = os.environ.get(
        "DATABASE_URL", f"sqlite:///{INSTANCE_DIR / 'convene.sqlite3'}"
    )
    SQLALCHEMY_ENGINE_OPTIONS: dict = {"pool_pre_ping": True}
    REDIS_URL = os.environ.get("REDIS_URL") or None
    MAIL_SERVER = os.environ.get("MAIL_SERVER") or None
    MAIL_PORT = int(os.environ.get("MAIL_PORT", "25"))
    MAIL_SENDER = os.environ.get("MAIL_SENDER", "Convene <noreply@convene.localhost>")
    MAIL_OUTBOX_DIR = INSTANCE_DIR / "outbox"
    # Who sends mail (app/services/messaging/outbox.py): "inline", the web process right after
    # the change commits; or "worker", a separate `flask --app wsgi mail-worker`, so a burst of
    # registrations is not slowed down by building messages and calendar invites.
    MAIL_DELIVERY = os.environ.get("MAIL_DELIVERY") or "inline"
    # Seconds to wait for the mail server to connect or answer each command before the message
    # is left to the outbox's retry (a web process sends inline after its response is written).
    MAIL_TIMEOUT = float(os.environ.get("MAIL_TIMEOUT") or 5)
    # The site's address (e.g. https://convene.example.org): every link in mail, calendar files
    # and printed QR codes is built on it, never on a request's Host header, which whoever sends
    # the request controls. Required in production; in development the address `make run` serves.
    # Both are read when the settings are made (below), as SECRET_KEY is.
    PUBLIC_URL = DEVELOPMENT_URL
    # Host headers this site answers to (Flask refuses others with 400): PUBLIC_URL's host, plus
    # any in TRUSTED_HOSTS, comma-separated (e.g. an internal name the reverse proxy uses).
    EXTRA_TRUSTED_HOSTS: list[str] = []
    # Development and tests also answer on both loopback names (browser tests serve 127.0.0.1).
    ANSWERS_ON_LOOPBACK = False
    # How passwords are hashed: Werkzeug's scrypt at its default cost (N=32768, r=8, p=1:
    # about 0.1 s and 32 MB a hash, so guessing from a stolen database is slow). Each hash
    # names its own parameters, so changing this never stops a stored password working.
    PASSWORD_HASH_METHOD = "scrypt:32768:8:1"
    WTF_CSRF_TIME_LIMIT = None
    # Pages say Referrer-Policy: no-referrer (app/security.py), so browsers send no Referer with
    # our own forms; Flask-WTF's HTTPS Referer check would refuse them all. The CSRF token (tied
    # to the session) is checked on every form regardless.
    WTF_CSRF_SSL_STRICT = False
    SESSION_COOKIE_HTTPONLY = True
    SESSION_COOKIE_SAMESITE = "Lax"
    REMEMBER_COOKIE_HTTPONLY = True
    REMEMBER_COOKIE_SAMESITE = "Lax"
    MAX_CONTENT_LENGTH = 5 * 1024 * 1024
    # Behind a reverse proxy, how many proxies' X-Forwarded-For/-Proto to trust (0: none). Rate
    # limits count per client address, so this must be right in production.
    TRUSTED_PROXIES = int(os.environ.get("TRUSTED_PROXIES", "0"))
    # Rate limits (app/security.py). Counted where every worker process sees the same counts: in
    # Redis when REDIS_URL is set, else in a SQLite file in instance/ (app/rate_limit_store.py),
    # unless RATELIMIT_STORAGE_URI names another `limits` storage (memory:// counts per process).
    RATELIMIT_ENABLED = _flag("RATELIMIT_ENABLED", default=True)
    RATELIMIT_STRATEGY = "moving-window"
    RATELIMIT_HEADERS_ENABLED = True
    RATELIMIT_KEY_PREFIX = "convene"
    # Sign-in attempts per client address.
    RATELIMIT_LOGIN = os.environ.get("RATELIMIT_LOGIN", "10 per minute")
    # Wrong passwords for one account from one address before each further try from there must
    # wait, doubling up to the cap; and from all addresses together before every address that has
    # failed for it waits alike (addresses with no failures never wait: app/security.py).
    LOGIN_BACKOFF_AFTER = int(os.environ.get("LOGIN_BACKOFF_AFTER", "5"))
    LOGIN_BACKOFF_ACCOUNT_AFTER = int(os.environ.get("LOGIN_BACKOFF_ACCOUNT_AFTER", "20"))
    LOGIN_BACKOFF_MAX_SECONDS = int(os.environ.get("LOGIN_BACKOFF_MAX_SECONDS", "900"))
    # Requests for a password reset link per client address.
    RATELIMIT_PASSWORD_RESET = os.environ.get("RATELIMIT_PASSWORD_RESET", "10 per hour")
    # Unknown private links (/r/<token>, /api/v1/registrations/<token>) per client address.
    # Cards one table's capture page takes, and one address sends to any table.
    RATELIMIT_CARDS_PER_TABLE = os.environ.get("RATELIMIT_CARDS_PER_TABLE", "30 per hour")
    RATELIMIT_CARDS_PER_ADDRESS = os.environ.get("RATELIMIT_CARDS_PER_ADDRESS", "60 per hour")
    RATELIMIT_TOKEN_GUESSES = os.environ.get("RATELIMIT_TOKEN_GUESSES", "30 per minute")
    # Registrations per client address: generous, as a whole council may share one address.
    RATELIMIT_REGISTRATION_PER_ADDRESS = os.environ.get(
        "RATELIMIT_REGISTRATION_PER_ADDRESS", "120 per minute"
    )
    # Registration attempts per email address: stops mail-bombing by repeated "already registered".
    RATELIMIT_REGISTRATION_PER_EMAIL = os.environ.get(
        "RATELIMIT_REGISTRATION_PER_EMAIL", "10 per hour"
    )
    # Processes that lay out the parts of a printed document's PDF side by side
    # (app/services/printing/pdf.py): one per core unless set; 1 renders in the web process itself.
    PRINT_WORKERS = int(os.environ.get("PRINT_WORKERS") or os.cpu_count() or 1)
    # How long a solve job's process may go without renewing its lease before the job is taken
    # as lost and marked failed (app/services/planning/jobs.py); renewed four times as often.
    SOLVE_LEASE_SECONDS = os.environ.get("SOLVE_LEASE_SECONDS") or 60

    def __init__(self) -> None:
        self.SECRET_KEY = _secret_key(self.INSTANCE_DIR)
        self.PUBLIC_URL = os.environ.get("PUBLIC_URL") or self.PUBLIC_URL
        self.EXTRA_TRUSTED_HOSTS = _names(os.environ.get("TRUSTED_HOSTS", ""))
        self.TRUSTED_HOSTS = self.trusted_hosts()
        self.RATELIMIT_STORAGE_URI = (
            os.environ.get("RATELIMIT_STORAGE_URI")
            or self.REDIS_URL
            or f"convene-sqlite://{self.INSTANCE_DIR / 'rate-limits.sqlite3'}"
        )

    def trusted_hosts(self) -> list[str]:
        host = urlsplit(self.PUBLIC_URL).hostname
        if not host:
            raise RuntimeError(
                f"PUBLIC_URL={self.PUBLIC_URL!r} is not an address like https://host"
            )
        loopback = DEVELOPMENT_HOSTS if self.ANSWERS_ON_LOOPBACK else []
        return [host, *self.EXTRA_TRUSTED_HOSTS, *(name for name in loopback if name != host)]


class DevelopmentConfig(Config):
    ANSWERS_ON_LOOPBACK = True


class TestingConfig(Config):
    TESTING = True
    SQLALCHEMY_DATABASE_URI = os.environ.get("TEST_DATABASE_URL", "sqlite://")
    # Each test app counts in its own memory, so no test sees another's hits (REDIS_URL is
    # set in CI); the limits themselves stay on, as in production.
    RATELIMIT_STORAGE_URI = "memory://"
    # Tests opt in to Redis and SMTP themselves; CI's REDIS_URL must not reroute every solve.
    REDIS_URL = None
    MAIL_SERVER = None
    # The same scrypt at 1/32 of the cost: tests hash and check a password hundreds of times
    # (every organiser and sign-in), at 0.1-0.3 s each on a busy machine at full cost.
    PASSWORD_HASH_METHOD = "scrypt:1024:8:1"

    # The Flask test client's default address.
    PUBLIC_URL = "http://localhost"
    ANSWERS_ON_LOOPBACK = True

    def __init__(self) -> None:
        self.SECRET_KEY = "testing-only-secret-key"
        self.TRUSTED_HOSTS = self.trusted_hosts()


class ProductionConfig(Config):
    SESSION_COOKIE_SECURE = True
    REMEMBER_COOKIE_SECURE = True
    PREFERRED_URL_SCHEME = "https"

    def __init__(self) -> None:
        if not os.environ.get("SECRET_KEY"):
            raise RuntimeError("SECRET_KEY must be set in production")
        if not os.environ.get("PUBLIC_URL"):
            raise RuntimeError(
                "PUBLIC_URL must be set in production (the site's address, e.g. "
                "https://convene.example.org): links in mail and calendar files are built on it"
            )
        super().__init__()


CONFIGS = {
    "development": DevelopmentConfig,
    "testing": TestingConfig,
    "production": ProductionConfig,
}


def config_from_env() -> Config:
    """The settings named by CONVENE_ENV (development, testing or production)."""
    name = os.environ.get("CONVENE_ENV", "development")
    try:
        return CONFIGS[name]()
    except KeyError:
        raise RuntimeError(f"CONVENE_ENV={name!r}: expected one of {', '.join(CONFIGS)}") from None
