"""A starting seating from a known design, for a compiled table problem it (nearly) fits.

1. Candidates (designs.nearby_designs): for tight rotations (people meet at least half of
   everyone they could), tables of the problem's one table size, about as many points as
   people; for looser ones where people still meet a quarter of everyone, only a design that
   fits exactly (a point per person, a block per table, a round per round), as 120 people in
   12 tables of 10 for 4 rounds. A design with more points leaves the spare seats empty: the
   empty points are put in one group of the design (they never meet, so a table loses at most
   one person per round, within the balance rule); the groups are the larger of the design's
   two kinds (its never-meeting groups, or the tables of a round it does not use). A design
   with fewer points (and so fewer tables) leaves extra people: each other table is made by
   splitting one design table in two, each part taking one extra (split_tables), or by
   gathering people of one group who never meet, one extra joining them and the others taking
   the seats they leave, in the order of extras that meets fewest people twice
   (gather_tables); when the design has groups both are tried and the better start kept.
   Extras never sit together.
2. People onto points. Organisations go into the design's groups (a partition whose members
   never meet over the rounds used: a spare round, or the grid's rows), largest first, so
   colleagues never sit together: the resolvable group divisible design. Where the problem
   needs every round of the design, one fewer is also tried, its spare round giving the
   groups (rounds_to_follow). With hard rules
   (facilitators, keep-apart, pinned seats, accessible tables) a small CP-SAT model places
   people on points so that facilitators and keep-apart pairs never share a block, pinned people
   meet no one pinned elsewhere, and no round needs more accessible tables than there are,
   keeping as many people in their organisation's group as it can.
3. Blocks onto tables, round by round: a matching that gives each facilitator's block the
   facilitator's table, each pinned person's block their table and every block holding someone
   with an access need an accessible table.
4. construct.greedy_plan keeps everyone at their design table where the hard rules allow, moves
   a few to fill tables still short, and seats anyone left and the rounds beyond the design.
5. Plain problems only: relabel anneals over swaps of two people in every design round at
   once, which keep the design's no-repeat property while mixing organisations, sectors and
   professions. The planner runs it on the start it keeps, as its search's first step
   (tables._search), so the first full plan shows at once.

Anything that does not fit (keep-together groups, tables of different sizes, repair mode, no
mapping found) returns None, and the planner searches from its greedy start as before.
"""

from __future__ import annotations

import math
import random
import time
from collections import Counter, defaultdict
from collections.abc import Callable, Iterable
from itertools import combinations, permutations, product

from ortools.sat.python import cp_model

from scheduler.construct import facilitator_tables, greedy_plan, plain
from scheduler.designs import Design, nearby_designs
from scheduler.seating import Seating
from scheduler.table_problem import Instance, Weights

CP_SAT_POINTS = 200  # the mapping model stays small up to this many points
RELABEL_TRIES = 2000  # relabel's swaps per person (at effort 1)
RELABEL_FLAT = 50  # relabel stops after this many swaps per person in a row that change nothing
ROLE_ORDERS = 4  # gather_tables tries every order of at most this many extra people


def design_start(
    instance: Instance, weights: Weights, rng: random.Random, seconds: float, workers: int = 1
) -> tuple[Seating, int] | None:
    """The best seating built from a nearby design (lowest penalty) and how many of its first
    rounds `relabel` may then work on (0 where hard rules forbid it), or None."""
    size = instance.capacity[0]
    people, rounds = instance.people, instance.rounds
    if (
        not tight(people, size, rounds, share=4)
        or instance.previous is not None
        or any(c != size for c in instance.capacity)
        or any(len(unit) > 1 for unit in instance.units)
    ):
        return None
    designs = nearby_designs(people, size, instance.tables, rounds)
    if not tight(people, size, rounds):
        designs = [d for d in designs if exact_fit(instance, d)]
    deadline = time.monotonic() + seconds
    best, best_rounds = None, 0
    for design in designs[:3]:
        for follow in rounds_to_follow(instance, design):
            if time.monotonic() > deadline:
                break
            seating = fit_design(instance, design, weights, rng, deadline, workers, follow)
            if seating is not None and (best is None or seating.penalty < best.penalty):
                best, best_rounds = seating, len(design.rounds[: follow or rounds])
    if best is None:
        return None
    return best, best_rounds if plain(instance) else 0


