"""Mutually orthogonal Latin rectangles over Z_T: T tables of k for r rounds, any T.

The finite-field grid (geometry.grid) needs T a prime power. For other T (6, 10, 12, 14, 15,
...) this is the same grid over the cyclic group Z_T: people are the cells (i, g) of a k x T
array, row i < k, column g in Z_T (person i*T + g), and in round b person (i, g) sits at table

    L_b(i, g) = g + v_i[b]  (mod T),

for k vectors v_0, ..., v_{k-1} in Z_T^r with v_i[0] = 0 (round 0 seats each column together).
Each row of L_b is a translation, so every table gets exactly one person of each row: a round
is T tables of k, and row-mates never meet (the rows are the design's groups). People (i, g)
and (j, h) of different rows meet in round b exactly when h - g = v_i[b] - v_j[b]; so everyone
meets everyone else at most once when, for each pair of rounds b < c, the differences
v_i[b] - v_i[c] are distinct over the rows i (then L_b and L_c are orthogonal Latin
rectangles). The vectors are the transpose of a difference matrix restricted to k of its
columns: with k = T this is the classical construction of r mutually orthogonal Latin squares
from a (T, r, 1) difference matrix (Handbook of Combinatorial Designs, Colbourn & Dinitz, 2nd
ed., III.3 and VI.17). Fewer rows need only a partial one, which exists where the full one does
not: Z_T of even order has no complete mapping (Hall & Paige 1955), so with T even a full
k = T array over 3 rounds or more is impossible and is not tried.

The vectors are FOUND BY SEARCH HERE, when a shape is asked for: a depth-first search over
Z_T^(r-1) in lexicographic order, bounded in work (0.15 s for 12 tables of 10 over 4 rounds,
the 120-person scale point; shapes it cannot settle within the bound are simply not offered).

Why not MacNeish's product (MOLS of order 12 from GF(3) x GF(4), componentwise): it gives only
2 mutually orthogonal squares, so rows, columns and the two squares = 4 rounds of 12 tables of
12 on 144 cells, and no 120 of those cells fill every table of all four rounds with 10. Removing
2 cells from each of the 48 lines, summed over the four GF(4) lines of one direction, would put
8 removed cells on every line of the affine plane AG(2, 3), that is 8/3 on each of its points
(the four lines through a point cover the plane, the point four times). CP-SAT agrees, and
finds no third square orthogonal to MacNeish's pair either.
"""

from __future__ import annotations

from functools import cache
from itertools import combinations

from scheduler.designs.geometry import Resolution

SEARCH_WORK = 600_000  # differences compared before a shape is given up (well under a second)


@cache
def difference_rows(tables: int, size: int, rounds: int) -> tuple[tuple[int, ...], ...] | None:
    """`size` vectors of Z_tables^rounds, first coordinate 0, whose differences between any two
    coordinates are distinct over the vectors; None when the bounded search finds none."""
    # two vectors need `rounds` distinct coordinates (the zero vector is one of them); T rows of
    # even T need a complete mapping from 3 rounds on
    if size > tables or rounds > tables or (size == tables and tables % 2 == 0 and rounds > 2):
        return None
    pairs = list(combinations(range(rounds), 2))
    taken: list[set[int]] = [set() for _ in pairs]
    chosen: list[tuple[int, ...]] = []
    work = 0

    def candidate(n: int) -> tuple[int, ...]:
        """The n-th vector (0, ...) in lexicographic order."""
        digits = []
        for _ in range(rounds - 1):
            n, digit = divmod(n, tables)
            digits.append(digit)
        return (0, *reversed(digits))

    def differences(vector: tuple[int, ...]) -> list[int]:
        return [(vector[b] - vector[c]) % tables for b, c in pairs]

    def extend(start: int) -> bool:
        nonlocal work
        if len(chosen) == size:
            return True
        for n in range(start, tables ** (rounds - 1)):
            work += len(pairs)
            if work > SEARCH_WORK:
                return False
            vector = candidate(n)
            found = differences(vector)
            if any(d in seen for d, seen in zip(found, taken, strict=True)):
                continue
            for d, seen in zip(found, taken, strict=True):
                seen.add(d)
            chosen.append(vector)
            if extend(n + 1):
                return True
            chosen.pop()
            for d, seen in zip(found, taken, strict=True):
                seen.discard(d)
        return False

    return tuple(chosen) if extend(0) else None


def latin_rectangles(size: int, tables: int, rounds: int) -> Resolution | None:
    """`rounds` rounds of `tables` tables of `size` (person i*tables + g is cell (i, g)) in
    which nobody meets anyone twice and row-mates never meet; None if no vectors are found."""
    rows = difference_rows(tables, size, rounds)
    if rows is None:
        return None
    classes: Resolution = []
    for b in range(rounds):
        seated: list[list[int]] = [[] for _ in range(tables)]
        for i, vector in enumerate(rows):
            for g in range(tables):
                seated[(g + vector[b]) % tables].append(i * tables + g)
        classes.append([tuple(table) for table in seated])
    return classes
