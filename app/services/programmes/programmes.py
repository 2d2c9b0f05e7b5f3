"""Creating and finding programmes. A programme belongs to its organisers: to anyone else it does
not exist (the pages answer 404, with no hint that it does). Each side of a programme has its
own join link (JoinLink), made with the programme: JOIN_SIDES says which sides a kind has.

Changes that check a programme's places and then write them (a peer onto a team's last slot, a
swap, a mentee onto a mentor's last place, publishing) run inside `locked_programme`, as
changes to an event's seats run inside capacity's `locked_event` (its docstring is the
contract): the programme's row is locked first (SELECT ... FOR UPDATE on PostgreSQL; SQLite's
write lock, BEGIN IMMEDIATE, taken by the transaction's first statement), so such changes to one
programme run one after another and what the check read is still true when the write is
committed.

May import: models, tokens, registration.capacity (its write-locked transaction),
messaging.outbox (to send what the locked transaction queued).
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager

from sqlalchemy import inspect, select

from app.extensions import db
from app.models import JoinLink, MailKind, Member, Programme, ProgrammeKind, User
from app.services.messaging import outbox
from app.services.registration.capacity import begin_writing
from app.services.tokens import new_token

NAME_LENGTH = 200
DESCRIPTION_LENGTH = 2000

# The sides people join, by kind: a mentoring scheme's mentors and mentees; a secondment
# round's hosts (side "mentor": they offer places) and secondees (side "mentee"); a peer-
# challenge round's peers and hosts (the organisations reviewed).
JOIN_SIDES: dict[ProgrammeKind, tuple[str, ...]] = {
    ProgrammeKind.MENTORING: ("mentor", "mentee"),
    ProgrammeKind.SECONDMENT: ("mentor", "mentee"),
    ProgrammeKind.PEER_CHALLENGE: ("peer", "host"),
}


EMAIL_TAKEN = "Someone on this side already uses this email address."


class ProgrammeError(ValueError):
    """A change the rules do not allow; the message says why, in plain words."""


def programme_for_organiser(
    programme_id: int, user: User, kinds: tuple[ProgrammeKind, ...] = tuple(ProgrammeKind)
) -> Programme | None:
    """The programme, if this user is one of its organisers and it is of one of `kinds`; None
    otherwise (no hint it exists)."""
    return db.session.scalar(
        select(Programme).where(
            Programme.id == programme_id,
            Programme.organisers.contains(user),
            Programme.kind.in_(kinds),
        )
    )


def programmes_of_organiser(user: User) -> list[Programme]:
    """The user's programmes, newest first."""
    return list(
        db.session.scalars(
            select(Programme)
            .where(Programme.organisers.contains(user))
            .order_by(Programme.created_at.desc(), Programme.id.desc())
        )
    )


def create_programme(kind: ProgrammeKind, name: str, description: str, user: User) -> Programme:
    name = " ".join((name or "").split())
    description = (description or "").strip()
    if not name:
        raise ProgrammeError("Give the programme a name.")
    if len(name) > NAME_LENGTH:
        raise ProgrammeError(f"The name must be at most {NAME_LENGTH} characters.")
    if len(description) > DESCRIPTION_LENGTH:
        raise ProgrammeError(f"The description must be at most {DESCRIPTION_LENGTH} characters.")
    kind = ProgrammeKind(kind)
    programme = Programme(
        kind=kind,
        name=name,
        description=description,
        organisers=[user],
        join_links=[JoinLink(side=side, token=new_token()) for side in JOIN_SIDES.get(kind, ())],
    )
    db.session.add(programme)
    db.session.commit()
    return programme


def join_link(token: str) -> JoinLink | None:
    """The join link this token opens, if any."""
    return db.session.scalar(select(JoinLink).where(JoinLink.token == token))


def join_token(programme: Programme, side: str) -> str:
    """The token of the programme's join link for `side`."""
    return next(link.token for link in programme.join_links if link.side == side)


@contextmanager
def locked_programme(programme_id: int) -> Iterator[Programme]:
    """A transaction holding the programme's write lock (module docstring): every read inside
    sees what earlier holders committed. Commits on leaving (then sends mail queued inside),
    rolls back on an error. The session may hold no unsaved changes when it is entered; objects
    loaded before are read again inside."""
    session = begin_writing()
    session.expire_all()
    programme = lock(programme_id)
    if programme is None:
        session.rollback()
        raise LookupError(f"no programme with id {programme_id}")
    try:
        yield programme
    except BaseException:
        session.rollback()
        raise
    session.commit()
    outbox.send_committed()


def lock(programme_id: int) -> Programme | None:
    """The programme, its row locked until the transaction under way ends (on PostgreSQL; on
    SQLite the write lock is the transaction's, taken as it began: begin_writing); None if it
    has gone. For a transaction begun elsewhere, as a matching's result is stored in the one
    that marks its job succeeded."""
    return db.session.scalar(
        select(Programme)
        .where(Programme.id == programme_id)
        .with_for_update()
        .execution_options(populate_existing=True)
    )


def row_id(row: object) -> int:
    """A loaded row's id without reading it again (someone may have deleted it meanwhile):
    taken before `locked_programme`, to read the row again inside."""
    return inspect(row).identity[0]


def member_with_email(
    programme: Programme, side: str, email: str, but: Member | None = None
) -> Member | None:
    """The member of that side of the programme with this (normalised) email, other than `but`."""
    found = db.session.scalar(
        select(Member).where(
            Member.programme_id == programme.id, Member.side == side, Member.email == email
        )
    )
    return None if found is None or found is but else found


def join_side(
    link: JoinLink, email: str, new_member: Callable[[Programme], Member], joined: MailKind
) -> tuple[Member, bool]:
    """Add the member `new_member` makes to the link's side, unless this email has joined it
    already, and queue `joined` (the message with their private link) to whichever it is;
    commits. (member, True) when added. Under the programme's lock, so the same email joining
    twice at once (a form sent from two tabs) makes one member."""
    side = link.side
    with locked_programme(link.programme_id) as programme:
        member = member_with_email(programme, side, email)
        added = member is None
        if added:
            member = new_member(programme)
        outbox.queue(joined, member)
    return member, added


def change_member(member: Member, email: str, apply: Callable[[Member], None]) -> bool:
    """Apply a member's changed details under the programme's lock, as the organisers'
    adjustments: what they check (a mentor's places, a member's choices, a team's rules) is
    read before or after the change, never during it. Commits. False if another member of that
    side has this email (nothing changes); True otherwise, also when the member has gone
    meanwhile (withdrawn in another window: they stay gone)."""
    member_id = row_id(member)
    with locked_programme(member.programme_id):
        member = db.session.get(Member, member_id)
        if member is None:
            return True
        if member_with_email(member.programme, member.side, email, but=member) is not None:
            return False
        apply(member)
    return True
