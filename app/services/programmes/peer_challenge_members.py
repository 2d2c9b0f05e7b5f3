"""Peers and hosts of peer-challenge rounds: joining, changing, withdrawing, and the organisers'
CSV import.

A peer gives name, email, organisation, sector, role (scheduler.peer_teams.ROLES), skills, how
many challenges they can take this round, the organisations they must not review and, for a
member peer, their political group. A host gives its contact's name and email, the organisation
reviewed, its sector, how many peers of each role it wants (two at least: a team needs two
sectors) and the themes the challenge should look at. Organisations are resolved through the
directory as registration does: a name the public is shown needs no sector, a new one does
(proposed, until an organiser confirms it). Emails are for the organisers only.

The import reads the command line's PEERS.csv and HOSTS.csv with scheduler/cli_matching.py's
readers (so the rules stay in one place) plus an `email` column (and for hosts an optional
`contact`, the contact's name). Any bad row stops it with one message naming the file and row,
and nothing is imported; everyone imported is sent their private link, as if they had joined.

May import: models, programmes.programmes, registration.details (check_contact: email, sector
and organisation, as registration checks them), organisations.{directory, sectors},
messaging.outbox, tokens, scheduler (roles, CSV readers).
"""

from __future__ import annotations

import functools
import tempfile
import unicodedata
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from sqlalchemy import select

from app.extensions import db
from app.models import (
    HostDetails,
    JoinLink,
    MailKind,
    Member,
    Organisation,
    PeerDetails,
    PeerPlace,
    Programme,
    ProgrammeStatus,
    Sector,
)
from app.models.peer_challenge import HOST, PEER
from app.services.messaging import outbox
from app.services.organisations import sectors
from app.services.organisations.directory import (
    find_or_create_organisation,
)
from app.services.programmes.programmes import (
    EMAIL_TAKEN,
    change_member,
    join_side,
    locked_programme,
    row_id,
)
from app.services.registration.details import check_contact
from app.services.tokens import new_token
from scheduler.cli_matching import read_host_rows, read_peer_rows
from scheduler.peer_teams import ROLES
from scheduler.people import InputError

SIDES = (PEER, HOST)
# How each role is named to people: (one, many).
ROLE_WORDS = {
    "chief-executive": ("chief executive peer", "chief executive peers"),
    "member": ("member peer", "member peers"),
    "officer": ("officer peer", "officer peers"),
    "sector-peer": ("sector peer", "sector peers"),
    "lived-experience": ("lived-experience peer", "lived-experience peers"),
    "manager": ("challenge manager", "challenge managers"),
}
CAPACITY_MAX = 10
SLOTS_MAX = 10
ITEMS_MAX = 12
ITEM_LENGTH = 100
TEXT_LIMITS = {
    "name": 200,
    "email": 254,
    "organisation": 200,
    "sector": 100,
    "topics": ITEMS_MAX * (ITEM_LENGTH + 2),
    "exclude": ITEMS_MAX * (ITEM_LENGTH + 2),
    "group": 100,
}
REQUIRED = {"name": "name", "email": "email address", "organisation": "organisation"}
TOPICS_WORDS = {PEER: "skill", HOST: "theme"}
IMPORT_COLUMNS = {PEER: ("email",), HOST: ("email", "contact")}
FILE_NAMES = {PEER: "PEERS.csv", HOST: "HOSTS.csv"}


def role_words(role: str, count: int = 1) -> str:
    """A role as people say it, e.g. "member peer", "2 officer peers"."""
    one, many = ROLE_WORDS[role]
    return one if count == 1 else f"{count} {many}"


def a_role(role: str) -> str:
    """A role with its article: "a member peer", "an officer peer"."""
    words = role_words(role)
    return f"{'an' if words[0] in 'aeiou' else 'a'} {words}"


class EntryInvalid(ValueError):
    """Field errors, by field name, each a list of messages."""

    def __init__(self, errors: dict[str, list[str]]):
        super().__init__("; ".join(f"{k}: {' '.join(v)}" for k, v in errors.items()))
        self.errors = errors


@dataclass
class Entry:
    """Checked, cleaned details of a peer or host. `topics`: a peer's skills or a host's
    themes; `role`, `capacity`, `exclude` and `group` are a peer's, `slots` a host's."""

    side: str
    name: str
    email: str
    organisation: str
    sector: str
    topics: tuple[str, ...]
    role: str = ""
    capacity: int = 1
    exclude: tuple[str, ...] = ()
    group: str = ""
    slots: dict[str, int] = field(default_factory=dict)
    by_organiser: bool = False


