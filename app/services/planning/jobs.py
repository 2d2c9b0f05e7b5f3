"""Background solve jobs: one contract, two runners.

A job belongs to its owner: an event (making a plan of tables or breakouts) or a programme
(matching its mentors and mentees); "the owner" below is either.

Contract:
- `start(owner, kind, params)` stores a SolveJob (state `queued`) and commits it *before*
  handing its id to a runner, so every page, organiser and worker sees the same job.
- A runner calls `run(job_id)`: `queued -> running -> succeeded | failed | cancelled`. The solve
  reports progress through `Reporter.update`, which writes the job row in its own short
  transaction (throttled) and tells the solver whether cancellation was requested.
- Only a successful run writes a plan (or a matching), in the same transaction that marks the job
  succeeded; a failed or cancelled run writes nothing else, so the previous one stays as it was.
- Runners: an in-process worker thread by default; RQ workers on Redis when REDIS_URL is set
  (`flask --app wsgi worker`). Both call the same `run`.
- Leases: a process that holds a job (the one that created it, until a runner takes it; the
  runner, while it runs) keeps `lease_expires_at` a lease (SOLVE_LEASE_SECONDS) ahead: its
  LeaseKeeper renews every held job a quarter of the lease apart, and every progress write
  renews it too. A job waiting in RQ's queue (in Redis, which outlives any process) has none.
  An active job whose lease has run out lost its process (killed, crashed, cut off from the
  database): `expire_lapsed` marks it failed (cancelled, if the organiser had asked) and the
  previous plan is untouched (`kept` says so in the owner's words). It is called by every page
  and request that looks at an owner's jobs, by `create` before it checks for an active job,
  by the RQ worker as it starts and before each job, and as `flask --app wsgi` starts
  (wsgi.py). A runner that finds its job no longer running when it finishes stores nothing.
- Decisions are taken under a lock held until they are committed: "no active job, so add one"
  under the owner's row lock, "still running, so store the plan" and "cancel" under the job's
  (SELECT ... FOR UPDATE on PostgreSQL; on SQLite every write here runs in a transaction
  holding the write lock from its first statement, app/extensions.py). Progress and lease
  writes take the write lock first too, so they queue fairly with the organisers' writes.
- What a job of each kind does is a `Planner`, given to the runner at start-up
  (`init_app(app, planners)`, from planning/translation.py and programmes/mentoring_matching.py):
  the runner knows jobs, not solvers.

May import: models only.
"""

from __future__ import annotations

import logging
import threading
import time
from collections import Counter
from collections.abc import Callable, Iterator, Mapping
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from flask import Flask, current_app
from sqlalchemy import Engine, exists, select, update
from sqlalchemy.exc import SQLAlchemyError

from app.extensions import WRITE_LOCK, db
from app.models import Event, JobKind, JobState, Plan, Programme, SolveJob
from app.models.types import utcnow

log = logging.getLogger(__name__)
RQ_QUEUE = "convene-solve"
PROGRESS_INTERVAL = 0.5  # seconds between progress writes
ACTIVE = (JobState.QUEUED, JobState.RUNNING)
PLANNERS_KEY = "convene_planners"
LEASES_KEY = "convene_solve_leases"


class JobError(ValueError):
    """A solve that cannot start or finish; the message is shown to the organiser."""


class Cancelled(Exception):
    """The organiser cancelled while the solve ran: its result is dropped."""


class Reporter:
    """Progress from a solve (possibly on the solver's own thread) to the job row; each write
    also renews the job's lease."""

    def __init__(self, engine: Engine, job_id: int, lease: timedelta):
        self.engine = engine
        self.job_id = job_id
        self.lease = lease
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
        with _writing(self.engine) as connection:
            connection.execute(
                update(SolveJob)
                .where(SolveJob.id == self.job_id, SolveJob.state == JobState.RUNNING)
                .values(progress=progress, lease_expires_at=utcnow() + self.lease)
            )
            state, cancel_requested = connection.execute(
                select(SolveJob.state, SolveJob.cancel_requested).where(SolveJob.id == self.job_id)
            ).one()
        # A job ended meanwhile (its lease ran out) is dropped like a cancelled one.
        self.cancelled = cancel_requested or state != JobState.RUNNING
        return self.cancelled


