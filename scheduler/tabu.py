"""Tabu search over swaps and moves within a round (after Dotu & Van Hentenryck, CPAIOR 2005).

Each step picks a round r and, among the people of r who take part in a penalty (a same-org
tablemate, a repeated tablemate, a tablemate met at an earlier event, a duplicated sector or
profession at their table), one person p with probability proportional to their share of it.
It evaluates every swap of p's unit with a movable unit at another table (same size, both
allowed there) and every move of p's unit to a table with room within the balance range, and
applies the best one that is not tabu, even if it makes things worse; moving a unit back to
the table it just left is tabu for `tenure` steps, unless that reaches a new best (aspiration).
The best plan seen is kept and returned.

`cycle_descent` then rotates three people of a round (each to the next one's seat, among people
new to them), taking only rotations that make nothing worse: where people must avoid many
earlier tablemates, swaps that keep everyone among strangers are rare and rotations are not.

The search is deterministic for a seed: it counts evaluations (`budget`) and only consults the
wall clock (`deadline`) to stop early, and it stops as soon as the penalty reaches `target`.
"""

from __future__ import annotations

import random
import time
from collections.abc import Callable, Iterator

from scheduler.seating import Seating

SAMPLE = 8  # conflicted people whose moves one step evaluates, per round looked at
# plans of at most this many seats look at every round in each step; above it, one round a
# step makes four times the steps on 240 people in tables of 10 for 4 rounds (960 seats), which
# mixed better in the series benchmark, while tight rotations (up to 520 seats) keep whole steps
WHOLE = 600
STALL = 50  # steps per table without a new best before the search shakes its best plan
TABLE_SAMPLE = 40  # tables a step looks at for each of them, on plans with more tables
STALL_ROTATIONS = 25  # steps per round without a better plan before rotating stops


