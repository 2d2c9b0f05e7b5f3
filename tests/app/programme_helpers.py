"""Helpers for the programmes tests: a programme, its join links, and members who joined."""

from __future__ import annotations

from app.extensions import db
from app.models import Member, MentoringPreference, Programme, ProgrammeKind, User
from app.services.organisations.directory import find_or_create_organisation
from app.services.programmes import programmes
from app.services.programmes.programmes import join_token
from app.services.tokens import new_token

SECTORS = ("Local government", "NHS and health", "Police and justice", "Housing")


def make_programme(
    organiser: User, kind: ProgrammeKind = ProgrammeKind.MENTORING, name: str = "Mentoring 2027"
) -> Programme:
    return programmes.create_programme(kind, name, "Across sectors.", organiser)


def join_path(programme: Programme, side: str) -> str:
    return f"/mentoring/join/{join_token(programme, side)}"


def add_member(
    programme: Programme,
    side: str,
    name: str,
    organisation: str,
    sector: str,
    topics: tuple[str, ...] = ("housing",),
    capacity: int = 1,
    bio: str = "",
) -> Member:
    """A member as if they had joined (organisation confirmed in its sector)."""
    member = Member(
        programme=programme,
        side=side,
        token=new_token(),
        name=name,
        email=f"{name.split()[0].lower()}@example.org",
        organisation=find_or_create_organisation(organisation, sector, confirmed=True),
        profession="Officer",
        bio=bio,
        topics=list(topics),
        capacity=capacity,
    )
    db.session.add(member)
    db.session.commit()
    return member


def prefer(member: Member, *others: Member, ruled_out: tuple[Member, ...] = ()) -> None:
    db.session.add_all(
        MentoringPreference(member_id=member.id, other_id=o.id, rank=r)
        for r, o in enumerate(others, start=1)
    )
    db.session.add_all(
        MentoringPreference(member_id=member.id, other_id=o.id, rank=None) for o in ruled_out
    )
    db.session.commit()