Owner = Event | Programme


def _for_programme(owner: Owner | bool) -> bool:
    return owner if isinstance(owner, bool) else isinstance(owner, Programme)


def kept(owner: Owner | bool) -> str:
    """What a job that ends without a result leaves as it was, in words: a programme's matches
    or an event's plan (`owner`, or whether it is a programme). Every message that says so
    takes it from here."""
    return "the previous matches are kept" if _for_programme(owner) else "the previous plan is kept"


def solver_name(owner: Owner | bool) -> str:
    """What the organiser calls the job's solver: a programme's matching, an event's planner."""
    return "matching" if _for_programme(owner) else "planner"


def lapsed_message(owner: Owner | bool) -> str:
    return (
        f"The {solver_name(owner)} stopped responding (its process ended); {kept(owner)}. "
        "Start again."
    )


def cancelled_message(owner: Owner | bool) -> str:
    return f"Cancelled by the organiser; {kept(owner)}."


@dataclass(frozen=True)
class Planner:
    """The steps of a solve job: read the database (`prepare`), solve without it (`solve`),
    write the result (`store`: a plan, which the job links to, or None when the result is kept
    elsewhere, e.g. a programme's pairs); `explain` words a JobError's message for the organiser."""

    prepare: Callable[[SolveJob], Any]
    solve: Callable[[Any, Reporter], Any]
    store: Callable[[SolveJob, Any, Any], Plan | None]
    explain: Callable[[str, Owner], str]


@contextmanager
def _writing(engine: Engine) -> Iterator[Any]:
    """A short transaction on a connection of its own that takes the write lock first."""
    connection = engine.connect().execution_options(**{WRITE_LOCK: True})
    with connection, connection.begin():
        yield connection


class LeaseKeeper:
    """Renews the lease of every job this process holds, on a thread of its own (running only
    while it holds some), so a long solve phase that reports nothing still shows its process
    is alive."""

    def __init__(self, engine: Engine, lease: timedelta) -> None:
        self.engine = engine
        self.lease = lease
        self._held: Counter[int] = Counter()
        self._lock = threading.Lock()
        self._renewing = False

    def lease_end(self) -> datetime:
        """When a lease taken or renewed now runs out."""
        return utcnow() + self.lease

    def hold(self, job_id: int) -> None:
        """Renew `job_id`'s lease until as many `release`s as `hold`s."""
        with self._lock:
            self._held[job_id] += 1
            if not self._renewing:
                self._renewing = True
                threading.Thread(target=self._renew, name="solve-leases", daemon=True).start()

    def release(self, job_id: int) -> None:
        with self._lock:
            self._held[job_id] -= 1
            if not self._held[job_id]:
                del self._held[job_id]

    @contextmanager
    def holding(self, job_id: int) -> Iterator[None]:
        self.hold(job_id)
        try:
            yield
        finally:
            self.release(job_id)

    def _renew(self) -> None:
        while True:
            time.sleep(self.lease.total_seconds() / 4)
            with self._lock:
                held = list(self._held)
                if not held:
                    self._renewing = False
                    return
            try:
                with _writing(self.engine) as connection:
                    connection.execute(
                        update(SolveJob)
                        .where(SolveJob.id.in_(held), SolveJob.state.in_(ACTIVE))
                        .values(lease_expires_at=self.lease_end())
                    )
            except SQLAlchemyError:
                # The next renewal tries again; only a lease that runs out meanwhile is lost.
                log.exception("could not renew the leases of solve jobs %s", held)


