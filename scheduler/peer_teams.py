"""Peer-challenge teams: fill each host's slots with peers of the right role from elsewhere.

Public API (plain dataclasses in and out; nothing here knows about Flask or files)::

    from scheduler.peer_teams import Host, Peer, PeerOptions, PeerProblem, build_teams

    problem = PeerProblem(
        peers=(Peer(id, name, organisation, sector, role="officer", skills=("housing",),
                    capacity=2, exclude=frozenset({"Neighbour Council"}), group=""), ...),
        hosts=(Host(id, organisation, sector, slots={"chief-executive": 1, "officer": 2},
                    themes=("housing", "finance")), ...),
    )
    result = build_teams(problem, PeerOptions(time_limit=30),
                         on_progress=lambda progress: cancelled())   # True = stop now
    result.teams      # {host_id: [(role, peer_id), ...]}
    result.unfilled   # [Unfilled(host_id, role, missing)]: slots no team could fill
    result.shortages  # [Shortage(...)]: why, counted before solving (role short by how many)
    result.metrics    # PeerMetrics: each figure beside its bound
    result.status     # "optimal" | "feasible" | "infeasible" (slots unfilled) | "unknown"

Hard rules: a team's slots are filled only by peers of that role; no peer from the host's
organisation or one the peer excludes; a peer joins at most `capacity` teams (and a team once);
every team of two or more has peers from at least two sectors. Invalid input raises
`scheduler.people.InputError`.

Objectives, lexicographic (one CP-SAT stage each, `scheduler.stages`):
  1. filled: every slot filled if possible (bound: per role, a maximum flow peers -> hosts, so a
     role that is short is named with how many before solving);
  2. themes: cover as many of each host's themes with some member's skills as possible (bound:
     themes some eligible peer has);
  3. spread: spread the experience over as many different peers as possible (bound: peers
     with any eligible slot, at most the slots);
  4. groups: member peers from as many political groups as possible across the programme
     (bound: the groups among member peers, at most the member slots).
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field

from ortools.graph.python.max_flow import SimpleMaxFlow
from ortools.sat.python import cp_model

from scheduler.people import InputError
from scheduler.stages import Progress, ProgressCallback, StagedSolve

__all__ = [
    "ROLES",
    "Host",
    "Peer",
    "PeerMetrics",
    "PeerOptions",
    "PeerProblem",
    "PeerResult",
    "Progress",
    "Shortage",
    "Unfilled",
    "build_teams",
]

ROLES = ("chief-executive", "member", "officer", "sector-peer", "lived-experience", "manager")
STAGES = ("filled", "themes", "spread", "groups")


@dataclass(frozen=True)
class Peer:
    """`exclude`: organisations this peer must not review (e.g. neighbours); `group`: a member
    peer's political group (empty: not given)."""

    id: str
    name: str
    organisation: str
    sector: str
    role: str
    skills: tuple[str, ...] = ()
    capacity: int = 1
    exclude: frozenset[str] = frozenset()
    group: str = ""


@dataclass(frozen=True)
class Host:
    """`slots`: {role: peers wanted}; `themes`: what the challenge should look at."""

    id: str
    organisation: str
    sector: str
    slots: dict[str, int]
    themes: tuple[str, ...] = ()


@dataclass(frozen=True)
class PeerProblem:
    peers: tuple[Peer, ...]
    hosts: tuple[Host, ...]


@dataclass(frozen=True)
class PeerOptions:
    """`time_limit` in seconds for the whole run; `seed` and `workers` fix CP-SAT's search."""

    time_limit: float = 30.0
    seed: int = 0
    workers: int = 2


@dataclass(frozen=True)
class Shortage:
    """Slots of `role` that no plan can fill, counted before solving: programme-wide (`host_id`
    empty: `wanted` slots, `available` peer places that can reach them) or at one host (fewer
    eligible peers of that role than slots)."""

    role: str
    wanted: int
    available: int
    host_id: str = ""

    @property
    def short(self) -> int:
        return self.wanted - self.available

    def message(self) -> str:
        if self.host_id:
            return (
                f"host {self.host_id!r} wants {self.wanted} {self.role} peer(s) but only "
                f"{self.available} are eligible: {self.short} short"
            )
        return (
            f"{self.role}: {self.short} slot(s) short ({self.wanted} wanted, at most "
            f"{self.available} can be filled by eligible peers within their capacity)"
        )


@dataclass(frozen=True)
class Unfilled:
    host_id: str
    role: str
    missing: int


