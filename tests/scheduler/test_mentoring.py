"""The mentoring matcher: hard rules on random small programmes, most-matched against brute
force and the max-flow bound, stable mode with no blocking pair (checked by brute force and
largest among stable matchings), deferred acceptance, the large-instance path, cancelling and
bad input."""

from __future__ import annotations

import dataclasses
import itertools

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from scheduler import mentoring
from scheduler.mentoring import (
    Mentee,
    Mentor,
    MentoringOptions,
    MentoringProblem,
    MentoringResult,
    match_mentoring,
)
from scheduler.mentoring_pairs import blocking_pairs, deferred_acceptance, unacceptable_reason
from scheduler.people import InputError

TOPICS = ("housing", "health", "finance", "safety")
FAST = settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])


@st.composite
def programmes(draw, max_mentors: int = 4, max_mentees: int = 5) -> MentoringProblem:
    """Small programmes: few organisations and sectors (so rules bite), random topics, partial
    rankings, and now and then someone ruled out."""
    mentor_count = draw(st.integers(1, max_mentors))
    mentee_count = draw(st.integers(1, max_mentees))
    mentor_ids = [f"m{i}" for i in range(mentor_count)]
    mentee_ids = [f"e{j}" for j in range(mentee_count)]
    orgs, sectors = ("A", "B", "C"), ("Council", "NHS", "Police")
    topic = st.lists(st.sampled_from(TOPICS), max_size=3, unique=True).map(tuple)

    def prefs(others: list[str]) -> tuple[tuple[str, ...], frozenset[str]]:
        ranked = draw(st.lists(st.sampled_from(others), max_size=3, unique=True))
        rest = [o for o in others if o not in ranked]
        ruled_out = draw(st.lists(st.sampled_from(rest), max_size=1)) if rest else []
        return tuple(ranked), frozenset(ruled_out)

    mentors = []
    for mentor_id in mentor_ids:
        ranked, ruled_out = prefs(mentee_ids)
        mentors.append(
            Mentor(
                mentor_id,
                mentor_id,
                draw(st.sampled_from(orgs)),
                draw(st.sampled_from(sectors)),
                "Director",
                draw(st.integers(1, 2)),
                draw(topic),
                ranked,
                ruled_out,
            )
        )
    mentees = []
    for mentee_id in mentee_ids:
        ranked, ruled_out = prefs(mentor_ids)
        mentees.append(
            Mentee(
                mentee_id,
                mentee_id,
                draw(st.sampled_from(orgs)),
                draw(st.sampled_from(sectors)),
                "Officer",
                draw(topic),
                ranked,
                ruled_out,
            )
        )
    return MentoringProblem(tuple(mentors), tuple(mentees), draw(st.booleans()))


# An independent reading of the rules and of "prefers" (scheduler.mentoring_pairs docstring).


def acceptable(problem: MentoringProblem, mentor: Mentor, mentee: Mentee) -> bool:
    return (
        mentor.organisation != mentee.organisation
        and (problem.allow_same_sector or mentor.sector != mentee.sector)
        and mentee.id not in mentor.unacceptable
        and mentor.id not in mentee.unacceptable
    )


def overlap(mentor: Mentor, mentee: Mentee) -> int:
    return len(set(mentor.offers) & set(mentee.wants))


def key(ranking: tuple[str, ...], other_id: str, shared: int) -> tuple[int, int]:
    """Lower is better: ranked partners in order, then the rest by topic overlap."""
    return (0, ranking.index(other_id)) if other_id in ranking else (1, -shared)


def mentee_key(mentee: Mentee, mentor: Mentor) -> tuple[int, int]:
    return key(mentee.preferences, mentor.id, overlap(mentor, mentee))


def mentor_key(mentor: Mentor, mentee: Mentee) -> tuple[int, int]:
    return key(mentor.preferences, mentee.id, overlap(mentor, mentee))


def fit(mentor: Mentor, mentee: Mentee) -> int:
    """2 points a shared topic; 4, 3, 2, then 1 for being ranked 1st, 2nd, 3rd, later."""

    def points(ranking: tuple[str, ...], other_id: str) -> int:
        return (
            (4, 3, 2)[ranking.index(other_id)]
            if other_id in ranking[:3]
            else int(other_id in ranking)
        )

    return (
        2 * overlap(mentor, mentee)
        + points(mentee.preferences, mentor.id)
        + points(mentor.preferences, mentee.id)
    )