# --- reading -------------------------------------------------------------------------------------


def members(programme: Programme, side: str) -> list[Member]:
    return list(
        db.session.scalars(
            select(Member)
            .where(Member.programme_id == programme.id, Member.side == side)
            .order_by(Member.name, Member.id)
        )
    )


def hosts(programme: Programme) -> list[Member]:
    """The hosts, by the name of the organisation reviewed."""
    return sorted(members(programme, HOST), key=lambda m: (m.organisation.name.casefold(), m.id))


def member_by_token(token: str) -> Member | None:
    return db.session.scalar(select(Member).where(Member.token == token))


def member_of(programme: Programme, member_id: int) -> Member | None:
    return db.session.scalar(
        select(Member).where(Member.id == member_id, Member.programme_id == programme.id)
    )


def places_of(member: Member) -> list[PeerPlace]:
    """A peer's places on teams, or a host's team."""
    column = PeerPlace.peer_id if member.side == PEER else PeerPlace.host_id
    return list(db.session.scalars(select(PeerPlace).where(column == member.id)))


def told_places(member: Member) -> list[PeerPlace]:
    """A peer's places, or a host's team, as they were last told once the teams are published
    (HostDetails.published_team): a change the organisers have not published yet is not shown
    to the people it concerns before they are told of it."""
    found = []
    for place in places_of(member):
        told = place.host.host_details.published_team or []
        if [place.role, place.peer.token] in [entry[:2] for entry in told]:
            found.append(place)
    return found


def details_of(member: Member) -> dict[str, Any]:
    """A peer's or host's details as check_entry reads them (for forms)."""
    details: dict[str, Any] = {
        "name": member.name,
        "email": member.email,
        "organisation": member.organisation.name,
        "sector": member.sector_given or member.organisation.sector,
        "topics": "; ".join(member.topics),
    }
    if member.side == PEER:
        peer = member.peer_details
        details |= {
            "role": peer.role,
            "capacity": str(member.capacity),
            "exclude": "; ".join(peer.exclude),
            "group": peer.political_group,
        }
    else:
        slots = member.host_details.slots
        details |= {f"slots-{role}": str(slots.get(role, 0)) for role in ROLES}
    return details


# --- checking ------------------------------------------------------------------------------------


def _text(raw: Mapping[str, Any], name: str, errors: dict[str, list[str]]) -> str:
    value = raw.get(name) or ""
    if not isinstance(value, str):
        errors.setdefault(name, []).append("Must be text.")
        return ""
    if any(unicodedata.category(c) == "Cc" for c in value):
        errors.setdefault(name, []).append("Contains control characters; please retype it.")
        return ""
    value = " ".join(value.split())
    if name in REQUIRED and not value:
        errors.setdefault(name, []).append(f"Enter the {REQUIRED[name]}.")
    elif len(value) > TEXT_LIMITS[name]:
        errors.setdefault(name, []).append(
            f"Must be at most {TEXT_LIMITS[name]} characters (this is {len(value)})."
        )
    return value


def _items(text: str, name: str, what: str, errors: dict[str, list[str]]) -> tuple[str, ...]:
    """`;`-separated items, each once (case aside)."""
    items: list[str] = []
    for item in text.split(";"):
        item = " ".join(item.split())
        if item and item.casefold() not in {i.casefold() for i in items}:
            items.append(item)
    if len(items) > ITEMS_MAX:
        errors[name] = [f"Give at most {ITEMS_MAX} {what}s (these are {len(items)})."]
    elif long := [i for i in items if len(i) > ITEM_LENGTH]:
        errors[name] = [f"“{long[0][:20]}…” is longer than {ITEM_LENGTH} characters."]
    return tuple(items)


def _number(value: Any, name: str, low: int, high: int, errors: dict[str, list[str]]) -> int:
    try:
        number = int(str(value if value is not None else "").strip() or "0")
    except ValueError:
        errors[name] = ["Give a whole number."]
        return low
    if not low <= number <= high:
        errors[name] = [f"Give a number from {low} to {high}."]
        return low
    return number


