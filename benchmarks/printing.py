"""Time to produce each printed document for a large event.

    python -m benchmarks.printing [--attendees 600] [--repeat 1]

Builds, in a temporary SQLite database, the demo event (three table rounds, a breakout slot) with
`--attendees` confirmed people at tables of eight, a facilitator at every table, a few very long
and non-ASCII names, and a published tables plan and breakouts plan; then fetches every print view
(HTML) and its PDF through the app, as an organiser would, and prints a table of timings (the best
of `--repeat` runs), page counts and sizes. Target: every document under 5 seconds.

PDFs are laid out by PRINT_WORKERS processes (one per core unless set;
app/services/printing/pdf.py), which a server starts once: their start-up is timed and reported
on its own line.
"""

from __future__ import annotations

import argparse
import io
import os
import re
import time

from pypdf import PdfReader

from app.extensions import db
from app.models import Assignment, Plan, PlanKind, PlanStatus, SessionKind, User
from app.models.types import utcnow
from app.services.events.demo import seed_demo
from app.services.printing.documents import DOCUMENTS, print_pack
from app.services.printing.pdf import start_workers
from benchmarks.scratch import scratch_app

TARGET_SECONDS = 5.0
PASSWORD = "benchmark password"
SPECIAL_NAMES = [
    "Zoë Brontë",
    "Siobhán Ní Bhriain",
    "Nguyễn Thị Minh Khai",
    "Bartholomew Featherstonehaugh-Wolfeschlegelsteinhausenberger of the Northshire Valleys",
    "Oluwaseun Adebayo-Okonkwo",
]


def build_event(attendees: int):
    """The demo event with `attendees` confirmed people seated by published plans."""
    user = User(email="bench@example.org", name="Bench Organiser")
    user.set_password(PASSWORD)
    db.session.add(user)
    db.session.commit()
    event = seed_demo("print-bench", attendees=attendees, capacity=attendees).event
    people = sorted(event.registrations, key=lambda r: r.id)
    for registration, name in zip(people, SPECIAL_NAMES, strict=False):
        registration.name = name
    tables = event.tables
    for table, facilitator in zip(tables, people, strict=False):
        table.facilitator = facilitator
    others = people[len(tables) :]
    seats = sum(t.capacity for t in tables) - len(tables)
    assert len(others) <= seats, "not enough seats for everyone"

    now = utcnow()
    seating = Plan(event=event, kind=PlanKind.TABLES, status=PlanStatus.PUBLISHED, published_at=now)
    for r, session in enumerate(event.sessions_of(SessionKind.TABLE_ROUND)):
        for i, registration in enumerate(others):
            # Round r shifts each "row" of the table order by r steps, so tablemates change.
            table = tables[(i + r * (i // len(tables))) % len(tables)]
            seating.assignments.append(
                Assignment(registration=registration, session=session, table=table)
            )
        for table in tables:
            seating.assignments.append(
                Assignment(registration=table.facilitator, session=session, table=table)
            )
    breakouts = Plan(
        event=event, kind=PlanKind.BREAKOUTS, status=PlanStatus.PUBLISHED, published_at=now
    )
    for slot in event.sessions_of(SessionKind.BREAKOUT_SLOT):
        for i, registration in enumerate(people):
            breakouts.assignments.append(
                Assignment(
                    registration=registration,
                    session=slot,
                    breakout=slot.breakouts[i % len(slot.breakouts)],
                )
            )
    db.session.add_all([seating, breakouts])
    db.session.commit()
    return event, user


def timed(client, url: str, repeat: int) -> tuple[float, bytes]:
    best, body = float("inf"), b""
    for _ in range(repeat):
        started = time.perf_counter()
        response = client.get(url)
        elapsed = time.perf_counter() - started
        if response.status_code != 200:
            raise SystemExit(f"{url} answered {response.status_code}")
        best, body = min(best, elapsed), response.data
    return best, body


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--attendees", type=int, default=600)
    parser.add_argument("--repeat", type=int, default=1)
    args = parser.parse_args(argv)

    with scratch_app() as app:
        started = time.perf_counter()
        event, user = build_event(args.attendees)
        pack = print_pack(event)
        print(
            f"{len(pack.attendees)} confirmed attendees, {len(pack.tables)} tables, "
            f"{len(pack.rounds)} table rounds, {len(pack.slots)} breakout slot(s); "
            f"built in {time.perf_counter() - started:.1f} s"
        )
        client = app.test_client()
        login = client.get("/login").get_data(as_text=True)
        token = re.search(r'name="csrf_token"[^>]*value="([^"]+)"', login)
        client.post(
            "/login",
            data={"email": user.email, "password": PASSWORD, "csrf_token": token.group(1)},
        )

        # A running server starts its PDF workers once (when the print page is first opened):
        # timed here on their own, not as part of the first document.
        started = time.perf_counter()
        for future in start_workers(app.config["PRINT_WORKERS"]):
            future.result()
        print(
            f"{app.config['PRINT_WORKERS']} PDF worker process(es) on {os.cpu_count()} cores; "
            f"started in {time.perf_counter() - started:.2f} s (once per server process)"
        )

        base = f"/organise/events/{event.slug}/print"
        rows = [(name, f"{base}/{doc}") for doc, name in DOCUMENTS.items()]
        rows.insert(4, ("Place cards (A5)", f"{base}/place-cards?card=a5"))
        rows.insert(6, ("Name badges (10 per A4)", f"{base}/badges?sheet=10"))
        rows.append(("Itinerary (one attendee)", f"/r/{pack.attendees[0].person.token}/itinerary"))

        print(f"\n{'document':<26} {'HTML s':>7} {'PDF s':>7} {'pages':>6} {'PDF KB':>7}  target")
        slowest = 0.0
        for name, url in rows:
            path, _, query = url.partition("?")
            html_s, _ = timed(client, url, args.repeat)
            pdf_s, pdf = timed(client, f"{path}.pdf" + (f"?{query}" if query else ""), args.repeat)
            pages = len(PdfReader(io.BytesIO(pdf)).pages)
            slowest = max(slowest, html_s + pdf_s)
            verdict = "ok" if html_s + pdf_s < TARGET_SECONDS else "SLOW"
            print(
                f"{name:<26} {html_s:>7.2f} {pdf_s:>7.2f} {pages:>6} {len(pdf) / 1024:>7.0f}"
                f"  {verdict}"
            )
        print(f"\nslowest document (HTML + PDF): {slowest:.2f} s; target < {TARGET_SECONDS} s")
        db.session.remove()
        db.engine.dispose()
    return 0 if slowest < TARGET_SECONDS else 1


if __name__ == "__main__":
    raise SystemExit(main())
