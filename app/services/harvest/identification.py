"""The identification check: what in a card could point at a person, and neutral words for it.

A card is checked against everything Convene knows that identifies someone at its event:
- every registrant's name: in full, as first name plus surname, the surname alone (when it is
  not a common word and has at least 4 letters) and the first name alone;
- email addresses: any email-shaped text at all, known or not;
- the name and aliases of every organisation of the event's registrants and convenors, and
  their initials (3 letters or more, matched in capitals only: "LCC", never "lcc").

Matching ignores case and spacing (a name may run across a line break) and takes whole words
only ("Ann" is not found in "Annual"); a possessive is found by its name ("Priya's"). A name
that is also a common word ("Hope", "Will", "May", "Grace") is taken as a name only when it is
written with a capital and does not open a sentence, or is followed by a possessive, so "we
hope", "Hope is fragile." and "Hope Street" pass while "ask Hope about it" and "Hope's rota"
do not. This errs
towards flagging: a moderator removes a false alarm with one click, while a missed name would
break the Chatham House Rule.

Replacements: "[a colleague]" for people, "[an email address]", and for an organisation a
phrase from its kind of body or sector ("[a district council]", "[an NHS trust]").

Imports models, organisations.names.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from sqlalchemy import select
from sqlalchemy.orm import selectinload

from app.extensions import db
from app.models import Card, Event, Organisation, Registration
from app.services.organisations.names import UNINITIALLED

PERSON = "[a colleague]"
EMAIL = "[an email address]"

EMAIL_PATTERN = re.compile(r"[\w.+'-]+@[\w-]+(?:\.[\w-]+)+", re.UNICODE)

# First names and surnames that are everyday English words: names only with a capital, mid-sentence.
_COMMON_WORD_NAMES = """
    hope will may grace faith joy bill pat sue dawn april june frank guy jack ray rob victor
    amber ruby iris holly ivy daisy summer sky robin hunter chase max sonny rose mark page young
    white black brown green gray grey wood hill lane king bell cook baker smith miller walker
    wall moon rich hall park field ford stone price long short best sharp fox swift nice
    shepherd fisher mason carter cooper turner taylor day north south east west rivers banks
    march august art grant lee case penny honey star crystal sandy rusty drew bob al don gene
    nick sunny earl ward dev ben
"""
COMMON_WORDS = frozenset(_COMMON_WORD_NAMES.split())

# The kind of body a name says it is, most specific first, as neutral words.
BODY_KINDS = [
    (r"\bdistrict council\b", "[a district council]"),
    (r"\bborough council\b", "[a borough council]"),
    (r"\bcounty council\b", "[a county council]"),
    (r"\bcity council\b", "[a city council]"),
    (r"\bcouncil\b", "[a council]"),
    (r"\b(?:nhs|foundation)\b.*\btrust\b|\btrust\b.*\bnhs\b", "[an NHS trust]"),
    (r"\bintegrated care board\b|\bicb\b", "[an integrated care board]"),
    (r"\bpolice\b|\bconstabulary\b", "[a police force]"),
    (r"\bfire\b", "[a fire and rescue service]"),
    (r"\bhousing\b", "[a housing organisation]"),
    (r"\buniversity\b", "[a university]"),
    (r"\bdepartment\b|\bministry\b|\bhm\b", "[a government department]"),
    (r"\bcharity\b|\bcitizens advice\b|\bfoundation\b", "[a charity]"),
]
SECTOR_WORDS = {
    "local government": "[a council]",
    "nhs and health": "[an NHS organisation]",
    "health": "[an NHS organisation]",
    "social care": "[a care provider]",
    "police and justice": "[a justice organisation]",
    "policing": "[a police force]",
    "fire and rescue": "[a fire and rescue service]",
    "housing": "[a housing organisation]",
    "education": "[a school or college]",
    "central government": "[a government department]",
    "voluntary and community": "[a charity]",
    "voluntary": "[a charity]",
    "business": "[a business]",
    "academic and research": "[a university]",
}
ORGANISATION = "[an organisation]"


@dataclass(frozen=True)
class Hit:
    field: str
    start: int
    end: int
    found: str
    kind: str
    replacement: str


@dataclass(frozen=True)
class _Term:
    kind: str
    replacement: str
    capital_only: bool  # found only when written with a capital, and not opening a sentence
    exact_case: str | None = None  # initials: found only in exactly this case


@dataclass
class Identifiers:
    """Everything of one event that identifies someone, compiled into one pattern."""

    terms: dict[str, _Term] = field(default_factory=dict)
    pattern: re.Pattern[str] | None = None


def _key(text: str) -> str:
    return " ".join(text.casefold().split())


def neutral_words(organisation: Organisation) -> str:
    """What a card says instead of this organisation's name."""
    name = organisation.name.casefold()
    for pattern, words in BODY_KINDS:
        if re.search(pattern, name):
            return words
    return SECTOR_WORDS.get(organisation.sector.casefold(), ORGANISATION)


def _initials(name: str) -> str:
    words = [w for w in re.findall(r"[A-Za-z0-9]+", name) if w.lower() not in UNINITIALLED]
    return "".join(w[0] for w in words).upper() if len(words) >= 3 else ""