@dataclass(frozen=True)
class PeerMetrics:
    """Each figure beside its bound; `stages`: one record per CP-SAT stage."""

    slots: int
    filled: int
    filled_bound: int
    themes_covered: int
    themes_bound: int
    peers_used: int
    peers_used_bound: int
    member_groups: int
    member_groups_bound: int
    mixed_teams: int
    busiest_peer: int
    stages: tuple[dict, ...] = field(default=())


@dataclass(frozen=True)
class PeerResult:
    teams: dict[str, list[tuple[str, str]]]
    unfilled: list[Unfilled]
    shortages: list[Shortage]
    metrics: PeerMetrics
    status: str
    message: str = ""


def validate(problem: PeerProblem) -> None:
    """Raise InputError naming the first peer or host the builder cannot use."""
    seen: set[str] = set()
    for peer in problem.peers:
        if not peer.id:
            raise InputError(f"peer {peer.name!r} has an empty id")
        if peer.id in seen:
            raise InputError(f"peer id {peer.id!r} appears twice")
        seen.add(peer.id)
        if peer.role not in ROLES:
            raise InputError(
                f"peer {peer.id!r} role must be one of {', '.join(ROLES)}, not {peer.role!r}"
            )
        if peer.capacity < 1:
            raise InputError(f"peer {peer.id!r} capacity must be at least 1, not {peer.capacity}")
    seen = set()
    for host in problem.hosts:
        if not host.id:
            raise InputError(f"host of {host.organisation!r} has an empty id")
        if host.id in seen:
            raise InputError(f"host id {host.id!r} appears twice")
        seen.add(host.id)
        for role, count in host.slots.items():
            if role not in ROLES:
                raise InputError(
                    f"host {host.id!r} asks for role {role!r}; roles are {', '.join(ROLES)}"
                )
            if count < 1:
                raise InputError(f"host {host.id!r} asks for {count} {role} peer(s)")
        if sum(host.slots.values()) < 2:
            raise InputError(
                f"host {host.id!r} asks for fewer than 2 peers, but a team needs two sectors"
            )


def eligible(peer: Peer, host: Host) -> bool:
    """Whether `peer` may sit on `host`'s team: the role is wanted, and the peer is neither
    from the host's organisation nor excludes it (names compared case-insensitively)."""
    excluded = {o.casefold() for o in peer.exclude} | {peer.organisation.casefold()}
    return peer.role in host.slots and host.organisation.casefold() not in excluded


def shortages(problem: PeerProblem) -> tuple[list[Shortage], int, set[tuple[int, int]]]:
    """The slots no plan can fill; the most slots any plan fills (ignoring the two-sector
    rule): per role, a maximum flow source -> peer (capacity) -> host (1) -> sink (slots); and
    that flow's (peer index, host index) pairs, a start for the search."""
    found: list[Shortage] = []
    bound = 0
    start: set[tuple[int, int]] = set()
    for role in ROLES:
        hosts = [k for k, h in enumerate(problem.hosts) if role in h.slots]
        if not hosts:
            continue
        peers = [k for k, p in enumerate(problem.peers) if p.role == role]
        for k in hosts:
            host = problem.hosts[k]
            available = sum(1 for i in peers if eligible(problem.peers[i], host))
            if available < host.slots[role]:
                found.append(Shortage(role, host.slots[role], available, host.id))
        flow = SimpleMaxFlow()
        sink = 1 + len(peers) + len(hosts)
        arcs: dict[int, tuple[int, int]] = {}
        for a, i in enumerate(peers):
            flow.add_arc_with_capacity(0, 1 + a, problem.peers[i].capacity)
            for b, k in enumerate(hosts):
                if eligible(problem.peers[i], problem.hosts[k]):
                    arcs[flow.add_arc_with_capacity(1 + a, 1 + len(peers) + b, 1)] = (i, k)
        for b, k in enumerate(hosts):
            flow.add_arc_with_capacity(1 + len(peers) + b, sink, problem.hosts[k].slots[role])
        if flow.solve(0, sink) != flow.OPTIMAL:
            raise RuntimeError("max flow failed")
        fillable = flow.optimal_flow()
        start |= {pair for arc, pair in arcs.items() if flow.flow(arc)}
        wanted = sum(problem.hosts[k].slots[role] for k in hosts)
        if fillable < wanted:
            found.append(Shortage(role, wanted, fillable))
        bound += fillable
    return found, bound, start


