"""Messages to members of mentoring schemes and secondment rounds, and invitations to join: what
each kind (a MailKind) says. Each builder reads the member as they are when the message is sent
and returns None when its occasion has passed (the member withdrew, the check-in was answered).
BUILDERS is given to the outbox at start-up beside messaging.messages' (app/__init__.py).

May import: models, programmes.{programmes, mentoring_members}, messaging.transport, urls.
"""

from __future__ import annotations

from collections.abc import Callable
from email.message import EmailMessage

from sqlalchemy import select

from app.extensions import db
from app.formatting import one_line
from app.models import (
    MailKind,
    Member,
    MentoringCheckIn,
    MentoringPair,
    Programme,
    ProgrammeStatus,
    Registration,
    User,
)
from app.models.mentoring import MENTOR
from app.services.messaging import transport
from app.services.programmes import mentoring_members
from app.services.programmes.mentoring_members import WORDS, words
from app.services.programmes.programmes import join_token
from app.services.urls import external_url


def entry_url(member: Member) -> str:
    return external_url("mentoring_join.entry", token=member.token)


def join_url(programme: Programme, side: str) -> str:
    return external_url("mentoring_join.join", token=join_token(programme, side))


def _message(to: str, name: str, subject: str, *paragraphs: str) -> EmailMessage:
    body = "\n\n".join([f"Dear {name},", *paragraphs, "Convene"])
    return transport.new_message(to, one_line(subject), body + "\n")


def joined_message(member: Member) -> EmailMessage | None:
    """Their private link, on joining (or being imported, or asking again)."""
    programme = member.programme
    side = words(programme, member.side)
    return _message(
        member.email,
        member.name,
        f"Your entry in {programme.name}",
        f"You are one of the {side.many} of {one_line(programme.name)}. Your profile, your "
        "preferences among the other side and, later, your match are on your own page (the "
        f"link is yours alone: do not pass it on):\n{entry_url(member)}",
        "There you can also change what you told us, or withdraw.",
    )


def _person(member: Member) -> str:
    return f"{member.name}, {member.organisation.name} ({member.email})"


def match_message(member: Member) -> EmailMessage | None:
    """Their match once the organisers publish: who, and how to reach them; or, kindly, that
    there was no match this time."""
    programme = member.programme
    if programme.status != ProgrammeStatus.PUBLISHED:
        return None
    mine, theirs = words(programme, member.side), words(programme, _other(member.side))
    partners = mentoring_members.partners(member)
    name = one_line(programme.name)
    if partners:
        lines = "\n".join(f"- {_person(p)}" for p in partners)
        noun = theirs.one if len(partners) == 1 else theirs.many
        body = [
            f"The matches of {name} are out. Your {noun}:\n{lines}",
            "Each of them has your name, organisation and email too. Please get in touch soon to "
            "arrange a first conversation. We will ask you both, 1, 3 and 6 months from now, "
            "whether it is working.",
        ]
    else:
        body = [
            f"The matches of {name} are out. We are sorry: this time we could not match you with "
            f"a {theirs.one}. The rules that keep matches across organisations and sectors, and "
            f"the number of places, left some {mine.many} without one.",
            "Thank you for taking part: your entry stays, and the organisers may be in touch if "
            "a place comes free.",
        ]
    page = f"Your page:\n{entry_url(member)}"
    return _message(member.email, member.name, f"Your match in {name}", *body, page)


def partner_left_message(member: Member, left: str) -> EmailMessage | None:
    """To someone whose match left after publishing (`left`: their name): kindly, and what
    happens next."""
    programme = member.programme
    theirs = words(programme, _other(member.side))
    name = one_line(programme.name)
    if member.side == MENTOR:
        news = (
            f"{one_line(left)}, one of your {theirs.many}, has left {name}. Nothing you did "
            "caused this: people's circumstances change."
        )
        next_step = (
            f"The place is free again. The organisers have been told and may match you with "
            f"another {theirs.one}; if they do, we will write to you with their details."
        )
    else:
        news = (
            f"We are sorry to tell you that {one_line(left)}, your {theirs.one}, has left "
            f"{name}. Nothing you did caused this: people's circumstances change."
        )
        next_step = (
            f"The organisers have been told and will try to find you another {theirs.one}; "
            "we will write to you with their details as soon as they do."
        )
    return _match_change_message(member, news, next_step)


def match_ended_message(member: Member, other: str) -> EmailMessage | None:
    """To someone whose published match a repair replaced because it no longer kept the
    scheme's rules (`other`: the partner's name). Which rule is not said: it may be what the
    other person changed or asked for."""
    programme = member.programme
    theirs = words(programme, _other(member.side))
    name = one_line(programme.name)
    if member.side == MENTOR:
        next_step = (
            f"Your place is free again: the organisers may match you with another "
            f"{theirs.one}, and if they do, we will write to you with their details."
        )
    else:
        next_step = (
            f"The organisers will try to find you another {theirs.one}; we will write to you "
            "with their details as soon as they do."
        )
    news = (
        f"Your match with {one_line(other)} in {name} has ended: since it was made, a detail "
        "of one of your entries has changed (an organisation, a sector, the places offered or "
        "a choice), and the scheme's rules no longer allow the match."
    )
    return _match_change_message(member, news, next_step)


