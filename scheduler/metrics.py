"""Quality measures of a grouping (tables in a round, people in a breakout) and their bounds.

DESIGN.md defines the measures; each lives here once and is used by the planners, the benchmarks,
the tests and the organiser's screen. A "grouping" is a list of groups, each a list of labels
(an organisation, a sector, a profession) of the people in it.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Collection, Hashable, Iterable, Iterator, Sequence
from functools import cache
from math import comb


def same_label_pairs(groups: Iterable[Sequence[str]]) -> int:
    """Pairs of group-mates sharing a label, summed over groups."""
    return sum(comb(n, 2) for group in groups for n in Counter(group).values())


def same_label_pairs_lower_bound(label_counts: Iterable[int], group_count: int) -> int:
    """Pigeonhole bound: a label with m members over T groups puts q = m // T in every group and
    one more in r = m % T of them, so at least r*C(q+1, 2) + (T-r)*C(q, 2) pairs share it."""
    total = 0
    for m in label_counts:
        q, r = divmod(m, group_count)
        total += r * comb(q + 1, 2) + (group_count - r) * comb(q, 2)
    return total


def distinct_labels(groups: Iterable[Sequence[str]]) -> int:
    """Distinct (group, label) pairs: how many different labels each group holds, summed."""
    return sum(len(set(group)) for group in groups)


def distinct_labels_upper_bound(group_sizes: Sequence[int], label_counts: Sequence[int]) -> int:
    """A group of size s holds at most min(s, V) of V labels; a label of m members reaches at most
    min(T, m) of T groups: distinct pairs <= min(sum_t min(s_t, V), sum_v min(T, m_v))."""
    by_groups = sum(min(size, len(label_counts)) for size in group_sizes)
    by_labels = sum(min(len(group_sizes), m) for m in label_counts)
    return min(by_groups, by_labels)


def mix_ratio(groups: Sequence[Sequence[str]]) -> float:
    """distinct_labels / its upper bound; 1.0 is the best any grouping of these sizes can do."""
    bound = distinct_labels_upper_bound(
        [len(g) for g in groups], list(Counter(label for g in groups for label in g).values())
    )
    return distinct_labels(groups) / bound if bound else 1.0


def excess_meetings_lower_bound(group_sizes_per_round: Sequence[Sequence[int]], people: int) -> int:
    """Counting bound on repeat encounters: W rounds create sum_w sum_t C(s_t, 2) meetings among
    only C(N, 2) pairs, so at least that many minus C(N, 2) are repeats. Where that allows
    none but full_tables_bar_no_repeats proves some pair must meet twice, the bound is 1."""
    meetings = sum(comb(s, 2) for sizes in group_sizes_per_round for s in sizes)
    counted = max(0, meetings - comb(people, 2))
    if counted == 0 and full_tables_bar_no_repeats(group_sizes_per_round, people):
        return 1
    return counted


def seat_excess_lower_bound(
    group_sizes_per_round: Sequence[Sequence[int]], reachable: Sequence[int]
) -> int:
    """Least possible sum over people of (tablemates counted once per round - distinct
    tablemates), when person p can have at most reachable[p] distinct tablemates.

    Person p sits with S_p = sum_r (s_pr - 1) people, so meets at least S_p - reachable[p] of
    them again. Each S_p lies between S_lo = sum_r (smallest s_r - 1) and S_hi = sum_r (largest
    s_r - 1), and they add up to sum_r sum_t s_rt (s_rt - 1); the least sum of
    max(0, S_p - reachable[p]) first gives each person a_p = min(max(reachable[p], S_lo), S_hi),
    which costs max(0, S_lo - reachable[p]), and every seat beyond those costs one.
    Each repeat is seen from both sides, so repeats >= half of it."""
    low, high = _tablemates_range(group_sizes_per_round)
    seats = sum(s * (s - 1) for sizes in group_sizes_per_round for s in sizes)
    free = [min(max(r, low), high) for r in reachable]
    return sum(max(0, low - r) for r in reachable) + max(0, seats - sum(free))


def round_overlap_lower_bound(group_sizes_per_round: Sequence[Sequence[int]]) -> int:
    """Pigeonhole against one reference round of T tables: a table of s people in another
    round spreads them over those T tables, so at least r*C(q+1, 2) + (T-r)*C(q, 2) of its
    pairs (q, r = divmod(s, T)) sat together in the reference round. A pair meeting in m
    rounds, the reference one among them, is counted m - 1 times, so the sum over the other
    rounds bounds the repeats; the best reference round is taken. It bites where tables are
    larger than they are many: 12 people at 3 tables of 4 for 3 rounds repeat at least 6
    times, where counting and seats alone say 0. Everyone must sit in every round."""
    rounds = [[s for s in sizes if s] for sizes in group_sizes_per_round]
    return max(
        (
            sum(
                same_label_pairs_lower_bound(other, len(reference))
                for o, other in enumerate(rounds)
                if o != r
            )
            for r, reference in enumerate(rounds)
        ),
        default=0,
    )


def _tablemates_range(group_sizes_per_round: Sequence[Sequence[int]]) -> tuple[int, int]:
    """The fewest and most tablemates, counted once per round, anyone can have."""
    rounds = [sizes for sizes in group_sizes_per_round if sizes]
    return sum(min(s) - 1 for s in rounds), sum(max(s) - 1 for s in rounds)


def repeat_lower_bounds(
    group_sizes_per_round: Sequence[Sequence[int]],
    organisations: Sequence[Hashable],
    never: Sequence[Collection[int]],
) -> tuple[int, int]:
    """(lower bound on repeat_pairs, lower bound on repeat_pairs + same_org_pairs), over all
    rounds, for people of these organisations where person p never shares a table with the
    people never[p] (keep-apart pairs; two facilitators, each keeping one table).

    The first is the largest of excess_meetings_lower_bound, round_overlap_lower_bound and
    seat_excess_lower_bound with reachable[p] = N - 1 - |never[p]|. For the second, p meets
    at most reachable[p] - g_p others (g_p: p's colleagues outside never[p]) plus the
    colleagues p does sit with, each such meeting counted in same_org_pairs, from both sides.
    So where colleagues are kept apart it bounds the repeats alone: 23 people in fives for 6
    rounds, in 3 organisations of 3 and 7 of 2, meet someone again at least 15 times."""
    people = len(organisations)
    org_size = Counter(organisations)
    reachable = [people - 1 - len(unmet) for unmet in never]
    apart_from_colleagues = [
        reachable[p] - (org_size[org] - 1 - sum(organisations[q] == org for q in never[p]))
        for p, org in enumerate(organisations)
    ]
    sizes = group_sizes_per_round
    repeats = max(
        excess_meetings_lower_bound(sizes, people),
        round_overlap_lower_bound(sizes),
        (seat_excess_lower_bound(sizes, reachable) + 1) // 2,
        _strangers_excess(sizes, reachable, never),
    )
    together = max(
        (seat_excess_lower_bound(sizes, apart_from_colleagues) + 1) // 2,
        _strangers_excess(sizes, apart_from_colleagues, never),
    )
    return repeats, together


def _strangers_excess(
    group_sizes_per_round: Sequence[Sequence[int]],
    reachable: Sequence[int],
    never: Sequence[Collection[int]],
) -> int:
    """Sum of max(0, S_lo - reachable[p]) over people who never meet one another (as
    facilitators do): no repeat is counted twice in it, so it bounds the repeats, not twice
    them. (9 people at 3 tables of 3 for 4 rounds, each table hosted: each host sits with 8
    of only 6 people they may meet, so 3 hosts repeat 6 times; halving would say 3.) The
    set is chosen greedily, largest excess first."""
    low, _ = _tablemates_range(group_sizes_per_round)
    chosen: list[int] = []
    for p in sorted(range(len(reachable)), key=lambda p: reachable[p]):
        if reachable[p] < low and all(q in never[p] for q in chosen):
            chosen.append(p)
    return sum(low - reachable[p] for p in chosen)


def full_tables_bar_no_repeats(group_sizes_per_round: Sequence[Sequence[int]], people: int) -> bool:
    """True when no plan of these sizes can keep every pair to one meeting, by the argument
    below; False says nothing.

    It applies when every one of R >= 2 rounds has T tables, b of them full (T people, as many
    as there are tables) and s = T - b short (T - 1 people), 0 < b < T: N = T(T - 1) + b, as
    with 23 people in fives, or 45 to 48 in sevens. Suppose nobody meets twice. The T people of
    a full table then sit at T different tables in every other round, one at each; so a short
    table of round r' holds one person from each full table of round r and T - 1 - b of the
    people F_r at round r's short tables, and |F_r & F_r'| = s (T - 1 - b) for any two rounds.
    Counting, for each person p, the pairs of rounds in which p sits at a short table (d_p
    rounds): sum_p C(d_p, 2) = C(R, 2) s (T - 1 - b), with sum_p d_p = R s (T - 1). p meets
    R (T - 1) - d_p people, so never meets u_p = d_p - (R (T - 1) - N + 1) >= 0 of them, and
    the u_p must be the degrees of a simple graph (Erdos-Gallai). If no d_p (whole numbers
    from max(0, R (T - 1) - N + 1) to R) pass all three, some pair meets twice. (23 people in
    fives for 6 rounds need 30, and no d_p give more than 28; 45 in sevens for 8 rounds reach
    336 only with three people at short tables in every round, each missing four people, but
    only those three miss anyone.)
    """
    rounds = len(group_sizes_per_round)
    if rounds < 2 or len({tuple(sorted(sizes)) for sizes in group_sizes_per_round}) != 1:
        return False
    sizes = group_sizes_per_round[0]
    if sum(sizes) != people:
        return False
    tables = len(sizes)
    full = sum(1 for size in sizes if size == tables)
    if not 0 < full < tables or any(size not in (tables, tables - 1) for size in sizes):
        return False
    return _no_short_table_counts(tables, full, rounds, people)


@cache
def _no_short_table_counts(tables: int, full: int, rounds: int, people: int) -> bool:
    short = tables - full
    needed = comb(rounds, 2) * short * (tables - 1 - full)
    seats = rounds * short * (tables - 1)  # sum_p d_p
    missed = rounds * (tables - 1) - people + 1  # u_p = d_p - missed
    for counts in _counts_of(people, seats, needed, max(0, missed), rounds):
        degrees = [d - missed for d, count in counts.items() for _ in range(count)]
        if _graphical(degrees):
            return False
    return True


def _pair_sum_range(count: int, total: int, low: int, high: int) -> tuple[int, int] | None:
    """The smallest and largest sum of C(d, 2) over `count` integers d in [low, high] adding up
    to `total` (as even as can be, and as many as can be at `high`), or None if none do."""
    if not count * low <= total <= count * high:
        return None
    even, more = divmod(total, count) if count else (0, 0)
    smallest = more * comb(even + 1, 2) + (count - more) * comb(even, 2)
    if high == low:
        return smallest, smallest
    top, rest = divmod(total - count * low, high - low)
    largest = top * comb(high, 2)
    if top < count:
        largest += comb(low + rest, 2) + (count - top - 1) * comb(low, 2)
    return smallest, largest


def _counts_of(
    count: int, total: int, needed: int, low: int, high: int
) -> Iterator[dict[int, int]]:
    """Every multiset of `count` integers d in [low, high] with sum d = total and sum C(d, 2) =
    needed, as {d: how many}."""
    if high == low:
        if count * low == total and count * comb(low, 2) == needed:
            yield {low: count} if count else {}
        return
    for at_high in range(count, -1, -1):
        left, rest = total - at_high * high, needed - at_high * comb(high, 2)
        span = _pair_sum_range(count - at_high, left, low, high - 1)
        if span and span[0] <= rest <= span[1]:
            for counts in _counts_of(count - at_high, left, rest, low, high - 1):
                yield {high: at_high, **counts} if at_high else counts


def _graphical(degrees: list[int]) -> bool:
    """Erdos-Gallai: some simple graph has these degrees."""
    degrees = sorted(degrees, reverse=True)
    if sum(degrees) % 2:
        return False
    return all(
        sum(degrees[:k]) <= k * (k - 1) + sum(min(d, k) for d in degrees[k:])
        for k in range(1, len(degrees) + 1)
    )


def repeat_pairs(rounds: Iterable[Iterable[Sequence[str]]]) -> int:
    """Excess meetings: a pair of people who share a group in m rounds counts max(0, m - 1)."""
    meetings: Counter[tuple[str, str]] = Counter()
    for groups in rounds:
        for group in groups:
            members = sorted(group)
            for i, a in enumerate(members):
                for b in members[i + 1 :]:
                    meetings[a, b] += 1
    return sum(m - 1 for m in meetings.values() if m > 1)


def met_before_pairs(
    rounds: Iterable[Iterable[Sequence[str]]], met_before: Collection[tuple[str, str]]
) -> int:
    """Pairs who met at an earlier event and share a group here in at least one round."""
    together: set[frozenset[str]] = set()
    for groups in rounds:
        for group in groups:
            members = sorted(group)
            for i, a in enumerate(members):
                together.update(frozenset((a, b)) for b in members[i + 1 :])
    return len({frozenset(pair) for pair in met_before} & together)


def met_before_lower_bound(people: int, smallest_group: int, met_counts: Iterable[int]) -> int:
    """Counting bound on met-before pairs seated together again: a person who met h of the
    N - 1 others before sits, in any round, with at least s - 1 people (s the smallest group
    the sizes allow), of whom at most N - 1 - h are new to them; so they share a table with at
    least max(0, s - 1 - (N - 1 - h)) people they met before. Each pair is seen from both sides,
    hence half the sum, rounded up. It is 0 unless someone met nearly everyone before."""
    need = sum(max(0, smallest_group - 1 - (people - 1 - h)) for h in met_counts)
    return (need + 1) // 2


def balanced_size_ranges(people: int, capacities: Sequence[int]) -> list[tuple[int, int]]:
    """The size range (lo_t, hi_t) of each table when `people` sit as evenly as capacities allow.

    Water-filling: L is the smallest level with sum_t min(c_t, L) >= N; a table then seats
    between min(c_t, L - 1) and min(c_t, L), so open tables differ by at most one and only a
    full small table sits below the rest (lo_t = hi_t when the upper sizes add up to exactly N).
    Raises ValueError when the tables seat fewer than N.
    """
    if people > sum(capacities):
        raise ValueError(f"{people} people but the tables seat only {sum(capacities)}")
    level = 0
    while sum(min(c, level) for c in capacities) < people:
        level += 1
    ranges = [(min(c, max(level - 1, 0)), min(c, level)) for c in capacities]
    if sum(hi for _, hi in ranges) == people:  # every table must be at its upper size
        return [(hi, hi) for _, hi in ranges]
    return ranges


def balanced_sizes(people: int, capacities: Sequence[int]) -> list[int]:
    """One most even seating: every table at its lower size, then one more at the first tables
    that can take it until all N are seated. Its spread is the least any plan can have."""
    ranges = balanced_size_ranges(people, capacities)
    sizes = [lo for lo, _ in ranges]
    extra = people - sum(sizes)
    for t, (lo, hi) in enumerate(ranges):
        if extra and hi > lo:
            sizes[t] += 1
            extra -= 1
    return sizes


def size_spread(sizes: Sequence[int]) -> int:
    """Largest minus smallest table size in one round."""
    return max(sizes) - min(sizes) if sizes else 0


def table_plan_metrics(
    rounds: Sequence[Sequence[Sequence[tuple[str, str, str, str]]]],
    capacities: Sequence[int],
    met_before: Collection[tuple[str, str]] = (),
    apart: Collection[tuple[str, str]] = (),
) -> dict[str, dict[str, float | int]]:
    """Every DESIGN.md measure of a table plan, each beside its bound.

    `rounds` holds, per round and table, one (id, organisation, sector, profession) tuple per
    person seated there; `capacities` the capacity of each table.

    - same_org_pairs: value and pigeonhole lower bound, summed over rounds.
    - repeat_pairs: excess meetings and repeat_lower_bounds: the bound on repeats, or the one
      on repeats + same-org pairs less this plan's same-org pairs, whichever is larger (with
      colleagues apart, what any plan keeping them apart must repeat). `apart` lists pairs of
      ids who may never share a table (keep-apart rules, two facilitators); a pair that does
      share one in this plan is not counted as apart.
    - sector_mix, profession_mix: distinct (table, label) pairs summed over rounds, their upper
      bound, and value = distinct / bound.
    - balance: the largest size spread in any round, and the spread the capacities force.
    - met_before_pairs (only when `met_before` pairs of people who sat together at an earlier
      event are given): how many of them share a table again, and met_before_lower_bound.
    """
    result: dict[str, dict[str, float | int]] = {}
    people = sum(len(table) for table in rounds[0]) if rounds else 0
    table_count = len(capacities)
    org_value = org_bound = 0
    sizes_per_round = [[len(table) for table in tables] for tables in rounds]
    for tables in rounds:
        orgs = [[p[1] for p in table] for table in tables]
        org_value += same_label_pairs(orgs)
        org_bound += same_label_pairs_lower_bound(
            Counter(o for table in orgs for o in table).values(), table_count
        )
    result["same_org_pairs"] = {"value": org_value, "bound": org_bound}
    ids = [[[p[0] for p in table] for table in tables] for tables in rounds]
    seated = [{pid for table in tables for pid in table} for tables in ids]
    if all(people == seated[0] for people in seated):
        repeats_lb, together_lb = repeat_lower_bounds(
            sizes_per_round, *_organisations_and_never(rounds, ids, apart)
        )
        repeat_bound = max(repeats_lb, together_lb - org_value)
    else:  # an edited plan that leaves someone out of a round: meetings against all pairs
        repeat_bound = excess_meetings_lower_bound(sizes_per_round, len(set().union(*seated)))
    result["repeat_pairs"] = {"value": repeat_pairs(ids), "bound": repeat_bound}
    for name, field in (("sector_mix", 2), ("profession_mix", 3)):
        distinct = bound = 0
        for tables in rounds:
            labels = [[p[field] for p in table] for table in tables]
            distinct += distinct_labels(labels)
            bound += distinct_labels_upper_bound(
                [len(t) for t in labels], list(Counter(x for t in labels for x in t).values())
            )
        result[name] = {
            "value": round(distinct / bound, 4) if bound else 1.0,
            "distinct": distinct,
            "bound": bound,
        }
    result["balance"] = {
        "value": max((size_spread(sizes) for sizes in sizes_per_round), default=0),
        "bound": size_spread(balanced_sizes(people, capacities)),
    }
    if met_before:
        result["met_before_pairs"] = {
            "value": met_before_pairs(ids, met_before),
            "bound": _met_before_bound(ids, capacities, met_before),
        }
    return result


def _met_before_bound(
    rounds: Sequence[Sequence[Sequence[str]]],
    capacities: Sequence[int],
    met_before: Collection[tuple[str, str]],
) -> int:
    seated = {pid for table in rounds[0] for pid in table} if rounds else set()
    met: dict[str, set[str]] = {pid: set() for pid in seated}
    for a, b in met_before:
        if a in seated and b in seated and a != b:
            met[a].add(b)
            met[b].add(a)
    # the balance rule's smallest size, or a smaller table this plan has (an edited plan)
    sizes = [lo for lo, _ in balanced_size_ranges(len(seated), capacities)]
    sizes += [len(table) for tables in rounds for table in tables if table]
    smallest = min(sizes, default=0)
    return met_before_lower_bound(len(seated), smallest, (len(m) for m in met.values()))


def _organisations_and_never(
    rounds: Sequence[Sequence[Sequence[tuple[str, str, str, str]]]],
    ids: Sequence[Sequence[Sequence[str]]],
    apart: Collection[tuple[str, str]],
) -> tuple[list[str], list[set[int]]]:
    people = [p for table in rounds[0] for p in table] if rounds else []
    index = {p[0]: i for i, p in enumerate(people)}
    never: list[set[int]] = [set() for _ in people]
    if apart:
        # (round, table) of every seat: an edited plan may leave someone out of a round
        seats: dict[str, set[tuple[int, int]]] = {pid: set() for pid in index}
        for r, tables in enumerate(ids):
            for t, table in enumerate(tables):
                for pid in table:
                    seats.setdefault(pid, set()).add((r, t))
        for a, b in apart:
            if a in index and b in index and a != b and not seats[a] & seats[b]:
                never[index[a]].add(index[b])
                never[index[b]].add(index[a])
    return [p[1] for p in people], never
