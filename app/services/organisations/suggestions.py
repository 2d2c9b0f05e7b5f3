"""Likely duplicates in the directory, proposed to organisers with the reason; never applied alone.

Two organisations are likely the same when:
- their names have the same normal form ("Swale BC" and "Swale Borough Council"), a leading
  "NHS" aside ("Cumbria ICB" and "NHS Cumbria Integrated Care Board");
- one is an acronym of the other's words ("SBC"), and of no other organisation's; or of
  several, but its registrants write from a mail domain only one of them also uses;
- one's words are all in the other's, starting with the same place word ("Swale Council" and
  "Swale Borough Council"), and no other organisation's;
- their normal forms are one slip of the keyboard apart (a letter dropped, added, changed or two
  swapped: rapidfuzz's optimal string alignment distance of 1), in names long enough for that to
  be a typo rather than another place, and with the same numbers;
- they differ in one long word only, spelt with the same letters from the same first letter
  ("Broadlnad" and "Boradland": two typos of one name, each a slip from it);
- one was typed with "CC" and the other is the same place's City Council (the normal form reads
  CC as County Council, its usual meaning), when no County Council of that place is known.

Likely duplicates are grouped (a name alike to one alike to another is in the same group), and
the one to keep is a full name (not an acronym) spelt the way most of the group's registrants
spelt it: every other is suggested `into` it. Accepting every suggestion in the order given
merges each group into one organisation.

May import: models, organisations.{names, directory}.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from dataclasses import dataclass
from itertools import pairwise

from rapidfuzz import process
from rapidfuzz.distance import OSA
from sqlalchemy import func, select

from app.extensions import db
from app.models import Organisation, Registration, RegistrationStatus
from app.services.organisations.directory import all_organisations
from app.services.organisations.names import initials, is_acronym, normal_form, words

TYPO_MIN_LENGTH = 8  # shorter names one letter apart are as likely two different bodies
SHUFFLED_MIN_LENGTH = 6  # a shorter word with its letters reordered may be another word


@dataclass(frozen=True)
class Suggestion:
    source: Organisation
    into: Organisation
    reason: str


def suggest() -> list[Suggestion]:
    """Every likely duplicate in the directory, into the organisation of its group to keep.

    Spellings are linked first; an acronym or a shortened name is then ambiguous only if it fits
    organisations of two different spelling groups (a typo of one name is still that name)."""
    organisations = all_organisations()
    spellings = _same_form(organisations) + _close_spellings(organisations)
    spellings += _same_letters(organisations) + _city_councils(organisations)
    spelling_group = _roots(organisations, spellings)
    names = _acronyms(organisations, spelling_group) + _contained(organisations, spelling_group)
    return _grouped(organisations, spellings + names)


Link = tuple[Organisation, Organisation, str]


def _roots(organisations: list[Organisation], links: list[Link]) -> dict[int, int]:
    """Organisation id -> a representative id of its group of linked organisations."""
    parent = {o.id: o.id for o in organisations}

    def root(i: int) -> int:
        while parent[i] != i:
            parent[i] = parent[parent[i]]
            i = parent[i]
        return i

    for a, b, _ in links:
        parent[root(a.id)] = root(b.id)
    return {i: root(i) for i in parent}


def _same_form(organisations: list[Organisation]) -> list[Link]:
    by_form: dict[str, list[Organisation]] = defaultdict(list)
    for organisation in organisations:
        by_form[" ".join(_placed_words(organisation.name))].append(organisation)
    return [
        (
            first,
            other,
            "the same name once case, spacing, punctuation and short forms such as "
            "BC or NHS FT are set aside",
        )
        for group in by_form.values()
        for first, other in pairwise(group)
    ]


def _acronyms(organisations: list[Organisation], group: dict[int, int]) -> list[Link]:
    full = defaultdict(list)
    for organisation in organisations:
        if not is_acronym(organisation.name) and len(normal_form(organisation.name).split()) > 1:
            for letters in initials(organisation.name):
                full[letters].append(organisation)
    domains = _identifying_domains(group)
    links = []
    for organisation in organisations:
        if not is_acronym(organisation.name):
            continue
        meant = full.get("".join(words(organisation.name)), [])
        # An acronym of several organisations names none of them, unless its people write from
        # an address only one of them uses.
        if len({group[m.id] for m in meant}) > 1:
            mine = domains.get(group[organisation.id], set())
            meant = [m for m in meant if domains.get(group[m.id], set()) & mine]
            if len({group[m.id] for m in meant}) == 1:
                shared = sorted(domains[group[meant[0].id]] & mine)[0]
                reason = f"{organisation.name} is the initials of {meant[0].name}, and their "
                links.append((organisation, meant[0], reason + f"people both write from {shared}"))
            continue
        if meant:
            reason = f"{organisation.name} is the initials of {meant[0].name}"
            links.append((organisation, meant[0], reason))
    return links


def _identifying_domains(group: dict[int, int]) -> dict[int, set[str]]:
    """Spelling group -> the mail domains its registrants use that no other group's do (an
    organisation's own domain, not a shared one such as nhs.net or a personal mail service)."""
    users: dict[str, set[int]] = defaultdict(set)
    personal = {"gmail.com", "googlemail.com", "hotmail.com", "hotmail.co.uk", "outlook.com"}
    personal |= {"yahoo.com", "yahoo.co.uk", "icloud.com", "me.com", "live.com", "aol.com"}
    personal |= {"btinternet.com", "protonmail.com", "proton.me"}
    for organisation_id, email in db.session.execute(
        select(Registration.organisation_id, Registration.email).where(
            Registration.email.is_not(None), Registration.organisation_id.is_not(None)
        )
    ):
        domain = email.rpartition("@")[2].lower()
        if domain not in personal:
            users[domain].add(group[organisation_id])
    domains: dict[int, set[str]] = defaultdict(set)
    for domain, groups in users.items():
        if len(groups) <= 2:  # the acronym's group and the one it stands for, at most
            for g in groups:
                domains[g].add(domain)
    return domains