def _match_change_message(member: Member, news: str, next_step: str) -> EmailMessage | None:
    """A change to a published match: what happened, what happens next, and their page."""
    name = one_line(member.programme.name)
    return _message(
        member.email,
        member.name,
        f"A change to your match in {name}",
        news,
        next_step,
        f"Your page:\n{entry_url(member)}",
    )


def rematch_message(member: Member, pair_ids: list[int]) -> EmailMessage | None:
    """Their new match once the organisers publish a change (`pair_ids`: the new pairs); None
    when none of those pairs is theirs any more."""
    programme = member.programme
    column = MentoringPair.mentor_id if member.side == MENTOR else MentoringPair.mentee_id
    pairs = list(
        db.session.scalars(
            select(MentoringPair).where(
                MentoringPair.id.in_(pair_ids),
                column == member.id,
                MentoringPair.published_at.is_not(None),
            )
        )
    )
    if not pairs:
        return None
    theirs = words(programme, _other(member.side))
    partners = [p.mentee if member.side == MENTOR else p.mentor for p in pairs]
    noun = theirs.one if len(partners) == 1 else theirs.many
    lines = "\n".join(f"- {_person(p)}" for p in partners)
    name = one_line(programme.name)
    return _message(
        member.email,
        member.name,
        f"Your new match in {name}",
        f"The organisers of {name} have matched you with a new {noun}:\n{lines}",
        "Each of them has your name, organisation and email too. Please get in touch soon to "
        "arrange a first conversation. We will ask you both, 1, 3 and 6 months from now, "
        "whether it is working.",
        f"Your page:\n{entry_url(member)}",
    )


def at_risk_message(
    user: User, programme_id: int, pairs: list[tuple[int, str, list[str]]]
) -> EmailMessage | None:
    """To an organiser: the pairs newly at risk in their programme (`pairs`: pair id, who, the
    reasons as they were found), those that are still pairs; None when none is, or the
    programme is no longer theirs."""
    programme = db.session.get(Programme, programme_id)
    if programme is None or user not in programme.organisers or not user.is_active:
        return None
    still = set(
        db.session.scalars(
            select(MentoringPair.id).where(MentoringPair.id.in_([p[0] for p in pairs]))
        )
    )
    lines = [
        f"- {who}: {'; '.join(reasons)}." for pair_id, who, reasons in pairs if pair_id in still
    ]
    if not lines:
        return None
    name = one_line(programme.name)
    return _message(
        user.email,
        user.name or user.email,
        f"{name}: pairs at risk",
        "From the check-ins, these pairs may need a word from you:\n" + "\n".join(lines),
        "Their email addresses and every check-in are on the programme's page:\n"
        + external_url("programmes.show", programme_id=programme.id),
    )


def _other(side: str) -> str:
    return "mentee" if side == MENTOR else "mentor"


def check_in_message(member: Member, check_in_id: int) -> EmailMessage | None:
    """The "is this working?" question, months after publishing; None once answered or gone."""
    check_in = db.session.get(MentoringCheckIn, check_in_id)
    if check_in is None or check_in.member_id != member.id or check_in.answered_at is not None:
        return None
    pair = check_in.pair
    partner = pair.mentee if member.side == MENTOR else pair.mentor
    name = one_line(member.programme.name)
    return _message(
        member.email,
        member.name,
        f"{name}: is it working?",
        f"It is {check_in.months} month{'s' if check_in.months != 1 else ''} since you were "
        f"matched with {partner.name} ({partner.organisation.name}) in {name}.",
        "Is it working? Two clicks tell the organisers (only they see your answer):\n"
        + external_url("mentoring_join.check_in", token=check_in.token),
    )


def invitation_message(registration: Registration, programme_id: int) -> EmailMessage | None:
    """An invitation to join a programme, to a past registrant who asked to hear of them."""
    programme = db.session.get(Programme, programme_id)
    if programme is None or not registration.email or not registration.hear_of_programmes:
        return None
    if programme.kind not in WORDS or programme.status == ProgrammeStatus.PUBLISHED:
        return None
    name = one_line(programme.name)
    sides = [
        f"As a {words(programme, side).one}:\n{join_url(programme, side)}"
        for side in (MENTOR, _other(MENTOR))
    ]
    about = [programme.description] if programme.description else []
    return _message(
        registration.email,
        registration.name,
        f"An invitation: {name}",
        f"When you registered for {one_line(registration.event.title)} you asked to hear about "
        f"mentoring schemes and secondments. {name} is open to join.",
        *about,
        *sides,
        "If you would rather not hear of these any more, say so on your registration page:\n"
        + external_url("registration.manage", token=registration.token),
    )


BUILDERS: dict[MailKind, Callable[..., EmailMessage | None]] = {
    MailKind.PROGRAMME_JOINED: joined_message,
    MailKind.MENTORING_MATCH: match_message,
    MailKind.MENTORING_CHECK_IN: check_in_message,
    MailKind.MENTORING_PARTNER_LEFT: partner_left_message,
    MailKind.MENTORING_REMATCH: rematch_message,
    MailKind.MENTORING_MATCH_ENDED: match_ended_message,
    MailKind.MENTORING_AT_RISK: at_risk_message,
    MailKind.PROGRAMME_INVITATION: invitation_message,
}
