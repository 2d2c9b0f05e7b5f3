"""Resolvable designs from finite geometry, computed on demand.

A *resolution* is a list of parallel classes (one per round), each a list of blocks (tables)
that together hold every point (person) 0..v-1 exactly once. Every construction here is a
classical one in which two points share at most one block:

- affine_plane(q): AG(2, q), q a prime power. Points (x, y) in GF(q)^2, point x*q + y; the
  lines y = m*x + c (one parallel class per slope m) and x = c. q*q people in q tables of q
  for q + 1 rounds, every pair meeting exactly once (Handbook of Combinatorial Designs,
  Colbourn & Dinitz, 2nd ed., VII.2: affine planes).
- affine_lines(n, q): the lines of AG(n, q); the lines of one direction form a parallel class,
  so there are (q^n - 1) / (q - 1) rounds. AG(3, 3) is a Kirkman triple system on 27 points
  (27 people in triples for 13 rounds; Handbook II.2, "KTS from AG(n, 3)").
- projective_lines(n, q): the lines of PG(n, q), as blocks only (not resolved): the raw
  material of the packings in packings.py.
- grid(rows, groups): the finite-field grid (research/planner.md): people in `rows` rows and
  `groups` columns (G a prime power, rows <= G); in round b person (i, g) sits at table
  g + a_i*b over GF(G) with a_i = i distinct, so people in different rows meet at most once
  and row-mates never meet: G rounds of G tables of `rows`, plus, when rows divides G, one
  round seating each row at G / rows tables of its own. It is a transversal-design
  (resolvable group divisible design) whose groups are the rows.
"""

from __future__ import annotations

from itertools import product

from scheduler.designs.field import GaloisField

Resolution = list[list[tuple[int, ...]]]


def affine_plane(q: int) -> Resolution | None:
    """AG(2, q): q + 1 parallel classes of q lines of q points; None if q is no prime power."""
    return affine_lines(2, q)


def affine_lines(n: int, q: int) -> Resolution | None:
    """The lines of AG(n, q), one parallel class per direction (a point of PG(n-1, q))."""
    field = GaloisField.of_order(q)
    if field is None:
        return None
    points = list(product(range(q), repeat=n))
    index = {p: i for i, p in enumerate(points)}
    classes: Resolution = []
    for direction in _projective_points(n, field):
        seen: set[int] = set()
        lines = []
        for start in points:
            if index[start] in seen:
                continue
            line = tuple(
                sorted(
                    index[
                        tuple(
                            field.add(s, field.mul(t, d))
                            for s, d in zip(start, direction, strict=True)
                        )
                    ]
                    for t in range(q)
                )
            )
            seen.update(line)
            lines.append(line)
        classes.append(sorted(lines))
    return classes


def projective_lines(n: int, q: int) -> list[tuple[int, ...]]:
    """The lines of PG(n, q) as sorted tuples of point indices; the points are the vectors of
    GF(q)^(n+1) whose first nonzero coordinate is 1, in lexicographic order."""
    field = GaloisField.of_order(q)
    assert field is not None, f"{q} is not a prime power"
    points = _projective_points(n + 1, field)
    index = {p: i for i, p in enumerate(points)}
    lines: set[tuple[int, ...]] = set()
    for i, u in enumerate(points):
        for v in points[i + 1 :]:
            span = {
                _normalise(
                    tuple(
                        field.add(field.mul(a, x), field.mul(b, y))
                        for x, y in zip(u, v, strict=True)
                    ),
                    field,
                )
                for a in range(q)
                for b in range(q)
                if a or b
            }
            lines.add(tuple(sorted(index[p] for p in span)))
    return sorted(lines)


def grid(rows: int, groups: int, rounds: int) -> Resolution | None:
    """Up to `rounds` grid rounds for rows*groups people (person i*groups + g is cell (i, g));
    None unless groups is a prime power and rows <= groups."""
    field = GaloisField.of_order(groups)
    if field is None or rows > groups:
        return None
    classes: Resolution = []
    for b in range(min(groups, rounds)):
        tables: list[list[int]] = [[] for _ in range(groups)]
        for i in range(rows):
            for g in range(groups):
                tables[field.add(g, field.mul(i, b))].append(i * groups + g)
        classes.append([tuple(t) for t in tables])
    if rounds > groups and groups % rows == 0:
        per_row = groups // rows
        classes.append(
            [
                tuple(i * groups + g for g in range(j * rows, (j + 1) * rows))
                for i in range(rows)
                for j in range(per_row)
            ]
        )
    return classes


def _projective_points(length: int, field: GaloisField) -> list[tuple[int, ...]]:
    vectors = product(range(field.order), repeat=length)
    return [v for v in vectors if any(v) and v[next(i for i, x in enumerate(v) if x)] == 1]


def _normalise(vector: tuple[int, ...], field: GaloisField) -> tuple[int, ...]:
    lead = next(x for x in vector if x)
    inverse = next(y for y in range(1, field.order) if field.mul(lead, y) == 1)
    return tuple(field.mul(inverse, x) for x in vector)
