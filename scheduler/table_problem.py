"""A table-planning request (`TableProblem`) and its compiled, integer-indexed form (`Instance`).

`compile_problem` validates the request and turns it into what the search works on:

- people become indices 0..N-1, organisations / sectors / professions become label indices;
- keep-together pairs are merged (union-find) into *units* that always sit together, so the
  search moves units, never splits them;
- keep-apart pairs become unit-to-unit conflicts; pins, facilitators and accessible needs become
  per-unit facts;
- table sizes become ranges [lo_t, hi_t] (metrics.balanced_size_ranges): the balance rule;
- met-before pairs (people who sat together at an earlier event) become, per person, the set of
  people they met before: a soft penalty, never a constraint.

Malformed input (unknown ids, a table smaller than 2, more facilitators than tables, too few
seats) raises InputError. Constraints that contradict each other on their face (a keep-apart
pair inside a keep-together group, a group larger than any table, ...) are collected in
`Instance.conflicts`, each a sentence naming the constraints, and the planner reports the plan
infeasible with them.
"""

from __future__ import annotations

from collections.abc import Collection, Mapping, Sequence
from dataclasses import dataclass, field
from functools import cached_property
from math import ceil

from scheduler.metrics import balanced_size_ranges
from scheduler.people import InputError, Person


@dataclass(frozen=True)
class Table:
    """A table: its seats, whether it is accessible, and the number people know it by (its
    position counted from 1 when None)."""

    capacity: int
    accessible: bool = False
    number: int | None = None


@dataclass
class TableProblem:
    """Who sits down, for how many rounds, at which tables, under which hard constraints.

    keep_together holds groups (pairs or longer) of person ids that always share a table;
    keep_apart pairs never do; pinned maps (person_id, round) to a table index (0-based);
    needs_accessible lists people who must sit at an accessible table in every round;
    previous, for repair mode, is an earlier plan (rounds of tables of person ids) whose seats
    should be kept where possible; met_before holds pairs of people who already sat together
    at an earlier event: seating them together again is penalised (Weights.history), once per
    pair however many rounds they share.
    """

    people: Sequence[Person]
    rounds: int
    tables: Sequence[Table]
    keep_apart: Sequence[tuple[str, str]] = ()
    keep_together: Sequence[Sequence[str]] = ()
    pinned: Mapping[tuple[str, int], int] = field(default_factory=dict)
    needs_accessible: Sequence[str] = ()
    previous: Sequence[Sequence[Sequence[str]]] | None = None
    met_before: Collection[tuple[str, str]] = ()

    @classmethod
    def with_table_size(
        cls, people: Sequence[Person], rounds: int, table_size: int
    ) -> TableProblem:
        """ceil(N / K) tables of capacity K: the command line's `--table-size K`."""
        if table_size < 2:
            raise InputError(f"table size must be at least 2, not {table_size}")
        count = max(1, ceil(len(people) / table_size))
        return cls(people=people, rounds=rounds, tables=[Table(table_size)] * count)


@dataclass(frozen=True)
class Weights:
    """Objective weights, largest first: the plan minimises
    moves*moved + same_org*same_org_pairs + repeats*repeat_pairs + history*met_before_pairs
    + sector*(sector bound - distinct sectors)
    + profession*(profession bound - distinct professions).
    Moves only count in repair mode (a person seated at another table than in `previous`).
    A pair who met at an earlier event matters less than a repeat within this event, and more
    than one sector or profession missing from a table."""

    moves: int = 100_000
    same_org: int = 1000
    repeats: int = 100
    history: int = 30
    sector: int = 10
    profession: int = 1


