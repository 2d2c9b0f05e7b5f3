"""Background solve jobs: one contract, two runners.

Contract:
- `start(event, kind, params)` stores a SolveJob (state `queued`) and commits it *before*
  handing its id to a runner, so every page, organiser and worker sees the same job.
- A runner calls `run(job_id)`: `queued -> running -> succeeded | failed | cancelled`. The solve
  reports progress through `Reporter.update`, which writes the job row in its own short
  transaction (throttled) and tells the solver whether cancellation was requested.
- Only a successful run writes a plan, in the same transaction that marks the job succeeded; a
  failed or cancelled run writes nothing else, so the previous plan stays as it was.
- Runners: an in-process worker thread by default; RQ workers on Redis when REDIS_URL is set
  (`flask --app wsgi worker`). Both call the same `run`.
- What a job of each kind does is a `Planner`, given to the runner at start-up
  (`init_app(app, planners)`, from planning/translation.py): the runner knows jobs, not solvers.

May import: models only.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Mapping
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import Any

from flask import Flask, current_app
from sqlalchemy import Engine, select, update

from app.extensions import db
from app.models import Event, JobState, Plan, PlanKind, SolveJob
from app.models.types import utcnow

log = logging.getLogger(__name__)
RQ_QUEUE = "convene-solve"
PROGRESS_INTERVAL = 0.5  # seconds between progress writes
ACTIVE = (JobState.QUEUED, JobState.RUNNING)
PLANNERS_KEY = "convene_planners"


class JobError(ValueError):
    """A solve that cannot start or finish; the message is shown to the organiser."""


class Cancelled(Exception):
    """The organiser cancelled while the solve ran: its result is dropped."""


class Reporter:
    """Progress from a solve (possibly on the solver's own thread) to the job row."""

    def __init__(self, engine: Engine, job_id: int):
        self.engine = engine
        self.job_id = job_id
        self.started = time.monotonic()
        self._last_write = 0.0
        self.cancelled = False

    def update(self, progress: dict[str, Any], *, force: bool = False) -> bool:
        """Store `progress` (plus elapsed seconds); True when the organiser asked to cancel."""
        now = time.monotonic()
        if not force and now - self._last_write < PROGRESS_INTERVAL:
            return self.cancelled
        self._last_write = now
        progress = {**progress, "elapsed": round(now - self.started, 1)}
        with self.engine.begin() as connection:
            connection.execute(
                update(SolveJob).where(SolveJob.id == self.job_id).values(progress=progress)
            )
            self.cancelled = bool(
                connection.scalar(
                    select(SolveJob.cancel_requested).where(SolveJob.id == self.job_id)
                )
            )
        return self.cancelled


@dataclass(frozen=True)
class Planner:
    """The steps of a solve job: read the database (`prepare`), solve without it (`solve`),
    write a plan (`store`); `explain` words a JobError's message for the organiser."""

    prepare: Callable[[SolveJob], Any]
    solve: Callable[[Any, Reporter], Any]
    store: Callable[[SolveJob, Any, Any], Plan]
    explain: Callable[[str, Event], str]


def init_app(app: Flask, planners: Mapping[PlanKind, Planner]) -> None:
    """Take the planner of every kind of plan."""
    if missing := [kind.value for kind in PlanKind if kind not in planners]:
        raise RuntimeError(f"no planner for plan kinds {missing}")
    app.extensions[PLANNERS_KEY] = dict(planners)


def active_job(event: Event, kind: PlanKind) -> SolveJob | None:
    return db.session.scalar(
        select(SolveJob).where(
            SolveJob.event_id == event.id, SolveJob.kind == kind, SolveJob.state.in_(ACTIVE)
        )
    )


def latest_job(event: Event, kind: PlanKind) -> SolveJob | None:
    return db.session.scalar(
        select(SolveJob)
        .where(SolveJob.event_id == event.id, SolveJob.kind == kind)
        .order_by(SolveJob.id.desc())
        .limit(1)
    )


def latest_job_for_plan(plan: Plan) -> SolveJob | None:
    """The job that made `plan`, whose settings a re-solve reuses."""
    return db.session.scalar(select(SolveJob).where(SolveJob.plan_id == plan.id))


def create(event: Event, kind: PlanKind, params: dict[str, Any]) -> SolveJob:
    """Store a queued job (one active job per event and kind); `start` also dispatches it."""
    if active_job(event, kind) is not None:
        raise JobError(f"A {kind.value} plan is already being made for this event.")
    job = SolveJob(event=event, kind=kind, params=params, state=JobState.QUEUED)
    db.session.add(job)
    db.session.commit()
    return job


def start(event: Event, kind: PlanKind, params: dict[str, Any]) -> SolveJob:
    """Queue a solve and hand it to a runner."""
    job = create(event, kind, params)
    _dispatch(current_app._get_current_object(), job.id, params.get("time_limit", 60))
    return job


def cancel(job: SolveJob) -> None:
    """Ask a running job to stop; a job still queued is cancelled at once."""
    if job.state == JobState.QUEUED:
        job.state, job.finished_at = JobState.CANCELLED, utcnow()
        job.error = "Cancelled before it started."
    if job.state == JobState.RUNNING:
        job.cancel_requested = True
    db.session.commit()


def run(job_id: int) -> None:
    """Carry out one job (inside an app context); see the module's contract."""
    # Claimed in one statement, so a cancel or a second runner cannot slip in between.
    claimed = db.session.execute(
        update(SolveJob)
        .where(SolveJob.id == job_id, SolveJob.state == JobState.QUEUED)
        .values(state=JobState.RUNNING, started_at=utcnow())
    ).rowcount
    db.session.commit()
    if not claimed:
        return
    job = db.session.get(SolveJob, job_id)
    planner = current_app.extensions[PLANNERS_KEY][job.kind]
    reporter = Reporter(db.engine, job.id)
    try:
        prepared = planner.prepare(job)
        db.session.commit()  # the solve may take minutes: hold no transaction open meanwhile
        result = planner.solve(prepared, reporter)
        db.session.refresh(job)
        if job.cancel_requested:
            raise Cancelled
        plan = planner.store(job, prepared, result)
    except Cancelled:
        _finish(
            job_id, JobState.CANCELLED, "Cancelled by the organiser; the previous plan is kept."
        )
    except JobError as exc:
        _finish(job_id, JobState.FAILED, planner.explain(str(exc), job.event))
    except Exception as exc:
        log.exception("solve job %s failed", job_id)
        _finish(job_id, JobState.FAILED, f"The planner stopped with an internal error ({exc}).")
    else:
        job.plan = plan
        job.state, job.finished_at = JobState.SUCCEEDED, utcnow()
        db.session.commit()


def _finish(job_id: int, state: JobState, message: str) -> None:
    db.session.rollback()
    job = db.session.get(SolveJob, job_id)
    job.state, job.error, job.finished_at = state, message, utcnow()
    db.session.commit()


def _dispatch(app: Flask, job_id: int, time_limit: float) -> None:
    if app.config.get("REDIS_URL"):
        rq_queue(app).enqueue_call(run_in_rq_worker, args=(job_id,), timeout=int(time_limit) + 300)
    else:
        _executor(app).submit(_run_in_thread, app, job_id)


def _executor(app: Flask) -> ThreadPoolExecutor:
    # One solve at a time per process: CP-SAT already uses every core it is given.
    return app.extensions.setdefault(
        "convene_solve_executor", ThreadPoolExecutor(max_workers=1, thread_name_prefix="solve")
    )


def _run_in_thread(app: Flask, job_id: int) -> None:
    with app.app_context():
        try:
            run(job_id)
        except Exception:
            # The executor would keep the exception in a future nobody reads.
            log.exception("solve job %s could not be run", job_id)
        finally:
            db.session.remove()


def rq_queue(app: Flask):
    # Imported here: only deployments with REDIS_URL use them, and rq is slow to import.
    from redis import Redis
    from rq import Queue

    return Queue(RQ_QUEUE, connection=Redis.from_url(app.config["REDIS_URL"]))


def run_in_rq_worker(job_id: int) -> None:
    """RQ's entry point; the worker (`flask --app wsgi worker`) provides the app context."""
    try:
        run(job_id)
    finally:
        db.session.remove()


def work(app: Flask, burst: bool = False) -> None:
    """Run an RQ worker for solve jobs in this process, inside the app's context."""
    from rq import SimpleWorker  # as in rq_queue: only with REDIS_URL

    queue = rq_queue(app)
    with app.app_context():
        SimpleWorker([queue], connection=queue.connection).work(burst=burst)