def init_app(app: Flask, planners: Mapping[JobKind, Planner]) -> None:
    """Take the planner of every kind of job, and check SOLVE_LEASE_SECONDS."""
    if missing := [kind.value for kind in JobKind if kind not in planners]:
        raise RuntimeError(f"no planner for job kinds {missing}")
    app.extensions[PLANNERS_KEY] = dict(planners)
    setting = app.config.get("SOLVE_LEASE_SECONDS", 60)
    try:
        seconds = float(setting)
    except (TypeError, ValueError):
        seconds = 0
    if not 1 <= seconds <= 86_400:
        raise RuntimeError(
            f"SOLVE_LEASE_SECONDS must be a number of seconds from 1 to 86400, not {setting!r}"
        )
    app.config["SOLVE_LEASE_SECONDS"] = seconds


def _leases() -> LeaseKeeper:
    """This process's LeaseKeeper for the current app (made on first use: it needs the engine)."""
    app = current_app._get_current_object()
    if LEASES_KEY not in app.extensions:
        lease = timedelta(seconds=app.config["SOLVE_LEASE_SECONDS"])
        app.extensions[LEASES_KEY] = LeaseKeeper(db.engine, lease)
    return app.extensions[LEASES_KEY]


def _begin_writing() -> None:
    """End the session's read transaction, if any, and begin one that takes the write lock with
    its first statement (see the module's contract)."""
    session = db.session()
    if session.new or session.dirty or session.deleted:
        raise RuntimeError("a write-locked transaction needs a session without unsaved changes")
    if session.in_transaction():
        session.commit()
    session.connection(execution_options={WRITE_LOCK: True})


def _lock(job: SolveJob) -> None:
    """Reload `job` and lock its row until the transaction ends (the row lock is PostgreSQL's;
    on SQLite the transaction already holds the write lock)."""
    db.session.execute(
        select(SolveJob)
        .where(SolveJob.id == job.id)
        .with_for_update()
        .execution_options(populate_existing=True)
    )


def _owned_by(owner: Owner):
    """The condition of the jobs of `owner`."""
    if isinstance(owner, Programme):
        return SolveJob.programme_id == owner.id
    return SolveJob.event_id == owner.id


def _lapsed(owner: Owner | None):
    """The condition of active jobs (of `owner`, or of every owner) whose lease has run out."""
    conditions = [
        SolveJob.state.in_(ACTIVE),
        SolveJob.lease_expires_at.is_not(None),
        SolveJob.lease_expires_at < utcnow(),
    ]
    if owner is not None:
        conditions.append(_owned_by(owner))
    return conditions


def expire_lapsed(owner: Owner | None = None) -> int:
    """Mark failed every active job (of `owner`, or of every owner) whose lease has run out;
    cancelled instead if the organiser had asked. Returns how many; cheap when there are none
    (one read, no write lock)."""
    if not db.session.scalar(select(exists().where(*_lapsed(owner)))):
        return 0
    _begin_writing()
    count = _expire_in_transaction(owner)
    db.session.commit()
    return count


def _expire_in_transaction(owner: Owner | None) -> int:
    count = 0
    for is_programme in (True, False):
        for cancel_requested, message, state in (
            (True, cancelled_message(is_programme), JobState.CANCELLED),
            (False, lapsed_message(is_programme), JobState.FAILED),
        ):
            count += db.session.execute(
                update(SolveJob)
                .where(
                    *_lapsed(owner),
                    SolveJob.cancel_requested.is_(cancel_requested),
                    SolveJob.programme_id.is_not(None)
                    if is_programme
                    else SolveJob.event_id.is_not(None),
                )
                .values(state=state, error=message, finished_at=utcnow(), lease_expires_at=None)
            ).rowcount
    if count:
        log.warning("%s solve jobs lost their process and were ended", count)
    return count