@dataclass
class Instance:
    """The compiled problem. Units are lists of person indices that always sit together."""

    ids: list[str]
    rounds: int
    capacity: list[int]
    accessible: list[bool]
    lo: list[int]
    hi: list[int]
    org: list[int]
    sector: list[int]
    profession: list[int]
    units: list[list[int]]
    unit_of: list[int]
    facilitator: list[bool]  # per unit: holds a facilitator, so keeps one table all rounds
    pins: list[dict[int, int]]  # per unit: round -> table
    needs_accessible: list[bool]  # per unit
    apart: list[set[int]]  # per unit: units it must never share a table with
    apart_pairs: list[tuple[int, int]]  # the keep-apart pairs as given, as person indices
    hosts: list[int]  # the facilitators, as person indices
    person_pins: dict[tuple[int, int], int]  # (person, round) -> table, as given
    previous: list[list[int]] | None  # per round, per person: earlier table, or -1
    conflicts: list[str]
    met_before: list[set[int]] = field(default_factory=list)  # per person: met at an earlier event

    @property
    def people(self) -> int:
        return len(self.ids)

    @property
    def tables(self) -> int:
        return len(self.capacity)

    @cached_property
    def never_meet(self) -> list[set[int]]:
        """Per person, the people they can never share a table with: keep-apart partners and,
        for a facilitator (who keeps one table), the other facilitators."""
        hosting = {u for u, host in enumerate(self.facilitator) if host}
        never = []
        for p in range(self.people):
            u = self.unit_of[p]
            units = self.apart[u] | (hosting - {u} if u in hosting else set())
            never.append({q for v in units for q in self.units[v]})
        return never

    def unit_name(self, unit: int) -> str:
        return "+".join(self.ids[p] for p in self.units[unit])

    def allowed(self, unit: int, table: int) -> bool:
        """Accessibility and capacity alone (the round-independent part of feasibility)."""
        if self.needs_accessible[unit] and not self.accessible[table]:
            return False
        return len(self.units[unit]) <= self.hi[table]


def compile_problem(problem: TableProblem) -> Instance:
    """Validate `problem` (InputError on malformed input) and index it for the search."""
    people = list(problem.people)
    index = _index_people(people)
    tables = list(problem.tables)
    _check_shape(problem, people, tables)
    ranges = balanced_size_ranges(len(people), [t.capacity for t in tables])

    def lookup(person_id: str, what: str) -> int:
        if person_id not in index:
            raise InputError(f"{what} names unknown person {person_id!r}")
        return index[person_id]

    parent = list(range(len(people)))

    def root(p: int) -> int:
        while parent[p] != p:
            parent[p] = parent[parent[p]]
            p = parent[p]
        return p

    for group in problem.keep_together:
        members = [lookup(pid, "keep-together") for pid in group]
        for p in members[1:]:
            parent[root(p)] = root(members[0])
    roots: dict[int, int] = {}
    units: list[list[int]] = []
    unit_of = [0] * len(people)
    for p in range(len(people)):
        u = roots.setdefault(root(p), len(units))
        if u == len(units):
            units.append([])
        units[u].append(p)
        unit_of[p] = u

    instance = Instance(
        ids=[p.id for p in people],
        rounds=problem.rounds,
        capacity=[t.capacity for t in tables],
        accessible=[t.accessible for t in tables],
        lo=[lo for lo, _ in ranges],
        hi=[hi for _, hi in ranges],
        org=_labels([p.organisation for p in people]),
        sector=_labels([p.sector for p in people]),
        profession=_labels([p.profession for p in people]),
        units=units,
        unit_of=unit_of,
        facilitator=[any(people[p].facilitator for p in unit) for unit in units],
        pins=[{} for _ in units],
        needs_accessible=[False] * len(units),
        apart=[set() for _ in units],
        apart_pairs=[],
        hosts=[i for i, p in enumerate(people) if p.facilitator],
        person_pins={},
        previous=None,
        conflicts=[],
    )
    _add_unit_facts(instance, problem, people, lookup)
    instance.met_before = _met_before(problem, len(people), lookup)
    instance.previous = _previous_tables(problem, index, len(tables))
    return instance


def _index_people(people: list[Person]) -> dict[str, int]:
    index: dict[str, int] = {}
    for i, person in enumerate(people):
        if person.id in index:
            raise InputError(f"duplicate person id {person.id!r}")
        index[person.id] = i
    return index


def _check_shape(problem: TableProblem, people: list[Person], tables: list[Table]) -> None:
    if problem.rounds < 1:
        raise InputError(f"rounds must be at least 1, not {problem.rounds}")
    if not people:
        raise InputError("no people to seat")
    if not tables:
        raise InputError("no tables")
    small = [i + 1 for i, t in enumerate(tables) if t.capacity < 2]
    if small:
        raise InputError(f"table {small[0]} seats fewer than 2 (table size must be at least 2)")
    seats = sum(t.capacity for t in tables)
    if seats < len(people):
        raise InputError(f"{len(people)} people but the {len(tables)} tables seat only {seats}")
    facilitators = sum(p.facilitator for p in people)
    if facilitators > len(tables):
        raise InputError(
            f"{facilitators} facilitators but only {len(tables)} tables (at most one per table)"
        )


