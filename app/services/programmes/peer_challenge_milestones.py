"""The timeline of each host's peer challenge, as dated milestones, and their reminders.

The steps and their usual distance from the first day on site (research note on LGA corporate
peer challenges): scoping with the leader and chief executive 4-6 months ahead (5), three to
four days on site ending with the feedback presentation (3 days on), the report and the action
plan within about 3 months (2 and 3), a progress review at about 10 months. Giving a host's
first day on site dates every step at those offsets; the organisers may then move any of them.

Reminders: some days before a milestone (the round's choice, PeerRoundSettings: from 1 to
REMINDER_DAYS_MAX, 7 unless chosen), its host's contact and, once the teams are published, the
host's team are sent a reminder through the outbox. `reminded_at`, written in the
same transaction as the queued mail, makes each go once, however often `flask --app wsgi
remind-peer-challenges` runs (daily, say); moving a milestone makes it due again.

May import: models, commitments.follow_ups (months_after), messaging.outbox, formatting.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, timedelta
from itertools import pairwise

from sqlalchemy import select, update

from app.extensions import db
from app.formatting import format_date
from app.models import (
    HostDetails,
    MailKind,
    Member,
    PeerMilestone,
    PeerPlace,
    PeerRoundSettings,
    Programme,
    ProgrammeStatus,
)
from app.models.peer_challenge import REMINDER_DAYS_DEFAULT, REMINDER_DAYS_MAX
from app.models.types import utcnow
from app.services.commitments.follow_ups import months_after
from app.services.messaging import outbox


@dataclass(frozen=True)
class Stage:
    """A step of a challenge: its name (as a heading, and within a sentence), a line on what
    happens, and its usual distance from the first day on site."""

    name: str
    label: str
    about: str
    months: int = 0
    days: int = 0

    def date_from(self, on_site: date) -> date:
        return months_after(on_site, self.months) + timedelta(days=self.days)


STAGES: dict[str, Stage] = {
    "scoping": Stage(
        "Scoping meeting",
        "the scoping meeting",
        "The lead peers meet the leader and chief executive to agree what the challenge looks at.",
        months=-5,
    ),
    "on_site": Stage(
        "First day on site", "the first day on site", "The team spends three to four days on site."
    ),
    "feedback": Stage(
        "Feedback presentation",
        "the feedback presentation",
        "On its last day on site the team presents what it found.",
        days=3,
    ),
    "report": Stage("Report", "the report", "The team's report goes to the host.", months=2),
    "action_plan": Stage(
        "Action plan",
        "the action plan",
        "The host publishes its action plan in response.",
        months=3,
    ),
    "progress_review": Stage(
        "Progress review",
        "the progress review",
        "The team comes back to see what has changed.",
        months=10,
    ),
}


class MilestoneError(ValueError):
    """Dates the timeline cannot take; `stage` is the step at fault, the message says why in
    plain words."""

    def __init__(self, stage: str, message: str):
        super().__init__(message)
        self.stage = stage


def milestones_of(host: Member) -> list[PeerMilestone]:
    """A host's milestones in the order of the steps."""
    order = list(STAGES)
    return sorted(host.milestones, key=lambda m: order.index(m.stage))


def date_from_on_site(host: Member, on_site: date) -> None:
    """Set the host's first day on site and date every step from it; commits."""
    host.host_details.on_site = on_site
    set_dates(host, {stage: step.date_from(on_site) for stage, step in STAGES.items()})


def set_dates(host: Member, dates: Mapping[str, date]) -> None:
    """Date the host's steps ({stage: date}; a step left out keeps its date, or has none);
    a step moved will be reminded of again. Commits. MilestoneError when the steps would be out
    of order (nothing is changed then)."""
    if unknown := set(dates) - set(STAGES):
        stage = sorted(unknown)[0]
        raise MilestoneError(stage, f"There is no step called {stage!r}.")
    have = {m.stage: m for m in host.milestones}
    _check_order({**{stage: m.due for stage, m in have.items()}, **dates})
    for stage, due in dates.items():
        milestone = have.get(stage)
        if milestone is None:
            host.milestones.append(PeerMilestone(stage=stage, due=due))
        elif milestone.due != due:
            milestone.due, milestone.reminded_at = due, None
    if "on_site" in dates:
        host.host_details.on_site = dates["on_site"]
    db.session.commit()