def _contained(organisations: list[Organisation], group: dict[int, int]) -> list[Link]:
    split = {o.id: _placed_words(o.name) for o in organisations}
    by_place: dict[str, list[Organisation]] = defaultdict(list)
    for organisation in organisations:
        if split[organisation.id]:
            by_place[split[organisation.id][0]].append(organisation)
    links = []
    for short in organisations:
        mine = split[short.id]
        if len(mine) < 2:
            continue
        holders = [
            other
            for other in by_place[mine[0]]
            if other.id != short.id
            and len(split[other.id]) > len(mine)
            and set(mine) <= set(split[other.id])
        ]
        # Several spellings of one longer name still name one organisation; two names do not.
        if len({group[h.id] for h in holders}) == 1:
            holder = holders[0]
            links.append(
                (short, holder, f"“{short.name}” is “{holder.name}” shortened (the same place)")
            )
    return links


def _placed_words(name: str) -> list[str]:
    """The name's normal form as words, its place first: "NHS Cumbria ..." is Cumbria's."""
    parts = normal_form(name).split()
    return parts[1:] if parts[:1] == ["nhs"] and len(parts) > 2 else parts


def _close_spellings(organisations: list[Organisation]) -> list[Link]:
    forms = [normal_form(o.name) for o in organisations]
    apart = process.cdist(forms, forms, scorer=OSA.distance, score_cutoff=1)
    links = []
    for i, j in zip(*(apart <= 1).nonzero(), strict=True):
        if i >= j or forms[i] == forms[j] or min(len(forms[i]), len(forms[j])) < TYPO_MIN_LENGTH:
            continue
        if _numbers(forms[i].split()) != _numbers(forms[j].split()):
            continue
        links.append((organisations[i], organisations[j], "spelt the same but for one letter"))
    return links


def _same_letters(organisations: list[Organisation]) -> list[Link]:
    shuffled: dict[tuple, list[Organisation]] = defaultdict(list)
    for organisation in organisations:
        parts = normal_form(organisation.name).split()
        for i, word in enumerate(parts):
            if len(word) >= SHUFFLED_MIN_LENGTH:
                signature = (*parts[:i], word[0], "".join(sorted(word)), *parts[i + 1 :])
                shuffled[signature].append(organisation)
    links = []
    for group in shuffled.values():
        forms = {normal_form(o.name) for o in group}
        if len(forms) > 1:
            links += [
                (first, other, "the same letters in another order (a typo)")
                for first, other in pairwise(group)
                if normal_form(first.name) != normal_form(other.name)
            ]
    return links


def _city_councils(organisations: list[Organisation]) -> list[Link]:
    by_form = {normal_form(o.name): o for o in organisations}
    links = []
    for organisation in organisations:
        if "cc" not in words(organisation.name):
            continue
        form = normal_form(organisation.name)
        county_twins = [
            o for o in organisations if o.id != organisation.id and normal_form(o.name) == form
        ]
        city = by_form.get(form.replace("county council", "city council"))
        if city is not None and not county_twins:
            links.append((organisation, city, f"CC can stand for City Council: {city.name}"))
    return links


def _numbers(words: list[str]) -> list[str]:
    return [w for w in words if w.isdigit()]


def _grouped(organisations: list[Organisation], links: list[Link]) -> list[Suggestion]:
    """Each group of linked organisations, every member but the one to keep suggested into it,
    with the reason of the link that brought it into the group."""
    reasons: dict[int, str] = {}
    for a, b, reason in links:
        reasons.setdefault(a.id, reason)
        reasons.setdefault(b.id, reason)
    root = _roots(organisations, links)
    groups: dict[int, list[Organisation]] = defaultdict(list)
    for organisation in organisations:
        if organisation.id in reasons:
            groups[root[organisation.id]].append(organisation)
    counts = _registrations()
    suggestions = []
    for members in groups.values():
        spelt = Counter()
        for member in members:
            spelt[normal_form(member.name)] += counts[member.id]
        keep = max(members, key=lambda o: _keeping_order(o, counts, spelt))
        for member in sorted(members, key=lambda o: o.name.lower()):
            if member.id != keep.id:
                suggestions.append(Suggestion(member, keep, reasons[member.id]))
    return sorted(suggestions, key=lambda s: (s.into.name.lower(), s.source.name.lower()))


def _keeping_order(organisation: Organisation, counts: Counter, spelt: Counter) -> tuple:
    """Not an acronym, then the group's most common spelling, then the most registrations under
    this very name, then the most words, then the longest name."""
    return (
        not is_acronym(organisation.name),
        spelt[normal_form(organisation.name)],
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


# The last directory looked at and its likely typos: the registration form asks on every view.
_typos_of: dict[tuple, set[int]] = {}


def likely_typos() -> set[int]:
    """Ids of the organisations suggested into another: not offered in the form's type-ahead.
    Worked out again only when the directory's names change, not on every page view."""
    names = tuple(
        tuple(row)
        for row in db.session.execute(
            select(Organisation.id, Organisation.name).order_by(Organisation.id)
        )
    )
    if names not in _typos_of:
        _typos_of.clear()
        _typos_of[names] = {s.source.id for s in suggest()}
    return _typos_of[names]


def suggested_duplicates() -> set[frozenset[int]]:
    """Pairs of organisation ids suggested as the same (for marking tablemates on a plan)."""
    return {frozenset((s.source.id, s.into.id)) for s in suggest()}