def check_entry(
    side: str,
    raw: Mapping[str, Any],
    *,
    by_organiser: bool = False,
    resolve_sector: Callable[[str], Sector | None] = sectors.resolve,
) -> Entry:
    """Clean and check a peer's or host's details; EntryInvalid naming every field at fault.
    `by_organiser`: an organiser's edit or import, whose new organisation's sector is confirmed;
    `resolve_sector`: the sector a name means (an import remembers each name's)."""
    errors: dict[str, list[str]] = {}
    text = {name: _text(raw, name, errors) for name in TEXT_LIMITS}
    email, sector = check_contact(
        text, errors, by_organiser=by_organiser, resolve_sector=resolve_sector
    )
    topics = _items(text["topics"], "topics", TOPICS_WORDS[side], errors)
    if not topics and "topics" not in errors:
        errors["topics"] = [
            f"Give at least one {TOPICS_WORDS[side]}; separate them with semicolons (;)."
        ]
    entry = Entry(
        side, text["name"], email, text["organisation"], sector, topics, by_organiser=by_organiser
    )
    if side == PEER:
        entry.role = str(raw.get("role") or "")
        if entry.role not in ROLES:
            errors["role"] = ["Choose your role in a team."]
        entry.capacity = _number(raw.get("capacity"), "capacity", 1, CAPACITY_MAX, errors)
        entry.exclude = _items(text["exclude"], "exclude", "organisation", errors)
        # Only member peers come through a political group.
        entry.group = text["group"] if entry.role == "member" else ""
    else:
        for role in ROLES:
            name = f"slots-{role}"
            if count := _number(raw.get(name), name, 0, SLOTS_MAX, errors):
                entry.slots[role] = count
        if not any(name.startswith("slots-") for name in errors) and sum(entry.slots.values()) < 2:
            errors["slots"] = ["Ask for two peers at least: a team needs two sectors."]
    if errors:
        raise EntryInvalid(errors)
    return entry


# --- changing ------------------------------------------------------------------------------------


def _organisation(entry: Entry) -> Organisation:
    return find_or_create_organisation(
        entry.organisation, entry.sector, confirmed=entry.by_organiser
    )


def _new_member(programme: Programme, entry: Entry) -> Member:
    """A member made from an entry, added to the session (its organisation found first: a new
    one is written, and the member with it)."""
    organisation = _organisation(entry)
    member = Member(
        programme=programme, side=entry.side, token=new_token(), organisation=organisation
    )
    if entry.side == PEER:
        member.peer_details = PeerDetails(role=entry.role)
    else:
        member.host_details = HostDetails()
    db.session.add(member)
    _apply(member, entry, organisation)
    return member


def _apply(member: Member, entry: Entry, organisation: Organisation | None = None) -> None:
    member.name, member.email = entry.name, entry.email
    member.organisation = organisation or _organisation(entry)
    member.organisation_typed, member.sector_given = entry.organisation, entry.sector
    member.topics, member.capacity = list(entry.topics), entry.capacity
    if member.side == PEER:
        peer = member.peer_details
        peer.role, peer.exclude, peer.political_group = entry.role, list(entry.exclude), entry.group
    else:
        member.host_details.slots = dict(entry.slots)


def join(link: JoinLink, entry: Entry) -> tuple[Member, bool]:
    """Add a peer or host to the link's side and queue the message with their private link;
    commits. (member, True) when added. If their email has joined that side already, nothing
    changes and that member is sent their link again: (member, False). Nobody learns whether
    someone else has joined. Under the round's lock (programmes.join_side)."""

    def new_member(programme: Programme) -> Member:
        return _new_member(programme, entry)

    return join_side(link, entry.email, new_member, MailKind.PEER_CHALLENGE_JOINED)


def update(member: Member, entry: Entry) -> None:
    """Change a peer's or host's details; commits. Their places on teams stay: the review page
    shows any that the change has made break a rule. Under the round's lock
    (programmes.change_member)."""
    if not change_member(member, entry.email, lambda member: _apply(member, entry)):
        raise EntryInvalid({"email": [EMAIL_TAKEN]})


def withdraw(member: Member) -> None:
    """Take a peer or host out of the round, with their places on teams; commits. Once the
    teams are published, the rest of each team they were on is told kindly, in the same
    transaction: a peer's host and fellow peers (the organisers then see the open slot to fill
    again, peer_challenge_teams), or a host's peers (the challenge there will not go ahead).
    Under the round's lock: a publishing at the same moment is served before or after, never
    half; a member gone meanwhile (withdrawn twice at once) is gone."""
    member_id = row_id(member)
    with locked_programme(member.programme_id) as programme:
        member = db.session.get(Member, member_id)
        if member is None:
            return
        if programme.status == ProgrammeStatus.PUBLISHED:
            _tell_team_of_withdrawal(member)
        db.session.delete(member)


