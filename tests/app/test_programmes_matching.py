"""Matching a programme as a background job (the planning job runners): a small case run end to
end with the in-process runner, its figures checked against bounds computed here by brute force;
and the job page, its progress and cancelling."""

from __future__ import annotations

from datetime import timedelta
from itertools import product

from app.extensions import db
from app.models import JobState, MentoringMatching, MentoringPair, Programme
from app.models.types import utcnow
from app.services.planning import jobs
from app.services.programmes import mentoring_matching
from tests.app.planning_helpers import wait_for
from tests.app.programme_helpers import add_member, make_programme, prefer


def small_scheme(organiser) -> Programme:
    """Three mentors (one takes two) and four mentees, with one pair ruled out and same-sector
    pairs forbidden: at most three mentees can be matched."""
    programme = make_programme(organiser)
    ann = add_member(programme, "mentor", "Ann", "Kent Police", "Police and justice", capacity=2)
    bob = add_member(programme, "mentor", "Bob", "Medway Council", "Local government")
    add_member(
        programme,
        "mentor",
        "Cy",
        "Kent Fire",
        "Fire and rescue",
    )
    dee = add_member(programme, "mentee", "Dee", "Swale Council", "Local government")
    add_member(programme, "mentee", "Eve", "Medway NHS", "NHS and health", topics=("data",))
    add_member(programme, "mentee", "Fay", "Kent Police", "Police and justice")
    gus = add_member(programme, "mentee", "Gus", "Kent Fire", "Fire and rescue")
    prefer(dee, bob)  # Dee would like Bob, but both are in local government
    prefer(gus, ruled_out=(ann,))
    return programme


def acceptable(mentor, mentee, ruled_out) -> bool:
    return (
        mentor.organisation_id != mentee.organisation_id
        and mentor.sector != mentee.sector
        and (mentor.id, mentee.id) not in ruled_out
    )


def most_matched_by_brute_force(programme: Programme) -> int:
    """The most mentees any matching can pair: every assignment of a mentor (or none) to each
    mentee, kept if it breaks no hard rule."""
    members = programme.members
    mentors = [m for m in members if m.side == "mentor"]
    mentees = [m for m in members if m.side == "mentee"]
    ruled_out = {
        (m.id, e.id) for m in mentors for e in mentees if e.name == "Gus" and m.name == "Ann"
    }
    best = 0
    for choice in product([None, *mentors], repeat=len(mentees)):
        loads = {m.id: sum(c is m for c in choice) for m in mentors}
        if any(loads[m.id] > m.capacity for m in mentors):
            continue
        chosen = zip(choice, mentees, strict=True)
        if all(c is None or acceptable(c, e, ruled_out) for c, e in chosen):
            best = max(best, sum(c is not None for c in choice))
    return best


def test_a_matching_job_runs_in_the_background_and_meets_its_bound(app, organiser):
    programme = small_scheme(organiser)
    job = mentoring_matching.start(programme, "most-matched", 5)
    job = wait_for(job.id)
    assert job.state == JobState.SUCCEEDED, job.error
    assert job.plan_id is None and job.event_id is None
    best = most_matched_by_brute_force(programme)
    pairs = list(db.session.scalars(db.select(MentoringPair)))
    assert len(pairs) == best
    for pair in pairs:
        assert pair.mentor.organisation_id != pair.mentee.organisation_id
        assert pair.mentor.sector != pair.mentee.sector
        assert (pair.mentor.name, pair.mentee.name) != ("Ann", "Gus")
    assert len({p.mentee_id for p in pairs}) == len(pairs)
    metrics = db.session.get(MentoringMatching, programme.id).metrics
    assert metrics["matched"] == metrics["matched_bound"] == best
    assert metrics["blocking_pairs"] >= 0 and metrics["other_mode"]["mode"] == "stable"


def test_stable_mode_leaves_no_blocking_pair(app, organiser):
    programme = small_scheme(organiser)
    job = wait_for(mentoring_matching.start(programme, "stable", 5).id)
    assert job.state == JobState.SUCCEEDED, job.error
    metrics = db.session.get(MentoringMatching, programme.id).metrics
    assert metrics["blocking_pairs"] == 0
    assert metrics["matched"] <= metrics["matched_bound"]


