"""Quality measures of a grouping (tables in a round, people in a breakout) and their bounds.

DESIGN.md defines the measures; each lives here once and is used by the planners, the benchmarks,
the tests and the organiser's screen. A "grouping" is a list of groups, each a list of labels
(an organisation, a sector, a profession) of the people in it.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Sequence
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
    only C(N, 2) pairs, so at least that many minus C(N, 2) are repeats."""
    meetings = sum(comb(s, 2) for sizes in group_sizes_per_round for s in sizes)
    return max(0, meetings - comb(people, 2))
