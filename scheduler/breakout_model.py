"""CP-SAT models of the breakout problem, built in named steps, with one objective per stage.

x[p, b] = 1 when person p attends breakout b; run[b] = 1 when a breakout with a minimum runs.
The hard rules, for every person p, slot s and breakout b:

    sum_{b in s} x[p, b] = 1                                one breakout per slot
    min_b * run[b] <= sum_p x[p, b] <= cap_b * run[b]       capacity and minimum (run = 1 if none)
    sum_{b with title T} x[p, b] <= 1                       no topic twice
    x[p, b] = 1                                             pinned seats

served[p] = sum of x[p, b] over p's ranked breakouts: the slots p gets from their ranking.

`PreferenceModel` has x only for ranked choices; everyone else in slot s is counted by
fill[b] >= 0 with sum_{b in s} (ranked[b] + pinned[b] + fill[b]) = #people. It is exact except
that it does not check topics for those fill seats, and small, so the preference stages are fast.
`BreakoutModel` has every x[p, b]: it places the fill seats (balance and mix stages) with the
ranked seats kept from the preference stages, or solves every stage itself when that fails.
In repair mode (`problem.previous`) every stage runs on `BreakoutModel`, hinted with the earlier
seats, the first maximising the earlier seats kept (`moves_objective`).
Objective methods return a linear expression to maximise, adding the variables they need.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Iterable

from ortools.sat.python import cp_model

from scheduler.breakout_problem import BreakoutMetrics, BreakoutProblem
from scheduler.people import Person

SECTOR_WEIGHT = 10
"""In the mix objective, a sector present in a breakout is worth ten fewer same-org pairs."""
FILL_SCALE = 100_000
"""Fill ratios in the balance stage are counted in 1/FILL_SCALE."""


class _Model:
    """What both models share: x for (at least) ranked choices, run, the preference stages.
    Each model adds its own `load(breakout_id)`, the people in a breakout."""

    def __init__(
        self,
        problem: BreakoutProblem,
        potentials: dict[str, int],
        baseline: BreakoutMetrics | None,
    ) -> None:
        self.problem = problem
        self.potentials = potentials
        self.baseline = baseline
        self.model = cp_model.CpModel()
        self.x: dict[tuple[str, str], cp_model.IntVar] = {}
        self.run: dict[str, cp_model.IntVar | int] = {}
        for b in problem.breakouts:
            self.run[b.id] = self.model.new_bool_var(f"run[{b.id}]") if b.min_attendance else 1

    def served(self, person: Person) -> cp_model.LinearExpr:
        return _sum(self.x[person.id, b] for b in person.preferences)

    def ranked_assignments(self) -> cp_model.LinearExpr:
        return _sum(self.served(p) for p in self.problem.people)

    def fully_served(self) -> cp_model.LinearExpr:
        """People given every slot from their ranking: full[p] = 1 implies served[p] = #slots."""
        slots = len(self.problem.slots)
        flags = []
        for person in self.problem.people:
            if slots and self.potentials[person.id] == slots:
                flag = self.model.new_bool_var(f"full[{person.id}]")
                self.model.add(self.served(person) >= slots * flag)
                flags.append(flag)
        return _sum(flags)

    def worst_off_objective(self) -> cp_model.LinearExpr:
        """t = sum_k y[k] with y[1] >= y[2] >= ...; everyone with a ranking gets
        served[p] >= min(t, potential[p]) = sum_{k <= potential[p]} y[k]. Maximise t."""
        levels = [self.model.new_bool_var(f"t>={k + 1}") for k in range(len(self.problem.slots))]
        for higher, lower in zip(levels[1:], levels, strict=False):
            self.model.add_implication(higher, lower)
        for person in self.problem.people:
            if person.preferences:
                self.model.add(self.served(person) >= _sum(levels[: self.potentials[person.id]]))
        return _sum(levels)

    def keep_baseline_objective(self) -> cp_model.LinearExpr:
        """Where the fairness level allows, the baseline (first come, first served) figures as
        floors: ranked assignments, fully served people, and every running breakout at least
        as full as the baseline's emptiest, a/c (c * load[b] >= a * cap[b]). keep[i] = 1
        enforces floor i; maximise how many are kept."""
        if self.baseline is None:
            return _sum([])
        keep_ranked, keep_full, keep_fill = (
            self.model.new_bool_var(f"keep_baseline_{name}") for name in ("ranked", "full", "fill")
        )
        baseline = self.baseline
        self.model.add(self.ranked_assignments() >= baseline.ranked_assignments).only_enforce_if(
            keep_ranked
        )
        self.model.add(self.fully_served() >= baseline.fully_served).only_enforce_if(keep_full)
        attendees, capacity = next(
            ((a, c) for a, c in baseline.fill.values() if a / c == baseline.emptiest_fill), (0, 1)
        )
        for b in self.problem.breakouts:
            enforce = [keep_fill, self.run[b.id]] if b.min_attendance else [keep_fill]
            self.model.add(capacity * self.load(b.id) >= attendees * b.capacity).only_enforce_if(
                enforce
            )
        return _sum([keep_ranked, keep_full, keep_fill])

    def preferences_objective(self) -> cp_model.LinearExpr:
        """Rank-weighted satisfaction: rank r (1 = best) of at most R ranks scores 2R + 1 - r,
        so any ranked breakout (>= R + 1) outweighs moving someone up their list (<= R - 1)."""
        most = max((len(p.preferences) for p in self.problem.people), default=0)
        variables, weights = [], []
        for person in self.problem.people:
            for rank, breakout_id in enumerate(person.preferences):
                variables.append(self.x[person.id, breakout_id])
                weights.append(2 * most - rank)
        return cp_model.LinearExpr.weighted_sum(variables, weights)

    def _add_capacity(self, breakout_id: str, load: cp_model.LinearExpr) -> None:
        b = self.problem.breakout(breakout_id)
        self.model.add(load <= b.capacity * self.run[b.id])
        if b.min_attendance:
            self.model.add(load >= b.min_attendance * self.run[b.id])