def expire_lapsed_at_start_up(app: Flask) -> None:
    """`expire_lapsed` for every event as a command or server starts (wsgi.py). Skipped, quietly,
    when the database cannot answer yet (e.g. before `flask --app wsgi db upgrade`): the
    command itself says what is wrong, or is the cure."""
    with app.app_context():
        try:
            expire_lapsed()
        except SQLAlchemyError as error:
            log.info("lapsed solve jobs not looked for at start-up: %s", error)
        finally:
            db.session.remove()
            # Forked server workers must not share the connection used here.
            db.engine.dispose()


def active_job(owner: Owner, kind: JobKind) -> SolveJob | None:
    return db.session.scalar(
        select(SolveJob).where(_owned_by(owner), SolveJob.kind == kind, SolveJob.state.in_(ACTIVE))
    )


def latest_job(owner: Owner, kind: JobKind) -> SolveJob | None:
    return db.session.scalar(
        select(SolveJob)
        .where(_owned_by(owner), SolveJob.kind == kind)
        .order_by(SolveJob.id.desc())
        .limit(1)
    )


def latest_job_for_plan(plan: Plan) -> SolveJob | None:
    """The job that made `plan`, whose settings a re-solve reuses."""
    return db.session.scalar(select(SolveJob).where(SolveJob.plan_id == plan.id))


def create(owner: Owner, kind: JobKind, params: dict[str, Any]) -> SolveJob:
    """Store a queued job (one active job per owner and kind), held by this process's lease
    until a runner takes it; `start` also dispatches it."""
    _begin_writing()
    # The owner's row locked (PostgreSQL; SQLite's write lock is already held): two organisers
    # starting at once cannot both find no active job.
    table = type(owner)
    db.session.execute(select(table.id).where(table.id == owner.id).with_for_update())
    _expire_in_transaction(owner)
    if active_job(owner, kind) is not None:
        db.session.rollback()
        if isinstance(owner, Programme):
            raise JobError("A matching is already being made for this programme.")
        raise JobError(f"A {kind.value} plan is already being made for this event.")
    owned = {"programme": owner} if isinstance(owner, Programme) else {"event": owner}
    job = SolveJob(
        **owned,
        kind=kind,
        params=params,
        state=JobState.QUEUED,
        lease_expires_at=_leases().lease_end(),
    )
    db.session.add(job)
    db.session.commit()
    return job


def start(owner: Owner, kind: JobKind, params: dict[str, Any]) -> SolveJob:
    """Queue a solve and hand it to a runner."""
    job = create(owner, kind, params)
    _dispatch(current_app._get_current_object(), job.id, params.get("time_limit", 60))
    return job


def cancel(job: SolveJob) -> None:
    """Ask a running job to stop; a job still queued is cancelled at once, and one whose
    process has gone is ended at once if its lease has run out, else when it does."""
    _begin_writing()
    _expire_in_transaction(job.owner)
    _lock(job)
    if job.state == JobState.QUEUED:
        job.state, job.finished_at = JobState.CANCELLED, utcnow()
        job.error, job.lease_expires_at = "Cancelled before it started.", None
    if job.state == JobState.RUNNING:
        job.cancel_requested = True
    db.session.commit()


def run(job_id: int) -> None:
    """Carry out one job (inside an app context); see the module's contract."""
    leases = _leases()
    # Claimed in one statement, so a cancel or a second runner cannot slip in between.
    _begin_writing()
    claimed = db.session.execute(
        update(SolveJob)
        .where(SolveJob.id == job_id, SolveJob.state == JobState.QUEUED)
        .values(state=JobState.RUNNING, started_at=utcnow(), lease_expires_at=leases.lease_end())
    ).rowcount
    db.session.commit()
    if not claimed:
        return
    with leases.holding(job_id):
        _run_claimed(db.session.get(SolveJob, job_id), leases.lease)


