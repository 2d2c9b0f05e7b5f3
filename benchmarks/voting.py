"""Plenary vote results: 1,200 voters on 60 statements, counted overall and by sector.

    python -m benchmarks.voting [--voters 1200] [--statements 60] [--seed 1]

Builds the demo event with that many attendees (sectors as the demo spreads them), puts the
statements to the vote, lets everyone vote on every statement (agreement drawn per sector and
statement, so some statements bridge and some divide), then times the results (counts, sectors
from 5 voters, bridging and dividing statements) and their CSV. Target: under 2 s.
"""

from __future__ import annotations

import argparse
import random
import time

from app.extensions import db
from app.models import Ballot, Choice, Statement, Theme
from app.services.events.demo import seed_demo
from app.services.voting.results import results, results_csv
from benchmarks.scratch import scratch_app

TARGET_SECONDS = 2.0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--voters", type=int, default=1200)
    parser.add_argument("--statements", type=int, default=60)
    parser.add_argument("--seed", type=int, default=1)
    args = parser.parse_args(argv)
    rng = random.Random(args.seed)
    with scratch_app():
        event = seed_demo("vote-bench", attendees=args.voters, capacity=args.voters).event
        theme = Theme(event=event, title="What we learned")
        statements = [
            Statement(event=event, theme=theme, text=f"Statement {i + 1}")
            for i in range(args.statements)
        ]
        db.session.add_all([theme, *statements])
        db.session.commit()
        people = list(event.registrations)
        leaning: dict[tuple[int, str], float] = {}
        rows = []
        for statement in statements:
            for registration in people:
                key = (statement.id, registration.sector)
                agree = leaning.setdefault(key, rng.random())
                draw = rng.random()
                choice = Choice.AGREE if draw < agree else Choice.DISAGREE
                if rng.random() < 0.1:
                    choice = Choice.PASS
                rows.append(
                    {
                        "registration_id": registration.id,
                        "statement_id": statement.id,
                        "choice": choice,
                    }
                )
        db.session.execute(db.insert(Ballot), rows)
        db.session.commit()
        db.session.expire_all()

        started = time.perf_counter()
        outcome = results(event)
        counted = time.perf_counter() - started
        started = time.perf_counter()
        text = results_csv(outcome)
        exported = time.perf_counter() - started

        shown = sum(len(r.sectors) for r in outcome.statements)
        print(f"{len(people)} voters, {len(statements)} statements, {len(rows)} ballots")
        print("| step | seconds | target |")
        print("|---|---|---|")
        print(f"| results (overall, sectors, bridging, dividing) | {counted:.3f} | < 2 |")
        print(f"| results CSV | {exported:.3f} | - |")
        print(
            f"sectors shown: {shown} over {len(outcome.statements)} statements; "
            f"bridging: {len(outcome.bridging)}; dividing shown: {len(outcome.dividing)}; "
            f"CSV rows: {text.count(chr(10)) - 1}"
        )
        return 0 if counted + exported < TARGET_SECONDS else 1


if __name__ == "__main__":
    raise SystemExit(main())
