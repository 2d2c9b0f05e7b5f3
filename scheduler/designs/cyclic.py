"""Resolvable designs developed from a few base blocks under a cyclic group Z_m.

Points are Z_m x {0..rows-1} (point i*m + x stands for (x, i)) plus `fixed` points the group
leaves alone. A full base class (a partition of all points) shifted by s = 0..m-1 gives m
rounds; a short base block (one point in each row) gives one round by its m shifts. This is the
standard "1-rotational" / cyclic method of design theory (Handbook of Combinatorial Designs,
Colbourn & Dinitz, 2nd ed., VI.16 difference families and II.7 resolvable designs): two
people meet at most once when the base blocks' pairs hit every pair orbit at most once.

The base blocks below were FOUND BY SEARCH HERE, not copied from the literature: a CP-SAT model
of exactly that difference condition (scheduler/designs/search.py; `python -m
scheduler.designs.search` finds them again, in seconds to minutes here). Nothing is trusted:
tests/scheduler/test_designs.py develops each one and checks every round is complete, every
table full and no two people meet twice (and, for the exact designs, that everyone meets
everyone).
"""

from __future__ import annotations

from dataclasses import dataclass

from scheduler.designs.geometry import Resolution


@dataclass(frozen=True)
class CyclicSpec:
    modulus: int
    rows: int
    fixed: int
    block_size: int  # the largest, where a class has blocks of two sizes
    full_classes: tuple[tuple[tuple[int, ...], ...], ...] = ()
    short_blocks: tuple[tuple[int, ...], ...] = ()
    full_count: int = 0
    short_count: int = 0
    # a transversal of some rows whose members never meet: its shifts are the design's groups
    group_base: tuple[int, ...] = ()
    # or, for an even modulus, the pairs {(x, i), (x + m/2, i)}, whose orbits are too short
    # for any block to hold them
    half_turn_groups: bool = False

    def __post_init__(self) -> None:
        if self.full_classes and not self.full_count:
            object.__setattr__(self, "full_count", len(self.full_classes))
        if self.short_blocks and not self.short_count:
            object.__setattr__(self, "short_count", len(self.short_blocks))


def shift(spec: CyclicSpec, point: int, s: int) -> int:
    moving = spec.modulus * spec.rows
    if point >= moving:
        return point
    row, x = divmod(point, spec.modulus)
    return row * spec.modulus + (x + s) % spec.modulus


def develop_groups(spec: CyclicSpec) -> list[tuple[int, ...]] | None:
    """The shifts of the group base (or the half-turn pairs), the fixed points (no block holds
    two of them) and everyone else alone: a partition of the points whose members never meet
    (the tests check it), or None without groups."""
    m, moving = spec.modulus, spec.modulus * spec.rows
    if spec.half_turn_groups:
        half = m // 2
        groups = [(i * m + x, i * m + x + half) for i in range(spec.rows) for x in range(half)]
    elif spec.group_base:
        base = spec.group_base
        groups = [tuple(sorted(shift(spec, p, s) for p in base)) for s in range(m)]
    else:
        return None
    if spec.fixed:
        groups.append(tuple(range(moving, moving + spec.fixed)))
    grouped = {p for group in groups for p in group}
    return groups + [(p,) for p in range(moving) if p not in grouped]


def develop(spec: CyclicSpec) -> Resolution:
    """The rounds: every shift of every full base class, then one round per short block."""
    rounds: Resolution = []
    for base in spec.full_classes:
        for s in range(spec.modulus):
            rounds.append(sorted(tuple(sorted(shift(spec, p, s) for p in b)) for b in base))
    for block in spec.short_blocks:
        rounds.append(
            sorted(tuple(sorted(shift(spec, p, s) for p in block)) for s in range(spec.modulus))
        )
    return rounds


