"""A plan under construction or search, with every measure kept up to date move by move.

`Seating` holds, per round r and table t, the people seated there and how many of each
organisation, sector and profession they include, plus the meeting matrix meet[p][q] (rounds in
which p and q share a table). With those, the penalty

    P = w_move*moved + w_org*sum_{r,t,o} C(n_rto, 2) + w_rep*sum_{p<q} max(0, meet_pq - 1)
        + w_hist*#{p<q met before: meet_pq > 0}
        - w_sec*#{(r,t,s): n_rts > 0} - w_prof*#{(r,t,v): n_rtv > 0}

changes by an amount computable from the two tables involved in a move, so a swap is evaluated
in O(table size) without touching the plan (`swap_delta`, `move_delta`). The objective reported
to users adds the constant sector and profession bounds, making it non-negative.
"""

from __future__ import annotations

from collections import Counter

from scheduler.table_problem import Instance, Weights

UNSEATED = -1


class Seating:
    def __init__(self, instance: Instance, weights: Weights) -> None:
        self.instance = instance
        self.weights = weights
        rounds, tables, n = instance.rounds, instance.tables, instance.people
        self.unit_table = [[UNSEATED] * len(instance.units) for _ in range(rounds)]
        self.table_of = [[UNSEATED] * n for _ in range(rounds)]
        self.members: list[list[list[int]]] = [[[] for _ in range(tables)] for _ in range(rounds)]
        self.org_n = [[[0] * (max(instance.org) + 1) for _ in range(tables)] for _ in range(rounds)]
        self.sec_n = [
            [[0] * (max(instance.sector) + 1) for _ in range(tables)] for _ in range(rounds)
        ]
        self.prof_n = [
            [[0] * (max(instance.profession) + 1) for _ in range(tables)] for _ in range(rounds)
        ]
        # bytes, not lists of ints: 25 MB rather than 200 MB for 5,000 people (counts fit while
        # there are fewer than 256 rounds)
        self.meet = [bytearray(n) if rounds < 256 else [0] * n for _ in range(n)]
        org_size = Counter(instance.org)
        # the most colleagues one table needs to hold when an organisation spreads evenly
        self.org_ceiling = [-(-org_size[o] // tables) for o in range(max(instance.org) + 1)]
        # per round and sector (profession): the tables it is present at, and the most it can
        # reach, min(T, members): below that, someone of it sits with a namesake needlessly
        self.sec_tables = [[0] * (max(instance.sector) + 1) for _ in range(rounds)]
        self.prof_tables = [[0] * (max(instance.profession) + 1) for _ in range(rounds)]
        self.sec_most = _most_tables(instance.sector, tables)
        self.prof_most = _most_tables(instance.profession, tables)
        self.same_org = 0
        self.repeats = 0
        self.met_again = 0  # pairs who met at an earlier event and share a table here
        self.sectors = 0
        self.professions = 0
        self.moved = 0

    @property
    def penalty(self) -> int:
        w = self.weights
        return (
            w.moves * self.moved
            + w.same_org * self.same_org
            + w.repeats * self.repeats
            + w.history * self.met_again
            - w.sector * self.sectors
            - w.profession * self.professions
        )

    def size(self, r: int, t: int) -> int:
        return len(self.members[r][t])

    # --- applying changes -------------------------------------------------------------------

    def place(self, r: int, unit: int, t: int) -> None:
        """Seat an unseated unit at table t in round r."""
        self.unit_table[r][unit] = t
        for p in self.instance.units[unit]:
            self._add(r, p, t)

    def unseat(self, r: int, unit: int) -> None:
        t = self.unit_table[r][unit]
        self.unit_table[r][unit] = UNSEATED
        for p in self.instance.units[unit]:
            self._remove(r, p, t)

    def move(self, r: int, unit: int, t: int) -> None:
        self.unseat(r, unit)
        self.place(r, unit, t)

    def _add(self, r: int, p: int, t: int) -> None:
        inst = self.instance
        row = self.meet[p]
        history = inst.met_before[p]
        for x in self.members[r][t]:
            if row[x] >= 1:
                self.repeats += 1
            elif x in history:
                self.met_again += 1
            row[x] += 1
            self.meet[x][p] += 1
        self.members[r][t].append(p)
        self.table_of[r][p] = t
        self.same_org += self.org_n[r][t][inst.org[p]]
        self.org_n[r][t][inst.org[p]] += 1
        s, v = inst.sector[p], inst.profession[p]
        if self.sec_n[r][t][s] == 0:
            self.sectors += 1
            self.sec_tables[r][s] += 1
        self.sec_n[r][t][s] += 1
        if self.prof_n[r][t][v] == 0:
            self.professions += 1
            self.prof_tables[r][v] += 1
        self.prof_n[r][t][v] += 1
        if inst.previous is not None and inst.previous[r][p] not in (-1, t):
            self.moved += 1

    def _remove(self, r: int, p: int, t: int) -> None:
        inst = self.instance
        self.members[r][t].remove(p)
        self.table_of[r][p] = UNSEATED
        row = self.meet[p]
        history = inst.met_before[p]
        for x in self.members[r][t]:
            row[x] -= 1
            self.meet[x][p] -= 1
            if row[x] >= 1:
                self.repeats -= 1
            elif x in history:
                self.met_again -= 1
        self.org_n[r][t][inst.org[p]] -= 1
        self.same_org -= self.org_n[r][t][inst.org[p]]
        s, v = inst.sector[p], inst.profession[p]
        self.sec_n[r][t][s] -= 1
        if self.sec_n[r][t][s] == 0:
            self.sectors -= 1
            self.sec_tables[r][s] -= 1
        self.prof_n[r][t][v] -= 1
        if self.prof_n[r][t][v] == 0:
            self.professions -= 1
            self.prof_tables[r][v] -= 1
        if inst.previous is not None and inst.previous[r][p] not in (-1, t):
            self.moved -= 1

    # --- evaluating changes without applying them ------------------------------------------

    def place_delta(self, r: int, p: int, t: int) -> int:
        """Penalty change of seating unseated person p at table t."""
        inst, w = self.instance, self.weights
        row, history = self.meet[p], inst.met_before[p]
        delta = w.repeats * sum(1 for x in self.members[r][t] if row[x] >= 1)
        if history:
            delta += w.history * sum(1 for x in self.members[r][t] if row[x] == 0 and x in history)
        delta += w.same_org * self.org_n[r][t][inst.org[p]]
        delta -= w.sector * (self.sec_n[r][t][inst.sector[p]] == 0)
        delta -= w.profession * (self.prof_n[r][t][inst.profession[p]] == 0)
        if inst.previous is not None and inst.previous[r][p] not in (-1, t):
            delta += w.moves
        return delta

    def move_delta(self, r: int, p: int, t: int) -> int:
        """Penalty change of moving seated person p alone to table t."""
        inst, w = self.instance, self.weights
        a = self.table_of[r][p]
        row, history = self.meet[p], inst.met_before[p]
        delta = w.repeats * (
            sum(1 for y in self.members[r][t] if row[y] >= 1)
            - sum(1 for x in self.members[r][a] if x != p and row[x] >= 2)
        )
        if history:
            delta += w.history * (
                sum(1 for y in self.members[r][t] if row[y] == 0 and y in history)
                - sum(1 for x in self.members[r][a] if row[x] == 1 and x in history)
            )
        o, s, v = inst.org[p], inst.sector[p], inst.profession[p]
        delta += w.same_org * (self.org_n[r][t][o] - self.org_n[r][a][o] + 1)
        delta -= w.sector * ((self.sec_n[r][t][s] == 0) - (self.sec_n[r][a][s] == 1))
        delta -= w.profession * ((self.prof_n[r][t][v] == 0) - (self.prof_n[r][a][v] == 1))
        if inst.previous is not None:
            before = inst.previous[r][p]
            if before != -1:
                delta += w.moves * ((t != before) - (a != before))
        return delta

    def swap_delta(self, r: int, p: int, q: int) -> int:
        """Penalty change of swapping persons p and q, seated at different tables in round r."""
        inst, w = self.instance, self.weights
        a, b = self.table_of[r][p], self.table_of[r][q]
        rp, rq = self.meet[p], self.meet[q]
        hp, hq = inst.met_before[p], inst.met_before[q]
        rep = history = 0
        # one pass over each table: a tablemate counts as a repeat (met in another round too)
        # or, met in no other round, as a met-before pair while they share a table
        for x in self.members[r][a]:
            if x != p:
                rep += (rq[x] >= 1) - (rp[x] >= 2)
                if hp or hq:
                    history += (rq[x] == 0 and x in hq) - (rp[x] == 1 and x in hp)
        for y in self.members[r][b]:
            if y != q:
                rep += (rp[y] >= 1) - (rq[y] >= 2)
                if hp or hq:
                    history += (rp[y] == 0 and y in hp) - (rq[y] == 1 and y in hq)
        delta = w.repeats * rep + w.history * history + self.label_swap_delta(r, p, q)
        if inst.previous is not None:
            bp, bq = inst.previous[r][p], inst.previous[r][q]
            moved = 0
            if bp != -1:
                moved += (b != bp) - (a != bp)
            if bq != -1:
                moved += (a != bq) - (b != bq)
            delta += w.moves * moved
        return delta

    def label_swap_delta(self, r: int, p: int, q: int) -> int:
        """The same-organisation, sector and profession part of swap_delta: all of it for a swap
        made in every round, which keeps who meets whom up to the two names."""
        inst, w = self.instance, self.weights
        a, b = self.table_of[r][p], self.table_of[r][q]
        delta = 0
        na, nb = self.org_n[r][a], self.org_n[r][b]
        op, oq = inst.org[p], inst.org[q]
        if op != oq:
            delta += w.same_org * (nb[op] - na[op] + 1 + na[oq] - nb[oq] + 1)
        na, nb = self.sec_n[r][a], self.sec_n[r][b]
        sp, sq = inst.sector[p], inst.sector[q]
        if sp != sq:
            delta -= w.sector * ((nb[sp] == 0) - (na[sp] == 1) + (na[sq] == 0) - (nb[sq] == 1))
        na, nb = self.prof_n[r][a], self.prof_n[r][b]
        vp, vq = inst.profession[p], inst.profession[q]
        if vp != vq:
            delta -= w.profession * ((nb[vp] == 0) - (na[vp] == 1) + (na[vq] == 0) - (nb[vq] == 1))
        return delta

    def unit_change_delta(self, r: int, changes: list[tuple[int, int]]) -> int:
        """Penalty change of moving several units (unit, new table) at once, by trying it."""
        before = self.penalty
        old = [(u, self.unit_table[r][u]) for u, _ in changes]
        for u, t in changes:
            self.move(r, u, t)
        delta = self.penalty - before
        for u, t in old:
            self.move(r, u, t)
        return delta

    # --- reading the plan ----------------------------------------------------------------------

    def snapshot(self) -> list[list[int]]:
        return [row[:] for row in self.unit_table]

    def restore(self, unit_table: list[list[int]]) -> None:
        for r, row in enumerate(unit_table):
            for u, t in enumerate(row):
                if self.unit_table[r][u] != t:
                    if self.unit_table[r][u] != UNSEATED:
                        self.unseat(r, u)
                    if t != UNSEATED:
                        self.place(r, u, t)

    def table_ids(self) -> list[list[list[str]]]:
        ids = self.instance.ids
        return [[[ids[p] for p in sorted(table)] for table in tables] for tables in self.members]


def _most_tables(labels: list[int], tables: int) -> list[int]:
    count = Counter(labels)
    return [min(tables, count[label]) for label in range(max(labels) + 1)]


def seating_from(instance: Instance, weights: Weights, unit_table: list[list[int]]) -> Seating:
    seating = Seating(instance, weights)
    seating.restore(unit_table)
    return seating
