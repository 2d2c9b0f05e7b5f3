"""Known resolvable designs: zero-repeat rotations the table planner tries before searching.

A design here is a *resolution*: rounds of tables (blocks) of points 0..v-1, every round holding
every point once, no two points sharing a table twice. The catalogue (each construction's source
is in its module's docstring):

- geometry.affine_plane(q): AG(2, q), q*q people in tables of q for q + 1 rounds,
  q = 3, 4, 5, 7, 8, 9 (GF(4), GF(8), GF(9) in field.py);
- geometry.affine_lines(3, 3): AG(3, 3), the Kirkman triple system on 27 points (13 rounds);
- geometry.grid(S, G): the finite-field grid, S*G people in G tables of S for G (+1) rounds,
  G a prime power, S <= G; its rows never meet (a resolvable group divisible design);
- rectangles.latin_rectangles(S, T, R): the same grid over Z_T for T no prime power (12 tables
  of 10 for 4 rounds: 120 people), from vectors found by a bounded search when asked for;
- packings.projective_packing(q): packings of PG(3, 2) and PG(3, 3), 15 people in triples for
  7 rounds and 40 people in fours for 13 rounds;
- cyclic.FOUND, developed from base blocks found by search here (cyclic.py): the Kirkman
  triple systems on 21, 33, 39, 45 and 51 points (10, 16, 19, 22 and 25 rounds); the resolvable
  2-(28, 4, 1) design (28 in fours for 9 rounds); 18, 24, 30, 36, 42, 48 and 54 people in
  triples for 8, 11, 14, 17, 20, 23 and 26 rounds (each meeting all but one); 24 in fours for
  7 rounds (in eight groups of three that never meet); 36 in fours for 11 rounds; 44 in fours
  for 13 rounds; 30 in fives and 26 at tables of 5 and 4 for 6 rounds;
- doubling.doubled_affine_planes(): 32 people in fours for 10 rounds (the social golfer
  instance 8-4-10), two affine planes of order 4 doubled; its 16 pairs that never meet are its
  groups (a resolvable 4-GDD of type 2^16).

`Design.groups_for(rounds)` gives a partition of the points whose members never meet in the
first `rounds` rounds, when there is one (a spare round of the resolution, or the grid's rows):
people of one organisation placed in one group never sit together (fit.py).

The cyclic searches tried here for 32 people in fours for 10 rounds (Z_5 x 6 rows + 2 fixed
points, Z_8 x 4 rows with two short rounds, Z_10 x 3 rows + 2 fixed points, Z_2 x 16 rows, Z_16
x 2 rows with an 8-round and a 2-round orbit, Z_10 on 3 rows of 10 + 2 swapped points) found
nothing; the Z_16 one is infeasible (CP-SAT proof) and so is any design invariant under all
translations of GF(2)^5 (it would need 10 disjoint lines of PG(4, 2)). doubling.py is what works.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache

from scheduler.designs.cyclic import FOUND, develop, develop_groups
from scheduler.designs.doubling import doubled_affine_planes, unmet_pairs
from scheduler.designs.field import GaloisField
from scheduler.designs.geometry import Resolution, affine_lines, affine_plane, grid
from scheduler.designs.packings import projective_packing
from scheduler.designs.rectangles import latin_rectangles

AFFINE_ORDERS = (3, 4, 5, 7, 8, 9)
GRID_ORDERS = (2, 3, 4, 5, 7, 8, 9, 11, 13, 16, 17, 19, 23, 25, 27, 29, 31, 32, 37, 41, 43, 47)


@dataclass(frozen=True)
class Design:
    name: str
    rounds: Resolution
    group_rows: Resolution | None = None  # groups valid for every round but the grid's last

    @property
    def points(self) -> int:
        return sum(len(block) for block in self.rounds[0])

    @property
    def block_size(self) -> int:
        """The table size it needs (a few designs also have tables one smaller)."""
        return max(len(block) for block in self.rounds[0])

    @property
    def tables(self) -> int:
        return len(self.rounds[0])

    def groups_for(self, rounds: int) -> list[tuple[int, ...]] | None:
        """A partition whose members never meet in the first `rounds` rounds, or None; of the
        two kinds (group_rows, or the tables of the last round when it is not used), the one
        with the larger groups, which hold larger organisations and more empty seats."""
        options = []
        if self.group_rows is not None and rounds <= len(self.group_rows):
            options.append(self.group_rows[0])
        if rounds < len(self.rounds):
            options.append(self.rounds[-1])
        return max(options, key=lambda groups: len(groups[0]), default=None)


@cache
def catalogue() -> tuple[Design, ...]:
    """Every fixed design (the grid family is made on demand by grid_design)."""
    designs = []
    for q in AFFINE_ORDERS:
        plane = affine_plane(q)
        assert plane is not None
        designs.append(Design(f"AG(2, {q})", plane))
    kts27 = affine_lines(3, 3)
    assert kts27 is not None
    designs.append(Design("AG(3, 3)", kts27))
    for q in (2, 3):
        designs.append(Design(f"PG(3, {q})", projective_packing(q)))
    for name, spec in FOUND.items():
        rounds, groups = develop(spec), develop_groups(spec)
        designs.append(Design(name, rounds, groups and [groups] * len(rounds)))
    doubled = doubled_affine_planes()
    designs.append(Design("doubled AG(2, 4)", doubled, [unmet_pairs()] * len(doubled)))
    return tuple(designs)


@cache
def grid_design(size: int, groups: int) -> Design | None:
    """The finite-field grid for size*groups people in tables of `size`, or None."""
    rounds = grid(size, groups, groups + 1)
    if rounds is None:
        return None
    rows = [[tuple(i * groups + g for g in range(groups)) for i in range(size)]]
    return Design(f"grid {size} x {groups}", rounds, rows * groups)


@cache
def rectangle_design(size: int, tables: int, rounds: int) -> Design | None:
    """The grid over Z_tables (rectangles.py) for size*tables people in tables of `size` for
    `rounds` rounds, its rows as groups, or None."""
    classes = latin_rectangles(size, tables, rounds)
    if classes is None:
        return None
    rows = [[tuple(i * tables + g for g in range(tables)) for i in range(size)]]
    return Design(f"Latin rectangles {size} x {tables}", classes, rows * rounds)


def nearby_designs(
    people: int, table_size: int, tables: int, rounds: int | None = None
) -> list[Design]:
    """Designs with tables of `table_size`, no more tables than `tables`, and about `people`
    points (within a table's worth above, or a sixth below), nearest first. Given `rounds`,
    also the Latin rectangles for table counts that are no prime power (made for that many
    rounds)."""
    found = [d for d in catalogue() if d.block_size == table_size]
    for groups in range(table_size, tables + 1):
        if groups * table_size < people * 5 // 6:
            continue
        if groups in GRID_ORDERS:
            design = grid_design(table_size, groups)
        elif rounds is not None and GaloisField.of_order(groups) is None:
            design = rectangle_design(table_size, groups, rounds)
        else:
            design = None
        if design is not None:
            found.append(design)
    fits = [
        d
        for d in found
        if d.tables <= tables
        and people - people // 6 - table_size <= d.points < people + table_size
    ]
    return sorted(fits, key=lambda d: (abs(d.points - people), -len(d.rounds)))