# Base blocks found by scheduler/designs/search.py (CP-SAT, one worker, seed 0), checked by the
# tests. Names: people/table size/rounds.
FOUND: dict[str, CyclicSpec] = {
    # KTS(21): Z_7 x 3 rows, one base class and three short (transversal) blocks
    "KTS(21)": CyclicSpec(
        7,
        3,
        0,
        3,
        full_classes=(
            (
                (0, 11, 18),
                (7, 9, 13),
                (2, 10, 14),
                (5, 12, 15),
                (16, 17, 19),
                (1, 3, 4),
                (6, 8, 20),
            ),
        ),
        short_blocks=((0, 12, 20), (0, 10, 16), (0, 13, 15)),
    ),
    # resolvable 2-(28, 4, 1) design: Z_9 x 3 rows + 1 fixed point, one base class
    "RBIBD(28, 4)": CyclicSpec(
        9,
        3,
        1,
        4,
        full_classes=(
            (
                (0, 7, 15, 16),
                (2, 5, 19, 24),
                (10, 12, 20, 23),
                (3, 4, 14, 17),
                (9, 13, 18, 25),
                (1, 6, 21, 22),
                (8, 11, 26, 27),
            ),
        ),
    ),
    # 44 people in fours for 13 rounds: Z_11 x 4 rows, one base class and two short blocks
    # (search.find_with_short_blocks); the shifts of {(0, 0), (4, 2), (8, 3)} never meet, so 41
    # to 43 people leave their empty seats there
    "44/4/13": CyclicSpec(
        11,
        4,
        0,
        4,
        full_classes=(
            (
                (0, 4, 5, 25),
                (1, 21, 29, 31),
                (3, 15, 19, 26),
                (6, 9, 22, 38),
                (13, 14, 27, 30),
                (11, 17, 20, 37),
                (23, 24, 28, 36),
                (32, 35, 42, 43),
                (2, 16, 39, 41),
                (7, 18, 34, 40),
                (8, 10, 12, 33),
            ),
        ),
        short_blocks=((0, 17, 29, 35), (0, 18, 22, 42)),
        group_base=(0, 26, 41),
    ),
    # 36 people in fours for 11 rounds: Z_9 x 4 rows, one base class and two short blocks
    # (search.find_with_short_blocks); four mixed orbits stay unmet, among them the shifts of
    # {(0, 0), (2, 2)}
    "36/4/11": CyclicSpec(
        9,
        4,
        0,
        4,
        full_classes=(
            (
                (0, 21, 23, 24),
                (13, 20, 25, 29),
                (1, 3, 6, 35),
                (18, 28, 33, 34),
                (2, 12, 14, 17),
                (5, 9, 22, 27),
                (7, 8, 16, 26),
                (4, 15, 30, 32),
                (10, 11, 19, 31),
            ),
        ),
        short_blocks=((0, 14, 25, 27), (0, 16, 22, 30)),
        group_base=(0, 20),
    ),
    # 24 people in triples for 11 rounds, everyone meeting all but one: Z_11 x 2 rows + 2
    # fixed points, one base class; the pairs {(x, 0), (x, 1)} and the two fixed points never
    # meet (a nearly Kirkman triple system, a resolvable 3-GDD of type 2^12)
    "24/3/11": CyclicSpec(
        11,
        2,
        2,
        3,
        full_classes=(
            (
                (0, 18, 19),
                (1, 2, 8),
                (11, 15, 20),
                (3, 6, 16),
                (7, 9, 12),
                (5, 17, 22),
                (4, 13, 21),
                (10, 14, 23),
            ),
        ),
        group_base=(0, 11),
    ),
    # the same for 36 people in triples for 17 rounds: Z_17 x 2 rows + 2 fixed points
    "36/3/17": CyclicSpec(
        17,
        2,
        2,
        3,
        full_classes=(
            (
                (0, 20, 26),
                (27, 29, 30),
                (6, 15, 17),
                (3, 5, 10),
                (4, 7, 22),
                (11, 12, 19),
                (2, 33, 34),
                (1, 24, 31),
                (9, 13, 25),
                (8, 14, 18),
                (23, 28, 32),
                (16, 21, 35),
            ),
        ),
        group_base=(0, 17),
    ),
    # 30 people in triples for 14 rounds, everyone meeting all but one: Z_14 x 2 rows + 2
    # fixed points, one base class; the pairs {(x, i), (x + 7, i)} and the two fixed points
    # never meet (a resolvable 3-GDD of type 2^15)
    "30/3/14": CyclicSpec(
        14,
        2,
        2,
        3,
        full_classes=(
            (
                (0, 8, 9),
                (15, 16, 19),
                (5, 14, 23),
                (3, 24, 28),
                (4, 6, 20),
                (7, 11, 17),
                (10, 22, 29),
                (1, 18, 26),
                (2, 13, 21),
                (12, 25, 27),
            ),
        ),
        half_turn_groups=True,
    ),
    # KTS(33): Z_11 x 3 rows, one base class and five short blocks, as KTS(21)
    "KTS(33)": CyclicSpec(
        11,
        3,
        0,
        3,
        full_classes=(
            (
                (0, 2, 6),
                (13, 25, 26),
                (8, 9, 18),
                (1, 22, 31),
                (4, 7, 12),
                (11, 14, 30),
                (5, 16, 17),
                (15, 19, 21),
                (3, 23, 29),
                (20, 24, 27),
                (10, 28, 32),
            ),
        ),
        short_blocks=((0, 13, 24), (0, 18, 27), (0, 15, 25), (0, 14, 28), (0, 17, 23)),
    ),
    # KTS(39), KTS(45) and KTS(51): Z_13, Z_15 and Z_17 x 3 rows, one base class and 6, 7 or 8
    # short blocks, as KTS(21)
    "KTS(39)": CyclicSpec(
        13,
        3,
        0,
        3,
        full_classes=(
            (
                (0, 31, 37),
                (3, 9, 11),
                (10, 14, 15),
                (18, 29, 34),
                (5, 21, 27),
                (4, 7, 8),
                (1, 28, 30),
                (13, 17, 35),
                (2, 16, 23),
                (6, 19, 26),
                (20, 22, 25),
                (32, 33, 36),
                (12, 24, 38),
            ),
        ),
        short_blocks=((0, 19, 32), (0, 22, 34), (0, 20, 30), (0, 15, 36), (0, 24, 28), (0, 23, 38)),
    ),
    "KTS(45)": CyclicSpec(
        15,
        3,
        0,
        3,
        full_classes=(
            (
                (0, 1, 17),
                (9, 19, 29),
                (12, 27, 36),
                (16, 18, 24),
                (28, 34, 41),
                (4, 6, 10),
                (8, 11, 20),
                (5, 26, 37),
                (21, 22, 25),
                (2, 33, 42),
                (23, 30, 35),
                (31, 32, 43),
                (15, 38, 40),
                (3, 13, 39),
                (7, 14, 44),
            ),
        ),
        short_blocks=(
            (0, 28, 43),
            (0, 18, 35),
            (0, 29, 34),
            (0, 22, 38),
            (0, 26, 44),
            (0, 19, 33),
            (0, 23, 42),
        ),
    ),
    "KTS(51)": CyclicSpec(
        17,
        3,
        0,
        3,
        full_classes=(
            (
                (0, 3, 8),
                (20, 23, 38),
                (37, 40, 48),
                (2, 44, 46),
                (5, 27, 29),
                (13, 35, 36),
                (17, 34, 39),
                (22, 41, 45),
                (1, 12, 14),
                (10, 21, 30),
                (9, 26, 47),
                (4, 11, 25),
                (6, 42, 49),
                (7, 32, 33),
                (19, 31, 43),
                (18, 24, 28),
                (15, 16, 50),
            ),
        ),
        short_blocks=(
            (0, 32, 41),
            (0, 29, 45),
            (0, 18, 46),
            (0, 19, 49),
            (0, 33, 47),
            (0, 30, 50),
            (0, 23, 48),
            (0, 27, 37),
        ),
    ),
    # 42 and 48 people in triples for 20 and 23 rounds, each meeting all but one, as 30/3/14
    # (Z_20 x 2 + 2, half-turn groups) and 24/3/11 (Z_23 x 2 + 2)
    "42/3/20": CyclicSpec(
        20,
        2,
        2,
        3,
        full_classes=(
            (
                (0, 7, 26),
                (22, 36, 38),
                (8, 10, 23),
                (3, 9, 27),
                (15, 20, 37),
                (16, 24, 41),
                (2, 11, 32),
                (18, 25, 30),
                (21, 33, 34),
                (4, 12, 35),
                (14, 17, 31),
                (13, 29, 40),
                (1, 5, 6),
                (19, 28, 39),
            ),
        ),
        half_turn_groups=True,
    ),
    "48/3/23": CyclicSpec(
        23,
        2,
        2,
        3,
        full_classes=(
            (
                (0, 24, 38),
                (19, 23, 46),
                (7, 10, 21),
                (12, 26, 30),
                (13, 17, 33),
                (15, 36, 37),
                (27, 42, 44),
                (29, 34, 45),
                (3, 18, 28),
                (1, 2, 32),
                (6, 16, 35),
                (4, 9, 11),
                (14, 20, 25),
                (5, 31, 41),
                (8, 40, 43),
                (22, 39, 47),
            ),
        ),
        group_base=(0, 23),
    ),
    "54/3/26": CyclicSpec(
        26,
        2,
        2,
        3,
        full_classes=(
            (
                (0, 7, 49),
                (3, 31, 33),
                (27, 35, 36),
                (2, 40, 43),
                (34, 38, 48),
                (10, 15, 44),
                (6, 21, 46),
                (13, 23, 32),
                (17, 30, 50),
                (12, 14, 20),
                (22, 28, 39),
                (8, 26, 45),
                (11, 42, 47),
                (16, 37, 52),
                (1, 4, 18),
                (5, 9, 29),
                (19, 41, 53),
                (24, 25, 51),
            ),
        ),
        half_turn_groups=True,
    ),
    # 24 people in fours for 7 rounds, everyone meeting all but two: Z_7 x 3 rows + 3 fixed
    # points, one base class (search.find, exact but for the group orbits); the shifts of
    # {(0, 0), (0, 1), (0, 2)} and the three fixed points are its eight groups of three that
    # never meet (a resolvable 4-GDD of type 3^8)
    "24/4/7": CyclicSpec(
        7,
        3,
        3,
        4,
        full_classes=(
            (
                (0, 1, 5, 9),
                (7, 11, 13, 15),
                (6, 16, 18, 19),
                (3, 8, 14, 22),
                (2, 12, 17, 21),
                (4, 10, 20, 23),
            ),
        ),
        group_base=(0, 7, 14),
    ),
    # 30 people in fives for 6 rounds: Z_6 x 5 rows, one base class; each meets 24 of 29
    "30/5/6": CyclicSpec(
        6,
        5,
        0,
        5,
        full_classes=(
            (
                (0, 4, 6, 7, 19),
                (1, 2, 17, 24, 26),
                (9, 11, 13, 14, 25),
                (5, 12, 16, 21, 22),
                (10, 18, 20, 27, 28),
                (3, 8, 15, 23, 29),
            ),
        ),
    ),
    # 26 people at two tables of 5 and four of 4 for 6 rounds: Z_6 x 4 rows + 2 fixed points,
    # one base class of blocks of both sizes (search.find with sizes)
    "26/5/6": CyclicSpec(
        6,
        4,
        2,
        5,
        full_classes=(
            (
                (0, 8, 10, 12, 21),
                (3, 9, 14, 19, 24),
                (2, 4, 7, 22),
                (5, 6, 13, 15),
                (1, 16, 18, 20),
                (11, 17, 23, 25),
            ),
        ),
    ),
    # 18 people in triples for 8 rounds (a resolvable packing; 9 pairs never meet): Z_4 x 4 rows
    # + 2 fixed points, two base classes
    "18/3/8": CyclicSpec(
        4,
        4,
        2,
        3,
        full_classes=(
            ((0, 8, 15), (1, 4, 5), (7, 9, 16), (2, 11, 17), (6, 13, 14), (3, 10, 12)),
            ((0, 12, 16), (2, 3, 4), (6, 9, 10), (5, 14, 17), (7, 8, 13), (1, 11, 15)),
        ),
    ),
}
