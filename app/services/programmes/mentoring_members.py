"""Members of mentoring schemes and secondment rounds: joining, changing, withdrawing, the
published profiles each side chooses among, and the organisers' CSV import.

A member's published profile (PublicProfile) is all the other side ever sees of them: name,
organisation, sector, profession, topics and bio; never the email. Preferences rank up to
RANKS members of the other side and may mark any as not acceptable (the CSV files' `!id`).
Organisations are resolved through the directory as registration does: a name the public is
shown needs no sector, a new one needs a sector (proposed, until an organiser confirms it).

The import reads the command line's MENTORS.csv and MENTEES.csv (scheduler/cli_matching.py's
readers, so the rules stay in one place) with two more columns, `email` (required) and `bio`.
Any bad row stops it with one message naming the file and row, and nothing is imported; each
member imported is sent their private link, as if they had joined.

May import: models, programmes.programmes (the programme's lock), registration.details
(check_contact: email, sector and organisation, as registration checks them),
organisations.directory, messaging.outbox, tokens, scheduler (CSV readers).
"""

from __future__ import annotations

import tempfile
import unicodedata
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from sqlalchemy import delete, select

from app.extensions import db
from app.models import (
    JoinLink,
    MailKind,
    Member,
    MentoringPair,
    MentoringPreference,
    Organisation,
    Programme,
    ProgrammeKind,
    ProgrammeStatus,
)
from app.models.mentoring import MENTEE, MENTOR
from app.models.types import utcnow
from app.services.messaging import outbox
from app.services.organisations.directory import (
    find_or_create_organisation,
)
from app.services.programmes.programmes import (
    EMAIL_TAKEN,
    change_member,
    join_side,
    locked_programme,
    member_with_email,
    row_id,
)
from app.services.registration.details import check_contact
from app.services.tokens import new_token
from scheduler.cli_matching import read_mentee_rows, read_mentor_rows
from scheduler.people import InputError

OTHER_SIDE = {MENTOR: MENTEE, MENTEE: MENTOR}
RANKS = 5  # how many of the other side a member may rank, best first
NOT_ACCEPTABLE = "no"  # the choice that rules someone out
TOPICS_MAX = 12
TOPIC_LENGTH = 60
CAPACITY_MAX = 50
TEXT_LIMITS = {
    "name": 200,
    "email": 254,
    "organisation": 200,
    "sector": 100,
    "profession": 120,
    "bio": 1000,
    "topics": TOPICS_MAX * (TOPIC_LENGTH + 2),
}
REQUIRED = ("name", "email", "organisation", "profession")
LABELS = {
    "name": "name",
    "email": "email address",
    "organisation": "organisation",
    "profession": "profession",
}
IMPORT_EXTRA_COLUMNS = ("email", "bio")


@dataclass(frozen=True)
class Words:
    """How a side of a kind of programme is named on its pages and in its messages."""

    one: str
    many: str
    topics: str  # the label of its topics field
    capacity: str | None  # the label of its capacity field; None for the side taking one place


WORDS: dict[ProgrammeKind, dict[str, Words]] = {
    ProgrammeKind.MENTORING: {
        MENTOR: Words("mentor", "mentors", "Topics you can mentor on", "Mentees you can take"),
        MENTEE: Words("mentee", "mentees", "Topics you want to learn about", None),
    },
    ProgrammeKind.SECONDMENT: {
        MENTOR: Words("host", "hosts", "What your placements offer", "Places you offer"),
        MENTEE: Words("secondee", "secondees", "What you want from a secondment", None),
    },
}


def words(programme: Programme, side: str) -> Words:
    return WORDS[programme.kind][side]


class MemberInvalid(ValueError):
    """Field errors, by field name, each a list of messages."""

    def __init__(self, errors: dict[str, list[str]]):
        super().__init__("; ".join(f"{k}: {' '.join(v)}" for k, v in errors.items()))
        self.errors = errors


@dataclass(frozen=True)
class PublicProfile:
    """What the other side may see of a member (nothing else leaves this module for them)."""

    id: int
    name: str
    organisation: str
    sector: str
    profession: str
    topics: tuple[str, ...]
    bio: str


@dataclass
class Profile:
    """Checked, cleaned details of a member; `choices` None leaves their preferences as they are
    (an organiser's edit); else {other member id: rank}, rank None for "not acceptable"."""

    name: str
    email: str
    organisation: str
    sector: str
    profession: str
    bio: str
    topics: tuple[str, ...]
    capacity: int
    choices: dict[int, int | None] | None = None
    by_organiser: bool = False


@dataclass
class ImportResult:
    added: dict[str, int] = field(default_factory=dict)  # side: how many