def _run_claimed(job: SolveJob, lease: timedelta) -> None:
    job_id = job.id
    # Read now: after a failed write the session cannot load the owner to word the message.
    for_programme = job.programme_id is not None
    planner = current_app.extensions[PLANNERS_KEY][job.kind]
    reporter = Reporter(db.engine, job_id, lease)
    try:
        prepared = planner.prepare(job)
        db.session.commit()  # the solve may take minutes: hold no transaction open meanwhile
        result = planner.solve(prepared, reporter)
        _begin_writing()
        _lock(job)  # so the job cannot be cancelled or ended between this check and the commit
        if job.state != JobState.RUNNING:
            log.warning("solve job %s ended (%s) while it ran: plan dropped", job_id, job.state)
            db.session.rollback()
            return
        if job.cancel_requested:
            raise Cancelled
        plan = planner.store(job, prepared, result)
    except Cancelled:
        _finish(job_id, JobState.CANCELLED, cancelled_message(for_programme))
    except JobError as exc:
        _finish(job_id, JobState.FAILED, planner.explain(str(exc), job.owner))
    except Exception as exc:
        log.exception("solve job %s failed", job_id)
        _finish(
            job_id,
            JobState.FAILED,
            f"The {solver_name(for_programme)} stopped with an internal error ({exc}); "
            f"{kept(for_programme)}.",
        )
    else:
        job.plan = plan
        job.state, job.finished_at, job.lease_expires_at = JobState.SUCCEEDED, utcnow(), None
        db.session.commit()


def _finish(job_id: int, state: JobState, message: str) -> None:
    """End a running job without a plan (unless something else has ended it already)."""
    db.session.rollback()
    _begin_writing()
    db.session.execute(
        update(SolveJob)
        .where(SolveJob.id == job_id, SolveJob.state == JobState.RUNNING)
        .values(state=state, error=message, finished_at=utcnow(), lease_expires_at=None)
    )
    db.session.commit()


def _dispatch(app: Flask, job_id: int, time_limit: float) -> None:
    if app.config.get("REDIS_URL"):
        rq_queue(app).enqueue_call(run_in_rq_worker, args=(job_id,), timeout=int(time_limit) + 300)
        # Redis holds it now, however long it waits for a worker. Had enqueueing failed, the
        # lease would run out and the job be marked failed.
        _begin_writing()
        db.session.execute(
            update(SolveJob)
            .where(SolveJob.id == job_id, SolveJob.state == JobState.QUEUED)
            .values(lease_expires_at=None)
        )
        db.session.commit()
    else:
        leases = _leases()
        leases.hold(job_id)  # while it waits for the thread; released when the thread is done
        try:
            _executor(app).submit(_run_in_thread, app, job_id, leases)
        except BaseException:
            leases.release(job_id)
            raise


def _executor(app: Flask) -> ThreadPoolExecutor:
    # One solve at a time per process: CP-SAT already uses every core it is given.
    return app.extensions.setdefault(
        "convene_solve_executor", ThreadPoolExecutor(max_workers=1, thread_name_prefix="solve")
    )


def _run_in_thread(app: Flask, job_id: int, leases: LeaseKeeper) -> None:
    with app.app_context():
        try:
            run(job_id)
        except Exception:
            # The executor would keep the exception in a future nobody reads.
            log.exception("solve job %s could not be run", job_id)
        finally:
            db.session.remove()
            leases.release(job_id)  # held since _dispatch


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
    """Run an RQ worker for solve jobs in this process, inside the app's context; it ends the
    jobs whose process died as it starts and before each job."""
    from rq import SimpleWorker  # as in rq_queue: only with REDIS_URL

    class SolveWorker(SimpleWorker):
        def execute_job(self, job, queue):
            _expire_lapsed_between_jobs()
            return super().execute_job(job, queue)

    queue = rq_queue(app)
    with app.app_context():
        _expire_lapsed_between_jobs()
        SolveWorker([queue], connection=queue.connection).work(burst=burst)


def _expire_lapsed_between_jobs() -> None:
    try:
        expire_lapsed()
    except SQLAlchemyError:
        # The worker stays up: the next job, or the next look, tries again.
        log.exception("could not look for solve jobs whose process died")
    finally:
        db.session.remove()
