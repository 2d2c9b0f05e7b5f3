"""Convene's web application: `create_app()` builds it (Flask's application-factory pattern)."""

from __future__ import annotations

from pathlib import Path

from flask import Flask, render_template, request
from flask_wtf.csrf import CSRFError
from werkzeug.exceptions import HTTPException, SecurityError

from app import logs, security, shared
from app.api import errors as api_errors
from app.cli import register_commands
from app.extensions import csrf, db, login_manager, migrate
from app.services.calendars import revisions
from app.services.messaging import messages, outbox
from app.services.planning import jobs, translation
from app.services.programmes import (
    mentoring_matching,
    mentoring_messages,
    peer_challenge_messages,
    peer_challenge_teams,
)
from config import Config, config_from_env


def create_app(config: Config | None = None) -> Flask:
    app = Flask(__name__)
    app.config.from_object(config or config_from_env())
    app.config["INSTANCE_DIR"].mkdir(parents=True, exist_ok=True)

    db.init_app(app)
    migrate.init_app(app, db, directory=str(app.config.get("MIGRATIONS_DIR", _migrations_dir())))
    csrf.init_app(app)
    login_manager.init_app(app)
    logs.init_app(app)
    security.init_app(app)
    shared.init_app(app)
    # Lower layers are given what they run, so they never import the layers above them.
    outbox.init_app(
        app,
        builders={
            **messages.BUILDERS,
            **mentoring_messages.BUILDERS,
            **peer_challenge_messages.BUILDERS,
        },
    )
    jobs.init_app(
        app,
        planners={
            **translation.PLANNERS,
            **mentoring_matching.PLANNERS,
            **peer_challenge_teams.PLANNERS,
        },
    )
    revisions.init_app(app)

    _register_blueprints(app)
    _register_error_pages(app)
    register_commands(app)
    return app


def _migrations_dir() -> str:
    return str(Path(__file__).resolve().parent.parent / "migrations")


def _register_blueprints(app: Flask) -> None:
    # Imported here, as Flask's tutorial does: each views module builds its blueprint when imported.
    from app.api.organise import bp as api_tokens_bp
    from app.api.views import bp as api_bp
    from app.auth.views import bp as auth_bp
    from app.calendar.views import bp as calendar_bp
    from app.commitments.views import bp as commitments_bp
    from app.harvest.briefing import bp as briefing_bp
    from app.harvest.capture import bp as capture_bp
    from app.harvest.moderation import bp as harvest_bp
    from app.organisations.views import bp as organisations_bp
    from app.organise.views import bp as organise_bp
    from app.planning.views import bp as planning_bp
    from app.printing.views import bp as printing_bp
    from app.printing.views import itinerary_bp
    from app.programmes.mentoring import bp as mentoring_bp
    from app.programmes.mentoring_join import bp as mentoring_join_bp
    from app.programmes.peer_challenge import bp as peer_challenge_bp
    from app.programmes.peer_challenge_join import bp as peer_challenge_join_bp
    from app.programmes.peer_challenge_teams import bp as peer_teams_bp
    from app.programmes.views import bp as programmes_bp
    from app.public.views import bp as public_bp
    from app.registration.desk import bp as desk_bp
    from app.registration.organise import bp as registration_organise_bp
    from app.registration.views import bp as registration_bp
    from app.series.views import bp as series_bp
    from app.voting.views import bp as voting_bp

    app.register_blueprint(public_bp)
    app.register_blueprint(auth_bp)
    app.register_blueprint(calendar_bp)
    app.register_blueprint(registration_bp)
    app.register_blueprint(api_bp, url_prefix="/api/v1")
    app.register_blueprint(api_tokens_bp, url_prefix="/organise/api-tokens")
    app.register_blueprint(
        registration_organise_bp, url_prefix="/organise/events/<slug>/registrations"
    )
    app.register_blueprint(desk_bp, url_prefix="/organise/events/<slug>/desk")
    app.register_blueprint(organise_bp, url_prefix="/organise")
    app.register_blueprint(organisations_bp, url_prefix="/organise")
    app.register_blueprint(printing_bp, url_prefix="/organise")
    app.register_blueprint(itinerary_bp)
    app.register_blueprint(planning_bp, url_prefix="/organise")
    app.register_blueprint(harvest_bp, url_prefix="/organise")
    app.register_blueprint(capture_bp)
    app.register_blueprint(briefing_bp)
    app.register_blueprint(series_bp, url_prefix="/organise")
    app.register_blueprint(programmes_bp, url_prefix="/organise")
    app.register_blueprint(mentoring_bp, url_prefix="/organise")
    app.register_blueprint(mentoring_join_bp)
    app.register_blueprint(peer_challenge_bp, url_prefix="/organise")
    app.register_blueprint(peer_challenge_join_bp)
    app.register_blueprint(peer_teams_bp, url_prefix="/organise")
    app.register_blueprint(voting_bp)
    app.register_blueprint(commitments_bp, url_prefix="/organise")


def _register_error_pages(app: Flask) -> None:
    def page(code: int, title: str, message: str):
        def handler(error):
            if code == 500:
                # A failed write leaves the session unusable until rolled back, and the page
                # reads it again (the signed-in user in its header).
                db.session.rollback()
            if request.path.startswith("/api/"):
                return api_errors.from_exception(error)
            page = render_template("error.html", code=code, title=title, message=message)
            return page, code, _kept_headers(error)

        return handler

    app.register_error_handler(HTTPException, _api_errors_as_json)
    app.register_error_handler(SecurityError, _untrusted_host)
    app.register_error_handler(
        400, page(400, "Bad request", "The request could not be understood.")
    )
    app.register_error_handler(
        CSRFError,
        page(
            400,
            "Please try again",
            "The form had expired or was sent from elsewhere. "
            "Go back, reload it and send it again.",
        ),
    )
    app.register_error_handler(
        403, page(403, "Not allowed", "You do not have access to this page.")
    )
    app.register_error_handler(404, page(404, "Not found", "There is nothing at this address."))
    app.register_error_handler(
        405, page(405, "Not allowed", "This address does not accept that kind of request.")
    )
    app.register_error_handler(
        413, page(413, "Too large", "What was sent is larger than this site accepts.")
    )
    app.register_error_handler(
        415, page(415, "Unsupported", "This address does not accept that kind of content.")
    )
    app.register_error_handler(
        429,
        page(
            429,
            "Too many requests",
            "There have been too many requests from your connection. Wait a minute and try again.",
        ),
    )
    app.register_error_handler(
        500, page(500, "Something went wrong", "The error has been logged; please try again.")
    )


def _kept_headers(error) -> dict[str, str]:
    """Allow (405) and Retry-After (429) survive the error page."""
    if not isinstance(error, HTTPException):
        return {}
    return {k: v for k, v in error.get_headers() if k.lower() in api_errors.KEPT_HEADERS}


def _untrusted_host(error: SecurityError):
    """A Host header not in TRUSTED_HOSTS: no address can be built for such a request, so the
    answer is plain text rather than a page."""
    if request.path.startswith("/api/"):
        return api_errors.from_exception(error)
    message = "This site does not answer to that address (Host header)."
    return message, 400, {"Content-Type": "text/plain; charset=utf-8"}


def _api_errors_as_json(error: HTTPException):
    """Under /api every error is JSON, even for addresses or methods no route matches."""
    return api_errors.from_exception(error) if request.path.startswith("/api/") else error
