"""Likely duplicates in the directory, proposed to organisers with the reason; never applied alone.

Two organisations are likely the same when:
- their names have the same normal form ("Swale BC" and "Swale Borough Council");
- one is an acronym of the other's words ("SBC"), and of no other organisation's;
- one's words are all in the other's, starting with the same place word ("Swale Council" and
  "Swale Borough Council"), and no other organisation's;
- they are spelt almost the same (rapidfuzz's ratio of the normal forms at least 90, the place
  words at least 80, the same numbers), e.g. a typo.

Likely duplicates are grouped (a name alike to one alike to another is in the same group), and
each group's organisation that is not an acronym and has the most registrations is the one to keep:
every other is suggested `into` it. Accepting every suggestion in the order given merges each group
into one organisation.

May import: models, organisations.{names, directory}.
"""

from __future__ import annotations

import itertools
from collections import Counter, defaultdict
from dataclasses import dataclass

from rapidfuzz import fuzz, process
from sqlalchemy import func, select

from app.extensions import db
from app.models import Organisation, Registration, RegistrationStatus
from app.services.organisations.directory import all_organisations
from app.services.organisations.names import initials, is_acronym, normal_form

CLOSE_SPELLING = 90  # rapidfuzz ratio of the normal forms, out of 100
CLOSE_PLACE = 80  # and of their first words


@dataclass(frozen=True)
class Suggestion:
    source: Organisation
    into: Organisation
    reason: str


def suggest() -> list[Suggestion]:
    """Every likely duplicate in the directory, into the organisation of its group to keep."""
    organisations = all_organisations()
    links = _same_form(organisations) + _acronyms(organisations) + _contained(organisations)
    links += _close_spellings(organisations)
    return _grouped(organisations, links)


Link = tuple[Organisation, Organisation, str]


def _same_form(organisations: list[Organisation]) -> list[Link]:
    by_form: dict[str, list[Organisation]] = defaultdict(list)
    for organisation in organisations:
        by_form[normal_form(organisation.name)].append(organisation)
    return [
        (
            first,
            other,
            "the same name once case, spacing, punctuation and short forms such as "
            "BC or NHS FT are set aside",
        )
        for group in by_form.values()
        for first, other in itertools.pairwise(group)
    ]


def _acronyms(organisations: list[Organisation]) -> list[Link]:
    full = defaultdict(list)
    for organisation in organisations:
        if not is_acronym(organisation.name) and len(normal_form(organisation.name).split()) > 1:
            full[initials(organisation.name)].append(organisation)
    links = []
    for organisation in organisations:
        if is_acronym(organisation.name):
            meant = full.get(normal_form(organisation.name), [])
            if len(meant) == 1:  # an acronym of several organisations names none of them
                links.append(
                    (
                        organisation,
                        meant[0],
                        f"{organisation.name} is the initials of {meant[0].name}",
                    )
                )
    return links


def _contained(organisations: list[Organisation]) -> list[Link]:
    words = {o.id: normal_form(o.name).split() for o in organisations}
    links = []
    for short in organisations:
        mine = words[short.id]
        if len(mine) < 2:
            continue
        holders = [
            other
            for other in organisations
            if other.id != short.id
            and len(words[other.id]) > len(mine)
            and words[other.id][0] == mine[0]
            and set(mine) <= set(words[other.id])
        ]
        if len(holders) == 1:
            holder = holders[0]
            links.append(
                (short, holder, f"“{short.name}” is “{holder.name}” shortened (the same place)")
            )
    return links


def _close_spellings(organisations: list[Organisation]) -> list[Link]:
    forms = [normal_form(o.name) for o in organisations]
    scores = process.cdist(forms, forms, scorer=fuzz.ratio, score_cutoff=CLOSE_SPELLING)
    links = []
    for i, j in zip(*scores.nonzero(), strict=True):
        if i >= j or forms[i] == forms[j]:
            continue
        a, b = forms[i].split(), forms[j].split()
        if fuzz.ratio(a[0], b[0]) < CLOSE_PLACE or _numbers(a) != _numbers(b):
            continue
        links.append(
            (
                organisations[i],
                organisations[j],
                f"spelt almost the same ({int(scores[i, j])}% alike)",
            )
        )
    return links


def _numbers(words: list[str]) -> list[str]:
    return [w for w in words if w.isdigit()]


def _grouped(organisations: list[Organisation], links: list[Link]) -> list[Suggestion]:
    """Each group of linked organisations, every member but the one to keep suggested into it,
    with the reason of the link that brought it into the group."""
    parent = {o.id: o.id for o in organisations}

    def root(i: int) -> int:
        while parent[i] != i:
            parent[i] = parent[parent[i]]
            i = parent[i]
        return i

    reasons: dict[int, str] = {}
    for a, b, reason in links:
        reasons.setdefault(a.id, reason)
        reasons.setdefault(b.id, reason)
        parent[root(a.id)] = root(b.id)
    groups: dict[int, list[Organisation]] = defaultdict(list)
    for organisation in organisations:
        if organisation.id in reasons:
            groups[root(organisation.id)].append(organisation)
    counts = _registrations()
    suggestions = []
    for members in groups.values():
        keep = max(members, key=lambda o: _keeping_order(o, counts))
        for member in sorted(members, key=lambda o: o.name.lower()):
            if member.id != keep.id:
                suggestions.append(Suggestion(member, keep, reasons[member.id]))
    return sorted(suggestions, key=lambda s: (s.into.name.lower(), s.source.name.lower()))


def _keeping_order(organisation: Organisation, counts: Counter) -> tuple:
    """Not an acronym, then most registrations, then the most words, then the longest name."""
    return (
        not is_acronym(organisation.name),
        counts[organisation.id],
        len(normal_form(organisation.name).split()),
        len(organisation.name),
        organisation.name,
    )


def _registrations() -> Counter:
    return Counter(
        dict(
            db.session.execute(
                select(Registration.organisation_id, func.count(Registration.id))
                .where(Registration.status != RegistrationStatus.CANCELLED)
                .group_by(Registration.organisation_id)
            ).all()
        )
    )


def suggested_duplicates() -> set[frozenset[int]]:
    """Pairs of organisation ids suggested as the same (for marking tablemates on a plan)."""
    return {frozenset((s.source.id, s.into.id)) for s in suggest()}
