"""Matching a mentoring scheme or secondment round in the background: the engine
(scheduler/mentoring.py) run as a solve job (planning/jobs.py: the same runners, leases and
cancelling as planning), and the programme turned into the engine's problem.

Members become the engine's mentors and mentees under their ids (as text); the organisation is
the directory's (its id), so two spellings of one organisation count as one; the sector is the
member's (Member.sector). A successful run replaces the programme's pairs and its figures
(MentoringMatching) in the transaction that marks the job succeeded; a failed or cancelled one
leaves them as they were. Matches already published are never replaced.

May import: models, planning.jobs (the protocol its planners follow), planning.summaries (a
job's words), programmes.mentoring_members, scheduler.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Any

from sqlalchemy import delete, select

from app.extensions import db
from app.models import (
    JobKind,
    JobState,
    Member,
    MentoringMatching,
    MentoringPair,
    MentoringPreference,
    Programme,
    ProgrammeStatus,
    SolveJob,
)
from app.models.mentoring import MENTEE, MENTOR
from app.services.planning import jobs
from app.services.planning.jobs import JobError, Planner, Reporter
from app.services.planning.summaries import STATES, JobSummary, seconds_run
from app.services.programmes.mentoring_members import members, words
from scheduler.mentoring import (
    MODES,
    Mentee,
    Mentor,
    MentoringOptions,
    MentoringProblem,
    MentoringResult,
    match_mentoring,
)
from scheduler.people import InputError

DEFAULT_TIME_LIMIT = 30
STAGE_WORDS = {
    "matched": "matching as many as possible",
    "worst_off": "making the worst-off match as good as possible",
    "fit": "sharing the most topics and choices",
}


@dataclass(frozen=True)
class Prepared:
    programme_id: int
    problem: MentoringProblem
    options: MentoringOptions


def problem_of(programme: Programme) -> MentoringProblem:
    """The programme's members as the engine's problem (module docstring)."""
    mentors, mentees = members(programme, MENTOR), members(programme, MENTEE)
    ids = {m.id for m in mentors} | {m.id for m in mentees}
    ranked: dict[int, list[tuple[int, int]]] = {}
    ruled_out: dict[int, set[str]] = {}
    for p in db.session.scalars(
        select(MentoringPreference).where(MentoringPreference.member_id.in_(ids))
    ):
        if p.rank is None:
            ruled_out.setdefault(p.member_id, set()).add(str(p.other_id))
        else:
            ranked.setdefault(p.member_id, []).append((p.rank, p.other_id))

    def choices(member: Member) -> dict[str, Any]:
        best_first = tuple(str(other) for _, other in sorted(ranked.get(member.id, [])))
        return {
            "id": str(member.id),
            "name": member.name,
            "organisation": str(member.organisation_id),
            "sector": member.sector,
            "profession": member.profession,
            "preferences": best_first,
            "unacceptable": frozenset(ruled_out.get(member.id, set())),
        }

    return MentoringProblem(
        mentors=tuple(
            Mentor(**choices(m), capacity=m.capacity, offers=tuple(m.topics)) for m in mentors
        ),
        mentees=tuple(Mentee(**choices(m), wants=tuple(m.topics)) for m in mentees),
    )


def start(programme: Programme, mode: str, time_limit: float) -> SolveJob:
    """Queue a matching run (JobError if one is running, or the matches are published)."""
    if programme.status == ProgrammeStatus.PUBLISHED:
        raise JobError("The matches are published: they can no longer be made again.")
    if mode not in MODES:
        raise JobError(f"Choose how to match: {', '.join(MODES)}.")
    return jobs.start(programme, JobKind.MENTORING, {"mode": mode, "time_limit": time_limit})


def prepare(job: SolveJob) -> Prepared:
    programme = job.programme
    if programme.status == ProgrammeStatus.PUBLISHED:
        raise JobError("The matches are published already.")
    problem = problem_of(programme)
    mentor_words, mentee_words = words(programme, MENTOR), words(programme, MENTEE)
    if not problem.mentors or not problem.mentees:
        raise JobError(
            f"Matching needs {mentor_words.many} and {mentee_words.many}: "
            f"{len(problem.mentors)} {mentor_words.many} and "
            f"{len(problem.mentees)} {mentee_words.many} have joined."
        )
    options = MentoringOptions(
        mode=job.params.get("mode", "most-matched"),
        time_limit=float(job.params.get("time_limit", DEFAULT_TIME_LIMIT)),
        seed=int(job.params.get("seed", 0)),
    )
    return Prepared(programme.id, problem, options)


def solve(prepared: Prepared, reporter: Reporter) -> MentoringResult:
    def progress(p) -> bool:
        return reporter.update(
            {"stage": p.stage, "stage_number": p.stage_number, "stage_count": p.stage_count}
        )

    try:
        return match_mentoring(prepared.problem, prepared.options, progress)
    except InputError as error:
        raise JobError(str(error)) from None


def store(job: SolveJob, prepared: Prepared, result: MentoringResult) -> None:
    """Replace the programme's pairs and figures (only pairs whose two members are still in the
    programme: someone may have withdrawn while it ran)."""
    programme = job.programme
    if programme.status == ProgrammeStatus.PUBLISHED:
        raise JobError("The matches were published while this ran: they are kept as published.")
    still_here = set(
        db.session.scalars(select(Member.id).where(Member.programme_id == programme.id))
    )
    db.session.execute(delete(MentoringPair).where(MentoringPair.programme_id == programme.id))
    db.session.add_all(
        MentoringPair(programme_id=programme.id, mentor_id=int(mentor), mentee_id=int(mentee))
        for mentor, mentee in result.pairs
        if int(mentor) in still_here and int(mentee) in still_here
    )
    matching = db.session.get(MentoringMatching, programme.id) or MentoringMatching(
        programme_id=programme.id
    )
    matching.mode = prepared.options.mode
    matching.solver_status, matching.message = result.status, result.message
    matching.metrics = asdict(result.metrics)
    db.session.add(matching)
    return None


def explain(message: str, programme: Programme) -> str:
    return message


PLANNERS = {JobKind.MENTORING: Planner(prepare, solve, store, explain)}


def job_summary(job: SolveJob) -> JobSummary:
    """The matching job in words (for its page and JSON status, as planning's job page)."""
    state = STATES[job.state]
    if job.state != JobState.RUNNING:
        return JobSummary(state, seconds_run(job), "")
    progress = job.progress or {}
    if step := progress.get("stage"):
        doing = STAGE_WORDS.get(step, step.replace("_", " "))
        heading = f"Step {progress['stage_number']} of {progress['stage_count']}: {doing}"
        return JobSummary(state, seconds_run(job), heading)
    return JobSummary(state, seconds_run(job), "Getting started")