def rounds_to_follow(instance: Instance, design: Design) -> list[int]:
    """How many of the design's rounds to follow: all the problem has; and, where colleagues
    or facilitators (who keep their tables, so never meet) would have to meet in them (the
    design has no never-meeting groups for that many), also one fewer, whose spare round
    gives the groups, the greedy seating the last round (40 people in organisations of 4 for
    13 rounds: the 12 rounds of the projective packing with one spread as organisations,
    then a round that repeats only cross-organisation pairs, at the bound of 60)."""
    rounds = instance.rounds
    colleagues = max(Counter(instance.org).values()) > 1
    hosts = sum(instance.facilitator) > 1
    if (
        (colleagues or hosts)
        and rounds > 1
        and design.groups_for(rounds) is None
        and design.groups_for(rounds - 1) is not None
    ):
        return [rounds, rounds - 1]
    return [rounds]


def tight(people: int, size: int, rounds: int, share: int = 2) -> bool:
    """Rounds that seat each person with at least 1/share of everyone they could meet. From
    half on (the default) a design's structure matters; from a quarter on the greedy start
    can leave more repeats than the search mends (120 people in tables of 10 for 4 rounds:
    62), so a design that fits exactly is worth its second; looser still, the search mends the
    few it leaves at once (300 people: 5, gone in 0.2 s)."""
    return share * rounds * (size - 1) >= people - 1


def exact_fit(instance: Instance, design: Design) -> bool:
    """A design with a point for each person, a block for each table and a round for each
    round: it leaves no repeat however loose the rotation, where the search may still leave
    some (120 people in tables of 10 for 4 rounds)."""
    return (
        design.points == instance.people
        and design.tables == instance.tables
        and len(design.rounds) >= instance.rounds
    )


def fit_design(
    instance: Instance,
    design: Design,
    weights: Weights,
    rng: random.Random,
    deadline: float,
    workers: int = 1,
    follow: int | None = None,
) -> Seating | None:
    """A full seating following the first `follow` rounds of `design` (all the problem has, by
    default) as far as the hard rules allow, or None."""
    used = design.rounds[: follow or instance.rounds]
    groups = design.groups_for(len(used)) or [
        tuple(range(start, min(start + design.block_size, design.points)))
        for start in range(0, design.points, design.block_size)
    ]
    wanted = preferred_points(instance, groups, design.points)
    if plain(instance):
        point_of = wanted
    elif design.points <= CP_SAT_POINTS:
        found = map_people(instance, used, groups, wanted, deadline, workers)
        if found is None:
            return None
        point_of = found
    else:
        return None
    hosts = design_hosts(instance)
    if hosts is None:
        return None
    spare_groups = design.groups_for(len(used))
    # extra people: split design tables, or (with groups) gather people of one group at the
    # new tables; each can fail on some table sizes, so with groups both are tried
    best = None
    for gather in (False, True) if spare_groups else (False,):
        preferred = extra_seats(instance, used, point_of, hosts, spare_groups, gather)
        if preferred is None:
            return None
        seating = Seating(instance, weights)
        if not greedy_plan(seating, hosts, rng, preferred=preferred):
            return None
        if best is None or seating.penalty < best.penalty:
            best = seating
        if best.penalty == 0 or len(point_of) == instance.people:
            break
    return best