def all_matchings(problem: MentoringProblem) -> list[dict[str, Mentor]]:
    """Every matching {mentee_id: mentor} that keeps the hard rules."""
    options = [
        [None] + [m for m in problem.mentors if acceptable(problem, m, e)] for e in problem.mentees
    ]
    found = []
    for choice in itertools.product(*options):
        load: dict[str, int] = {}
        for mentor in choice:
            if mentor is not None:
                load[mentor.id] = load.get(mentor.id, 0) + 1
        if all(load.get(m.id, 0) <= m.capacity for m in problem.mentors):
            found.append(
                {e.id: m for e, m in zip(problem.mentees, choice, strict=True) if m is not None}
            )
    return found


def blocking(problem: MentoringProblem, matching: dict[str, Mentor]) -> list[tuple[str, str]]:
    found = []
    for mentor in problem.mentors:
        mine = [e for e in problem.mentees if e.id in matching and matching[e.id].id == mentor.id]
        for mentee in problem.mentees:
            if mentee in mine or not acceptable(problem, mentor, mentee):
                continue
            current = matching.get(mentee.id)
            mentee_wants = current is None or mentee_key(mentee, mentor) < mentee_key(
                mentee, current
            )
            mentor_wants = len(mine) < mentor.capacity or any(
                mentor_key(mentor, mentee) < mentor_key(mentor, other) for other in mine
            )
            if mentee_wants and mentor_wants:
                found.append((mentor.id, mentee.id))
    return found


def rank(problem: MentoringProblem, mentee: Mentee, mentor: Mentor) -> int:
    better = [
        m
        for m in problem.mentors
        if acceptable(problem, m, mentee) and mentee_key(mentee, m) < mentee_key(mentee, mentor)
    ]
    return 1 + len(better)


def as_matching(problem: MentoringProblem, result: MentoringResult) -> dict[str, Mentor]:
    mentors = {m.id: m for m in problem.mentors}
    return {mentee_id: mentors[mentor_id] for mentor_id, mentee_id in result.pairs}


def assert_hard_rules(problem: MentoringProblem, result: MentoringResult) -> None:
    mentors = {m.id: m for m in problem.mentors}
    mentees = {e.id: e for e in problem.mentees}
    matched = [mentee_id for _, mentee_id in result.pairs]
    assert len(matched) == len(set(matched)), "a mentee has two mentors"
    assert set(result.unmatched) == set(mentees) - set(matched)
    for mentor_id, mentee_id in result.pairs:
        assert acceptable(problem, mentors[mentor_id], mentees[mentee_id]), (mentor_id, mentee_id)
    for mentor in problem.mentors:
        assert sum(1 for m, _ in result.pairs if m == mentor.id) <= mentor.capacity


@FAST
@given(programmes())
def test_most_matched_keeps_the_rules_and_meets_every_bound(problem: MentoringProblem) -> None:
    result = match_mentoring(problem, MentoringOptions(time_limit=10))
    assert_hard_rules(problem, result)
    matchings = all_matchings(problem)
    most = max(len(m) for m in matchings)
    assert result.metrics.matched == result.metrics.matched_bound == most
    fairest = min(
        max((rank(problem, problem_mentee, mentor) for problem_mentee, mentor in pairs), default=0)
        for pairs in (
            [(e, m[e.id]) for e in problem.mentees if e.id in m]
            for m in matchings
            if len(m) == most
        )
    )
    assert result.metrics.worst_off_rank == result.metrics.worst_off_rank_bound == fairest
    best_fit = max(
        sum(fit(mentor, e) for e in problem.mentees if (mentor := m.get(e.id)))
        for m in matchings
        if len(m) == most
        and all(rank(problem, e, m[e.id]) <= fairest for e in problem.mentees if e.id in m)
    )
    assert result.metrics.fit == best_fit <= result.metrics.fit_bound
    assert result.metrics.blocking_pairs == len(blocking(problem, as_matching(problem, result)))
    assert result.status == "optimal"