def public_profile(member: Member) -> PublicProfile:
    return PublicProfile(
        id=member.id,
        name=member.name,
        organisation=member.organisation.name,
        sector=member.sector,
        profession=member.profession,
        topics=tuple(member.topics),
        bio=member.bio,
    )


def members(programme: Programme, side: str) -> list[Member]:
    return list(
        db.session.scalars(
            select(Member)
            .where(Member.programme_id == programme.id, Member.side == side)
            .order_by(Member.name, Member.id)
        )
    )


def public_profiles(programme: Programme, side: str) -> list[PublicProfile]:
    """The published profiles of one side, by name."""
    return [public_profile(m) for m in members(programme, side)]


def member_by_token(token: str) -> Member | None:
    return db.session.scalar(select(Member).where(Member.token == token))


def member_of(programme: Programme, member_id: int) -> Member | None:
    return db.session.scalar(
        select(Member).where(Member.id == member_id, Member.programme_id == programme.id)
    )


def choices_of(member: Member) -> dict[int, str]:
    """{other member id: "1".."RANKS" or NOT_ACCEPTABLE}, as the form shows them."""
    rows = db.session.scalars(
        select(MentoringPreference).where(MentoringPreference.member_id == member.id)
    )
    return {p.other_id: (str(p.rank) if p.rank else NOT_ACCEPTABLE) for p in rows}


def preferences_of(member: Member) -> tuple[list[int], set[int]]:
    """(other member ids ranked best first, those ruled out)."""
    rows = list(
        db.session.scalars(
            select(MentoringPreference).where(MentoringPreference.member_id == member.id)
        )
    )
    ranked = [p.other_id for p in sorted((p for p in rows if p.rank), key=lambda p: p.rank)]
    return ranked, {p.other_id for p in rows if p.rank is None}


# --- checking ------------------------------------------------------------------------------------


def _text(raw: Mapping[str, Any], name: str, errors: dict[str, list[str]]) -> str:
    value = raw.get(name) or ""
    if not isinstance(value, str):
        errors.setdefault(name, []).append("Must be text.")
        return ""
    value = value.strip()
    allowed = "\n\r\t" if name == "bio" else ""
    if any(unicodedata.category(c) == "Cc" and c not in allowed for c in value):
        errors.setdefault(name, []).append("Contains control characters; please retype it.")
        return ""
    if name != "bio":
        value = " ".join(value.split())
    if name in REQUIRED and not value:
        errors.setdefault(name, []).append(f"Enter your {LABELS[name]}.")
    elif len(value) > TEXT_LIMITS[name]:
        errors.setdefault(name, []).append(
            f"Must be at most {TEXT_LIMITS[name]} characters (this is {len(value)})."
        )
    return value


def _topics(text: str, errors: dict[str, list[str]]) -> tuple[str, ...]:
    topics: list[str] = []
    for item in text.split(";"):
        topic = " ".join(item.split())
        if topic and topic.lower() not in {t.lower() for t in topics}:
            topics.append(topic)
    if not topics:
        errors["topics"] = ["Give at least one topic; separate topics with semicolons (;)."]
    elif len(topics) > TOPICS_MAX:
        errors["topics"] = [f"Give at most {TOPICS_MAX} topics (these are {len(topics)})."]
    elif long := [t for t in topics if len(t) > TOPIC_LENGTH]:
        errors["topics"] = [f"“{long[0][:20]}…” is longer than {TOPIC_LENGTH} characters."]
    return tuple(topics)


def _capacity(raw: Mapping[str, Any], side: str, errors: dict[str, list[str]]) -> int:
    if side == MENTEE:
        return 1
    value = raw.get("capacity")
    try:
        capacity = int(str(value).strip())
    except ValueError:
        errors["capacity"] = ["Give a whole number."]
        return 1
    if not 1 <= capacity <= CAPACITY_MAX:
        errors["capacity"] = [f"Give a number from 1 to {CAPACITY_MAX}."]
        return 1
    return capacity


def _choices(
    programme: Programme, side: str, raw: Mapping[str, Any], errors: dict[str, list[str]]
) -> dict[int, int | None] | None:
    """{other member id: rank or None} from raw["choices"] ({id: "", "1".."RANKS" or "no"})."""
    given = raw.get("choices")
    if given is None:
        return None
    others = {m.id for m in members(programme, OTHER_SIDE[side])}
    choices: dict[int, int | None] = {}
    for other_id, value in given.items():
        if not value:
            continue
        if other_id not in others:
            errors["choices"] = ["Choose only among the people listed."]
            return {}
        if value == NOT_ACCEPTABLE:
            choices[other_id] = None
        elif value in {str(r) for r in range(1, RANKS + 1)}:
            choices[other_id] = int(value)
        else:
            errors["choices"] = ["Choose a rank, or not acceptable."]
            return {}
    ranks = sorted(r for r in choices.values() if r is not None)
    if len(ranks) != len(set(ranks)):
        errors["choices"] = ["Give each rank (first, second…) to one person only."]
    elif ranks != list(range(1, len(ranks) + 1)):
        errors["choices"] = ["Rank without gaps: a second choice needs a first, and so on."]
    return choices


