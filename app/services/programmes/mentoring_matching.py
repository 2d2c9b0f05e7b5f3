"""Matching a mentoring scheme or secondment round in the background: the engine
(scheduler/mentoring.py) run as a solve job (planning/jobs.py: the same runners, leases and
cancelling as planning), and the programme turned into the engine's problem.

Members become the engine's mentors and mentees under their ids (as text); the organisation is
the directory's (its id), so two spellings of one organisation count as one; the sector is the
member's (Member.sector). A successful run replaces the programme's pairs and its figures
(MentoringMatching) in the transaction that marks the job succeeded; a failed or cancelled one
leaves them as they were.

Once the matches are published, a run is a repair: the published pairs that still keep the
rules are the engine's fixed pairs (MentoringProblem.fixed) and stay; only the rest (the
people whose match left, those never matched, and published pairs that now break a rule) is
matched again, as changes for the organiser to publish (mentoring_review). Both members of a
published pair so replaced are told, kindly, that it has ended, in the transaction that
replaces it. The result is stored under the programme's lock (programmes.lock), as the
organisers' adjustments are made: a pair made by hand or a change published while it is stored
waits, and is kept to.

May import: models, messaging.outbox (the match-ended messages), planning.jobs (the protocol its
planners follow), planning.summaries (a job's words), programmes.{programmes (the programme's
lock), mentoring_members}, scheduler.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import asdict, dataclass, replace
from typing import Any

from sqlalchemy import select

from app.extensions import db
from app.models import (
    JobKind,
    MailKind,
    Member,
    MentoringMatching,
    MentoringPair,
    MentoringPreference,
    Programme,
    ProgrammeStatus,
    SolveJob,
)
from app.models.mentoring import MENTEE, MENTOR
from app.services.messaging import outbox
from app.services.planning import jobs
from app.services.planning.jobs import JobError, Planner, Reporter
from app.services.planning.summaries import JobSummary, staged_job_summary
from app.services.programmes import programmes
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
    """`replaced`: the ids of published pairs a repair may replace (they break a rule)."""

    programme_id: int
    problem: MentoringProblem
    options: MentoringOptions
    replaced: frozenset[int] = frozenset()


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
    """Queue a matching run, a repair once published (JobError if one is running)."""
    if mode not in MODES:
        raise JobError(f"Choose how to match: {', '.join(MODES)}.")
    return jobs.start(programme, JobKind.MENTORING, {"mode": mode, "time_limit": time_limit})


def prepare(job: SolveJob) -> Prepared:
    programme = job.programme
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
    if programme.status != ProgrammeStatus.PUBLISHED:
        return Prepared(programme.id, problem, options)
    kept, replaced = _published_pairs_kept(programme, problem)
    fixed = tuple((str(p.mentor_id), str(p.mentee_id)) for p in kept)
    return Prepared(programme.id, replace(problem, fixed=fixed), options, replaced)


def _published_pairs_kept(
    programme: Programme, problem: MentoringProblem
) -> tuple[list[MentoringPair], frozenset[int]]:
    """The published pairs that still keep the rules (acceptable, within the mentor's
    capacity), and the ids of those that do not."""
    table = problem.pairs
    mentor_pos = {m.id: i for i, m in enumerate(problem.mentors)}
    mentee_pos = {e.id: j for j, e in enumerate(problem.mentees)}
    acceptable = set(zip(table.mentor.tolist(), table.mentee.tolist(), strict=True))
    published = db.session.scalars(
        select(MentoringPair)
        .where(MentoringPair.programme_id == programme.id, MentoringPair.published_at.is_not(None))
        .order_by(MentoringPair.published_at, MentoringPair.id)
    )
    kept, replaced, load = [], set(), Counter[int]()
    for pair in published:
        i, j = mentor_pos[str(pair.mentor_id)], mentee_pos[str(pair.mentee_id)]
        if (i, j) in acceptable and load[pair.mentor_id] < pair.mentor.capacity:
            kept.append(pair)
            load[pair.mentor_id] += 1
        else:
            replaced.add(pair.id)
    return kept, frozenset(replaced)


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
    """Replace the programme's pairs and figures: every pair not published (and, in a repair,
    the published ones that broke a rule) by the result's, keeping the rules against the pairs
    there are now (someone may have withdrawn, or a change been published, while it ran),
    read under the programme's lock."""
    programme = programmes.lock(job.programme_id)
    still_here = set(
        db.session.scalars(select(Member.id).where(Member.programme_id == programme.id))
    )
    wanted = {(int(mentor), int(mentee)) for mentor, mentee in result.pairs}
    current = db.session.scalars(
        select(MentoringPair).where(MentoringPair.programme_id == programme.id)
    ).all()
    staying = []
    for pair in current:
        replaceable = pair.published_at is None or pair.id in prepared.replaced
        if replaceable and (pair.mentor_id, pair.mentee_id) not in wanted:
            if pair.published_at is not None:  # they were told of it: tell them it ended
                outbox.queue(MailKind.MENTORING_MATCH_ENDED, pair.mentor, other=pair.mentee.name)
                outbox.queue(MailKind.MENTORING_MATCH_ENDED, pair.mentee, other=pair.mentor.name)
            db.session.delete(pair)
        else:
            staying.append(pair)
    # the deletions first: a flush inserts before it deletes, and a mentee whose pair is
    # replaced would otherwise be in two pairs for a moment (the unique constraint refuses it)
    db.session.flush()
    paired = {p.mentee_id for p in staying}
    load = Counter(p.mentor_id for p in staying)
    capacity = {int(m.id): m.capacity for m in prepared.problem.mentors}
    for mentor, mentee in sorted(wanted):
        if mentee in paired or mentor not in still_here or mentee not in still_here:
            continue
        if load[mentor] >= capacity[mentor]:
            continue
        db.session.add(MentoringPair(programme_id=programme.id, mentor_id=mentor, mentee_id=mentee))
        paired.add(mentee)
        load[mentor] += 1
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
    return staged_job_summary(job, STAGE_WORDS)
