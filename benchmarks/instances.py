"""Seeded populations for benchmarks and tests: realistic cross-sector events, and pure
social-golfer instances.

A realistic event draws each person's sector with the weights in SECTORS, then an organisation
of that sector whose size falls off like 1/k (a few big councils and trusts, many small
charities), then a profession from those common in the sector (several are shared between
sectors: analysts, managers, policy officers, commissioners).
"""

from __future__ import annotations

import random

from scheduler.people import Person

SECTORS: dict[str, tuple[int, list[str], list[str]]] = {
    # sector: (weight, organisations, professions)
    "Local government": (
        30,
        [
            "Leeds City Council",
            "Bradford Council",
            "Kirklees Council",
            "Calderdale Council",
            "Wakefield Council",
            "North Yorkshire Council",
            "York Council",
            "Sheffield City Council",
        ],
        [
            "Social worker",
            "Planner",
            "Public health",
            "Housing officer",
            "Policy officer",
            "Commissioner",
            "Data analyst",
            "Manager",
        ],
    ),
    "NHS": (
        24,
        [
            "Leeds Teaching Hospitals",
            "Bradford Teaching Hospitals",
            "WY Integrated Care Board",
            "Leeds Community Healthcare",
            "Mid Yorkshire Teaching",
            "Airedale NHS Trust",
        ],
        [
            "Nurse",
            "GP",
            "Commissioner",
            "Public health",
            "Data analyst",
            "Manager",
            "Social prescriber",
        ],
    ),
    "Police": (
        10,
        [
            "West Yorkshire Police",
            "North Yorkshire Police",
            "South Yorkshire Police",
            "Police and Crime Commissioner",
        ],
        ["Police officer", "PCSO", "Data analyst", "Manager", "Policy officer"],
    ),
    "Housing": (
        10,
        [
            "Leeds Federated",
            "Incommunities",
            "Yorkshire Housing",
            "Together Housing",
            "Accent Housing",
        ],
        ["Housing officer", "Tenancy manager", "Manager", "Data analyst"],
    ),
    "Voluntary sector": (
        16,
        [
            "Shelter",
            "Age UK Leeds",
            "Barca-Leeds",
            "Citizens Advice",
            "St George's Crypt",
            "Leeds Mind",
            "Touchstone",
            "Forum Central",
            "Zest",
            "Caring Together",
        ],
        ["Caseworker", "Volunteer coordinator", "Manager", "Policy officer", "Social prescriber"],
    ),
    "Central government": (
        10,
        ["DLUHC", "DWP", "Home Office", "DHSC", "Cabinet Office", "HM Treasury"],
        ["Policy officer", "Analyst", "Economist", "Manager", "Commissioner"],
    ),
}


def realistic_people(count: int, seed: int, facilitators: int = 0) -> list[Person]:
    """`count` people of a cross-sector event; the first `facilitators` of them host tables."""
    rng = random.Random(seed)
    names = list(SECTORS)
    weights = [SECTORS[s][0] for s in names]
    people = []
    for i in range(count):
        sector = rng.choices(names, weights=weights)[0]
        _, organisations, professions = SECTORS[sector]
        organisation = rng.choices(
            organisations, weights=[1 / (k + 1) for k in range(len(organisations))]
        )[0]
        people.append(
            Person(
                id=f"p{i + 1}",
                name=f"Person {i + 1}",
                organisation=organisation,
                sector=sector,
                profession=rng.choice(professions),
                facilitator=i < facilitators,
            )
        )
    return people


def golfers(count: int) -> list[Person]:
    """A pure social-golfer instance: everyone from a different organisation, nothing else."""
    return [Person(f"g{i + 1}", f"Golfer {i + 1}", f"Club {i + 1}", "-", "-") for i in range(count)]


def national_people(count: int, seed: int) -> list[Person]:
    """`count` people of a national event: organisations of 1 to 40 people (most of them small,
    sizes falling off like 1/size), each in one sector, with professions from that sector."""
    rng = random.Random(seed)
    names = list(SECTORS)
    weights = [SECTORS[s][0] for s in names]
    sizes = list(range(1, 41))
    people: list[Person] = []
    org_number = 0
    while len(people) < count:
        org_number += 1
        size = min(count - len(people), rng.choices(sizes, weights=[1 / s for s in sizes])[0])
        sector = rng.choices(names, weights=weights)[0]
        professions = SECTORS[sector][2]
        for _ in range(size):
            i = len(people) + 1
            people.append(
                Person(
                    id=f"n{i}",
                    name=f"Person {i}",
                    organisation=f"{sector} organisation {org_number}",
                    sector=sector,
                    profession=rng.choice(professions),
                )
            )
    return people
