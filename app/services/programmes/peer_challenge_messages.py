"""Messages to peers and hosts of peer-challenge rounds: what each kind (a MailKind) says. Each
builder reads the member as they are when the message is sent and returns None when its
occasion has passed. Teams are described by name, organisation and role: nobody's email goes to
anyone but its owner (the organisers see them on their pages). BUILDERS is given to the outbox at
start-up (app/__init__.py).

May import: models, programmes.{programmes, peer_challenge_members, peer_challenge_milestones},
messaging.transport, urls.
"""

from __future__ import annotations

from collections.abc import Callable
from email.message import EmailMessage

from sqlalchemy import select

from app.extensions import db
from app.formatting import format_date, one_line
from app.models import (
    MailKind,
    Member,
    PeerMilestone,
    PeerPlace,
    Programme,
    ProgrammeKind,
    ProgrammeStatus,
    Registration,
)
from app.models.peer_challenge import HOST, PEER
from app.services.messaging import transport
from app.services.programmes.peer_challenge_members import a_role, places_of, role_words
from app.services.programmes.peer_challenge_milestones import STAGES, milestones_of
from app.services.programmes.programmes import join_token
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


def date_lines(host: Member) -> str:
    """The dated steps of a host's challenge, one a line ("" while none is dated)."""
    return "\n".join(f"- {STAGES[m.stage].name}: {format_date(m.due)}" for m in milestones_of(host))


def _with_dates(host: Member) -> str:
    dates = date_lines(host)
    return f"\nThe dates:\n{dates}" if dates else "\nThe dates are still to be set."


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
                    + _with_dates(p.host)
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
            + _with_dates(member)
        ]
    body.append("The organisers will introduce you. Your page, with the dates of each step:")
    body.append(entry_url(member))
    return _message(member, f"Your peer-challenge team in {name}", *body)


def withdrawal_message(
    member: Member, name: str, role: str = "", host_id: int | None = None, organisation: str = ""
) -> EmailMessage | None:
    """After publishing, someone left a team `member` is on: a peer `name` of `role` left the
    team of host `host_id` (to its host and the rest of the team), or the host `organisation`
    withdrew (to its team's peers). None if the host has gone since."""
    round_name = one_line(member.programme.name)
    if role:
        host = db.session.get(Member, host_id) if host_id else None
        if host is None:
            return None
        where = host.organisation.name
        body = [
            f"We are sorry to tell you that {name}, the {role_words(role)} on the team "
            f"reviewing {where}, is no longer able to take part in {round_name}.",
            "The organisers will look for someone to take their place and will write to you "
            "again when they have. The team as it is now:\n" + (team_lines(host) or "- nobody yet"),
        ]
        subject = f"{round_name}: a change to the team reviewing {where}"
    else:
        body = [
            f"We are sorry to tell you that {organisation} has withdrawn from {round_name}, so "
            "the peer challenge there will not go ahead and its team is stood down.",
            "Thank you for giving your time to it. The organisers will be in touch if another "
            "team needs you.",
        ]
        subject = f"{round_name}: the challenge at {organisation} will not go ahead"
    body.append(f"Your page:\n{entry_url(member)}")
    return _message(member, subject, *body)


def team_changed_message(member: Member, host_id: int) -> EmailMessage | None:
    """After the organisers publish a change to a team: to its host and its peers, the team as
    it is now; to a peer taken off it, that they are no longer on it. None once gone."""
    host = db.session.get(Member, host_id)
    if host is None or member.programme.status != ProgrammeStatus.PUBLISHED:
        return None
    round_name = one_line(member.programme.name)
    where = host.organisation.name
    mine = [p for p in places_of(member) if p.host_id == host.id] if member.side == PEER else []
    if member.id == host.id or mine:
        role = f", on which you are {a_role(mine[0].role)}," if mine else ""
        body = [
            f"The team reviewing {where}{role} has changed. The team now:\n"
            + (team_lines(host) or "- nobody yet: the organisers will be in touch"),
        ]
    else:
        body = [
            f"You are no longer on the team reviewing {where} in {round_name}. Thank you for "
            "the time you were ready to give it; the organisers will be in touch if they have "
            "any questions."
        ]
    body.append(f"Your page, with your team(s) and the dates of each step:\n{entry_url(member)}")
    return _message(member, f"{round_name}: the team reviewing {where} has changed", *body)


def invitation_message(registration: Registration, programme_id: int) -> EmailMessage | None:
    """An invitation to take part in a peer-challenge round, to a past registrant who asked to
    hear of peer challenges; None once they withdrew that, or the round is published."""
    programme = db.session.get(Programme, programme_id)
    if programme is None or not registration.email or not registration.hear_of_peer_challenges:
        return None
    if programme.kind != ProgrammeKind.PEER_CHALLENGE:
        return None
    if programme.status == ProgrammeStatus.PUBLISHED:
        return None
    name = one_line(programme.name)
    about = [programme.description] if programme.description else []
    body = "\n\n".join(
        [
            f"Dear {registration.name},",
            f"When you registered for {one_line(registration.event.title)} you asked to hear "
            f"about peer challenges. {name} is forming its teams: peers from other "
            "organisations and sectors who review an organisation at its leaders' invitation, "
            "with a scoping meeting, a few days on site, feedback, a report and a progress "
            "review about ten months on.",
            *about,
            "To offer yourself as a peer (a chief executive, member, officer, sector or "
            "lived-experience peer, or a challenge manager):\n"
            + external_url("peer_challenge_join.join", token=join_token(programme, PEER)),
            "For your organisation to be reviewed, as a host:\n"
            + external_url("peer_challenge_join.join", token=join_token(programme, HOST)),
            "If you would rather not hear of peer challenges any more, say so on your "
            "registration page:\n" + external_url("registration.manage", token=registration.token),
            "Convene",
        ]
    )
    return transport.new_message(registration.email, f"An invitation: {name}", body + "\n")


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
    MailKind.PEER_CHALLENGE_WITHDRAWAL: withdrawal_message,
    MailKind.PEER_CHALLENGE_TEAM_CHANGED: team_changed_message,
    MailKind.PEER_CHALLENGE_INVITATION: invitation_message,
}