def build_teams(
    problem: PeerProblem,
    options: PeerOptions | None = None,
    on_progress: ProgressCallback | None = None,
) -> PeerResult:
    """Build every team within `options.time_limit` seconds (module docstring)."""
    options = options or PeerOptions()
    if options.time_limit <= 0:
        raise InputError(f"time limit must be positive, not {options.time_limit}")
    validate(problem)
    short, filled_bound, start = shortages(problem)
    model = _TeamModel(problem)
    hinted = model.start_from(start)
    staged = StagedSolve(
        model.model,
        STAGES,
        options.time_limit,
        seed=options.seed,
        workers=options.workers,
        on_progress=on_progress,
    )
    if hinted is not None and len(start) == filled_bound:
        staged.accept("filled", model.filled, filled_bound, hinted)
    else:
        staged.solve("filled", model.filled)
    staged.solve("themes", model.themes)
    staged.solve("spread", model.spread)
    staged.solve("groups", model.groups)
    if staged.values is None:
        infeasible = any(run.status == "infeasible" for run in staged.runs)
        status = "infeasible" if infeasible else "unknown"
        chosen: list[tuple[Peer, Host]] = []
    else:
        chosen = [
            (problem.peers[i], problem.hosts[j])
            for (i, j), var in model.x.items()
            if staged.value(var)
        ]
    teams = {h.id: [] for h in problem.hosts}
    role_order = {role: k for k, role in enumerate(ROLES)}
    for peer, host in sorted(chosen, key=lambda c: (role_order[c[0].role], c[0].id)):
        teams[host.id].append((peer.role, peer.id))
    unfilled = _unfilled(problem, teams)
    metrics = _measure(problem, model, chosen, filled_bound, staged)
    # Unfilled slots make the round infeasible only when filling was proven as full as it gets.
    filling_proven = bool(staged.runs) and staged.runs[0].status == "optimal"
    if staged.values is not None:
        if unfilled and filling_proven:
            status = "infeasible"
        elif staged.proven:
            status = "optimal"
        else:
            status = "feasible"
    message = "; ".join(s.message() for s in short)
    if status == "infeasible" and not short:
        message = "some slots cannot be filled while keeping two sectors on every team"
    elif status == "feasible":
        message = (
            "cancelled: the best teams found so far"
            if staged.cancelled
            else "time limit reached before every stage was proven optimal"
        )
    elif status == "unknown":
        message = "no teams found within the time limit"
    return PeerResult(teams, unfilled, short, metrics, status, message)


