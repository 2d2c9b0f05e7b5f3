"""Entry point for `flask --app wsgi` and for gunicorn (`gunicorn wsgi:app`)."""

from app import create_app
from app.services.planning import jobs

app = create_app()
# Solve jobs whose process died (a killed server, command or worker) are ended as any command
# or server starts; create_app() itself stays off the database, which may not exist yet.
jobs.expire_lapsed_at_start_up(app)