def _tell_team_of_withdrawal(member: Member) -> None:
    for place in places_of(member):
        if member.side == PEER:
            rest = [place.host] + [p.peer for p in places_of(place.host) if p.peer_id != member.id]
            for person in rest:
                outbox.queue(
                    MailKind.PEER_CHALLENGE_WITHDRAWAL,
                    person,
                    name=member.name,
                    role=place.role,
                    host_id=place.host_id,
                )
        else:
            outbox.queue(
                MailKind.PEER_CHALLENGE_WITHDRAWAL,
                place.peer,
                name=member.name,
                organisation=member.organisation.name,
            )


# --- the organisers' CSV import ------------------------------------------------------------------


def import_csv(programme: Programme, files: Mapping[str, tuple[str, bytes]]) -> dict[str, int]:
    """Import PEERS.csv and/or HOSTS.csv ({side: (file name, content)}); {side: how many}.
    Raises EntryInvalid with one message (under "file") naming the file and row at fault;
    nothing is imported then."""
    try:
        added = {side: _add_rows(programme, side, rows) for side, rows in _read(files).items()}
    except EntryInvalid:
        db.session.rollback()
        raise
    db.session.commit()
    return added


def _read(files: Mapping[str, tuple[str, bytes]]) -> dict[str, list[tuple[int, dict, Any]]]:
    readers = {PEER: read_peer_rows, HOST: read_host_rows}
    rows = {}
    with tempfile.TemporaryDirectory() as folder:
        for side, (name, content) in files.items():
            path = Path(folder) / (Path(name).name or FILE_NAMES[side])
            path.write_bytes(content)
            try:
                rows[side] = readers[side](path, IMPORT_COLUMNS[side])
            except InputError as error:
                raise EntryInvalid({"file": [str(error).replace(str(path), path.name)]}) from None
    return rows


def _add_rows(programme: Programme, side: str, rows: list[tuple[int, dict, Any]]) -> int:
    emails = set(
        db.session.scalars(
            select(Member.email).where(Member.programme_id == programme.id, Member.side == side)
        )
    )
    resolve_sector = functools.cache(sectors.resolve)  # a file names a few sectors many times
    # The members are written together at the end; a new organisation is written as it is made
    # (find_or_create_organisation flushes it), so the next row naming it finds it.
    with db.session.no_autoflush:
        for line, values, found in rows:
            _add_row(
                programme,
                side,
                f"{FILE_NAMES[side]} row {line}",
                values,
                found,
                emails,
                resolve_sector,
            )
    return len(rows)


def _add_row(
    programme: Programme,
    side: str,
    where: str,
    values: dict[str, str],
    found: Any,
    emails: set[str],
    resolve_sector: Callable[[str], Sector | None],
) -> None:
    """One row of a file as a member (EntryInvalid naming the row); `emails`: those on the
    side so far."""
    raw: dict[str, Any] = {
        "email": values.get("email", ""),
        "organisation": found.organisation,
        "sector": found.sector,
    }
    if side == PEER:
        raw |= {
            "name": found.name,
            "role": found.role,
            "topics": "; ".join(found.skills),
            "capacity": found.capacity,
            "exclude": "; ".join(sorted(found.exclude)),
            "group": found.group,
        }
    else:
        raw |= {
            "name": values.get("contact") or found.organisation,
            "topics": "; ".join(found.themes),
            **{f"slots-{role}": count for role, count in found.slots.items()},
        }
    try:
        entry = check_entry(side, raw, by_organiser=True, resolve_sector=resolve_sector)
    except EntryInvalid as error:
        field_name, messages = next(iter(error.errors.items()))
        raise EntryInvalid({"file": [f"{where}: {field_name}: {messages[0]}"]}) from None
    if entry.email in emails:
        raise EntryInvalid({"file": [f"{where}: {entry.email} is already a {side} of this round."]})
    emails.add(entry.email)
    member = _new_member(programme, entry)
    outbox.queue(MailKind.PEER_CHALLENGE_JOINED, member)