def test_matching_needs_both_sides(app, organiser):
    programme = make_programme(organiser)
    add_member(programme, "mentor", "Ann", "Kent Police", "Police and justice")
    job = wait_for(mentoring_matching.start(programme, "most-matched", 5).id)
    assert job.state == JobState.FAILED
    assert job.error == "Matching needs mentors and mentees: 1 mentors and 0 mentees have joined."


def test_the_organiser_starts_matching_and_follows_it(signed_in, organiser):
    programme = small_scheme(organiser)
    base = f"/organise/programmes/{programme.id}"
    response = signed_in.submit(
        f"{base}/match", {"mode": "most-matched", "time_limit": "5"}, form_url=base
    )
    assert response.status_code == 302
    job = wait_for(int(response.headers["Location"].rsplit("/", 1)[1]))
    page = signed_in.get(response.headers["Location"]).get_data(as_text=True)
    assert "Finished" in page and "Review the matches" in page
    status = signed_in.get(f"{response.headers['Location']}.json").get_json()
    assert status["state"] == "succeeded"
    assert db.session.scalar(db.select(db.func.count()).select_from(MentoringPair)) > 0
    assert job.programme_id == programme.id


def test_a_queued_matching_can_be_cancelled_and_keeps_the_previous_matches(signed_in, organiser):
    programme = small_scheme(organiser)
    job = jobs.create(programme, "mentoring", {"mode": "most-matched", "time_limit": 5})
    url = f"/organise/programmes/{programme.id}/jobs/{job.id}"
    signed_in.submit(f"{url}/cancel", form_url=url)
    db.session.refresh(job)
    assert job.state == JobState.CANCELLED
    assert db.session.scalar(db.select(MentoringPair)) is None
    jobs.run(job.id)  # a runner that picks it up later does nothing
    assert db.session.scalar(db.select(MentoringPair)) is None


def test_only_one_matching_at_a_time(app, organiser):
    programme = small_scheme(organiser)
    jobs.create(programme, "mentoring", {"mode": "most-matched", "time_limit": 5})
    try:
        mentoring_matching.start(programme, "most-matched", 5)
    except jobs.JobError as error:
        assert str(error) == "A matching is already being made for this programme."
    else:
        raise AssertionError("a second matching started")


def test_a_matching_that_lost_its_process_says_the_matches_are_kept(signed_in, organiser):
    """A lapsed or cancelled matching speaks of the programme's matches, not of a plan; the
    organiser who cancels a running one is told the same."""
    programme = small_scheme(organiser)
    lapsed = jobs.create(programme, "mentoring", {"mode": "most-matched", "time_limit": 5})
    lapsed.state, lapsed.lease_expires_at = JobState.RUNNING, utcnow() - timedelta(seconds=1)
    db.session.commit()
    assert jobs.expire_lapsed() == 1
    assert lapsed.error == (
        "The matching stopped responding (its process ended); the previous matches are kept. "
        "Start again."
    )
    running = jobs.create(programme, "mentoring", {"mode": "most-matched", "time_limit": 5})
    running.state = JobState.RUNNING
    db.session.commit()
    url = f"/organise/programmes/{programme.id}/jobs/{running.id}"
    page = signed_in.submit(f"{url}/cancel", form_url=url, follow_redirects=True)
    assert "Cancelling: the previous matches are kept." in page.get_data(as_text=True)
    running.lease_expires_at = utcnow() - timedelta(seconds=1)
    db.session.commit()
    jobs.expire_lapsed(programme)
    assert running.state == JobState.CANCELLED
    assert running.error == "Cancelled by the organiser; the previous matches are kept."


def test_a_matching_that_breaks_says_the_matches_are_kept(app, organiser, monkeypatch):
    programme = small_scheme(organiser)

    def broken(*args, **kwargs):
        raise RuntimeError("boom")

    monkeypatch.setattr(mentoring_matching, "match_mentoring", broken)
    job = wait_for(mentoring_matching.start(programme, "most-matched", 5).id)
    assert job.state == JobState.FAILED
    assert job.error == (
        "The matching stopped with an internal error (boom); the previous matches are kept."
    )