def _check_order(dates: Mapping[str, date]) -> None:
    """The steps that have dates come in their order (two may share a day)."""
    dated = [(stage, dates[stage]) for stage in STAGES if stage in dates]
    for (before, earlier), (after, later) in pairwise(dated):
        if later < earlier:
            raise MilestoneError(
                after,
                f"{STAGES[after].name} ({format_date(later)}) cannot come before "
                f"{STAGES[before].label} ({format_date(earlier)}).",
            )


def reminder_days(programme: Programme) -> int:
    """How many days ahead of each milestone the round's reminders go."""
    settings = db.session.get(PeerRoundSettings, programme.id)
    return settings.reminder_days if settings else REMINDER_DAYS_DEFAULT


def set_reminder_days(programme: Programme, days: int) -> None:
    """Choose how many days ahead reminders go; commits. A milestone not yet reminded of is
    reminded the new number of days ahead (one reminded already is not reminded again).
    MilestoneError (stage "reminder_days") outside 1 to REMINDER_DAYS_MAX."""
    if not 1 <= days <= REMINDER_DAYS_MAX:
        raise MilestoneError(
            "reminder_days", f"Give a number of days from 1 to {REMINDER_DAYS_MAX}."
        )
    settings = db.session.get(PeerRoundSettings, programme.id) or PeerRoundSettings(
        programme_id=programme.id
    )
    settings.reminder_days = days
    db.session.add(settings)
    db.session.commit()


def recipients(milestone: PeerMilestone) -> list[Member]:
    """Who is reminded: the host's contact and, once the teams are published, its team as it
    was last told (a peer put on it since hears of it first when the change is published)."""
    host = milestone.host
    people = [host]
    if host.programme.status == ProgrammeStatus.PUBLISHED:
        told = [token for _, token, _ in host.host_details.published_team or []]
        places = db.session.scalars(
            select(PeerPlace)
            .join(Member, Member.id == PeerPlace.peer_id)
            .where(PeerPlace.host_id == host.id, Member.token.in_(told))
        )
        people += sorted((p.peer for p in places), key=lambda m: m.name)
    return people


def due_reminders(today: date) -> list[PeerMilestone]:
    """Milestones not yet reminded of, not past, and within their round's reminder days of
    `today`."""
    rows = db.session.execute(
        select(PeerMilestone, PeerRoundSettings.reminder_days)
        .join(Member, Member.id == PeerMilestone.host_id)
        .outerjoin(PeerRoundSettings, PeerRoundSettings.programme_id == Member.programme_id)
        .where(
            PeerMilestone.reminded_at.is_(None),
            PeerMilestone.due >= today,
            PeerMilestone.due <= today + timedelta(days=REMINDER_DAYS_MAX),
        )
        .order_by(PeerMilestone.due, PeerMilestone.id)
    )
    return [
        milestone
        for milestone, days in rows
        if milestone.due <= today + timedelta(days=days or REMINDER_DAYS_DEFAULT)
    ]


def queue_due(today: date | None = None) -> int:
    """Queue every reminder that is due, each milestone's once; returns how many messages."""
    today = today or utcnow().date()
    queued = 0
    for milestone in due_reminders(today):
        # Claimed in one statement: a second run at the same moment finds it taken.
        claimed = db.session.execute(
            update(PeerMilestone)
            .where(PeerMilestone.id == milestone.id, PeerMilestone.reminded_at.is_(None))
            .values(reminded_at=utcnow())
        ).rowcount
        if not claimed:
            db.session.rollback()
            continue
        for member in recipients(milestone):
            outbox.queue(MailKind.PEER_CHALLENGE_MILESTONE, member, milestone_id=milestone.id)
            queued += 1
        db.session.commit()
    return queued


def timeline(programme: Programme) -> list[tuple[Member, dict[str, PeerMilestone]]]:
    """Every host of the round with its milestones by stage (for the round's page)."""
    found = db.session.scalars(
        select(Member)
        .join(HostDetails, HostDetails.member_id == Member.id)
        .where(Member.programme_id == programme.id)
    )
    hosts = sorted(found, key=lambda m: m.organisation.name.casefold())
    return [(host, {m.stage: m for m in host.milestones}) for host in hosts]
