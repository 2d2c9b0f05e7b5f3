"""The searches that found the designs shipped as data (run offline, once): CP-SAT models.

    python -m scheduler.designs.search

`find` and `find_with_short_blocks` give the base blocks in cyclic.py, `find_packing` the
spreads in packings.py.

Points are Z_m x {0..rows-1} (point i*m + x for (x, i)) plus `fixed` points that the group
Z_m leaves alone. A *full* base class is a partition of all points into blocks of k; shifting it
by s = 0..m-1 gives m rounds. A *short* base class is one transversal block (one point per row,
rows = k) whose m shifts form one round by themselves. Two points meet at most once in the
developed schedule exactly when every pair orbit under Z_m (a pure difference in one row, a
mixed difference between two rows, a row with a fixed point) is hit at most once by a pair
inside a base block, and no base block holds a pair whose orbit is shorter than m (it would be
hit twice) or two fixed points. The model asks for exactly that; `exact` asks every orbit to be
hit (every pair meets exactly once: a resolvable 2-design).
"""

from __future__ import annotations

from dataclasses import replace
from itertools import combinations, product

from ortools.sat.python import cp_model

from scheduler.designs.cyclic import CyclicSpec
from scheduler.designs.geometry import projective_lines


def pair_orbit(spec: CyclicSpec, a: int, b: int) -> tuple | None:
    """A name for the Z_m orbit of the pair {a, b}, or None if the orbit is shorter than m."""
    m, moving = spec.modulus, spec.modulus * spec.rows
    if a >= moving and b >= moving:
        return None
    if a >= moving or b >= moving:
        fixed, other = max(a, b), min(a, b)
        return ("fixed", fixed, other // m)
    (ia, xa), (ib, xb) = divmod(a, m), divmod(b, m)
    if ia == ib:
        d = (xb - xa) % m
        d = min(d, m - d)
        return None if 2 * d == m else ("pure", ia, d)
    if ia > ib:
        ia, ib, xa, xb = ib, ia, xb, xa
    return ("mixed", ia, ib, (xb - xa) % m)


def _base_blocks(
    spec: CyclicSpec, short_count: int, sizes: tuple[int, ...] = ()
) -> tuple[cp_model.CpModel, list[list], dict[tuple, list]]:
    """The model's variables: spec.full_count base classes (of blocks of these sizes, or all of
    spec.block_size), then `short_count` short blocks, each a list of membership literals; and,
    per pair orbit, the literals of its pairs inside a base block (pairs whose orbit is short
    are forbidden outright)."""
    m, rows, k = spec.modulus, spec.rows, spec.block_size
    points = m * rows + spec.fixed
    sizes = sizes or (k,) * (points // k)
    model = cp_model.CpModel()
    blocks = []
    for _ in range(spec.full_count):
        members = [[model.new_bool_var("") for _ in range(points)] for _ in sizes]
        for p in range(points):
            model.add_exactly_one(block[p] for block in members)
        for block, size in zip(members, sizes, strict=True):
            model.add(sum(block) == size)
        # symmetry: block j holds the j-th smallest "first point"
        model.add(members[0][0] == 1)
        blocks.extend(members)
    for _ in range(short_count):
        block = [model.new_bool_var("") for _ in range(points)]
        for i in range(rows):
            model.add_exactly_one(block[i * m : (i + 1) * m])
        model.add(block[0] == 1)  # shifting a short block gives the same round
        model.add(sum(block[m * rows :]) == 0)
        blocks.append(block)
    hits: dict[tuple, list] = {}
    for block in blocks:
        for a, b in combinations(range(points), 2):
            orbit = pair_orbit(spec, a, b)
            if orbit is None:
                model.add_bool_or([block[a].Not(), block[b].Not()])
                continue
            both = model.new_bool_var("")
            model.add_implication(both, block[a])
            model.add_implication(both, block[b])
            model.add_bool_or([block[a].Not(), block[b].Not(), both])
            hits.setdefault(orbit, []).append(both)
    return model, blocks, hits


def _solver(seconds: float, seed: int) -> cp_model.CpSolver:
    solver = cp_model.CpSolver()
    solver.parameters.max_time_in_seconds = seconds
    solver.parameters.num_workers = 1
    solver.parameters.random_seed = seed
    return solver


def _spec(spec: CyclicSpec, full: list[tuple[int, ...]], short: list[tuple[int, ...]]):
    """The searched shape (groups included) with the base blocks found."""
    per_class = len(full) // spec.full_count if spec.full_count else 0
    return replace(
        spec,
        full_classes=tuple(
            tuple(full[c * per_class : (c + 1) * per_class]) for c in range(spec.full_count)
        ),
        short_blocks=tuple(short),
    )


def find(
    spec: CyclicSpec, exact: bool, seconds: float, seed: int = 0, sizes: tuple[int, ...] = ()
) -> CyclicSpec | None:
    """Base blocks of this shape (full classes of blocks of `sizes` when given: tables of two
    sizes, as 26 people in fives), or None if none turn up within `seconds`. The orbits of
    pairs inside spec.group_base stay unhit, so its shifts are groups that never meet; with
    `exact`, every other orbit is hit once (a resolvable group divisible design)."""
    model, blocks, hits = _base_blocks(spec, spec.short_count, sizes)
    apart = {pair_orbit(spec, a, b) for a, b in combinations(spec.group_base, 2)}
    for orbit, literals in hits.items():
        if orbit in apart:
            model.add_bool_and([literal.Not() for literal in literals])
        elif exact:
            model.add_exactly_one(literals)
        else:
            model.add_at_most_one(literals)
    solver = _solver(seconds, seed)
    if solver.solve(model) not in (cp_model.OPTIMAL, cp_model.FEASIBLE):
        return None
    points = spec.modulus * spec.rows + spec.fixed
    chosen = [tuple(p for p in range(points) if solver.boolean_value(x[p])) for x in blocks]
    full = len(blocks) - spec.short_count
    return _spec(spec, chosen[:full], chosen[full:])


def find_with_short_blocks(spec: CyclicSpec, seconds: float, seed: int = 0) -> CyclicSpec | None:
    """For one full base class and a few short blocks, on rows = block_size and no fixed point,
    where `find` does not finish in minutes (44 people in fours for 13 rounds): enumerate full
    classes that hit every pure orbit, so that as many mixed orbits as possible stay free, and
    for each try every set of spec.short_count short blocks (0, b_1, ..., b_{k-1}) on the mixed
    orbits it leaves free."""
    m, rows = spec.modulus, spec.rows
    model, blocks, hits = _base_blocks(CyclicSpec(m, rows, 0, spec.block_size, full_count=1), 0)
    for orbit, literals in hits.items():
        if orbit[0] == "pure":
            model.add_exactly_one(literals)
        else:
            model.add_at_most_one(literals)
    candidates = []  # every short block, with the mixed orbits it hits
    for offsets in product(range(m), repeat=rows - 1):
        block = (0, *offsets)
        orbits = {(i, j, (block[j] - block[i]) % m) for i, j in combinations(range(rows), 2)}
        candidates.append((tuple(i * m + x for i, x in enumerate(block)), orbits))
    found: list[CyclicSpec] = []

    class ShortBlocks(cp_model.CpSolverSolutionCallback):
        def on_solution_callback(self) -> None:
            full = [tuple(p for p in range(m * rows) if self.boolean_value(x[p])) for x in blocks]
            orbits = (pair_orbit(spec, a, b) for block in full for a, b in combinations(block, 2))
            taken = {orbit[1:] for orbit in orbits if orbit and orbit[0] == "mixed"}
            free = [(block, orbits) for block, orbits in candidates if not orbits & taken]
            for chosen in combinations(free, spec.short_count):
                orbits = [o for _, block_orbits in chosen for o in block_orbits]
                if len(set(orbits)) == len(orbits):
                    found.append(_spec(spec, full, [block for block, _ in chosen]))
                    self.stop_search()
                    return

    solver = _solver(seconds, seed)
    solver.parameters.enumerate_all_solutions = True
    solver.solve(model, ShortBlocks())
    return found[0] if found else None


# name in cyclic.FOUND -> (the shape searched for, whether every pair must meet exactly once)
TARGETS: dict[str, tuple[CyclicSpec, bool]] = {
    "KTS(21)": (CyclicSpec(7, 3, 0, 3, full_count=1, short_count=3), True),
    "RBIBD(28, 4)": (CyclicSpec(9, 3, 1, 4, full_count=1), True),
    "18/3/8": (CyclicSpec(4, 4, 2, 3, full_count=2), False),
    "24/4/7": (CyclicSpec(7, 3, 3, 4, full_count=1, group_base=(0, 7, 14)), True),
    "24/3/11": (CyclicSpec(11, 2, 2, 3, full_count=1, group_base=(0, 11)), True),
    "36/3/17": (CyclicSpec(17, 2, 2, 3, full_count=1, group_base=(0, 17)), True),
    "KTS(33)": (CyclicSpec(11, 3, 0, 3, full_count=1, short_count=5), True),
    "30/3/14": (CyclicSpec(14, 2, 2, 3, full_count=1, half_turn_groups=True), True),
    "30/5/6": (CyclicSpec(6, 5, 0, 5, full_count=1), False),
    "KTS(39)": (CyclicSpec(13, 3, 0, 3, full_count=1, short_count=6), True),
    "KTS(45)": (CyclicSpec(15, 3, 0, 3, full_count=1, short_count=7), True),
    "KTS(51)": (CyclicSpec(17, 3, 0, 3, full_count=1, short_count=8), True),
    "42/3/20": (CyclicSpec(20, 2, 2, 3, full_count=1, half_turn_groups=True), True),
    "48/3/23": (CyclicSpec(23, 2, 2, 3, full_count=1, group_base=(0, 23)), True),
    "54/3/26": (CyclicSpec(26, 2, 2, 3, full_count=1, half_turn_groups=True), True),
}
# found by find_with_short_blocks instead
WITH_SHORT_BLOCKS = {
    "44/4/13": CyclicSpec(11, 4, 0, 4, full_count=1, short_count=2),
    "36/4/11": CyclicSpec(9, 4, 0, 4, full_count=1, short_count=2),
}
# found by find with tables of these sizes
MIXED_SIZES = {"26/5/6": (CyclicSpec(6, 4, 2, 5, full_count=1), (5, 5, 4, 4, 4, 4))}


def main() -> None:
    """Search again for every design the catalogue ships as data, and print what is found."""
    for name, (shape, exact) in TARGETS.items():
        found = find(shape, exact, seconds=600.0)
        print(name, found and (found.full_classes, found.short_blocks))
    for name, shape in WITH_SHORT_BLOCKS.items():
        found = find_with_short_blocks(shape, seconds=600.0)
        print(name, found and (found.full_classes, found.short_blocks))
    for name, (shape, sizes) in MIXED_SIZES.items():
        found = find(shape, exact=False, seconds=600.0, sizes=sizes)
        print(name, found and found.full_classes)
    for q in (2, 3):
        spreads = find_packing(projective_lines(3, q), (q**4 - 1) // (q - 1), seconds=600.0)
        print(f"PG(3, {q})", spreads and "".join("0123456789abc"[s] for s in spreads))


def find_packing(lines: list[tuple[int, ...]], points: int, seconds: float) -> list[int] | None:
    """Split `lines` (a 2-design) into parallel classes: the class of each line, or None.

    CP-SAT: x[line, class], each line in one class, each point on one line of every class; the
    lines through point 0 go to classes 0, 1, ... in order (symmetry)."""
    per_point = sum(1 for line in lines if 0 in line)
    model = cp_model.CpModel()
    x = {(i, c): model.new_bool_var("") for i in range(len(lines)) for c in range(per_point)}
    for i in range(len(lines)):
        model.add_exactly_one(x[i, c] for c in range(per_point))
    for p in range(points):
        through = [i for i, line in enumerate(lines) if p in line]
        for c in range(per_point):
            model.add_exactly_one(x[i, c] for i in through)
    for c, i in enumerate(i for i, line in enumerate(lines) if 0 in line):
        model.add(x[i, c] == 1)
    solver = cp_model.CpSolver()
    solver.parameters.max_time_in_seconds = seconds
    solver.parameters.num_workers = 1
    if solver.solve(model) not in (cp_model.OPTIMAL, cp_model.FEASIBLE):
        return None
    return [
        next(c for c in range(per_point) if solver.boolean_value(x[i, c]))
        for i in range(len(lines))
    ]


if __name__ == "__main__":
    main()