@FAST
@given(programmes())
def test_stable_mode_has_no_blocking_pair_and_is_the_largest_stable(
    problem: MentoringProblem,
) -> None:
    result = match_mentoring(problem, MentoringOptions(mode="stable", time_limit=10))
    assert_hard_rules(problem, result)
    assert blocking(problem, as_matching(problem, result)) == []
    assert result.metrics.blocking_pairs == 0
    largest_stable = max(len(m) for m in all_matchings(problem) if not blocking(problem, m))
    assert result.metrics.matched == largest_stable
    assert result.metrics.other_mode.matched == result.metrics.matched_bound
    assert result.status == "optimal"


@FAST
@given(programmes())
def test_one_pairs_reason_agrees_with_the_acceptable_pairs(problem: MentoringProblem) -> None:
    """The reason given for one pair (an organiser's hand-made pair) is None exactly for the
    pairs the matcher may form, and names the rule the brute-force check finds broken."""
    pairs = problem.pairs
    formed = {(int(m), int(e)) for m, e in zip(pairs.mentor, pairs.mentee, strict=True)}
    for i, mentor in enumerate(problem.mentors):
        for j, mentee in enumerate(problem.mentees):
            reason = unacceptable_reason(mentor, mentee, problem.allow_same_sector)
            assert (reason is None) == ((i, j) in formed) == acceptable(problem, mentor, mentee)
            if reason == "same organisation":
                assert mentor.organisation.casefold() == mentee.organisation.casefold()
            elif reason == "ruled out by the mentor":
                assert mentee.id in mentor.unacceptable


@FAST
@given(programmes(max_mentors=5, max_mentees=7))
def test_deferred_acceptance_is_stable(problem: MentoringProblem) -> None:
    pairs = problem.pairs
    chosen = deferred_acceptance(pairs)
    assert len(blocking_pairs(pairs, chosen)) == 0
    matching = {
        problem.mentees[pairs.mentee[i]].id: problem.mentors[pairs.mentor[i]] for i in chosen
    }
    assert blocking(problem, matching) == []


def test_stable_mode_can_match_more_than_deferred_acceptance() -> None:
    """With ties (Eve and Fay look the same to Ann), deferred acceptance leaves Gus alone, but
    a stable matching of all four exists and the stable model finds it."""
    problem = MentoringProblem(
        mentors=(
            Mentor("m1", "Ann", "KCC", "Council", "Director", 2, ("housing", "finance"), ("e2",)),
            Mentor("m2", "Bob", "NHS Kent", "NHS", "Director", 1, ("health", "housing")),
            Mentor("m3", "Cat", "Police", "Police", "Chief", 1, ("safety",), (), frozenset({"e3"})),
        ),
        mentees=(
            Mentee("e1", "Dan", "Swale", "Council", "Officer", ("housing",), ("m2", "m1")),
            Mentee("e2", "Eve", "Age UK", "Voluntary", "Manager", ("finance", "housing")),
            Mentee("e3", "Fay", "NHS Kent", "NHS", "Nurse", ("safety",), ("m3",)),
            Mentee("e4", "Gus", "Fire", "Fire", "Officer", ("health",)),
        ),
    )
    assert len(deferred_acceptance(problem.pairs)) == 3
    result = match_mentoring(problem, MentoringOptions(mode="stable", time_limit=10))
    assert result.metrics.matched == 4
    assert blocking(problem, as_matching(problem, result)) == []


def test_large_programmes_search_each_mentees_best_candidates(monkeypatch) -> None:
    monkeypatch.setattr(mentoring, "STABLE_MODEL_PAIRS", 0)
    monkeypatch.setattr(mentoring, "CANDIDATES", 1)
    problem = MentoringProblem(
        mentors=(Mentor("m1", "m1", "A", "Council", "Director", 2, ("housing",)),),
        mentees=tuple(Mentee(f"e{j}", "e", "B", "NHS", "Officer", ("housing",)) for j in range(3)),
    )
    result = match_mentoring(problem, MentoringOptions(mode="stable", time_limit=10))
    assert result.status == "feasible"
    assert "only each mentee's 1 most preferred mentors were searched" in result.message
    assert result.metrics.matched == result.metrics.matched_bound == 2
    assert result.metrics.blocking_pairs == 0


