"""Building a peer-challenge round's teams in the background, reviewing, adjusting and publishing
them.

Building: the engine (scheduler/peer_teams.py) run as a solve job on the planning runners
(planning/jobs.py: the same leases, progress and cancelling as planning and mentoring). Peers and
hosts become the engine's under their member ids (as text); an organisation is the directory's
(its id), so two spellings of one organisation count as one, and an excluded organisation the
directory knows is excluded under any of its names. A successful run replaces the round's teams
(and PeerTeamsRun) in the transaction that marks the job succeeded; a failed or cancelled one
leaves them as they were; published teams are never replaced.

The review measures the teams as they are now (after any hand adjustment), each figure beside
its bound: slots filled beside the most any plan can fill (the engine's maximum flow per role),
host themes covered beside those some eligible peer has, teams bringing two or more sectors
beside the number of teams, member peers' political groups beside the groups there are (at most
the member slots). An unfilled slot is said with its reason: too few peers of the role can go
there, or all who can are taken.

Adjusting keeps the engine's hard rules (`eligible`, capacity, a free slot of the role, and every
team of two or more from at least two sectors); a refusal names the rule and the people. Each
adjustment checks and writes under the round's lock (programmes.locked_programme), so two
organisers changing the same teams at once are served one after the other, the second checked
against what the first wrote.
Publishing (once, after asking) tells every peer their team(s), role and host, and every host its
team, through the outbox, in the transaction that marks the round published; each host keeps the
team as told (HostDetails.published_team). The teams can still change afterwards: a peer
withdraws or is removed (their team is told at once: peer_challenge_members.withdraw), or the
organiser fills the open slot, takes out or swaps. Each team then shows what changed against the
team as told, until the organiser publishes the changes: only the people of a changed team are
told (its host; a peer new on it their team, role, host and dates; the others the team as it is
now; a peer taken off it that they are no longer on it).

May import: models, programmes.programmes (the round's lock), planning.jobs (the protocol its
planners follow), planning.summaries (a job's words, figures), programmes.peer_challenge_members,
organisations.directory (names), messaging.outbox, formatting, scheduler.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field

from sqlalchemy import delete, func, select

from app.extensions import db
from app.formatting import plural
from app.models import (
    JobKind,
    MailKind,
    Member,
    PeerPlace,
    PeerTeamsRun,
    Programme,
    ProgrammeStatus,
    SolveJob,
)
from app.models.peer_challenge import PEER
from app.models.types import utcnow
from app.services.messaging import outbox
from app.services.organisations.directory import existing_organisation
from app.services.planning import jobs
from app.services.planning.jobs import JobError, Planner, Reporter
from app.services.planning.summaries import (
    Figure,
    JobSummary,
    staged_job_summary,
)
from app.services.programmes.peer_challenge_members import (
    ROLE_WORDS,
    a_role,
    hosts,
    member_by_token,
    members,
)
from app.services.programmes.programmes import locked_programme, row_id
from scheduler.peer_teams import (
    ROLES,
    Host,
    Peer,
    PeerOptions,
    PeerProblem,
    PeerResult,
    build_teams,
    eligible,
    shortages,
)
from scheduler.people import InputError

DEFAULT_TIME_LIMIT = 30
STAGE_WORDS = {
    "filled": "filling every slot",
    "themes": "covering each host's themes",
    "spread": "spreading the work over as many peers as possible",
    "groups": "member peers from several political groups",
}


class AdjustRefused(ValueError):
    """An adjustment that would break a hard rule; the message says which, in plain words."""


def counted(role: str, count: int) -> str:
    """ "1 member peer", "3 officer peers"."""
    one, many = ROLE_WORDS[role]
    return f"{count} {one if count == 1 else many}"


# --- the engine's problem ------------------------------------------------------------------------


def engine_peer(member: Member, known: dict[str, str] | None = None) -> Peer:
    """The peer as the engine's; `known` remembers the excluded names already looked up in the
    directory (one look-up per name for a whole round)."""
    details = member.peer_details
    known = {} if known is None else known
    excluded = set()
    for name in details.exclude:
        if name not in known:
            found = existing_organisation(name)
            known[name] = str(found.id) if found else name
        excluded.add(known[name])
    return Peer(
        id=str(member.id),
        name=member.name,
        organisation=str(member.organisation_id),
        sector=member.sector,
        role=details.role,
        skills=tuple(member.topics),
        capacity=member.capacity,
        exclude=frozenset(excluded),
        group=details.political_group,
    )


def engine_host(member: Member) -> Host:
    return Host(
        id=str(member.id),
        organisation=str(member.organisation_id),
        sector=member.sector,
        slots=dict(member.host_details.slots),
        themes=tuple(member.topics),
    )


def problem_of(programme: Programme) -> PeerProblem:
    """The round's peers and hosts as the engine's problem (module docstring)."""
    known: dict[str, str] = {}
    return PeerProblem(
        peers=tuple(engine_peer(m, known) for m in members(programme, PEER)),
        hosts=tuple(engine_host(m) for m in hosts(programme)),
    )


# --- the background job --------------------------------------------------------------------------


@dataclass(frozen=True)
class Prepared:
    programme_id: int
    problem: PeerProblem
    options: PeerOptions


def start(programme: Programme, time_limit: float) -> SolveJob:
    """Queue a team-building run (JobError if one is running, or the teams are published)."""
    if programme.status == ProgrammeStatus.PUBLISHED:
        raise JobError("The teams are published: they can no longer be built again.")
    return jobs.start(programme, JobKind.PEER_TEAMS, {"time_limit": time_limit})


def latest_job(programme: Programme) -> SolveJob | None:
    jobs.expire_lapsed(programme)  # a job whose process died is shown as ended, never "running"
    return jobs.latest_job(programme, JobKind.PEER_TEAMS)


def prepare(job: SolveJob) -> Prepared:
    programme = job.programme
    if programme.status == ProgrammeStatus.PUBLISHED:
        raise JobError("The teams are published already.")
    problem = problem_of(programme)
    if not problem.peers or not problem.hosts:
        raise JobError(
            "Building teams needs peers and hosts: "
            f"{plural(len(problem.peers), 'peer')} and {plural(len(problem.hosts), 'host')} "
            "have joined."
        )
    options = PeerOptions(
        time_limit=float(job.params.get("time_limit", DEFAULT_TIME_LIMIT)),
        seed=int(job.params.get("seed", 0)),
    )
    return Prepared(programme.id, problem, options)


def solve(prepared: Prepared, reporter: Reporter) -> PeerResult:
    def progress(p) -> bool:
        return reporter.update(
            {"stage": p.stage, "stage_number": p.stage_number, "stage_count": p.stage_count}
        )

    try:
        return build_teams(prepared.problem, prepared.options, progress)
    except InputError as error:
        raise JobError(str(error)) from None


def store(job: SolveJob, prepared: Prepared, result: PeerResult) -> None:
    """Replace the round's teams (only places whose peer and host are still in the round, in the
    role the peer still has: someone may have withdrawn or changed while it ran)."""
    programme = job.programme
    if programme.status == ProgrammeStatus.PUBLISHED:
        raise JobError("The teams were published while this ran: they are kept as published.")
    here = {
        m.id: m for m in db.session.scalars(select(Member).where(Member.programme == programme))
    }
    db.session.execute(delete(PeerPlace).where(PeerPlace.programme_id == programme.id))
    for host_id, team in result.teams.items():
        for role, peer_id in team:
            host, peer = here.get(int(host_id)), here.get(int(peer_id))
            if host and peer and peer.side == PEER and peer.peer_details.role == role:
                db.session.add(
                    PeerPlace(programme=programme, host_id=host.id, peer_id=peer.id, role=role)
                )
    run = db.session.get(PeerTeamsRun, programme.id) or PeerTeamsRun(programme_id=programme.id)
    run.solver_status, run.message, run.created_at = result.status, result.message, utcnow()
    db.session.add(run)
    return None


def explain(message: str, programme: Programme) -> str:
    return message


PLANNERS = {JobKind.PEER_TEAMS: Planner(prepare, solve, store, explain)}


def job_summary(job: SolveJob) -> JobSummary:
    """The team-building job in words (for its page and JSON status)."""
    return staged_job_summary(job, STAGE_WORDS)


# --- the review ----------------------------------------------------------------------------------


@dataclass
class Team:
    """A host's team as it is: its places by role, the slots still open (each said with its
    reason), and the sectors it brings."""

    host: Member
    places: list[PeerPlace]
    open_slots: list[str] = field(default_factory=list)
    sectors: set[str] = field(default_factory=set)
    changed: list[str] = field(default_factory=list)  # since published, not yet told


@dataclass
class Review:
    teams: list[Team]
    shortages: list[str]
    figures: list[Figure]
    broken: list[tuple[PeerPlace, str]]
    peers: list[Member]  # every peer, for the adjust forms
    load: Counter  # teams per peer id
    run: PeerTeamsRun | None


def places_of(programme: Programme) -> list[PeerPlace]:
    return list(db.session.scalars(select(PeerPlace).where(PeerPlace.programme_id == programme.id)))


def review(programme: Programme) -> Review:
    peers, host_members = members(programme, PEER), hosts(programme)
    known: dict[str, str] = {}
    engine_peers = {m.id: engine_peer(m, known) for m in peers}
    engine_hosts = {m.id: engine_host(m) for m in host_members}
    places = places_of(programme)
    load = Counter(p.peer_id for p in places)
    order = {role: k for k, role in enumerate(ROLES)}
    teams = []
    for host in host_members:
        mine = sorted(
            (p for p in places if p.host_id == host.id),
            key=lambda p: (order.get(p.role, len(ROLES)), p.peer.name),
        )
        team = Team(host, mine, sectors={p.peer.sector.casefold() for p in mine})
        team.open_slots = _open_slots(engine_hosts[host.id], host, mine, engine_peers, peers, load)
        team.changed = _changes(host, mine)
        teams.append(team)
    problem = PeerProblem(tuple(engine_peers.values()), tuple(engine_hosts.values()))
    short, filled_bound, _ = shortages(problem)
    return Review(
        teams=teams,
        shortages=[
            f"{ROLE_WORDS[s.role][1].capitalize()}: {s.short} short ({s.wanted} wanted; the "
            f"{ROLE_WORDS[s.role][1]} who may go can fill at most {s.available})"
            for s in short
            if not s.host_id
        ],
        figures=_figures(problem, filled_bound, engine_peers, engine_hosts, places)
        if problem.hosts
        else [],
        broken=_broken(places, engine_peers, engine_hosts, load),
        peers=peers,
        load=load,
        run=db.session.get(PeerTeamsRun, programme.id),
    )


def _told_team(host: Member) -> list[list] | None:
    """The host's team as its people were last told, [[role, peer token, name], ...]: None
    before publishing; empty for a host that came after (it has been told nothing). Peers are
    known by their token, never reused (SQLite may give a withdrawn peer's id to the next)."""
    told = host.host_details.published_team
    if told is None and host.programme.status == ProgrammeStatus.PUBLISHED:
        return []
    return told


def _told(host: Member) -> set[tuple[str, str]] | None:
    told = _told_team(host)
    return None if told is None else {(role, token) for role, token, _ in told}


def _as_told(places: list[PeerPlace]) -> set[tuple[str, str]]:
    return {(p.role, p.peer.token) for p in places}


def _changes(host: Member, places: list[PeerPlace]) -> list[str]:
    """What changed on a published team since its people were told, in words."""
    told = _told_team(host)
    if told is None:
        return []
    now = _as_told(places)
    lines = [
        f"{name} ({ROLE_WORDS[role][0]}) has left the team"
        for role, token, name in told
        if (role, token) not in now
    ]
    was = {(role, token) for role, token, _ in told}
    lines += [
        f"{p.peer.name} ({ROLE_WORDS[p.role][0]}) is new on the team"
        for p in places
        if (p.role, p.peer.token) not in was
    ]
    return lines


def _open_slots(
    engine: Host,
    host: Member,
    places: list[PeerPlace],
    engine_peers: dict[int, Peer],
    peers: list[Member],
    load: Counter,
) -> list[str]:
    got = Counter(p.role for p in places)
    on_team = {p.peer_id for p in places}
    name = host.organisation.name
    found = []
    for role, wanted in engine.slots.items():
        missing = wanted - got[role]
        if missing <= 0:
            continue
        can_go = [
            m
            for m in peers
            if engine_peers[m.id].role == role and eligible(engine_peers[m.id], engine)
        ]
        free = [m for m in can_go if m.id not in on_team and load[m.id] < m.capacity]
        if not can_go:
            reason = f"no {ROLE_WORDS[role][0]} can go there"
        elif len(can_go) < wanted:
            reason = f"only {counted(role, len(can_go))} can go there"
            if can_go and not free:
                reason += " and all are taken"
        elif not free:
            reason = f"{counted(role, len(can_go))} can go there and all are taken"
        else:
            verb = "has" if len(free) == 1 else "have"
            reason = f"{counted(role, len(free))} who can go there still {verb} room: put one in"
        found.append(f"{name}: {counted(role, missing)} short: {reason}")
    return found


def _figures(
    problem: PeerProblem,
    filled_bound: int,
    engine_peers: dict[int, Peer],
    engine_hosts: dict[int, Host],
    places: list[PeerPlace],
) -> list[Figure]:
    slots = sum(sum(h.slots.values()) for h in problem.hosts)
    themes_covered = themes_bound = 0
    for host_id, host in engine_hosts.items():
        wanted = {t.casefold() for t in host.themes}
        team = [engine_peers[p.peer_id] for p in places if p.host_id == host_id]
        can_go = [p for p in problem.peers if eligible(p, host)]
        themes_covered += len(wanted & {s.casefold() for p in team for s in p.skills})
        themes_bound += len(wanted & {s.casefold() for p in can_go for s in p.skills})
    sectors: dict[int, set[str]] = {host_id: set() for host_id in engine_hosts}
    for place in places:
        sectors[place.host_id].add(engine_peers[place.peer_id].sector.casefold())
    mixed = sum(1 for found in sectors.values() if len(found) >= 2)
    members_placed = [engine_peers[p.peer_id] for p in places if p.role == "member"]
    groups = {p.group.casefold() for p in members_placed if p.group}
    all_groups = {p.group.casefold() for p in problem.peers if p.role == "member" and p.group}
    member_slots = sum(h.slots.get("member", 0) for h in problem.hosts)
    figures = [
        Figure(
            f"{len(places)} of {plural(slots, 'slot')} filled",
            f"{filled_bound} is the most possible with these peers",
        ),
        Figure(
            f"{themes_covered} of the hosts' themes covered by a team member's skills",
            f"{themes_bound} is the most possible (themes some peer who may go there has)",
        ),
        Figure(
            f"{mixed} of {plural(len(engine_hosts), 'team')} bring two or more sectors",
            "every team of two or more must",
        ),
    ]
    if member_slots:
        figures.append(
            Figure(
                f"Member peers from {plural(len(groups), 'political group')} across the round",
                f"{min(len(all_groups), member_slots)} is the most possible",
            )
        )
    return figures


def _broken(
    places: list[PeerPlace],
    engine_peers: dict[int, Peer],
    engine_hosts: dict[int, Host],
    load: Counter,
) -> list[tuple[PeerPlace, str]]:
    """Places that break a rule since they were made (someone's details changed)."""
    broken = []
    for place in places:
        peer, host = engine_peers[place.peer_id], engine_hosts[place.host_id]
        if peer.role != place.role:
            reason = f"{place.peer.name} is no longer {a_role(place.role)}."
        else:
            reason = _ineligible(place.peer, place.host, peer, host)
        if not reason and load[place.peer_id] > peer.capacity:
            reason = f"{place.peer.name} is on more teams than the {peer.capacity} they offered."
        if reason:
            broken.append((place, reason))
    teams: dict[int, list[PeerPlace]] = {}
    for place in places:
        teams.setdefault(place.host_id, []).append(place)
    for team in teams.values():
        if reason := _one_sector(team[0].host, [p.peer for p in team], now=True):
            broken.append((team[0], reason))
    return broken


# --- adjusting -----------------------------------------------------------------------------------


def _ineligible(peer: Member, host: Member, engine: Peer, engine_host_: Host) -> str:
    """Why `peer` may not sit on `host`'s team at all, in words ("" when they may)."""
    name = host.organisation.name
    if engine.role not in engine_host_.slots:
        return f"{name} wants no {ROLE_WORDS[engine.role][1]}."
    if peer.organisation_id == host.organisation_id:
        return f"{peer.name} is from {name} itself: nobody reviews their own organisation."
    if not eligible(engine, engine_host_):
        return f"{peer.name} has asked not to review {name}."
    return ""


def _one_sector(host: Member, team: list[Member], *, now: bool = False) -> str:
    """The two-sector rule on a team as it would be after a change (`now`: as it is), in
    words ("" when kept)."""
    sectors = {m.sector.casefold() for m in team}
    if len(team) >= 2 and len(sectors) < 2:
        return (
            f"{host.organisation.name}'s team {'has' if now else 'would have'} peers from one "
            f"sector only ({team[0].sector}): a team of two or more needs two sectors."
        )
    return ""


def _team(host: Member) -> list[PeerPlace]:
    return list(db.session.scalars(select(PeerPlace).where(PeerPlace.host_id == host.id)))


def _still_here(programme: Programme, model: type, identity: int):
    """The row read again under the lock; AdjustRefused when someone removed it meanwhile."""
    found = db.session.get(model, identity)
    if found is None or found.programme_id != programme.id:
        raise AdjustRefused("Someone changed the teams meanwhile: look again and choose again.")
    return found


def put(programme: Programme, host: Member, peer: Member) -> PeerPlace:
    """Put a peer on a host's team, in their role; commits. AdjustRefused naming the rule.
    Checked and written under the round's lock: two organisers filling the same last place,
    or giving a peer more teams than offered, at the same moment cannot both succeed."""
    host_id, peer_id = row_id(host), row_id(peer)
    with locked_programme(programme.id) as programme:
        host = _still_here(programme, Member, host_id)
        peer = _still_here(programme, Member, peer_id)
        place = _put(programme, host, peer)
    return place


def _put(programme: Programme, host: Member, peer: Member) -> PeerPlace:
    team = _team(host)
    engine, engine_h = engine_peer(peer), engine_host(host)
    name = host.organisation.name
    if any(p.peer_id == peer.id for p in team):
        raise AdjustRefused(f"{peer.name} is on {name}'s team already.")
    if reason := _ineligible(peer, host, engine, engine_h):
        raise AdjustRefused(reason)
    wanted = engine_h.slots[engine.role]
    if sum(1 for p in team if p.role == engine.role) >= wanted:
        raise AdjustRefused(
            f"{name} wants {counted(engine.role, wanted)} and has them already: take one out "
            "or swap instead."
        )
    teams = db.session.scalar(
        select(func.count()).select_from(PeerPlace).where(PeerPlace.peer_id == peer.id)
    )
    if teams >= peer.capacity:
        raise AdjustRefused(
            f"{peer.name} is on {plural(teams, 'team')} already, as many as they offered."
        )
    if reason := _one_sector(host, [p.peer for p in team] + [peer]):
        raise AdjustRefused(f"{reason} Put in someone from another sector first.")
    place = PeerPlace(programme=programme, host_id=host.id, peer_id=peer.id, role=engine.role)
    db.session.add(place)
    return place


def take_out(programme: Programme, place: PeerPlace) -> None:
    """Take a peer off a team; commits. Refused when it would leave two or more peers of one
    sector (swap instead)."""
    place_id = row_id(place)
    with locked_programme(programme.id) as programme:
        place = _still_here(programme, PeerPlace, place_id)
        rest = [p.peer for p in _team(place.host) if p.id != place.id]
        if reason := _one_sector(place.host, rest):
            raise AdjustRefused(
                f"Taking {place.peer.name} out: {reason} Swap {place.peer.name} for someone "
                "from another sector instead."
            )
        db.session.delete(place)


def swap(programme: Programme, first: PeerPlace, second: PeerPlace) -> None:
    """Exchange the peers of two places of the same role on different teams; commits. Checked
    and written under the round's lock, as `put`."""
    first_id, second_id = row_id(first), row_id(second)
    with locked_programme(programme.id) as programme:
        first = _still_here(programme, PeerPlace, first_id)
        second = _still_here(programme, PeerPlace, second_id)
        _swap(first, second)


def _swap(first: PeerPlace, second: PeerPlace) -> None:
    if first.host_id == second.host_id:
        raise AdjustRefused("Both are on the same team: choose peers on two different teams.")
    if first.role != second.role:
        raise AdjustRefused(
            f"{first.peer.name} is {a_role(first.role)} and {second.peer.name} "
            f"{a_role(second.role)}: swap peers of the same role."
        )
    for place, other in ((first, second), (second, first)):
        moving, host = place.peer, other.host
        team = _team(host)
        if any(p.peer_id == moving.id for p in team):
            raise AdjustRefused(f"{moving.name} is on {host.organisation.name}'s team already.")
        if reason := _ineligible(moving, host, engine_peer(moving), engine_host(host)):
            raise AdjustRefused(reason)
        after = [p.peer for p in team if p.id != other.id] + [moving]
        if reason := _one_sector(host, after):
            raise AdjustRefused(reason)
    first.peer_id, second.peer_id = second.peer_id, first.peer_id


# --- publishing ----------------------------------------------------------------------------------


def publish(programme: Programme) -> int:
    """Mark the teams published and tell every peer and host theirs (one message each, once);
    commits. Returns how many were told. AdjustRefused when published already or a place
    breaks a rule."""
    with locked_programme(programme.id) as programme:
        if programme.status == ProgrammeStatus.PUBLISHED:
            raise AdjustRefused("The teams are published already.")
        if broken := review(programme).broken:
            raise AdjustRefused(f"A team breaks a rule: {broken[0][1]} Change it first.")
        everyone = [*members(programme, PEER), *hosts(programme)]
        programme.status, programme.published_at = ProgrammeStatus.PUBLISHED, utcnow()
        for member in everyone:
            outbox.queue(MailKind.PEER_CHALLENGE_TEAM, member)
        for host in hosts(programme):
            _mark_told(host)
    return len(everyone)


def _mark_told(host: Member) -> None:
    host.host_details.published_team = [
        [p.role, p.peer.token, p.peer.name] for p in sorted(_team(host), key=lambda p: p.id)
    ]


def changed_teams(programme: Programme) -> list[Team]:
    """The published teams that changed since their people were told."""
    if programme.status != ProgrammeStatus.PUBLISHED:
        return []
    return [team for team in review(programme).teams if team.changed]


def publish_changes(programme: Programme) -> int:
    """Tell the people of each team that changed since publishing (module docstring), once;
    commits. Returns how many messages. AdjustRefused when the round is not published, nothing
    changed, or a place breaks a rule."""
    with locked_programme(programme.id) as programme:
        if programme.status != ProgrammeStatus.PUBLISHED:
            raise AdjustRefused("The teams are not published yet: publish them first.")
        if broken := review(programme).broken:
            raise AdjustRefused(f"A team breaks a rule: {broken[0][1]} Change it first.")
        changed = []
        for host in hosts(programme):
            told, now = _told(host), _as_told(_team(host))
            if told is not None and told != now:
                changed.append((host, told, now))
        if not changed:
            raise AdjustRefused("No team has changed since the teams were published.")
        # A peer new on a team is told all their teams (with roles, hosts and dates) at once.
        newcomers = {token for _, told, now in changed for _, token in now - told}
        queued = 0
        for token in sorted(newcomers):
            outbox.queue(MailKind.PEER_CHALLENGE_TEAM, member_by_token(token))
            queued += 1
        for host, told, now in changed:
            others = [member_by_token(t) for t in sorted({t for _, t in told | now} - newcomers)]
            if host.host_details.published_team is None:  # a host that came after publishing
                outbox.queue(MailKind.PEER_CHALLENGE_TEAM, host)
                queued += 1
            else:
                others.insert(0, host)
            for person in filter(None, others):  # (a peer who withdrew is gone)
                outbox.queue(MailKind.PEER_CHALLENGE_TEAM_CHANGED, person, host_id=host.id)
                queued += 1
            _mark_told(host)
    return queued
