"""32 people in tables of 4 for 10 rounds with no repeat: two affine planes of order 4, doubled.

This is the social golfer instance 8-4-10 (Harvey's original 32 golfers), solved first by
Aguado's explicit construction (2004) and later by search (Triska & Musliu, Ann. Oper. Res.
2012). We could not find the text of Aguado's construction; the one below was MADE HERE (found
by reasoning about which symmetric structures could work, then checked by computer). It is a
resolvable 4-GDD of type 2^16: the 16 pairs that never meet are the groups.

People are (x, level) for x one of the 16 points of AG(2, 4) and level 0 or 1; person
2*x + level. Take two affine planes A and B of order 4 on the same 16 points with no line in
common: A = AG(2, 4) (geometry.affine_plane) and B its image under a linear map of GF(2)^4
(rotating the three low bits of a point's number, SHUFFLE). Each parallel class of A or B is a
round, 5 + 5 = 10 rounds: a line L of the class seats two tables, {(x, e_L(x)) : x in L} and
{(x, 1 - e_L(x)) : x in L}, for a lift e_L: L -> {0, 1}.

Why nobody meets twice. People (x, i) and (y, j) with x != y can only meet at the tables of the
line L of A and the line M of B through x and y (once each plane). L's two tables seat them
together exactly when i + j = e_L(x) + e_L(y) (mod 2): two of the four (i, j). M does so when
i + j = e_M(x) + e_M(y). So the four people (x, 0), (x, 1), (y, 0), (y, 1) meet across pairs
exactly once each when

    e_L(x) + e_L(y) + e_M(x) + e_M(y) = 1   (mod 2)   for every pair x != y,

120 linear equations over GF(2) in the 160 lift bits: `lifts` solves them by Gaussian
elimination (the system is consistent for these planes; a test checks the result). (x, 0) and
(x, 1) never share a table: 480 of the 496 pairs meet once, 16 never.

The same doubling of two affine planes of order q would seat 2q^2 people in tables of q for
2q + 2 rounds. Tried here: for q = 3 the equations are solvable (18 people in triples for 8
rounds, which the catalogue already has from cyclic.py); for q = 5 they had no solution for any
of 50 random second planes, so it is kept to q = 4.
"""

from __future__ import annotations

from functools import cache
from itertools import combinations

from scheduler.designs.geometry import Resolution, affine_plane

SHUFFLE = (1, 2, 0, 3)  # bit i of the image is bit SHUFFLE[i] of the point
Line = tuple[int, ...]


@cache
def doubled_affine_planes() -> Resolution:
    """The 10 rounds of 8 tables of 4 on 32 people described in the module docstring."""
    planes = two_planes()
    lift = lifts(planes)
    rounds: Resolution = []
    for plane in planes:
        for parallel_class in plane:
            tables = []
            for line in parallel_class:
                for flip in (0, 1):
                    tables.append(tuple(sorted(2 * x + (lift[line][x] ^ flip) for x in line)))
            rounds.append(sorted(tables))
    return rounds


def unmet_pairs() -> list[tuple[int, int]]:
    """The groups of the design: (x, 0) and (x, 1), who never share a table."""
    return [(2 * x, 2 * x + 1) for x in range(16)]


def two_planes() -> tuple[Resolution, Resolution]:
    """A = AG(2, 4) and B = its image under SHUFFLE: affine planes with no line in common."""
    plane = affine_plane(4)
    assert plane is not None

    def image(point: int) -> int:
        return sum(((point >> source) & 1) << bit for bit, source in enumerate(SHUFFLE))

    other = [sorted(tuple(sorted(image(x) for x in line)) for line in cls) for cls in plane]
    return plane, other


def lifts(planes: tuple[Resolution, Resolution]) -> dict[Line, dict[int, int]]:
    """e_L(x) for every line L of both planes: a solution of the pair equations above (one
    variable per line and point on it). ValueError if they have none (e.g. one plane twice)."""
    first, second = ([line for cls in plane for line in cls] for plane in planes)
    slots = [(line, x) for line in first + second for x in line]
    variable = {slot: i for i, slot in enumerate(slots)}
    line_through: list[dict[tuple[int, int], Line]] = [{}, {}]
    for side, lines in enumerate((first, second)):
        for line in lines:
            for pair in combinations(line, 2):
                line_through[side][pair] = line
    equations = []
    for (x, y), line in line_through[0].items():
        other = line_through[1][x, y]
        bits = (variable[line, x], variable[line, y], variable[other, x], variable[other, y])
        equations.append((sum(1 << b for b in bits), 1))
    solution = solve_gf2(equations)
    if solution is None:
        raise ValueError("the pair equations have no solution for these planes")
    lift: dict[Line, dict[int, int]] = {}
    for (line, x), i in variable.items():
        lift.setdefault(line, {})[x] = (solution >> i) & 1
    return lift


def solve_gf2(equations: list[tuple[int, int]]) -> int | None:
    """A solution of linear equations over GF(2), each (bitmask of its variables, right-hand
    side), as a bitmask (free variables 0); None when they contradict each other."""
    pivots: dict[int, tuple[int, int]] = {}  # highest variable -> reduced equation
    for mask, rhs in equations:
        while mask:
            top = mask.bit_length() - 1
            if top not in pivots:
                pivots[top] = (mask, rhs)
                break
            pivot_mask, pivot_rhs = pivots[top]
            mask, rhs = mask ^ pivot_mask, rhs ^ pivot_rhs
        else:
            if rhs:
                return None
    solution = 0
    for top in sorted(pivots):  # every other variable of a pivot's equation is lower: known
        mask, rhs = pivots[top]
        if rhs ^ (bin(mask & solution).count("1") & 1):
            solution |= 1 << top
    return solution
