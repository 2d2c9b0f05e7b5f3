"""Reviewing, adjusting and publishing a programme's matches.

The review's figures are measured on the pairs as they are now (after any hand adjustment),
each beside its bound from the engine (scheduler/mentoring_pairs.py): mentees matched beside
the most any matching can (a maximum flow over the acceptable pairs); the worst-off mentee's
rank beside the best any matching of that many can give; and the blocking pairs (a mentor and
a mentee who would both rather be together), 0 in a stable matching. The other mode's figures
come from the last matching run, for the trade-off.

Adjusting keeps the engine's hard rules: a mentee has at most one mentor, a mentor at most their
capacity, and only acceptable pairs form (`unacceptable_reason`: different organisations and
sectors, nobody ruled out). A refusal says which rule, with the people's names. Publishing (once)
tells every member their match through the outbox, in the transaction that marks it published.

After publishing, the published pairs stay as they are. When someone leaves, whoever they were
matched with is marked to be matched again (mentoring_members.withdraw); the organiser pairs
them by hand, or matches again around the published pairs (mentoring_matching), and then
publishes the changes: the new pairs are marked published and only their members are told.

Each adjustment and each publishing checks and writes under the programme's lock
(programmes.locked_programme), so two organisers changing the same matches at once are served
one after the other, the second checked against what the first wrote: a mentor's last place
is given once, a mentee paired once. A member or pair someone removed meanwhile is refused in
plain words, never an error page.

May import: models, programmes.{programmes (the programme's lock), mentoring_members,
mentoring_matching}, messaging.outbox, planning.summaries (figures' words), formatting,
scheduler.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field

import numpy as np
from sqlalchemy import select

from app.extensions import db
from app.formatting import plural
from app.models import (
    MailKind,
    Member,
    MentoringMatching,
    MentoringPair,
    Programme,
    ProgrammeStatus,
)
from app.models.mentoring import MENTEE, MENTOR
from app.models.types import utcnow
from app.services.messaging import outbox
from app.services.planning.summaries import Figure, ordinal
from app.services.programmes.mentoring_matching import problem_of
from app.services.programmes.mentoring_members import members, words
from app.services.programmes.programmes import locked_programme, row_id
from scheduler.mentoring_pairs import (
    blocking_pairs,
    matched_bound,
    unacceptable_reason,
    worst_off_rank_bound,
)

BLOCKING_SHOWN = 20


class AdjustRefused(ValueError):
    """An adjustment that would break a hard rule; the message says which, in plain words."""


CHANGED_MEANWHILE = "Someone changed the matches meanwhile: look again and choose again."


@dataclass
class Review:
    """What the review shows: the pairs, the unmatched, mentors with free places, the figures,
    some blocking pairs (mentor, mentee), and pairs that break a rule since they were made
    (someone changed their details or preferences), each with the rule in words."""

    pairs: list[MentoringPair]
    unmatched: list[Member]
    free: list[tuple[Member, int]]
    figures: list[Figure]
    blocking: list[tuple[Member, Member]] = field(default_factory=list)
    broken: list[tuple[MentoringPair, str]] = field(default_factory=list)
    matching: MentoringMatching | None = None
    to_rematch: list[Member] = field(default_factory=list)
    changes: list[MentoringPair] = field(default_factory=list)


def pairs_of(programme: Programme) -> list[MentoringPair]:
    return list(
        db.session.scalars(
            select(MentoringPair)
            .join(MentoringPair.mentor)
            .where(MentoringPair.programme_id == programme.id)
            .order_by(Member.name, MentoringPair.id)
        )
    )


def review(programme: Programme) -> Review:
    problem = problem_of(programme)
    table = problem.pairs
    mentors, mentees = members(programme, MENTOR), members(programme, MENTEE)
    mentor_pos = {m.id: i for i, m in enumerate(mentors)}
    mentee_pos = {m.id: j for j, m in enumerate(mentees)}
    index = {
        (int(i), int(j)): k for k, (i, j) in enumerate(zip(table.mentor, table.mentee, strict=True))
    }
    pairs = pairs_of(programme)
    chosen, broken = [], []
    for pair in pairs:
        k = index.get((mentor_pos[pair.mentor_id], mentee_pos[pair.mentee_id]))
        if k is None:
            broken.append((pair, _refusal(programme, pair.mentor, pair.mentee)))
        else:
            chosen.append(k)
    chosen_array = np.array(chosen, dtype=np.int64)
    paired = {p.mentee_id for p in pairs}
    load = Counter(p.mentor_id for p in pairs)
    for mentor in mentors:
        if load[mentor.id] > mentor.capacity:
            over = next(p for p in pairs if p.mentor_id == mentor.id)
            broken.append((over, _over_capacity(programme, mentor, load[mentor.id])))
    blocking = blocking_pairs(table, chosen_array) if len(table) else np.zeros(0, np.int64)
    matching = db.session.get(MentoringMatching, programme.id)
    return Review(
        pairs=pairs,
        unmatched=[m for m in mentees if m.id not in paired],
        free=[(m, m.capacity - load[m.id]) for m in mentors if load[m.id] < m.capacity],
        figures=_figures(programme, table, chosen_array, len(mentees), blocking, matching),
        blocking=[
            (mentors[int(table.mentor[k])], mentees[int(table.mentee[k])])
            for k in blocking[:BLOCKING_SHOWN]
        ],
        broken=broken,
        matching=matching,
        to_rematch=[m for m in [*mentors, *mentees] if m.partner_left_at is not None],
        changes=unpublished_changes(programme, pairs),
    )


def unpublished_changes(
    programme: Programme, pairs: list[MentoringPair] | None = None
) -> list[MentoringPair]:
    """The pairs made since the matches were published, not yet published themselves."""
    if programme.status != ProgrammeStatus.PUBLISHED:
        return []
    return [p for p in (pairs_of(programme) if pairs is None else pairs) if p.published_at is None]


def _figures(programme, table, chosen, mentee_count, blocking, matching) -> list[Figure]:
    mentor, mentee = words(programme, MENTOR), words(programme, MENTEE)
    bound = matched_bound(table) if len(table) else 0
    matched = len(chosen)
    figures = [
        Figure(
            f"{matched} of {plural(mentee_count, mentee.one, mentee.many)} have a {mentor.one}",
            f"{bound} is the most possible",
        )
    ]
    if not matched:
        return figures
    ranks = Counter(int(r) for r in table.rank[chosen])
    shared = int(table.overlap[chosen].sum())
    figures.append(Figure(f"{plural(shared, 'topic')} shared across the {plural(matched, 'pair')}"))
    figures.append(
        Figure(
            f"{plural(ranks.get(1, 0), mentee.one, mentee.many)} have one of their first choices"
        )
    )
    worst = max(ranks)
    best_worst = worst_off_rank_bound(table, bound) if matched == bound else 0
    figures.append(
        Figure(
            f"The worst-off {mentee.one} has their {ordinal(worst)} choice",
            f"the {ordinal(best_worst)} is the best possible" if best_worst else "",
        )
    )
    figures.append(
        Figure(
            f"{plural(len(blocking), 'blocking pair')}: a {mentor.one} and a {mentee.one} who "
            f"would both rather be together than with whom they have",
            "none in a stable matching",
        )
    )
    if matching is not None and (other := matching.metrics.get("other_mode")):
        mode = "stable" if other["mode"] == "stable" else "most-matched"
        figures.append(
            Figure(
                f"For comparison, the {mode} mode matches {other['matched']} with "
                f"{plural(other['blocking_pairs'], 'blocking pair')}"
            )
        )
    return figures


# --- adjusting -----------------------------------------------------------------------------------


def _refusal(programme: Programme, mentor: Member, mentee: Member) -> str:
    """The hard rule a pair breaks, in words ("" when none)."""
    problem = problem_of(programme)
    engine_mentor = next(m for m in problem.mentors if m.id == str(mentor.id))
    engine_mentee = next(e for e in problem.mentees if e.id == str(mentee.id))
    reason = unacceptable_reason(engine_mentor, engine_mentee, problem.allow_same_sector)
    return {
        None: "",
        "same organisation": f"{mentor.name} and {mentee.name} both work for "
        f"{mentor.organisation.name}: matches are across organisations.",
        "same sector": f"{mentor.name} and {mentee.name} are both in {mentor.sector}: matches "
        "are across sectors.",
        "ruled out by the mentor": f"{mentor.name} has said {mentee.name} is not acceptable.",
        "ruled out by the mentee": f"{mentee.name} has said {mentor.name} is not acceptable.",
    }[reason]


def _over_capacity(programme: Programme, mentor: Member, load: int) -> str:
    mentee = words(programme, MENTEE)
    return (
        f"{mentor.name} has {plural(load, mentee.one, mentee.many)} but can take {mentor.capacity}."
    )


def _check_unpublished(pair: MentoringPair) -> None:
    """Published pairs stay as they are: their members have been told."""
    if pair.published_at is not None:
        raise AdjustRefused(
            f"{pair.mentor.name} and {pair.mentee.name} have been told of their match: it "
            "stays as published."
        )


def _check_mentor(programme: Programme, mentor: Member, mentee: Member) -> None:
    if refusal := _refusal(programme, mentor, mentee):
        raise AdjustRefused(refusal)
    taken = db.session.scalar(
        select(db.func.count())
        .select_from(MentoringPair)
        .where(MentoringPair.mentor_id == mentor.id, MentoringPair.mentee_id != mentee.id)
    )
    if taken >= mentor.capacity:
        mentee_words = words(programme, MENTEE)
        raise AdjustRefused(
            f"{mentor.name} already has {plural(taken, mentee_words.one, mentee_words.many)}, "
            f"as many as they can take."
        )


def _pair_of(programme: Programme, mentee: Member) -> MentoringPair | None:
    return db.session.scalar(
        select(MentoringPair).where(
            MentoringPair.programme_id == programme.id, MentoringPair.mentee_id == mentee.id
        )
    )


def _still_here(programme: Programme, model: type, row_id: int):
    """The row read again under the lock; AdjustRefused when someone removed it meanwhile."""
    found = db.session.get(model, row_id)
    if found is None or found.programme_id != programme.id:
        raise AdjustRefused(CHANGED_MEANWHILE)
    return found


def pair(programme: Programme, mentor: Member, mentee: Member) -> MentoringPair:
    """Pair a mentor with an unmatched mentee (after publishing too: a change to publish);
    commits. AdjustRefused if a rule forbids it, checked under the programme's lock."""
    mentor_id, mentee_id = row_id(mentor), row_id(mentee)
    with locked_programme(programme.id) as programme:
        mentor = _still_here(programme, Member, mentor_id)
        mentee = _still_here(programme, Member, mentee_id)
        made = _make_pair(programme, mentor, mentee)
    return made