class PreferenceModel(_Model):
    """x for ranked choices only, fill counts for every other seat (module docstring)."""

    def __init__(
        self,
        problem: BreakoutProblem,
        potentials: dict[str, int],
        baseline: BreakoutMetrics | None = None,
    ) -> None:
        super().__init__(problem, potentials, baseline)
        self.loads: dict[str, cp_model.LinearExpr] = {}
        self._add_ranked_variables()
        self._add_at_most_one_per_slot_and_topic()
        self._add_pins()
        self._add_capacities_with_fill()

    def _add_ranked_variables(self) -> None:
        for person in self.problem.people:
            for breakout_id in person.preferences:
                self.x[person.id, breakout_id] = self.model.new_bool_var(
                    f"x[{person.id},{breakout_id}]"
                )

    def _add_at_most_one_per_slot_and_topic(self) -> None:
        for person in self.problem.people:
            groups: dict[tuple[str, str], list[cp_model.IntVar]] = defaultdict(list)
            for breakout_id in person.preferences:
                b = self.problem.breakout(breakout_id)
                groups["slot", b.slot].append(self.x[person.id, b.id])
                groups["title", b.title].append(self.x[person.id, b.id])
            for group in groups.values():
                if len(group) > 1:
                    self.model.add_at_most_one(group)

    def _add_pins(self) -> None:
        """A pinned ranked seat is x = 1; a pinned unranked seat rules out the person's ranked
        choices in that slot and on that topic."""
        for person in self.problem.people:
            for slot, breakout_id in self.problem.pins_by_person.get(person.id, {}).items():
                if breakout_id in person.preferences:
                    self.model.add(self.x[person.id, breakout_id] == 1)
                    continue
                title = self.problem.breakout(breakout_id).title
                for ranked in person.preferences:
                    b = self.problem.breakout(ranked)
                    if b.slot == slot or b.title == title:
                        self.model.add(self.x[person.id, ranked] == 0)

    def _add_capacities_with_fill(self) -> None:
        ranked_load: dict[str, list[cp_model.IntVar]] = defaultdict(list)
        for (_person_id, breakout_id), var in self.x.items():
            ranked_load[breakout_id].append(var)
        pinned_unranked = Counter(
            breakout_id
            for (person_id, _slot), breakout_id in self.problem.pinned.items()
            if breakout_id not in self.problem.person(person_id).preferences
        )
        for slot in self.problem.slots:
            for b in self.problem.breakouts_in(slot):
                fill = self.model.new_int_var(0, b.capacity, f"fill[{b.id}]")
                self.loads[b.id] = _sum(ranked_load[b.id]) + pinned_unranked[b.id] + fill
                self._add_capacity(b.id, self.loads[b.id])
            slot_loads = [self.loads[b.id] for b in self.problem.breakouts_in(slot)]
            self.model.add(_sum(slot_loads) == len(self.problem.people))

    def load(self, breakout_id: str) -> cp_model.LinearExpr:
        return self.loads[breakout_id]


