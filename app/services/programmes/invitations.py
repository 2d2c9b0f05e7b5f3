"""Invitations to join a programme, mailed (through the outbox) to the registrants of the
organiser's past events who asked to hear of mentoring schemes and secondments
(Registration.hear_of_programmes), with the programme's join links. One per email address and
programme: someone registered at several events is invited once, and never twice; members of
the programme already are not invited.

May import: models, programmes.programmes, messaging.outbox.
"""

from __future__ import annotations

from sqlalchemy import select

from app.extensions import db
from app.models import (
    Event,
    Invitation,
    MailKind,
    Member,
    Programme,
    ProgrammeStatus,
    Registration,
    User,
)
from app.services.messaging import outbox
from app.services.programmes.programmes import ProgrammeError


def invitable(programme: Programme, organiser: User) -> list[Registration]:
    """One registration per email address (the latest) of those who consented, from events the
    organiser organises that have ended; not yet invited to, nor in, the programme."""
    invited = select(Invitation.email).where(Invitation.programme_id == programme.id)
    members = select(Member.email).where(Member.programme_id == programme.id)
    rows = db.session.scalars(
        select(Registration)
        .join(Event)
        .where(
            Event.organisers.contains(organiser),
            Registration.hear_of_programmes.is_(True),
            Registration.erased_at.is_(None),
            Registration.email.is_not(None),
            Registration.email.not_in(invited),
            Registration.email.not_in(members),
        )
        .order_by(Registration.created_at.desc(), Registration.id.desc())
    )
    latest: dict[str, Registration] = {}
    for registration in rows:
        event = registration.event
        if event.ends_at <= event.local_now():
            latest.setdefault(registration.email, registration)
    return sorted(latest.values(), key=lambda r: r.name)


def invite(programme: Programme, organiser: User) -> int:
    """Queue the invitations; commits. Returns how many were queued."""
    if programme.status == ProgrammeStatus.PUBLISHED:
        raise ProgrammeError("The matches are published: the programme is closed to new people.")
    people = invitable(programme, organiser)
    for registration in people:
        db.session.add(Invitation(programme_id=programme.id, email=registration.email))
        outbox.queue(MailKind.PROGRAMME_INVITATION, registration, programme_id=programme.id)
    db.session.commit()
    return len(people)