def _make_pair(programme: Programme, mentor: Member, mentee: Member) -> MentoringPair:
    if mentor.side != MENTOR or mentee.side != MENTEE:
        raise AdjustRefused("Choose one from each side.")
    if (current := _pair_of(programme, mentee)) is not None:
        raise AdjustRefused(
            f"{mentee.name} already has a {words(programme, MENTOR).one}, {current.mentor.name}: "
            "move them instead."
        )
    _check_mentor(programme, mentor, mentee)
    made = MentoringPair(programme_id=programme.id, mentor_id=mentor.id, mentee_id=mentee.id)
    db.session.add(made)
    return made


def unpair(programme: Programme, pair: MentoringPair) -> None:
    """Undo a pair not yet published; commits."""
    pair_id = row_id(pair)
    with locked_programme(programme.id) as programme:
        pair = _still_here(programme, MentoringPair, pair_id)
        _check_unpublished(pair)
        db.session.delete(pair)


def move(programme: Programme, mentee: Member, mentor: Member) -> MentoringPair:
    """Give a matched mentee another mentor; commits. AdjustRefused if a rule forbids it,
    checked under the programme's lock."""
    mentee_id, mentor_id = row_id(mentee), row_id(mentor)
    with locked_programme(programme.id) as programme:
        mentee = _still_here(programme, Member, mentee_id)
        mentor = _still_here(programme, Member, mentor_id)
        current = _pair_of(programme, mentee)
        if current is None:
            raise AdjustRefused(
                f"{mentee.name} has no {words(programme, MENTOR).one} to move from."
            )
        _check_unpublished(current)
        if mentor.side != MENTOR:
            raise AdjustRefused("Choose one from each side.")
        if current.mentor_id == mentor.id:
            raise AdjustRefused(f"{mentee.name} is already with {mentor.name}.")
        _check_mentor(programme, mentor, mentee)
        current.mentor_id = mentor.id
    return current


