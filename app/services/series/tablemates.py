"""The people an attendee sat with, for their own page, so they can follow up.

Consent both ways: only someone who agreed (Registration.share_tablemates) sees the list, and
it names only people who agreed too; names and organisations only. It is shown once the event
has begun, from the published tables plan; cancelled and erased registrations are never listed.

May import: models, planning.plans.
"""

from __future__ import annotations

from dataclasses import dataclass

from app.models import PlanKind, Registration, RegistrationStatus
from app.services.planning.plans import published_plan
from app.services.series.history import tablemate_pairs


@dataclass(frozen=True)
class Tablemate:
    name: str
    organisation: str


def tablemates(registration: Registration) -> list[Tablemate] | None:
    """The consenting people this person sat with, by name; None when there is nothing to show
    yet (they have not consented, are not confirmed, or the event has not begun)."""
    event = registration.event
    if (
        not registration.share_tablemates
        or registration.status != RegistrationStatus.CONFIRMED
        or registration.erased_at is not None
        or event.local_now() < event.starts_at
    ):
        return None
    plan = published_plan(event, PlanKind.TABLES)
    if plan is None:
        return []
    mine = registration.id
    others = {a if b == mine else b for a, b in tablemate_pairs(plan) if mine in (a, b)}
    listed = [
        r
        for r in event.registrations
        if r.id in others
        and r.share_tablemates
        and r.status == RegistrationStatus.CONFIRMED
        and r.erased_at is None
    ]
    return sorted(
        (Tablemate(r.name, r.organisation.name if r.organisation else "") for r in listed),
        key=lambda t: (t.name.casefold(), t.organisation.casefold()),
    )