def check_profile(
    programme: Programme, side: str, raw: Mapping[str, Any], *, by_organiser: bool = False
) -> Profile:
    """Clean and check a member's details; MemberInvalid naming every field at fault.
    `by_organiser`: an organiser's edit, whose new organisation's sector is confirmed."""
    errors: dict[str, list[str]] = {}
    text = {name: _text(raw, name, errors) for name in TEXT_LIMITS}
    email, sector = check_contact(text, errors, by_organiser=by_organiser)
    topics = _topics(text["topics"], errors) if "topics" not in errors else ()
    capacity = _capacity(raw, side, errors)
    choices = _choices(programme, side, raw, errors)
    if errors:
        raise MemberInvalid(errors)
    return Profile(
        name=text["name"],
        email=email,
        organisation=text["organisation"],
        sector=sector,
        profession=text["profession"],
        bio=text["bio"],
        topics=topics,
        capacity=capacity,
        choices=choices,
        by_organiser=by_organiser,
    )


def details_of(member: Member) -> dict[str, Any]:
    """A member's details as check_profile reads them (for forms)."""
    return {
        "name": member.name,
        "email": member.email,
        "organisation": member.organisation.name,
        "sector": member.sector_given or member.organisation.sector,
        "profession": member.profession,
        "bio": member.bio,
        "topics": "; ".join(member.topics),
        "capacity": member.capacity,
    }


# --- changing ------------------------------------------------------------------------------------


def _new_member(programme: Programme, side: str, profile: Profile) -> Member:
    """A member made from a profile, added to the session (with its organisation first: finding
    a new one writes it, and the member with it)."""
    organisation = _organisation(profile)
    member = Member(programme=programme, side=side, token=new_token(), organisation=organisation)
    db.session.add(member)
    _apply(member, profile, organisation)
    return member


def _organisation(profile: Profile) -> Organisation:
    return find_or_create_organisation(
        profile.organisation, profile.sector, confirmed=profile.by_organiser
    )


def _apply(member: Member, profile: Profile, organisation: Organisation | None = None) -> None:
    member.name, member.email = profile.name, profile.email
    member.organisation = organisation or _organisation(profile)
    member.organisation_typed = profile.organisation
    member.sector_given = profile.sector
    member.profession, member.bio = profile.profession, profile.bio
    member.topics, member.capacity = list(profile.topics), profile.capacity
    if profile.choices is not None:
        db.session.flush()
        db.session.execute(
            delete(MentoringPreference).where(MentoringPreference.member_id == member.id)
        )
        db.session.add_all(
            MentoringPreference(member_id=member.id, other_id=other, rank=rank)
            for other, rank in profile.choices.items()
        )


def join(link: JoinLink, profile: Profile) -> tuple[Member, bool]:
    """Add a member to the link's side and queue the message with their private link; commits.
    (member, True) when added. If their email has joined that side already, nothing changes
    and that member is sent their link again: (member, False). Nobody learns whether someone
    else has joined. Under the programme's lock (programmes.join_side)."""

    def new_member(programme: Programme) -> Member:
        return _new_member(programme, link.side, profile)

    return join_side(link, profile.email, new_member, MailKind.PROGRAMME_JOINED)


def update(member: Member, profile: Profile) -> None:
    """Change a member's details (and preferences, if given); commits. Under the programme's
    lock (programmes.change_member): a mentor's places or a member's choices change before or
    after a pairing is checked against them, never while."""
    if not change_member(member, profile.email, lambda member: _apply(member, profile)):
        raise MemberInvalid({"email": [EMAIL_TAKEN]})


def withdraw(member: Member) -> None:
    """Take a member out of the programme, with their preferences and any pair; commits. Once
    the matches are published, whoever they were matched with is told kindly, and marked for
    the organisers to match again (in the same transaction). Under the programme's lock, as
    the organisers' adjustments (mentoring_review): a publishing at the same moment is served
    before or after, never half; a member gone meanwhile (withdrawn twice at once) is gone."""
    member_id, programme_id = row_id(member), member.programme_id
    with locked_programme(programme_id) as programme:
        member = db.session.get(Member, member_id)
        if member is None:
            return
        if programme.status == ProgrammeStatus.PUBLISHED:
            for partner in partners(member):
                partner.partner_left_at = utcnow()
                outbox.queue(MailKind.MENTORING_PARTNER_LEFT, partner, left=member.name)
        db.session.delete(member)


