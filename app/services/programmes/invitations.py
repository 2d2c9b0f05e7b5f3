"""Invitations to join a programme, mailed (through the outbox) to the registrants of the
organiser's past events who asked to hear of programmes of its kind, with the programme's join
links: mentoring schemes and secondment rounds those who asked to hear of them
(Registration.hear_of_programmes, MailKind.PROGRAMME_INVITATION), peer-challenge rounds those
who asked to hear of peer challenges (Registration.hear_of_peer_challenges,
MailKind.PEER_CHALLENGE_INVITATION: a consent of its own, as the first did not mention them).
One per email address and programme: someone registered at several events is invited once, and
never twice; members of the programme already are not invited.

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
    ProgrammeKind,
    ProgrammeStatus,
    Registration,
    User,
)
from app.services.messaging import outbox
from app.services.programmes.programmes import ProgrammeError


def consent_of(programme: Programme):
    """The registration column holding consent to be invited to programmes of this kind."""
    if programme.kind == ProgrammeKind.PEER_CHALLENGE:
        return Registration.hear_of_peer_challenges
    return Registration.hear_of_programmes


def invitation_kind(programme: Programme) -> MailKind:
    if programme.kind == ProgrammeKind.PEER_CHALLENGE:
        return MailKind.PEER_CHALLENGE_INVITATION
    return MailKind.PROGRAMME_INVITATION


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
            consent_of(programme).is_(True),
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
        published = "teams" if programme.kind == ProgrammeKind.PEER_CHALLENGE else "matches"
        raise ProgrammeError(
            f"The {published} are published: the programme is closed to new people."
        )
    people = invitable(programme, organiser)
    for registration in people:
        db.session.add(Invitation(programme_id=programme.id, email=registration.email))
        outbox.queue(invitation_kind(programme), registration, programme_id=programme.id)
    db.session.commit()
    return len(people)