def extra_seats(
    instance: Instance,
    used: list[list[tuple[int, ...]]],
    point_of: dict[int, int],
    hosts: dict[int, int],
    groups: list[tuple[int, ...]] | None,
    gather: bool,
) -> list[dict[int, int]] | None:
    """Each round's preferred table for everyone: people on points at their block's table,
    extra people (not on a point) placed by gather_tables (gather, with groups) or
    split_tables; None when the blocks cannot be given tables."""
    extras = [p for p in range(instance.people) if p not in point_of]
    met: dict[int, set[int]] = {p: set() for p in extras}
    gathered: set[frozenset[int]] = set()
    preferred = []
    for r, blocks in enumerate(used):
        tables = block_tables(instance, blocks, point_of, hosts, r)
        if tables is None:
            return None
        block_of = {x: b for b, block in enumerate(blocks) for x in block}
        seats = {p: tables[block_of[x]] for p, x in point_of.items()}
        if gather and groups:
            gather_tables(instance, seats, extras, groups, point_of, hosts, gathered, met, r)
        else:
            split_tables(instance, seats, extras, met, hosts, r)
        preferred.append(seats)
    return preferred


def split_tables(
    instance: Instance,
    seats: dict[int, int],
    extras: list[int],
    met: dict[int, set[int]],
    hosts: dict[int, int],
    r: int,
) -> None:
    """With more tables than the design has (more people than its points), fill each other
    table in round r by splitting one design table in two: its people already meet there, so
    the two parts meet nobody new, and each part takes one extra person (extras never sit
    together and each meets people they have not met yet, as far as `met` tells). Extras left
    over are seated by the greedy. Updates `seats` and `met`."""
    used = set(seats.values())
    open_tables = [t for t in range(instance.tables) if t not in used]
    if not open_tables:
        return
    held = {instance.units[u][0] for u in hosts} | {p for p, rr in instance.person_pins if rr == r}
    members: dict[int, list[int]] = defaultdict(list)
    for p, t in seats.items():
        members[t].append(p)
    waiting = extras[r % len(extras) :] + extras[: r % len(extras)] if extras else []
    for target in open_tables:
        pair = waiting[:2]

        def seen(t: int, pair: list[int] = pair) -> int:
            return sum(q in met[e] for e in pair for q in members[t])

        splittable = [t for t in members if not held.intersection(members[t])]
        if not splittable:
            return
        source = min(splittable, key=lambda t: (seen(t), t))
        people = members.pop(source)
        stay_extra, move_extra = [*pair, None, None][:2]
        leaving = instance.lo[target] - (move_extra is not None)
        staying = len(people) - leaving
        if not instance.lo[source] <= staying + (stay_extra is not None) <= instance.hi[source]:
            return
        for p in people[staying:]:
            seats[p] = target
        for extra, table, group in (
            (stay_extra, source, people[:staying]),
            (move_extra, target, people[staying:]),
        ):
            if extra is not None:
                seats[extra] = table
                met[extra].update(group)
        waiting = waiting[len(pair) :]