def no_rematch(member: Member) -> None:
    """The organiser will not match this member again (e.g. a mentor content with the
    mentees left): they leave the list to match again; commits."""
    member_id, programme_id = row_id(member), member.programme_id
    with locked_programme(programme_id) as programme:
        member = _still_here(programme, Member, member_id)
        member.partner_left_at = None


# --- publishing ----------------------------------------------------------------------------------


def publish(programme: Programme) -> int:
    """Mark the matches published and tell every member theirs (one message each, once); once
    published, publish the changes since (publish_changes). Commits; returns how many were
    told. AdjustRefused when there is nothing to publish or a pair breaks a rule. Under the
    programme's lock: two organisers publishing at once tell everyone once."""
    with locked_programme(programme.id) as programme:
        if programme.status == ProgrammeStatus.PUBLISHED:
            return _publish_changes(programme)
        if broken := review(programme).broken:
            raise AdjustRefused(f"A pair breaks a rule: {broken[0][1]} Unpair or move them first.")
        everyone = list(
            db.session.scalars(select(Member).where(Member.programme_id == programme.id))
        )
        now = utcnow()
        programme.status, programme.published_at = ProgrammeStatus.PUBLISHED, now
        for made in pairs_of(programme):
            made.published_at = now
        for member in everyone:
            outbox.queue(MailKind.MENTORING_MATCH, member)
    return len(everyone)


def _publish_changes(programme: Programme) -> int:
    """Publish the pairs made since publishing: only their members are told (each once, of
    all their new pairs), and they are no longer to be matched again. Runs under publish's
    lock."""
    changes = unpublished_changes(programme)
    if not changes:
        raise AdjustRefused("There are no changes to publish.")
    new_ids = {p.id for p in changes}
    if broken := [why for p, why in review(programme).broken if p.id in new_ids]:
        raise AdjustRefused(f"A pair breaks a rule: {broken[0]} Unpair or move them first.")
    now = utcnow()
    told: dict[int, tuple[Member, list[int]]] = {}
    for made in changes:
        made.published_at = now
        for member in (made.mentor, made.mentee):
            told.setdefault(member.id, (member, []))[1].append(made.id)
    for member, pair_ids in told.values():
        member.partner_left_at = None
        outbox.queue(MailKind.MENTORING_REMATCH, member, pair_ids=pair_ids)
    return len(told)