def tabu_search(
    seating: Seating,
    rng: random.Random,
    budget: int,
    deadline: float,
    target: int,
    on_best: Callable[[], bool] | None = None,
    on_tick: Callable[[], bool] | None = None,
) -> list[list[int]]:
    """Improve `seating` in place; return the best unit tables found (also left in `seating`).

    on_best is called after each new best, on_tick after every step; either returning True
    stops the search.
    """
    inst = seating.instance
    best_penalty, best = seating.penalty, seating.snapshot()
    tabu: dict[tuple[int, int, int], int] = {}  # (round, unit, table) -> step it is free again
    tenure = max(5, min(20, inst.people // 10))
    whole = inst.people * inst.rounds <= WHOLE  # small: look at every round each step
    step = spent = stale = 0
    while spent < budget and best_penalty > target:
        step += 1
        if time.monotonic() > deadline or (on_tick is not None and on_tick()):
            break
        rounds = range(inst.rounds) if whole else [rng.randrange(inst.rounds)]
        chosen, chosen_key = None, None
        for r in rounds:
            for p in pick_conflicted(seating, r, rng, SAMPLE):
                for changes, delta in _candidate_moves(seating, r, inst.unit_of[p], rng):
                    spent += 1
                    is_tabu = any(tabu.get((r, v, t), 0) > step for v, t in changes)
                    if is_tabu and seating.penalty + delta >= best_penalty:
                        continue
                    key = (delta, rng.random())
                    if chosen_key is None or key < chosen_key:
                        chosen, chosen_key = (r, changes), key
        spent += 1
        if chosen is None:
            stale += 1
            if stale > 4 * inst.rounds:
                break
            continue
        r, changes = chosen
        for v, _ in changes:
            tabu[(r, v, seating.unit_table[r][v])] = step + tenure + rng.randrange(tenure)
        for v, t in changes:
            seating.move(r, v, t)
        if seating.penalty < best_penalty:
            best_penalty, best = seating.penalty, seating.snapshot()
            stale = 0
            if on_best is not None and on_best():
                break
        else:
            stale += 1
            if stale > STALL * inst.tables:
                seating.restore(best)
                shake(seating, rng, 2 + rng.randrange(3))
                stale = 0
    seating.restore(best)
    return best


def shake(seating: Seating, rng: random.Random, moves: int) -> None:
    """Up to `moves` random allowed swaps or moves, to leave a basin the tabu list cannot
    escape."""
    inst = seating.instance
    for _ in range(moves):
        r = rng.randrange(inst.rounds)
        u = rng.randrange(len(inst.units))
        if movable(seating, r, u):
            options = _candidate_moves(seating, r, u, rng)
            if options:
                for v, t in rng.choice(options)[0]:
                    seating.move(r, v, t)


def movable(seating: Seating, r: int, u: int) -> bool:
    inst = seating.instance
    return not inst.facilitator[u] and r not in inst.pins[u]


def pick_conflicted(seating: Seating, r: int, rng: random.Random, count: int = 1) -> list[int]:
    """Up to `count` movable people of round r in a penalty, drawn with probability
    proportional to their share of it. Colleagues count only where more of them sit at one
    table than the pigeonhole forces (at most ceil(m / T) of an organisation of m); a sector or
    profession shared at a table only while the label reaches fewer tables than it could
    (min(T, m) for m people): three of a large sector at every table is no conflict."""
    inst, w = seating.instance, seating.weights
    sec_tables, prof_tables = seating.sec_tables[r], seating.prof_tables[r]
    # with no repeat or met-before pair anywhere, nobody's tablemates need counting
    meetings = seating.repeats > 0 or seating.met_again > 0
    people, shares = [], []
    for t, table in enumerate(seating.members[r]):
        org_n, sec_n, prof_n = seating.org_n[r][t], seating.sec_n[r][t], seating.prof_n[r][t]
        for p in table:
            if not movable(seating, r, inst.unit_of[p]):
                continue
            row = seating.meet[p]
            colleagues = org_n[inst.org[p]]
            s, v = inst.sector[p], inst.profession[p]
            share = (
                # colleagues up to the pigeonhole ceiling are forced: not a conflict to resolve
                w.same_org * (colleagues - 1) * (colleagues > seating.org_ceiling[inst.org[p]])
                + (
                    w.repeats * sum(1 for x in table if row[x] >= 2)
                    + w.history * sum(1 for x in table if x in inst.met_before[p])
                    if meetings
                    else 0
                )
                + w.sector * _needless(sec_n, sec_tables, seating.sec_most, s)
                + w.profession * _needless(prof_n, prof_tables, seating.prof_most, v)
            )
            if inst.previous is not None and inst.previous[r][p] not in (-1, t):
                share += w.moves
            if share > 0:
                people.append(p)
                shares.append(share)
    if not people:
        return []
    return sorted(set(rng.choices(people, weights=shares, k=count)))


def _needless(counts: list[int], present: list[int], most: list[int], label: int) -> bool:
    """Does a person of `label` share the table with a namesake while the label is missing
    from a table it could reach (present at fewer than min(T, members) tables)?"""
    return counts[label] > 1 and present[label] < most[label]


def tables_lacking(seating: Seating, r: int, p: int, rng: random.Random) -> list[int]:
    """Tables of round r missing p's sector (profession), when p shares it needlessly
    (pick_conflicted): where moving p gains a mix. Up to TABLE_SAMPLE / 2 of each."""
    t = seating.table_of[r][p]
    lacking: list[int] = []
    for counts, present, most, labels in label_counts(seating, r):
        if _needless(counts[t], present, most, labels[p]):
            missing = [b for b, table in enumerate(counts) if table[labels[p]] == 0]
            lacking += rng.sample(missing, min(len(missing), TABLE_SAMPLE // 2))
    return lacking


def label_counts(seating: Seating, r: int) -> tuple[tuple, tuple]:
    """For sectors, then professions, in round r: the per-table counts of each label, the
    tables each is present at, the most tables each can reach, and each person's label."""
    inst = seating.instance
    return (
        (seating.sec_n[r], seating.sec_tables[r], seating.sec_most, inst.sector),
        (seating.prof_n[r], seating.prof_tables[r], seating.prof_most, inst.profession),
    )


def _candidate_moves(
    seating: Seating, r: int, u: int, rng: random.Random
) -> list[tuple[list[tuple[int, int]], int]]:
    """Every allowed swap of unit u with another unit, and move of u, as (changes, delta),
    at every other table, or on large plans (where looking at all would make each step cost as
    much as the whole plan) at TABLE_SAMPLE of them drawn at random and those missing a sector
    or profession u's first person shares needlessly (the moves that can raise a mix)."""
    inst = seating.instance
    if inst.tables <= TABLE_SAMPLE:
        tables = list(range(inst.tables))
    else:
        tables = rng.sample(range(inst.tables), TABLE_SAMPLE)
        drawn = set(tables)
        lacking = tables_lacking(seating, r, inst.units[u][0], rng)
        tables += [b for b in dict.fromkeys(lacking) if b not in drawn]
    return list(_moves_to(seating, r, u, tables))


def _moves_to(
    seating: Seating, r: int, u: int, tables: list[int]
) -> Iterator[tuple[list[tuple[int, int]], int]]:
    """The allowed moves of unit u to `tables` and swaps with units there, as (changes, delta),
    one at a time (a descent stops at the first that improves)."""
    inst = seating.instance
    a = seating.unit_table[r][u]
    size = len(inst.units[u])
    single = size == 1
    p = inst.units[u][0]
    for b in tables:
        if b == a or not inst.allowed(u, b):
            continue
        if not _apart_at(seating, r, u, b, ignore=-1) and _sizes_allow(seating, r, a, b, size):
            delta = (
                seating.move_delta(r, p, b) if single else seating.unit_change_delta(r, [(u, b)])
            )
            yield [(u, b)], delta
        for q in seating.members[r][b]:
            v = inst.unit_of[q]
            if q != inst.units[v][0] or not movable(seating, r, v):
                continue
            if len(inst.units[v]) != size and not _sizes_allow(
                seating, r, a, b, size - len(inst.units[v])
            ):
                continue
            if not inst.allowed(v, a) or _apart_at(seating, r, v, a, ignore=u):
                continue
            if _apart_at(seating, r, u, b, ignore=v):
                continue
            if single and len(inst.units[v]) == 1:
                delta = seating.swap_delta(r, p, q)
            else:
                delta = seating.unit_change_delta(r, [(u, b), (v, a)])
            yield [(u, b), (v, a)], delta


def _sizes_allow(seating: Seating, r: int, a: int, b: int, shift: int) -> bool:
    """Can `shift` people move from table a to table b (negative: the other way)?"""
    inst = seating.instance
    new_a, new_b = seating.size(r, a) - shift, seating.size(r, b) + shift
    return inst.lo[a] <= new_a <= inst.hi[a] and inst.lo[b] <= new_b <= inst.hi[b]


def _apart_at(seating: Seating, r: int, u: int, t: int, ignore: int) -> bool:
    """Is a unit that must stay apart from u (other than `ignore`) seated at table t?"""
    return any(v != ignore and seating.unit_table[r][v] == t for v in seating.instance.apart[u])


def cycle_descent(
    seating: Seating,
    rng: random.Random,
    budget: int,
    deadline: float,
    target: int,
    on_best: Callable[[], bool] | None = None,
) -> None:
    """Improve `seating` in place by rotating three people of one round between their tables
    (p from a to b, q from b to c, s from c to a), where each of them sits down with nobody
    they have met, in this event or an earlier one.

    Swaps alone stall when most people have a good share of the room they must not meet again
    (their tablemates of the other rounds and of earlier events): a swap needs both people to
    suit the other's table, a rotation only needs each to suit the next one, so it still finds
    the moves that raise the mix. Table sizes stay as they are. Only single, movable people
    without keep-apart rules rotate. Each step takes, for a few people in a penalty, the best
    rotation that makes nothing worse, found by counting labels (`rotation_gain`) and confirmed
    on the plan; rotations that change nothing are taken too (the best drawn at random), so the
    search crosses plateaus of equal mix, and it stops after STALL_ROTATIONS steps per round
    without a better plan."""
    inst = seating.instance
    spent = stale = 0
    while spent < budget and seating.penalty > target and time.monotonic() < deadline:
        if stale > STALL_ROTATIONS * inst.rounds:  # a few looks at every round found nothing
            return
        r = rng.randrange(inst.rounds)
        best, best_key = None, (0, 0.0)
        for p in pick_conflicted(seating, r, rng, SAMPLE):
            if not _rotates(seating, r, p):
                continue
            a = seating.table_of[r][p]
            arrives_at_a: dict[int, bool] = {}  # s -> is everyone at a but p new to s?
            for b, qs in _next_seats(seating, r, p, skip=(a,)):
                for q in qs:
                    for c, ss in _next_seats(seating, r, q, skip=(a, b)):
                        for s in ss:
                            spent += 1
                            if s not in arrives_at_a:
                                arrives_at_a[s] = inst.allowed(inst.unit_of[s], a) and not met_at(
                                    seating, r, s, a, but=p
                                )
                            if arrives_at_a[s]:
                                key = (
                                    rotation_gain(seating, r, (p, a), (q, b), (s, c)),
                                    rng.random(),
                                )
                                if key > best_key:
                                    best, best_key = (p, q, s, a, b, c), key
        spent += 1
        stale += 1
        if best is None:
            continue
        p, q, s, a, b, c = best
        before = seating.penalty
        for person, table in ((p, b), (q, c), (s, a)):
            seating.move(r, inst.unit_of[person], table)
        if seating.penalty > before:  # the count missed something: put them back
            for person, table in ((p, a), (q, b), (s, c)):
                seating.move(r, inst.unit_of[person], table)
            continue
        if seating.penalty < before:
            stale = 0
            if on_best is not None and on_best():
                return


def _rotates(seating: Seating, r: int, p: int) -> bool:
    inst = seating.instance
    u = inst.unit_of[p]
    return len(inst.units[u]) == 1 and not inst.apart[u] and movable(seating, r, u)


def met_at(seating: Seating, r: int, p: int, t: int, but: int = -1) -> list[int]:
    """Who at table t in round r (other than `but`) p has met, in any round or before."""
    row, before = seating.meet[p], seating.instance.met_before[p]
    return [x for x in seating.members[r][t] if x != but and (row[x] or x in before)]


def _next_seats(seating: Seating, r: int, p: int, skip: tuple[int, ...]):
    """(table, people p could take the seat of there): tables (but `skip`) where p has met
    nobody, or only one person, whose seat p could then take."""
    inst = seating.instance
    for t in range(inst.tables):
        if t in skip or not inst.allowed(inst.unit_of[p], t):
            continue
        met = met_at(seating, r, p, t)
        if len(met) > 1:
            continue
        leaving = met or seating.members[r][t]
        yield t, [x for x in leaving if _rotates(seating, r, x)]


def rotation_gain(seating: Seating, r: int, *moves: tuple[int, int]) -> int:
    """Penalty decrease, in colleagues, sectors and professions, of each person moving from
    their table to the next one's (the last to the first's); meetings only fall, since everyone
    sits with people new to them, so the gain is at least this."""
    inst, w = seating.instance, seating.weights
    gain = 0
    for i, (leaving, t) in enumerate(moves):
        arriving = moves[i - 1][0]  # the previous person comes to t
        for labels, counts, weight, kind in (
            (inst.org, seating.org_n[r][t], w.same_org, "org"),
            (inst.sector, seating.sec_n[r][t], w.sector, "mix"),
            (inst.profession, seating.prof_n[r][t], w.profession, "mix"),
        ):
            old, new = labels[leaving], labels[arriving]
            if old == new:
                continue
            if kind == "org":  # pairs: the leaver's colleagues go, the arrival's come
                gain += weight * ((counts[old] - 1) - counts[new])
            else:  # distinct labels: one may go, one may come
                gain += weight * ((counts[new] == 0) - (counts[old] == 1))
    return gain


def mend_mixes(
    seating: Seating,
    rng: random.Random,
    deadline: float,
    on_tick: Callable[[], bool] | None = None,
) -> None:
    """Descent on the mixes: every person who shares a sector or profession needlessly
    (pick_conflicted) takes the first swap or move to one of TABLE_SAMPLE / 2 tables missing
    it that lowers the penalty; passes over the rounds repeat until one improves nothing.
    Looking only where the label is missing, and stopping at the first gain, mends the stride
    plan of 5,000 people in about a second where sampled tabu steps took minutes."""
    inst = seating.instance
    improved = True
    while improved:
        improved = False
        for r in range(inst.rounds):
            if time.monotonic() > deadline or (on_tick is not None and on_tick()):
                return
            views = label_counts(seating, r)
            lacking = [_tables_missing_each_label(counts) for counts, _, _, _ in views]
            for p in range(inst.people):
                u = inst.unit_of[p]
                if p != inst.units[u][0] or not movable(seating, r, u):
                    continue
                for (counts, present, most, labels), missing in zip(views, lacking, strict=True):
                    label = labels[p]
                    if not _needless(counts[seating.table_of[r][p]], present, most, label):
                        continue
                    tables = [b for b in missing[label] if counts[b][label] == 0]
                    tables = rng.sample(tables, min(len(tables), TABLE_SAMPLE // 2))
                    if _take_first_gain(seating, r, u, tables):
                        improved = True
                        break  # p has moved: on to the next person


def _take_first_gain(seating: Seating, r: int, u: int, tables: list[int]) -> bool:
    """Apply the first move or swap of unit u to `tables` that lowers the penalty, if any."""
    for changes, delta in _moves_to(seating, r, u, tables):
        if delta < 0:
            for v, b in changes:
                seating.move(r, v, b)
            return True
    return False


def _tables_missing_each_label(counts: list[list[int]]) -> list[list[int]]:
    """Per label, the tables whose counts miss it (a person may join one later in the pass:
    checked again when used)."""
    return [
        [b for b, table in enumerate(counts) if table[label] == 0]
        for label in range(len(counts[0]))
    ]