def gather_tables(
    instance: Instance,
    seats: dict[int, int],
    extras: list[int],
    groups: list[tuple[int, ...]],
    point_of: dict[int, int],
    hosts: dict[int, int],
    gathered: set[frozenset[int]],
    met: dict[int, set[int]],
    r: int,
) -> None:
    """With more extra people than split tables can take (two each), fill each other table in
    round r with people of one group, who never meet in the design (no two of them gathered
    together before, as `gathered` tells), plus at most one extra; the other extras take the
    seats they leave, choosing the people who leave so that extras meet people they have not
    met (`met`). Extras never sit together. Updates `seats`, `gathered` and `met`."""
    used = set(seats.values())
    open_tables = [t for t in range(instance.tables) if t not in used]
    held = {instance.units[u][0] for u in hosts} | {p for p, rr in instance.person_pins if rr == r}
    person_at = {x: p for p, x in point_of.items()}
    members_at: dict[int, list[int]] = defaultdict(list)
    for p, t in seats.items():
        members_at[t].append(p)
    waiting = extras[r % len(extras) :] + extras[: r % len(extras)]
    for target in open_tables:
        joining = 1 if waiting else 0
        count = max(instance.lo[target], min(instance.hi[target], len(waiting))) - joining
        if count <= 0 or instance.lo[target] > count + joining:
            return
        # with fewer extras than seats left, which leavers' seats they take matters too
        refill_some = 0 < len(waiting) - joining < count <= ROLE_ORDERS
        choose = permutations if refill_some else combinations
        candidates = []
        for k in range(len(groups)):
            group = groups[(r + k) % len(groups)]
            members = [person_at[x] for x in group if x in person_at and person_at[x] not in held]
            candidates += [
                list(chosen)
                for chosen in choose(members, count)
                if not any(frozenset(pair) in gathered for pair in combinations(chosen, 2))
            ]
        if not candidates:
            return

        # who joins the gathered group and who takes which vacated seat: every order of the
        # extras involved when there are few of them (the first joins)
        involved = waiting[: joining + count]
        orders = permutations(involved) if len(involved) <= ROLE_ORDERS else [tuple(involved)]
        orders = [list(order) for order in orders]

        def seen(choice: tuple[list[int], list[int]], joining: int = joining) -> int:
            """Repeat meetings the extras would have with the leavers and their table-mates."""
            leavers, order = choice
            total = sum(p in met[order[0]] for p in leavers) if joining else 0
            for p, extra in zip(leavers, order[joining:], strict=False):
                total += sum(q in met[extra] for q in members_at[seats[p]] if q != p)
            return total

        leavers, order = min(product(candidates, orders), key=seen)
        waiting = order + [e for e in waiting if e not in order]
        vacated = [seats[p] for p in leavers]
        for p in leavers:
            seats[p] = target
        gathered.update(frozenset(pair) for pair in combinations(leavers, 2))
        if joining:
            extra = waiting.pop(0)
            seats[extra] = target
            met[extra].update(leavers)
        for p, table in zip(leavers, vacated, strict=True):
            if waiting:
                extra = waiting.pop(0)
                seats[extra] = table
                met[extra].update(q for q in members_at[table] if q != p)
            elif instance.lo[table] > instance.capacity[table] - 1:
                return


def relabel(
    seating: Seating,
    rounds: int,
    rng: random.Random,
    deadline: float,
    target: int,
    effort: float = 1.0,
    on_best: Callable[[], bool] | None = None,
    on_tick: Callable[[], bool] | None = None,
) -> None:
    """Simulated annealing on swaps of two people in every one of the first `rounds` rounds at
    once: a relabelling of the design's points, so it never adds a repeat among those rounds,
    while it mixes organisations, sectors and professions (penalty down). Plain problems only:
    with no hard rule beyond balance, every such swap is allowed.

    A swap that raises the penalty by d is taken with probability exp(-d / temperature); the
    temperature falls in a straight line from the weight of one profession at a table to a
    twentieth of it, so the walk first crosses swaps that lose a profession or two and ends
    climbing, while swaps costing a sector or a colleague pair (10 and 1000 times that weight)
    are all but never taken. The best seating seen is kept. It makes effort * RELABEL_TRIES
    swaps per person, the clock only consulted to stop at the deadline (so it is reproducible
    for a seed when it ends before), and stops early after RELABEL_FLAT swaps per person in a
    row that change nothing (nothing to mix, as for golfers), at the target penalty, or when
    on_best (called at each new best) or on_tick (every 256 swaps) returns True. Over every
    round, and for people with no met-before pairs, a swap keeps who meets whom, so it is
    weighed from the label counts alone (Seating.label_swap_delta) and only made if taken: the
    same walk, eight times faster. On 120 people in 12 tables of 10 for 4 rounds it reaches
    every sector a table can hold where the strict climb it replaced stayed 2 short after the
    planner's whole minute (benchmarks.tables, the scale curve)."""
    inst = seating.instance
    people = inst.people
    tries = max(1, int(effort * RELABEL_TRIES * people))
    hot = seating.weights.profession
    best_penalty, best = seating.penalty, seating.snapshot()
    flat = 0  # swaps in a row that changed nothing
    for done in range(tries):
        if done % 256 == 0 and (
            time.monotonic() >= deadline or (on_tick is not None and on_tick())
        ):
            break
        if flat > RELABEL_FLAT * people or best_penalty <= target:
            break
        temperature = hot * (1 - done / tries) + hot / 20
        p, q = rng.sample(range(people), 2)
        # a swap in every round keeps who meets whom, so only the labels change: weigh it
        # without making it (most swaps are turned down); otherwise make it and measure
        quick = rounds == inst.rounds and not (inst.met_before[p] or inst.met_before[q])
        if quick:
            rise = sum(
                seating.label_swap_delta(r, p, q)
                for r in range(rounds)
                if seating.table_of[r][p] != seating.table_of[r][q]
            )
        else:
            before = seating.penalty
            swapped = _swap_everywhere(seating, range(rounds), p, q)
            rise = seating.penalty - before
        flat = flat + 1 if rise == 0 else 0
        if rise > 0 and rng.random() >= math.exp(-rise / temperature):
            if not quick:
                _swap_everywhere(seating, swapped, p, q)
            continue
        if quick:
            _swap_everywhere(seating, range(rounds), p, q)
        if seating.penalty < best_penalty:
            best_penalty, best = seating.penalty, seating.snapshot()
            if on_best is not None and on_best():
                break
    seating.restore(best)