# --- the organisers' CSV import ------------------------------------------------------------------


def import_csv(programme: Programme, files: Mapping[str, tuple[str, bytes]]) -> ImportResult:
    """Import MENTORS.csv and/or MENTEES.csv ({side: (file name, content)}); preferences may
    name the ids of either file (not members already there). Raises MemberInvalid with one
    message (under "file") naming the file and row at fault; nothing is imported then."""
    try:
        rows = _read(files)
        added = _add_rows(programme, rows)
    except MemberInvalid:
        db.session.rollback()
        raise
    db.session.commit()
    return ImportResult(added)


def _read(files: Mapping[str, tuple[str, bytes]]) -> dict[str, list[tuple[int, dict, Any]]]:
    readers = {MENTOR: read_mentor_rows, MENTEE: read_mentee_rows}
    rows = {}
    with tempfile.TemporaryDirectory() as folder:
        for side, (name, content) in files.items():
            path = Path(folder) / (Path(name).name or f"{side}s.csv")
            path.write_bytes(content)
            try:
                rows[side] = readers[side](path, IMPORT_EXTRA_COLUMNS)
            except InputError as error:
                message = str(error).replace(str(path), path.name)
                raise MemberInvalid({"file": [message]}) from None
    return rows


def _add_rows(programme: Programme, rows: dict[str, list[tuple[int, dict, Any]]]) -> dict:
    ids = {side: {person.id for _, _, person in found} for side, found in rows.items()}
    added: dict[str, int] = {}
    by_id: dict[tuple[str, str], Member] = {}
    wanted: list[tuple[Member, tuple[str, ...], frozenset[str], str]] = []
    for side, found in rows.items():
        other = OTHER_SIDE[side]
        emails: set[str] = set()
        for line, values, person in found:
            where = f"{'MENTORS' if side == MENTOR else 'MENTEES'}.csv row {line}"
            raw = {
                "name": person.name,
                "email": values.get("email", ""),
                "organisation": person.organisation,
                "sector": person.sector,
                "profession": person.profession,
                "bio": values.get("bio", ""),
                "topics": "; ".join(person.offers if side == MENTOR else person.wants),
                "capacity": getattr(person, "capacity", 1),
            }
            try:
                profile = check_profile(programme, side, raw, by_organiser=True)
            except MemberInvalid as error:
                field_name, messages = next(iter(error.errors.items()))
                raise MemberInvalid({"file": [f"{where}: {field_name}: {messages[0]}"]}) from None
            if profile.email in emails or member_with_email(programme, side, profile.email):
                raise MemberInvalid(
                    {
                        "file": [
                            f"{where}: {profile.email} is already a "
                            f"{words(programme, side).one} of this programme."
                        ]
                    }
                )
            emails.add(profile.email)
            named = [*person.preferences, *person.unacceptable]
            if unknown := [i for i in named if i not in ids.get(other, set())]:
                raise MemberInvalid(
                    {"file": [f"{where}: prefs name {unknown[0]!r}, who is not in the file."]}
                )
            member = _new_member(programme, side, profile)
            by_id[(side, person.id)] = member
            wanted.append((member, person.preferences, person.unacceptable, other))
            outbox.queue(MailKind.PROGRAMME_JOINED, member)
        added[side] = len(found)
    db.session.flush()
    for member, ranked, ruled_out, other in wanted:
        db.session.add_all(
            MentoringPreference(member_id=member.id, other_id=by_id[(other, i)].id, rank=rank)
            for rank, i in enumerate(ranked, start=1)
        )
        db.session.add_all(
            MentoringPreference(member_id=member.id, other_id=by_id[(other, i)].id, rank=None)
            for i in ruled_out
        )
    return added


def partners(member: Member) -> list[Member]:
    """Whom the member has been told they are paired with (a mentee's mentor; a mentor's
    mentees): published pairs only, as a change not yet published is the organisers' alone."""
    if member.side == MENTOR:
        column, partner = MentoringPair.mentor_id, MentoringPair.mentee
    else:
        column, partner = MentoringPair.mentee_id, MentoringPair.mentor
    return list(
        db.session.scalars(
            select(Member)
            .join(partner)
            .where(column == member.id, MentoringPair.published_at.is_not(None))
            .order_by(Member.name)
        )
    )
