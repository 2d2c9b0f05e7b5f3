"""Check-ins: 1, 3 and 6 months after a pair is published (with the programme's matches, or
later as a change after someone left), each side is asked "is this working?" by mail, through
a private link (a MentoringCheckIn row, written in the same transaction as the queued mail, so
each goes once however often `flask --app wsgi check-in-programmes` runs; daily, say). When a
run finds several due for a pair (the command had not run for months), only the latest is sent.

A pair is at risk when either side's latest answer says it is not working, or when nobody
answered its latest check-in within UNANSWERED_AFTER of it being sent. It is flagged on the
programme's page, and the programme's organisers are emailed the pairs newly at risk, once per
check-in round (marked on its check-ins): at once when someone answers that it is not working
(`answer`), and by the same daily command for the rest (`tell_organisers`).

May import: models, commitments.follow_ups (months_after), messaging.outbox, tokens.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from app.extensions import db
from app.models import (
    MailKind,
    MentoringCheckIn,
    MentoringPair,
    Programme,
    ProgrammeKind,
    ProgrammeStatus,
)
from app.models.types import utcnow
from app.services.commitments.follow_ups import months_after
from app.services.messaging import outbox
from app.services.tokens import new_token

CHECK_IN_MONTHS = (1, 3, 6)
UNANSWERED_AFTER = timedelta(days=14)
KINDS = (ProgrammeKind.MENTORING, ProgrammeKind.SECONDMENT)


def due_months(published_at: datetime, sent: set[int], now: datetime) -> int | None:
    """The latest check-in (in months) due for a pair published at `published_at` that was
    sent `sent`, if any: one later than any sent, and reached by now."""
    reached = [m for m in CHECK_IN_MONTHS if months_after(published_at, m) <= now]
    later = [m for m in reached if m > max(sent, default=0)]
    return max(later, default=None)


def queue_due(now: datetime | None = None) -> int:
    """Queue every check-in that is due; returns how many messages were queued."""
    now = now or utcnow()
    queued = 0
    programmes = db.session.scalars(
        select(Programme).where(
            Programme.status == ProgrammeStatus.PUBLISHED, Programme.kind.in_(KINDS)
        )
    ).all()
    for programme in programmes:
        pairs = db.session.scalars(
            select(MentoringPair).where(
                MentoringPair.programme_id == programme.id,
                MentoringPair.published_at.is_not(None),
            )
        ).all()
        for pair in pairs:
            months = due_months(pair.published_at, {c.months for c in pair.check_ins}, now)
            if months is None:
                continue
            for member in (pair.mentor, pair.mentee):
                check_in = MentoringCheckIn(
                    pair=pair, member=member, months=months, token=new_token()
                )
                db.session.add(check_in)
                db.session.flush()
                outbox.queue(MailKind.MENTORING_CHECK_IN, member, check_in_id=check_in.id)
            try:
                db.session.commit()
            except IntegrityError:  # another run queued it first
                db.session.rollback()
            else:
                queued += 2
    return queued


def check_in_by_token(token: str) -> MentoringCheckIn | None:
    return db.session.scalar(select(MentoringCheckIn).where(MentoringCheckIn.token == token))


def answer(check_in: MentoringCheckIn, working: bool, note: str) -> None:
    """Record (or change) the answer; commits. "Not working" puts the pair at risk, and the
    organisers are told at once (unless they have been told of this round)."""
    now = utcnow()
    check_in.working, check_in.note = working, note.strip()[:1000]
    check_in.answered_at = now
    if not working:
        pair = check_in.pair
        risk = _risk_of(pair, now)
        _tell(pair.programme, [risk] if risk else [], now)
    db.session.commit()


@dataclass(frozen=True)
class AtRisk:
    pair: MentoringPair
    reasons: list[str]


def at_risk(programme: Programme, now: datetime | None = None) -> list[AtRisk]:
    """The programme's pairs at risk (module docstring), each with why in words."""
    now = now or utcnow()
    pairs = db.session.scalars(
        select(MentoringPair).where(MentoringPair.programme_id == programme.id)
    ).all()
    return [risk for pair in pairs if (risk := _risk_of(pair, now)) is not None]


def _risk_of(pair: MentoringPair, now: datetime) -> AtRisk | None:
    if not pair.check_ins:
        return None
    reasons = []
    for member in (pair.mentor, pair.mentee):
        answered = [c for c in pair.check_ins if c.member_id == member.id and c.answered_at]
        if answered:
            latest = max(answered, key=lambda c: (c.months, c.answered_at))
            if latest.working is False:
                said = f": “{latest.note}”" if latest.note else ""
                reasons.append(
                    f"{member.name} said at {latest.months} month"
                    f"{'s' if latest.months != 1 else ''} it is not working{said}"
                )
    latest_round = _latest_round(pair)
    if all(c.answered_at is None for c in latest_round) and all(
        c.queued_at + UNANSWERED_AFTER <= now for c in latest_round
    ):
        reasons.append(f"nobody answered the {latest_round[0].months}-month check-in")
    return AtRisk(pair, reasons) if reasons else None


def _latest_round(pair: MentoringPair) -> list[MentoringCheckIn]:
    last = max(c.months for c in pair.check_ins)
    return [c for c in pair.check_ins if c.months == last]


def tell_organisers(now: datetime | None = None) -> int:
    """Email each published programme's organisers the pairs at risk they have not been told
    of for the pair's latest check-in round (one message per organiser and programme); returns
    how many pairs. The reasons are written into the message's options as they are now."""
    now = now or utcnow()
    told = 0
    programmes = db.session.scalars(
        select(Programme).where(
            Programme.status == ProgrammeStatus.PUBLISHED, Programme.kind.in_(KINDS)
        )
    ).all()
    for programme in programmes:
        if count := _tell(programme, at_risk(programme, now), now):
            db.session.commit()
            told += count
    return told


def _tell(programme: Programme, risks: list[AtRisk], now: datetime) -> int:
    """Queue to the programme's organisers the pairs of `risks` not yet told of for their
    latest check-in round, and mark that round told; how many pairs. Does not commit."""
    news = []
    for risk in risks:
        latest_round = _latest_round(risk.pair)
        if any(c.organisers_told_at is not None for c in latest_round):
            continue
        for check_in in latest_round:
            check_in.organisers_told_at = now
        pair = risk.pair
        news.append([pair.id, f"{pair.mentor.name} and {pair.mentee.name}", risk.reasons])
    if news:
        for organiser in programme.organisers:
            outbox.queue(
                MailKind.MENTORING_AT_RISK, organiser, programme_id=programme.id, pairs=news
            )
    return len(news)