def _swap_everywhere(seating: Seating, rounds: Iterable[int], p: int, q: int) -> list[int]:
    """Swap people p and q (units of one) in each of `rounds` where they sit at different
    tables; the rounds where they were swapped."""
    swapped = []
    unit_p, unit_q = seating.instance.unit_of[p], seating.instance.unit_of[q]
    for r in rounds:
        a, b = seating.table_of[r][p], seating.table_of[r][q]
        if a != b:
            seating.move(r, unit_p, b)
            seating.move(r, unit_q, a)
            swapped.append(r)
    return swapped


def design_hosts(instance: Instance) -> dict[int, int] | None:
    """Facilitators' tables (as construct.facilitator_tables) but leaving accessible tables to
    those who need them: in a design everyone meets almost everyone, so a facilitator holding
    an accessible table would take it from the people with access needs."""
    hosts = facilitator_tables(instance)
    if hosts is None or not any(instance.needs_accessible):
        return hosts
    spare = [t for t in range(instance.tables) if not instance.accessible[t]]
    spare = [t for t in spare if t not in hosts.values()]
    for u, t in sorted(hosts.items()):
        movable = not instance.pins[u] and not instance.needs_accessible[u]
        if instance.accessible[t] and movable and spare:
            hosts[u] = spare.pop(0)
    return hosts


def preferred_points(
    instance: Instance, groups: list[tuple[int, ...]], points: int
) -> dict[int, int]:
    """People (units of one) onto points: organisations into groups, largest first, each group
    taking a whole organisation where one fits; with more points than people the spare points
    are taken from one group first, so the empty seats never share a table."""
    members: dict[int, list[int]] = defaultdict(list)
    for p in range(instance.people):
        members[instance.org[p]].append(p)
    free = [list(g) for g in groups]
    spare = max(0, points - instance.people)
    if spare:
        emptiest = min(range(len(free)), key=lambda g: abs(len(free[g]) - spare))
        del free[emptiest][:spare]
    point_of: dict[int, int] = {}
    for org in sorted(members, key=lambda o: -len(members[o])):
        people = members[org]
        while people and any(free):
            fitting = [g for g in free if len(g) >= len(people)]
            group = min(fitting, key=len) if fitting else max(free, key=len)
            while people and group:
                point_of[people.pop()] = group.pop(0)
    return point_of