def test_cancelling_keeps_a_valid_matching() -> None:
    problem = MentoringProblem(
        mentors=tuple(
            Mentor(f"m{i}", "m", f"O{i}", "Council", "Director", 2, ("housing",)) for i in range(4)
        ),
        mentees=tuple(
            Mentee(f"e{j}", "e", f"P{j}", "NHS", "Officer", ("housing",)) for j in range(10)
        ),
    )
    seen = []

    def cancel(progress) -> bool:
        seen.append(progress.stage)
        return True

    result = match_mentoring(problem, MentoringOptions(mode="stable"), on_progress=cancel)
    assert seen and result.status == "feasible"
    assert result.message.startswith("cancelled")
    assert_hard_rules(problem, result)
    assert result.metrics.blocking_pairs == 0  # deferred acceptance stands in


@pytest.mark.parametrize(
    ("change", "expected"),
    [
        ({"preferences": ("e9",)}, "mentor 'm1' names unknown mentee 'e9'"),
        ({"capacity": 0}, "mentor 'm1' capacity must be at least 1"),
        ({"preferences": ("e1", "e1")}, "ranks the same person twice"),
        (
            {"preferences": ("e1",), "unacceptable": frozenset({"e1"})},
            "both ranks and rules out 'e1'",
        ),
    ],
)
def test_bad_input_names_the_person(change: dict, expected: str) -> None:
    fields = {
        "id": "m1",
        "name": "Ann",
        "organisation": "A",
        "sector": "Council",
        "profession": "Director",
        "capacity": 1,
        **change,
    }
    problem = MentoringProblem(
        mentors=(Mentor(**fields),), mentees=(Mentee("e1", "Eve", "B", "NHS", "Officer"),)
    )
    with pytest.raises(InputError, match=expected):
        match_mentoring(problem)


def test_an_unknown_mode_is_refused() -> None:
    problem = MentoringProblem(mentors=(), mentees=())
    with pytest.raises(InputError, match="mode must be one of most-matched, stable"):
        match_mentoring(problem, MentoringOptions(mode="random"))


@FAST
@given(programmes(), st.data())
def test_fixed_pairs_stay_and_the_rest_is_matched_as_well_as_possible(
    problem: MentoringProblem, data
) -> None:
    """A repair: some pairs of a valid matching are kept (matches already published), the rest
    matched; checked by brute force over every matching that keeps them."""
    matchings = all_matchings(problem)
    kept_matching = data.draw(st.sampled_from(matchings))
    kept = (
        data.draw(st.lists(st.sampled_from(sorted(kept_matching)), unique=True))
        if kept_matching
        else []
    )
    fixed = tuple((kept_matching[e].id, e) for e in kept)
    problem = dataclasses.replace(problem, fixed=fixed)
    for mode in mentoring.MODES:
        result = match_mentoring(problem, MentoringOptions(mode=mode, time_limit=10))
        assert_hard_rules(problem, result)
        assert set(fixed) <= set(result.pairs)
        around = [
            m
            for m in matchings
            if all(m.get(e, None) is not None and m[e].id == mid for mid, e in fixed)
        ]
        most = max(len(m) for m in around)
        assert result.metrics.matched_bound == most
        if mode == "most-matched":
            assert result.metrics.matched == most
        assert result.metrics.blocking_pairs == len(blocking(problem, as_matching(problem, result)))


@pytest.mark.parametrize(
    ("fixed", "expected"),
    [
        ((("m1", "e9"),), "names unknown people"),
        ((("m1", "e1"), ("m1", "e2")), "more fixed pairs than capacity"),
        ((("m1", "e3"),), "same organisation"),
    ],
)
def test_fixed_pairs_that_break_a_rule_are_refused(fixed: tuple, expected: str) -> None:
    problem = MentoringProblem(
        mentors=(Mentor("m1", "Ann", "A", "Council", "Director", 1),),
        mentees=(
            Mentee("e1", "Eve", "B", "NHS", "Officer"),
            Mentee("e2", "Fay", "C", "NHS", "Officer"),
            Mentee("e3", "Gus", "A", "Police", "Officer"),
        ),
        fixed=fixed,
    )
    with pytest.raises(InputError, match=expected):
        match_mentoring(problem)
