"""The hard constraints alone, as one CP-SAT model: a seating when the greedy gets stuck, or the
constraints that conflict when there is none.

Variables x[p, r, t] (person p at table t in round r). Every constraint family except "one
table per person per round" and capacity is enforced by its own literal, and all those literals
are passed as assumptions, so on infeasibility CP-SAT's sufficient_assumptions_for_infeasibility
names a subset of constraints that cannot hold together:

- keep-together group g:       x[p, r, t] = x[q, r, t] for p, q in g
- keep-apart a/b:              x[a, r, t] + x[b, r, t] <= 1
- pinned seat (p, r) -> t:     x[p, r, t] = 1
- accessible need of p:        x[p, r, t] = 0 for every table t that is not accessible
- facilitator f:               x[f, r, t] = x[f, 0, t]
- one facilitator per table:   sum_f x[f, 0, t] <= 1
- balanced sizes:              lo_t <= sum_p x[p, r, t] <= hi_t

In repair mode the model minimises the number of people moved from their earlier table.
"""

from __future__ import annotations

from dataclasses import dataclass

from ortools.sat.python import cp_model

from scheduler.table_problem import Instance


@dataclass
class HardModel:
    model: cp_model.CpModel
    x: dict[tuple[int, int, int], cp_model.IntVar]
    names: dict[int, str]  # assumption literal index -> the constraint it enforces


@dataclass
class HardResult:
    unit_table: list[list[int]] | None
    conflicts: list[str]


def solve_hard_constraints(
    instance: Instance, time_limit: float, seed: int, workers: int
) -> HardResult:
    """A seating meeting every hard constraint (unit tables per round), or the conflicts."""
    hard = build_variables(instance)
    add_constraints(instance, hard)
    add_objective(instance, hard)
    solver = cp_model.CpSolver()
    solver.parameters.max_time_in_seconds = max(0.1, time_limit)
    solver.parameters.random_seed = seed
    solver.parameters.num_workers = workers
    status = solver.solve(hard.model)
    if status in (cp_model.OPTIMAL, cp_model.FEASIBLE):
        unit_table = [
            [
                next(
                    t for t in range(instance.tables) if solver.boolean_value(hard.x[unit[0], r, t])
                )
                for unit in instance.units
            ]
            for r in range(instance.rounds)
        ]
        return HardResult(unit_table, [])
    if status == cp_model.INFEASIBLE:
        core = solver.sufficient_assumptions_for_infeasibility()
        names = sorted({hard.names[i] for i in core if i in hard.names})
        return HardResult(None, names or ["table capacities"])
    return HardResult(
        None, [f"no seating meeting every hard constraint found in {time_limit:.0f} s"]
    )


def build_variables(instance: Instance) -> HardModel:
    model = cp_model.CpModel()
    x = {
        (p, r, t): model.new_bool_var(f"x_{p}_{r}_{t}")
        for p in range(instance.people)
        for r in range(instance.rounds)
        for t in range(instance.tables)
    }
    return HardModel(model, x, {})


def add_constraints(instance: Instance, hard: HardModel) -> None:
    model, x = hard.model, hard.x
    rounds, tables, ids = range(instance.rounds), range(instance.tables), instance.ids

    def guard(name: str):
        literal = model.new_bool_var(name)
        model.add_assumption(literal)
        hard.names[literal.index] = name
        return literal

    for p in range(instance.people):
        for r in rounds:
            model.add_exactly_one(x[p, r, t] for t in tables)
    balanced = guard("balanced table sizes")
    for r in rounds:
        for t in tables:
            seated = sum(x[p, r, t] for p in range(instance.people))
            model.add(seated <= instance.capacity[t])
            model.add_linear_constraint(seated, instance.lo[t], instance.hi[t]).only_enforce_if(
                balanced
            )
    for u, unit in enumerate(instance.units):
        if len(unit) > 1:
            together = guard(f"keep-together {instance.unit_name(u)}")
            for p in unit[1:]:
                for r in rounds:
                    for t in tables:
                        model.add(x[p, r, t] == x[unit[0], r, t]).only_enforce_if(together)
        if instance.needs_accessible[u]:
            for p in unit:
                need = guard(f"accessible table for {ids[p]}")
                for r in rounds:
                    for t in tables:
                        if not instance.accessible[t]:
                            model.add(x[p, r, t] == 0).only_enforce_if(need)
    for (p, r), t in instance.person_pins.items():
        pin = guard(f"pinned seat of {ids[p]} at table {t + 1} in round {r + 1}")
        model.add(x[p, r, t] == 1).only_enforce_if(pin)
    for a, b in instance.apart_pairs:
        apart = guard(f"keep-apart {ids[a]}/{ids[b]}")
        for r in rounds:
            for t in tables:
                model.add_bool_or([x[a, r, t].negated(), x[b, r, t].negated()]).only_enforce_if(
                    apart
                )
    hosts = instance.hosts
    for f in hosts:
        stays = guard(f"facilitator {ids[f]} stays at one table")
        for r in rounds[1:]:
            for t in tables:
                model.add(x[f, r, t] == x[f, 0, t]).only_enforce_if(stays)
    if hosts:
        one_each = guard("at most one facilitator per table")
        for t in tables:
            model.add(sum(x[f, 0, t] for f in hosts) <= 1).only_enforce_if(one_each)


def add_objective(instance: Instance, hard: HardModel) -> None:
    """Repair mode: fewest people away from their earlier table."""
    if instance.previous is None:
        return
    hard.model.minimize(
        sum(
            1 - hard.x[p, r, instance.previous[r][p]]
            for r in range(instance.rounds)
            for p in range(instance.people)
            if instance.previous[r][p] != -1
        )
    )
