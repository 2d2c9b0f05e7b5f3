"""Resolvable designs from packings of projective space PG(3, q).

PG(3, q) has (q^4 - 1)/(q - 1) points and its lines hold q + 1 points each; a *spread* is a set
of lines partitioning the points, and a *packing* (parallelism) splits all the lines into
q^2 + q + 1 spreads. Each spread is a round, so a packing seats everyone with everyone exactly
once: PG(3, 2) gives 15 people in triples for 7 rounds (Kirkman's schoolgirls), PG(3, 3) gives
40 people in fours for 13 rounds. Packings of PG(3, q) exist for every q (Denniston, "Some
packings of projective spaces", 1972; Handbook of Combinatorial Designs, Colbourn & Dinitz,
2nd ed., VII.2.8).

The spread of each line below was FOUND BY SEARCH HERE (search.find_packing: CP-SAT, one
worker; 0.05 s for PG(3, 2) and 0.4 s for PG(3, 3)), not derived algebraically; the lines
themselves are computed (geometry.projective_lines, in that order). The tests check that every
spread partitions the points and every pair of points meets exactly once.
"""

from __future__ import annotations

from scheduler.designs.geometry import Resolution, projective_lines

# the spread of each line of projective_lines(3, q), one hexadecimal digit per line
SPREAD_OF_LINE: dict[int, str] = {
    2: "01234566315425426130423625050314106",
    3: (
        "0123456789abc5cb92364a178a48bc71326596971a8c5"
        "b4232bc30948768027a3b53594c62a073b064ac1561b3"
        "804909ac17538c168a0b92a0219b75487564210c"
    ),
}


def projective_packing(q: int) -> Resolution:
    """The packing of PG(3, q) above, one round per spread (q = 2 or 3)."""
    lines = projective_lines(3, q)
    spreads: Resolution = [[] for _ in range(q * q + q + 1)]
    for line, spread in zip(lines, SPREAD_OF_LINE[q], strict=True):
        spreads[int(spread, 16)].append(line)
    return spreads