def _labels(values: list[str]) -> list[int]:
    codes: dict[str, int] = {}
    return [codes.setdefault(v, len(codes)) for v in values]


def _add_unit_facts(
    instance: Instance, problem: TableProblem, people: list[Person], lookup
) -> None:
    conflicts = instance.conflicts
    for u, unit in enumerate(instance.units):
        hosts = [people[p].id for p in unit if people[p].facilitator]
        if len(hosts) > 1:
            conflicts.append(
                f"keep-together group {instance.unit_name(u)} holds facilitators "
                f"{' and '.join(hosts)}, but a table has at most one"
            )
        if len(unit) > max(instance.hi):
            conflicts.append(
                f"keep-together group {instance.unit_name(u)} ({len(unit)} people) "
                f"is larger than any table can seat ({max(instance.hi)})"
            )
    for pid in problem.needs_accessible:
        instance.needs_accessible[instance.unit_of[lookup(pid, "accessible need")]] = True
    for u, unit in enumerate(instance.units):
        if instance.needs_accessible[u] and not any(
            instance.accessible[t] and instance.hi[t] >= len(unit) for t in range(instance.tables)
        ):
            conflicts.append(
                f"{instance.unit_name(u)} needs an accessible table, but no "
                "accessible table can seat them"
            )
    for (pid, round_), table in problem.pinned.items():
        person = lookup(pid, "pinned seat")
        u = instance.unit_of[person]
        if not 0 <= round_ < instance.rounds:
            raise InputError(
                f"pinned seat of {pid!r} is in round {round_ + 1}, "
                f"but there are {instance.rounds} rounds"
            )
        if not 0 <= table < instance.tables:
            raise InputError(
                f"pinned seat of {pid!r} is at table {table + 1}, "
                f"but there are {instance.tables} tables"
            )
        instance.person_pins[person, round_] = table
        earlier = instance.pins[u].setdefault(round_, table)
        if earlier != table:
            conflicts.append(
                f"pinned seats put keep-together group {instance.unit_name(u)} at "
                f"tables {earlier + 1} and {table + 1} in round {round_ + 1}"
            )
        if instance.needs_accessible[u] and not instance.accessible[table]:
            conflicts.append(
                f"{pid} is pinned to table {table + 1} in round {round_ + 1}, "
                "which is not accessible, but needs an accessible table"
            )
    for u in range(len(instance.units)):
        if instance.facilitator[u] and len(set(instance.pins[u].values())) > 1:
            conflicts.append(
                f"facilitator {instance.unit_name(u)} must stay at one table but is "
                "pinned to several"
            )
    for a, b in problem.keep_apart:
        pa, pb = lookup(a, "keep-apart"), lookup(b, "keep-apart")
        instance.apart_pairs.append((pa, pb))
        ua, ub = instance.unit_of[pa], instance.unit_of[pb]
        if ua == ub:
            conflicts.append(
                f"keep-apart {a}/{b} contradicts keep-together group {instance.unit_name(ua)}"
            )
            continue
        instance.apart[ua].add(ub)
        instance.apart[ub].add(ua)
        shared = [r for r, t in instance.pins[ua].items() if instance.pins[ub].get(r) == t]
        if shared:
            conflicts.append(
                f"keep-apart {a}/{b} contradicts their pinned seats in round {shared[0] + 1}"
            )


def _previous_tables(
    problem: TableProblem, index: dict[str, int], table_count: int
) -> list[list[int]] | None:
    """Repair mode: each person's earlier table per round (-1 if new or the table is gone)."""
    if problem.previous is None:
        return None
    previous = [[-1] * len(index) for _ in range(problem.rounds)]
    for r, tables in enumerate(problem.previous[: problem.rounds]):
        for t, table in enumerate(tables):
            if t >= table_count:
                continue
            for pid in table:
                if pid in index:  # cancelled people simply drop out
                    previous[r][index[pid]] = t
    return previous


def _met_before(problem: TableProblem, count: int, lookup) -> list[set[int]]:
    """Per person, the people they sat with at an earlier event (the pairs in either order)."""
    met: list[set[int]] = [set() for _ in range(count)]
    for a, b in problem.met_before:
        pa, pb = lookup(a, "met-before pair"), lookup(b, "met-before pair")
        if pa == pb:
            raise InputError(f"met-before pair names {a!r} twice")
        met[pa].add(pb)
        met[pb].add(pa)
    return met