class _TeamModel:
    """x[(peer, host)] for eligible pairs, the hard rules, and each stage's objective."""

    def __init__(self, problem: PeerProblem) -> None:
        self.problem = problem
        self.model = cp = cp_model.CpModel()
        self.any_of: list[tuple[cp_model.IntVar, list[cp_model.IntVar]]] = []
        self.several: list[tuple[cp_model.IntVar, list[cp_model.IntVar]]] = []
        self._several_by_host: dict[str, cp_model.IntVar] = {}
        self._sector_literals: dict[str, list[cp_model.IntVar]] = {}
        self.x = {
            (i, j): cp.new_bool_var(f"x_{p.id}_{h.id}")
            for j, h in enumerate(problem.hosts)
            for i, p in enumerate(problem.peers)
            if eligible(p, h)
        }
        by_peer: dict[str, list] = {}
        for (i, _), var in self.x.items():
            by_peer.setdefault(problem.peers[i].id, []).append(var)
        for peer in problem.peers:
            if len(by_peer.get(peer.id, [])) > peer.capacity:
                cp.add(sum(by_peer[peer.id]) <= peer.capacity)
        self.filled = 0
        self.themes = 0
        for j, host in enumerate(problem.hosts):
            team = {problem.peers[i]: v for (i, h), v in self.x.items() if h == j}
            for role, count in host.slots.items():
                cp.add(sum(v for p, v in team.items() if p.role == role) <= count)
            self.filled += sum(team.values())
            self._two_sectors(host, team)
            for theme in {t.casefold() for t in host.themes}:
                skilled = [v for p, v in team.items() if theme in {s.casefold() for s in p.skills}]
                if skilled:
                    covered = self._any_of(f"theme_{host.id}_{theme}", skilled)
                    self.themes += covered
        self.spread = 0
        for peer_id, variables in by_peer.items():
            self.spread += self._any_of(f"used_{peer_id}", variables)
        # Each peer taking part fills a slot: a bound CP-SAT's relaxation does not see alone.
        cp.add(self.spread <= self.filled)
        groups: dict[str, list] = {}
        for (i, _), var in self.x.items():
            peer = problem.peers[i]
            if peer.role == "member" and peer.group:
                groups.setdefault(peer.group.casefold(), []).append(var)
        self.groups = 0
        for name, variables in groups.items():
            self.groups += self._any_of(f"group_{name}", variables)

    def _two_sectors(self, host: Host, team: dict[Peer, cp_model.IntVar]) -> None:
        """A team of two or more has peers from at least two sectors."""
        cp = self.model
        sectors: dict[str, list] = {}
        for peer, var in team.items():
            sectors.setdefault(peer.sector.casefold(), []).append(var)
        present = [
            self._any_of(f"sector_{host.id}_{name}", variables)
            for name, variables in sectors.items()
        ]
        several = cp.new_bool_var(f"several_{host.id}")
        self.several.append((several, list(team.values())))
        self._several_by_host[host.id] = several
        self._sector_literals[host.id] = present
        cp.add(sum(team.values()) <= 1).only_enforce_if(~several)
        cp.add(sum(present) >= 2).only_enforce_if(several)

    def _any_of(self, name: str, variables: list[cp_model.IntVar]) -> cp_model.IntVar:
        """A literal that may be true only when one of `variables` is."""
        literal = self.model.new_bool_var(name)
        self.model.add_bool_or(variables).only_enforce_if(literal)
        self.any_of.append((literal, variables))
        return literal

    def start_from(self, chosen: set[tuple[int, int]]) -> dict[int, int] | None:
        """Hint every variable (a complete hint is tried as a solution at once); the values
        {variable index: value} when they keep every rule, else None."""
        value = {var.index: int(key in chosen) for key, var in self.x.items()}
        for literal, variables in self.any_of:
            value[literal.index] = int(any(value[v.index] for v in variables))
        for literal, team in self.several:
            value[literal.index] = int(sum(value[v.index] for v in team) >= 2)
        for var in self.x.values():
            self.model.add_hint(var, value[var.index])
        for literal, _ in self.any_of + self.several:
            self.model.add_hint(literal, value[literal.index])
        mixed = all(
            sum(value[v.index] for v in self._sector_literals[host_id]) >= 2
            for host_id, several in self._several_by_host.items()
            if value[several.index]
        )
        return value if mixed else None


def _unfilled(problem: PeerProblem, teams: dict[str, list[tuple[str, str]]]) -> list[Unfilled]:
    unfilled = []
    for host in problem.hosts:
        got = Counter(role for role, _ in teams[host.id])
        for role, count in host.slots.items():
            if got[role] < count:
                unfilled.append(Unfilled(host.id, role, count - got[role]))
    return unfilled


def _measure(
    problem: PeerProblem,
    model: _TeamModel,
    chosen: list[tuple[Peer, Host]],
    filled_bound: int,
    staged: StagedSolve,
) -> PeerMetrics:
    eligible_peers = {i for i, _ in model.x}
    slots = sum(sum(h.slots.values()) for h in problem.hosts)
    member_slots = sum(h.slots.get("member", 0) for h in problem.hosts)
    groups = {p.group.casefold() for p in problem.peers if p.role == "member" and p.group}
    skills: dict[int, set[str]] = {}
    for i, j in model.x:
        skills.setdefault(j, set()).update(s.casefold() for s in problem.peers[i].skills)
    themes_bound = sum(
        len({t.casefold() for t in h.themes} & skills.get(j, set()))
        for j, h in enumerate(problem.hosts)
    )
    sectors: dict[str, set[str]] = {h.id: set() for h in problem.hosts}
    covered: set[tuple[str, str]] = set()
    for peer, host in chosen:
        sectors[host.id].add(peer.sector.casefold())
        wanted = {t.casefold() for t in host.themes}
        covered |= {(host.id, s.casefold()) for s in peer.skills if s.casefold() in wanted}
    load = Counter(peer.id for peer, _ in chosen)
    return PeerMetrics(
        slots=slots,
        filled=len(chosen),
        filled_bound=filled_bound,
        themes_covered=len(covered),
        themes_bound=themes_bound,
        peers_used=len(load),
        peers_used_bound=min(len(eligible_peers), slots),
        member_groups=len(
            {p.group.casefold() for p, _ in chosen if p.role == "member" and p.group}
        ),
        member_groups_bound=min(len(groups), member_slots),
        mixed_teams=sum(1 for found in sectors.values() if len(found) >= 2),
        busiest_peer=max(load.values(), default=0),
        stages=tuple(run.record() for run in staged.runs),
    )
