"""Vote results as counts: overall and per sector, bridging and dividing statements.

Privacy: no figure for a group smaller than MIN_VOTERS. A statement's overall figures need that
many voters; a sector is shown only with that many; and the voters of the sectors not shown are
never 1 to MIN_VOTERS - 1 (the smallest shown sectors join them until they are none or enough),
so no hidden small group's votes can be worked out by subtracting shown figures from the total.

Agreement is the share of a group's voters who agree (a pass counts as a voter). A statement is
"bridging" when a majority agrees in every shown sector, two sectors at least; "dividing" ones
(not bridging) have the largest spread of agreement between shown sectors.

May import: models, voting.ballots, registration.csv_files (neutralise).
"""

from __future__ import annotations

import csv
import io
from collections import defaultdict
from dataclasses import dataclass, field

from sqlalchemy import func, select

from app.extensions import db
from app.models import Ballot, Choice, Event, Organisation, Registration, Statement
from app.services.registration.csv_files import neutralise
from app.services.voting.ballots import statements_of

MIN_VOTERS = 5
DIVIDING_SHOWN = 3


@dataclass(frozen=True)
class Tally:
    agree: int = 0
    disagree: int = 0
    passed: int = 0

    @property
    def voters(self) -> int:
        return self.agree + self.disagree + self.passed

    @property
    def agreement(self) -> float:
        return self.agree / self.voters if self.voters else 0.0

    def __add__(self, other: Tally) -> Tally:
        return Tally(
            self.agree + other.agree, self.disagree + other.disagree, self.passed + other.passed
        )


@dataclass
class StatementResult:
    statement: Statement
    overall: Tally | None  # None below MIN_VOTERS voters
    sectors: list[tuple[str, Tally]] = field(default_factory=list)  # shown sectors only

    @property
    def spread(self) -> float:
        shares = [t.agreement for _, t in self.sectors]
        return max(shares) - min(shares) if len(shares) > 1 else 0.0

    @property
    def bridging(self) -> bool:
        return len(self.sectors) >= 2 and all(2 * t.agree > t.voters for _, t in self.sectors)


@dataclass(frozen=True)
class Results:
    statements: list[StatementResult]

    @property
    def bridging(self) -> list[StatementResult]:
        return [r for r in self.statements if r.bridging]

    @property
    def dividing(self) -> list[StatementResult]:
        split = [r for r in self.statements if r.spread > 0 and not r.bridging]
        return sorted(split, key=lambda r: -r.spread)[:DIVIDING_SHOWN]


def results(event: Event) -> Results:
    counts: dict[int, dict[str, Tally]] = defaultdict(lambda: defaultdict(Tally))
    rows = db.session.execute(
        select(Ballot.statement_id, Registration.sector, Ballot.choice, func.count())
        .join(Registration, Ballot.registration_id == Registration.id)
        .outerjoin(Organisation, Registration.organisation_id == Organisation.id)
        .join(Statement, Ballot.statement_id == Statement.id)
        .where(Statement.event_id == event.id)
        .group_by(Ballot.statement_id, Registration.sector, Ballot.choice)
    )
    for statement_id, sector, choice, count in rows:
        one = Tally(
            agree=count if choice == Choice.AGREE else 0,
            disagree=count if choice == Choice.DISAGREE else 0,
            passed=count if choice == Choice.PASS else 0,
        )
        tallies = counts[statement_id]
        tallies[sector or ""] = tallies[sector or ""] + one
    return Results([_result(s, counts.get(s.id, {})) for s in statements_of(event)])


def _result(statement: Statement, by_sector: dict[str, Tally]) -> StatementResult:
    overall = sum(by_sector.values(), Tally())
    if overall.voters < MIN_VOTERS:
        return StatementResult(statement, None)
    shown = sorted(
        ((s, t) for s, t in by_sector.items() if s and t.voters >= MIN_VOTERS),
        key=lambda item: (-item[1].voters, item[0]),
    )
    hidden = overall.voters - sum(t.voters for _, t in shown)
    while shown and 0 < hidden < MIN_VOTERS:
        _, smallest = shown.pop()  # it joins the hidden voters, so they are enough
        hidden += smallest.voters
    return StatementResult(statement, overall, shown)


def results_csv(outcome: Results) -> str:
    """One row per statement and group (everyone, then each shown sector): counts only."""
    out = io.StringIO()
    out.write("\ufeff")
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(["statement", "group", "voters", "agree", "disagree", "pass", "agreement"])
    for result in outcome.statements:
        groups = [("Everyone", result.overall)] if result.overall else []
        for group, tally in groups + result.sectors:
            writer.writerow(
                [
                    neutralise(result.statement.text),
                    neutralise(group),
                    tally.voters,
                    tally.agree,
                    tally.disagree,
                    tally.passed,
                    f"{tally.agreement:.2f}",
                ]
            )
    return out.getvalue()
