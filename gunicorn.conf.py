"""gunicorn's settings for Convene: read by `gunicorn wsgi:app` started in this directory (or
given with `--config`).

Private links stay out of gunicorn's logs: its logger is given app/logs.py's filter, which
rewrites `/r/<token>` to `/r/[token]` in the access log (when one is switched on, e.g.
`--access-logfile -`) and in the error log.
"""

from gunicorn.glogging import Logger

from app.logs import PRIVATE_LINKS


class PrivateLinkLogger(Logger):
    """gunicorn's logger, with private tokens taken out of every line it writes."""

    def setup(self, cfg) -> None:
        super().setup(cfg)
        for log in (self.access_log, self.error_log):
            log.addFilter(PRIVATE_LINKS)


logger_class = PrivateLinkLogger