def known_identifiers(event: Event) -> Identifiers:
    """The event's names, organisations and their spellings, ready to check many cards."""
    known = Identifiers()

    def add(text: str, term: _Term) -> None:
        key = _key(text)
        if len(key) < 2:
            return
        existing = known.terms.get(key)
        # A person's name wins over an organisation word, a sure term over a capital-only one.
        if existing is None or (existing.capital_only and not term.capital_only):
            known.terms[key] = term

    organisations: dict[int, Organisation] = {o.id: o for o in event.convenors}
    registrations = db.session.scalars(
        select(Registration)
        .where(Registration.event_id == event.id)
        .options(selectinload(Registration.organisation).selectinload(Organisation.aliases))
    )
    for registration in registrations:
        if registration.organisation is not None:
            organisations[registration.organisation.id] = registration.organisation
        parts = registration.name.split()
        if not parts:
            continue
        person = _Term("name", PERSON, capital_only=False)
        add(registration.name, person)
        if len(parts) > 2:
            add(f"{parts[0]} {parts[-1]}", person)
        for part in {parts[0], parts[-1]} if len(parts) > 1 else {parts[0]}:
            word = part.strip(".,").casefold()
            is_surname = part == parts[-1] and len(parts) > 1
            if is_surname and len(word) < 4:
                continue
            add(part, _Term("name", PERSON, capital_only=word in COMMON_WORDS))

    for organisation in organisations.values():
        words = neutral_words(organisation)
        sure = _Term("organisation", words, capital_only=False)
        for name in [organisation.name, *(a.name for a in organisation.aliases)]:
            add(name, sure)
            initials = _initials(name)
            if initials:
                add(initials, _Term("organisation", words, False, exact_case=initials))

    if known.terms:
        alternatives = sorted(known.terms, key=len, reverse=True)
        body = "|".join(r"\s+".join(re.escape(w) for w in key.split()) for key in alternatives)
        known.pattern = re.compile(rf"(?<!\w)(?:{body})(?!\w)", re.IGNORECASE)
    return known


def _opens_sentence(text: str, start: int) -> bool:
    before = text[:start].rstrip()
    return not before or before[-1] in '.!?:\n"“(' or text[:start].endswith("\n")


_NEXT_WORD = re.compile(r"[ \t]+([A-Z][\w'-]*)")


def _written_as_a_name(text: str, start: int, end: int, known: Identifiers) -> bool:
    """A common word is a name when capitalised mid-sentence, or followed by a possessive; but
    not when it starts a capitalised title whose next word names no one ("the Green Paper")."""
    if not text[start].isupper():
        return False
    if text[end : end + 2] in ("'s", "\u2019s"):
        return True
    following = _NEXT_WORD.match(text, end)
    if following and _key(following.group(1)) not in known.terms:
        return False
    return not _opens_sentence(text, start)


def text_hits(text: str, known: Identifiers, field_name: str = "") -> list[Hit]:
    """What in `text` identifies someone, in order, never overlapping."""
    hits = [
        Hit(field_name, m.start(), m.end(), m.group(), "email", EMAIL)
        for m in EMAIL_PATTERN.finditer(text)
    ]
    taken = [(h.start, h.end) for h in hits]
    if known.pattern is not None:
        for m in known.pattern.finditer(text):
            if any(m.start() < end and start < m.end() for start, end in taken):
                continue
            term = known.terms[_key(m.group())]
            found = m.group()
            if term.exact_case is not None and found != term.exact_case:
                continue
            if term.capital_only and not _written_as_a_name(text, m.start(), m.end(), known):
                continue
            hits.append(Hit(field_name, m.start(), m.end(), found, term.kind, term.replacement))
    return sorted(hits, key=lambda h: h.start)


def _fields(card: Card) -> dict[str, str]:
    fields = {key: text for key, text in (card.answers or {}).items() if text}
    for i, tag in enumerate(card.tags or []):
        fields[f"tags.{i}"] = tag
    for i, commitment in enumerate(card.commitments or []):
        fields[f"commitments.{i}.action"] = commitment.get("action", "")
        fields[f"commitments.{i}.owner"] = commitment.get("owner", "")
    return fields


def card_hits(card: Card, known: Identifiers | None = None) -> list[Hit]:
    """Every hit in the card's answers, tags and commitments."""
    if known is None:
        known = known_identifiers(card.event)
    return [
        hit
        for name, text in _fields(card).items()
        for hit in text_hits(text, known, field_name=name)
    ]


def _replace(text: str, hit: Hit) -> str:
    return text[: hit.start] + hit.replacement + text[hit.end :]


def redact(card: Card, hit: Hit) -> None:
    """Replace that one span by its neutral words. New JSON values, so the change is saved."""
    if hit.field.startswith("tags."):
        index = int(hit.field.split(".")[1])
        card.tags = [_replace(t, hit) if i == index else t for i, t in enumerate(card.tags)]
    elif hit.field.startswith("commitments."):
        _, index, part = hit.field.split(".")
        card.commitments = [
            {**c, part: _replace(c.get(part, ""), hit)} if i == int(index) else dict(c)
            for i, c in enumerate(card.commitments)
        ]
    else:
        card.answers = {
            key: _replace(text, hit) if key == hit.field else text
            for key, text in card.answers.items()
        }


def redact_all(card: Card, known: Identifiers | None = None) -> int:
    """Replace every hit; returns how many. From the last to the first, so offsets hold."""
    hits = card_hits(card, known)
    for hit in sorted(hits, key=lambda h: (h.field, h.start), reverse=True):
        redact(card, hit)
    return len(hits)
