"""Messages to peers and hosts of peer-challenge rounds: what each kind (a MailKind) says. Each
builder reads the member as they are when the message is sent and returns None when its
occasion has passed. Teams are described by name, organisation and role: nobody's email goes to
anyone but its owner (the organisers see them on their pages). BUILDERS is given to the outbox at
start-up (app/__init__.py).

May import: models, programmes.{peer_challenge_members, peer_challenge_milestones},
messaging.transport, urls.
"""

from __future__ import annotations

from collections.abc import Callable
from email.message import EmailMessage

from sqlalchemy import select

from app.extensions import db
from app.formatting import format_date, one_line
from app.models import MailKind, Member, PeerMilestone, PeerPlace, ProgrammeStatus
from app.models.peer_challenge import PEER
from app.services.messaging import transport
from app.services.programmes.peer_challenge_members import a_role, places_of, role_words
from app.services.programmes.peer_challenge_milestones import STAGES
from app.services.urls import external_url


def entry_url(member: Member) -> str:
    return external_url("peer_challenge_join.entry", token=member.token)


def _message(member: Member, subject: str, *paragraphs: str) -> EmailMessage:
    body = "\n\n".join([f"Dear {member.name},", *paragraphs, "Convene"])
    return transport.new_message(member.email, one_line(subject), body + "\n")


def joined_message(member: Member) -> EmailMessage | None:
    """Their private link, on joining (or being imported, or asking again)."""
    name = one_line(member.programme.name)
    side = "a peer" if member.side == PEER else "a host"
    return _message(
        member,
        f"Your entry in {name}",
        f"You are {side} in {name}. What you told us and, once teams are published, your "
        f"team are on your own page (the link is yours alone: do not pass it on):\n"
        f"{entry_url(member)}",
        "There you can also change what you told us, or withdraw.",
    )


def team_lines(host: Member) -> str:
    """A host's team, one line a peer: name, organisation, role (no email)."""
    places = db.session.scalars(select(PeerPlace).where(PeerPlace.host_id == host.id)).all()
    return "\n".join(
        f"- {p.peer.name}, {p.peer.organisation.name}: {role_words(p.role)}"
        for p in sorted(places, key=lambda p: (p.role, p.peer.name))
    )


def team_message(member: Member) -> EmailMessage | None:
    """Once the round is published: a peer's team(s), role and host; a host's team."""
    programme = member.programme
    if programme.status != ProgrammeStatus.PUBLISHED:
        return None
    name = one_line(programme.name)
    places = places_of(member)
    if member.side == PEER:
        if places:
            body = [
                f"The teams of {name} are out. You are on "
                + ("this team:" if len(places) == 1 else f"these {len(places)} teams:"),
                *(
                    f"{p.host.organisation.name}, as {role_words(p.role)}. The team:\n"
                    + team_lines(p.host)
                    for p in places
                ),
            ]
        else:
            body = [
                f"The teams of {name} are out. We are sorry: this time no team needed "
                f"{a_role(member.peer_details.role)} you could join. Thank you for offering."
            ]
    else:
        body = [
            f"The teams of {name} are out. The team reviewing {member.organisation.name}:\n"
            + (team_lines(member) or "- nobody yet: the organisers will be in touch")
        ]
    body.append("The organisers will introduce you. Your page, with the dates of each step:")
    body.append(entry_url(member))
    return _message(member, f"Your peer-challenge team in {name}", *body)


def milestone_message(member: Member, milestone_id: int) -> EmailMessage | None:
    """A reminder, some days ahead, of a step of a host's challenge; None once it is gone."""
    milestone = db.session.get(PeerMilestone, milestone_id)
    if milestone is None:
        return None
    host = milestone.host
    stage = STAGES[milestone.stage]
    name = one_line(member.programme.name)
    return _message(
        member,
        f"{name}: {stage.label} at {host.organisation.name} on {format_date(milestone.due)}",
        f"A reminder: {stage.label} of the peer challenge at {host.organisation.name} is on "
        f"{format_date(milestone.due)}. {stage.about}",
        f"Every date of the challenge is on your page:\n{entry_url(member)}",
    )


BUILDERS: dict[MailKind, Callable[..., EmailMessage | None]] = {
    MailKind.PEER_CHALLENGE_JOINED: joined_message,
    MailKind.PEER_CHALLENGE_TEAM: team_message,
    MailKind.PEER_CHALLENGE_MILESTONE: milestone_message,
}