def map_people(
    instance: Instance,
    used: list[list[tuple[int, ...]]],
    groups: list[tuple[int, ...]],
    wanted: dict[int, int],
    deadline: float,
    workers: int,
) -> dict[int, int] | None:
    """People onto points under the hard rules (see the module docstring), keeping as many as
    possible in their `wanted` point's group; None when no mapping is found in time."""
    people, points = instance.people, sum(len(b) for b in used[0])
    model = cp_model.CpModel()
    y = {(p, x): model.new_bool_var("") for p in range(people) for x in range(points)}
    for x in range(points):
        model.add_at_most_one(y[p, x] for p in range(people))
    needers = [unit[0] for u, unit in enumerate(instance.units) if instance.needs_accessible[u]]
    host_table = design_hosts(instance) or {}
    must_map = set(instance.hosts) | {p for p, _ in instance.person_pins} | set(needers)
    for p in range(people):
        if p in must_map or people <= points:
            model.add_exactly_one(y[p, x] for x in range(points))
        else:
            model.add_at_most_one(y[p, x] for x in range(points))
    model.add(sum(y.values()) == min(people, points))

    def inside(p: int, block: tuple[int, ...]):
        return sum(y[p, x] for x in block)

    for r, blocks in enumerate(used):
        # people held at a table this round: pinned seats and facilitators
        held = [(p, t) for (p, rr), t in instance.person_pins.items() if rr == r]
        held += [(instance.units[u][0], t) for u, t in host_table.items()]
        for block in blocks:
            for a, b in instance.apart_pairs:
                model.add(inside(a, block) + inside(b, block) <= 1)
            for i, (p, t) in enumerate(held):
                for q, s in held[i + 1 :]:
                    if s != t and p != q:
                        model.add(inside(p, block) + inside(q, block) <= 1)
                if not instance.accessible[t]:
                    for n in needers:
                        if n != p:
                            model.add(inside(p, block) + inside(n, block) <= 1)
        if needers:
            # blocks at accessible tables: those with someone who needs one or who is held at one
            users = needers + [p for p, t in held if instance.accessible[t]]
            at_accessible = []
            for block in blocks:
                flag = model.new_bool_var("")
                for p in users:
                    for x in block:
                        model.add_implication(y[p, x], flag)
                at_accessible.append(flag)
            model.add(sum(at_accessible) <= sum(instance.accessible))
    group_of = {x: group for group in groups for x in group}
    org_size = Counter(instance.org)
    with_colleagues = [p for p in wanted if org_size[instance.org[p]] > 1]
    model.maximize(sum(y[p, x] for p in with_colleagues for x in group_of[wanted[p]]))
    for p, w in wanted.items():
        model.add_hint(y[p, w], 1)
    solver = cp_model.CpSolver()
    solver.parameters.max_time_in_seconds = max(0.1, min(5.0, deadline - time.monotonic()))
    solver.parameters.num_workers = workers
    if solver.solve(model) not in (cp_model.OPTIMAL, cp_model.FEASIBLE):
        return None
    return {p: x for (p, x), var in y.items() if solver.boolean_value(var)}


def block_tables(
    instance: Instance,
    blocks: list[tuple[int, ...]],
    point_of: dict[int, int],
    hosts: dict[int, int],
    r: int,
) -> list[int] | None:
    """A table for each block of round r (a bipartite matching), or None."""
    person_at = {x: p for p, x in point_of.items()}
    allowed: list[list[int]] = []
    for block in blocks:
        people = [person_at[x] for x in block if x in person_at]
        required = {hosts[p] for p in people if p in hosts}
        required |= {t for (p, rr), t in instance.person_pins.items() if rr == r and p in people}
        if len(required) > 1:
            return None
        options = list(required) if required else list(range(instance.tables))
        if any(instance.needs_accessible[p] for p in people):
            options = [t for t in options if instance.accessible[t]]
        allowed.append(options)
    table_of_block: dict[int, int] = {}
    block_at: dict[int, int] = {}

    def augment(b: int, seen: set[int]) -> bool:
        for t in allowed[b]:
            if t in seen:
                continue
            seen.add(t)
            if t not in block_at or augment(block_at[t], seen):
                block_at[t] = b
                table_of_block[b] = t
                return True
        return False

    order = sorted(range(len(blocks)), key=lambda b: len(allowed[b]))
    if not all(augment(b, set()) for b in order):
        return None
    return [table_of_block[b] for b in range(len(blocks))]