class BreakoutModel(_Model):
    """x for every (person, breakout): the exact model."""

    def __init__(
        self,
        problem: BreakoutProblem,
        potentials: dict[str, int],
        baseline: BreakoutMetrics | None = None,
    ) -> None:
        super().__init__(problem, potentials, baseline)
        self._add_variables()
        self._add_one_breakout_per_slot()
        self._add_capacities()
        self._add_distinct_topics()
        self._add_pins()

    def _add_variables(self) -> None:
        for person in self.problem.people:
            for b in self.problem.breakouts:
                self.x[person.id, b.id] = self.model.new_bool_var(f"x[{person.id},{b.id}]")

    def _add_one_breakout_per_slot(self) -> None:
        for person in self.problem.people:
            for slot in self.problem.slots:
                self.model.add_exactly_one(
                    self.x[person.id, b.id] for b in self.problem.breakouts_in(slot)
                )

    def _add_capacities(self) -> None:
        for b in self.problem.breakouts:
            self._add_capacity(b.id, self.load(b.id))

    def _add_distinct_topics(self) -> None:
        slots_of_title: dict[str, set[str]] = defaultdict(set)
        for b in self.problem.breakouts:
            slots_of_title[b.title].add(b.slot)
        for title, slots in slots_of_title.items():
            if len(slots) < 2:
                continue
            sessions = [b.id for b in self.problem.breakouts if b.title == title]
            for person in self.problem.people:
                self.model.add_at_most_one(self.x[person.id, b] for b in sessions)

    def _add_pins(self) -> None:
        for (person_id, _slot), breakout_id in self.problem.pinned.items():
            self.model.add(self.x[person_id, breakout_id] == 1)

    def keep_ranked(self, assignments: dict[str, dict[str, str]], cancelled: Iterable[str]) -> None:
        """Keep every ranked seat (taken or not) and every cancellation as in `assignments`;
        only the other seats stay free."""
        for person in self.problem.people:
            given = set(assignments.get(person.id, {}).values())
            for breakout_id in person.preferences:
                self.model.add(self.x[person.id, breakout_id] == int(breakout_id in given))
        cancelled = set(cancelled)
        for breakout_id, run in self.run.items():
            if not isinstance(run, int):
                self.model.add(run == int(breakout_id not in cancelled))

    def load(self, breakout_id: str) -> cp_model.LinearExpr:
        return _sum(self.x[p.id, breakout_id] for p in self.problem.people)

    def moves_objective(self) -> cp_model.LinearExpr:
        """Repair mode: the earlier seats kept (so the fewest people are moved). The earlier
        plan is also the search's hint."""
        earlier = self.problem.earlier_seats
        for (person_id, slot), kept in earlier.items():
            for b in self.problem.breakouts_in(slot):
                self.model.add_hint(self.x[person_id, b.id], b.id == kept)
        return _sum(self.x[person_id, b] for (person_id, _slot), b in earlier.items())

    def balance_objective(self) -> cp_model.LinearExpr:
        """Emptiest fill z / FILL_SCALE: FILL_SCALE * load[b] >= z * cap[b] for every breakout
        that runs. The scale tells apart any two fill ratios of rooms under 300 seats."""
        emptiest = self.model.new_int_var(0, FILL_SCALE, "emptiest_fill")
        for b in self.problem.breakouts:
            constraint = self.model.add(FILL_SCALE * self.load(b.id) >= b.capacity * emptiest)
            if b.min_attendance:
                constraint.only_enforce_if(self.run[b.id])
        return emptiest

    def mix_objective(self) -> cp_model.LinearExpr:
        """SECTOR_WEIGHT * distinct (breakout, sector) pairs - same-organisation pairs.
        has[b, s] <= sum of x over sector s; pairs[b, o] >= k*c - k(k+1)/2 for k >= 1, the
        tangents of C(c, 2) at integers, with c the organisation's attendance in b."""
        sectors: dict[str, list[str]] = defaultdict(list)
        orgs: dict[str, list[str]] = defaultdict(list)
        for person in self.problem.people:
            sectors[person.sector].append(person.id)
            orgs[person.organisation].append(person.id)
        present, pairs = [], []
        for b in self.problem.breakouts:
            for sector, members in sectors.items():
                has = self.model.new_bool_var(f"has[{b.id},{sector}]")
                self.model.add(has <= _sum(self.x[pid, b.id] for pid in members))
                present.append(has)
            for org, members in orgs.items():
                most = min(len(members), b.capacity)
                if most < 2:
                    continue
                count = self.model.new_int_var(0, most, f"count[{b.id},{org}]")
                self.model.add(count == _sum(self.x[pid, b.id] for pid in members))
                same = self.model.new_int_var(0, most * (most - 1) // 2, f"pairs[{b.id},{org}]")
                for k in range(1, most):
                    self.model.add(same >= k * count - k * (k + 1) // 2)
                pairs.append(same)
        return SECTOR_WEIGHT * _sum(present) - _sum(pairs)


def _sum(terms: Iterable[cp_model.LinearExprT]) -> cp_model.LinearExpr:
    return cp_model.LinearExpr.sum(list(terms))
