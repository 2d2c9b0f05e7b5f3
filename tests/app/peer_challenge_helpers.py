"""Helpers for the peer-challenge tests: a round, its join links, and peers and hosts who joined."""

from __future__ import annotations

from app.extensions import db
from app.models import HostDetails, Member, PeerDetails, Programme, ProgrammeKind, User
from app.services.organisations.directory import find_or_create_organisation
from app.services.programmes import programmes
from app.services.programmes.programmes import join_token
from app.services.tokens import new_token


def make_round(organiser: User, name: str = "Peer challenge 2027") -> Programme:
    return programmes.create_programme(ProgrammeKind.PEER_CHALLENGE, name, "Reviews.", organiser)


def join_path(programme: Programme, side: str) -> str:
    return f"/peer-challenge/join/{join_token(programme, side)}"


def add_peer(
    programme: Programme,
    name: str,
    organisation: str,
    sector: str,
    role: str,
    skills: tuple[str, ...] = ("finance",),
    capacity: int = 1,
    exclude: tuple[str, ...] = (),
    group: str = "",
) -> Member:
    """A peer as if they had joined (organisation confirmed in its sector)."""
    member = Member(
        programme=programme,
        side="peer",
        token=new_token(),
        name=name,
        email=f"{name.split()[0].lower()}@example.org",
        organisation=find_or_create_organisation(organisation, sector, confirmed=True),
        topics=list(skills),
        capacity=capacity,
    )
    member.peer_details = PeerDetails(role=role, exclude=list(exclude), political_group=group)
    db.session.add(member)
    db.session.commit()
    return member


def add_host(
    programme: Programme,
    organisation: str,
    sector: str,
    slots: dict[str, int],
    themes: tuple[str, ...] = ("finance",),
) -> Member:
    """A host as if it had joined, its contact named after the organisation's first word."""
    contact = organisation.split()[0]
    member = Member(
        programme=programme,
        side="host",
        token=new_token(),
        name=f"{contact} Contact",
        email=f"{contact.lower()}.contact@example.org",
        organisation=find_or_create_organisation(organisation, sector, confirmed=True),
        topics=list(themes),
    )
    member.host_details = HostDetails(slots=dict(slots))
    db.session.add(member)
    db.session.commit()
    return member
