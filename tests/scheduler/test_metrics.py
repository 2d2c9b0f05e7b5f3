"""Table-plan measures and bounds (scheduler.metrics)."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from scheduler.metrics import (
    balanced_size_ranges,
    balanced_sizes,
    repeat_pairs,
    size_spread,
    table_plan_metrics,
)


def test_repeat_pairs_counts_each_extra_meeting() -> None:
    rounds = [[["a", "b", "c"], ["d"]], [["a", "b"], ["c", "d"]], [["b", "a"], ["c", "d"]]]
    # a-b meet 3 times (2 extra), c-d twice (1 extra), a-c and b-c once.
    assert repeat_pairs(rounds) == 3


def test_balanced_size_ranges_fill_evenly_and_respect_small_tables() -> None:
    assert balanced_size_ranges(95, [10] * 10) == [(9, 10)] * 10
    assert balanced_size_ranges(100, [10] * 10) == [(10, 10)] * 10
    assert balanced_size_ranges(20, [10, 10, 3]) == [(8, 9), (8, 9), (3, 3)]
    assert balanced_sizes(20, [10, 10, 3]) == [9, 8, 3]
    assert size_spread(balanced_sizes(95, [10] * 10)) == 1


def test_table_plan_metrics_reports_values_beside_bounds() -> None:
    def p(pid, org, sector, profession):
        return (pid, org, sector, profession)

    rounds = [
        [
            [p("1", "A", "x", "u"), p("2", "A", "y", "v")],
            [p("3", "B", "x", "u"), p("4", "C", "y", "v")],
        ],
        [
            [p("1", "A", "x", "u"), p("3", "B", "x", "u")],
            [p("2", "A", "y", "v"), p("4", "C", "y", "v")],
        ],
    ]
    metrics = table_plan_metrics(rounds, [2, 2])
    assert metrics["same_org_pairs"] == {"value": 1, "bound": 0}
    assert metrics["repeat_pairs"] == {"value": 0, "bound": 0}
    assert metrics["sector_mix"] == {"value": 0.75, "distinct": 6, "bound": 8}
    assert metrics["balance"] == {"value": 0, "bound": 0}


groupings = st.lists(
    st.lists(
        st.tuples(st.sampled_from("ABCD"), st.sampled_from("xyz"), st.sampled_from("uv")),
        min_size=2,
        max_size=5,
    ),
    min_size=1,
    max_size=5,
)


@settings(max_examples=60, deadline=None)
@given(st.lists(groupings, min_size=1, max_size=3))
def test_measures_never_beat_their_bounds(raw_rounds) -> None:
    """Any plan (here: random rounds over the same people) sits on the right side of each bound."""
    people = [
        (f"p{i}", *labels) for i, labels in enumerate(x for table in raw_rounds[0] for x in table)
    ]
    sizes = [len(t) for t in raw_rounds[0]]
    rounds = []
    for shift in range(len(raw_rounds)):
        order = people[shift:] + people[:shift]
        tables, start = [], 0
        for size in sizes:
            tables.append(order[start : start + size])
            start += size
        rounds.append(tables)
    metrics = table_plan_metrics(rounds, [max(sizes)] * len(sizes))
    assert metrics["same_org_pairs"]["value"] >= metrics["same_org_pairs"]["bound"]
    assert metrics["repeat_pairs"]["value"] >= metrics["repeat_pairs"]["bound"]
    for name in ("sector_mix", "profession_mix"):
        assert metrics[name]["distinct"] <= metrics[name]["bound"]
        assert 0 < metrics[name]["value"] <= 1
