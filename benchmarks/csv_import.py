"""A large CSV import beside registrations for another event (issue 16, item 11).

    python -m benchmarks.csv_import [--rows 5000] [--batches 200,5000]

For each batch size, a fresh SQLite file made by the migrations holds two published events and
an organiser. An organiser's import of --rows people runs in one thread (the service the import
page calls, once the file has been checked) while another thread registers people for the other
event through the JSON API, one after another, until the import ends. A batch as large as the
file writes it in one locked transaction, as imports did before; the default, 200, is what
Convene uses (app/services/registration/csv_files.py).

Printed, per batch size: how long the import took, how many registrations for the other event
got in while it ran, and their waits (p50 and the longest). Target: no registration waits more
than about half a second behind an import, whatever the file's length.
"""

from __future__ import annotations

import argparse
import statistics
import tempfile
import threading
import time
from pathlib import Path

from flask import Flask
from flask_migrate import upgrade

from app import create_app
from app.extensions import db
from app.models import Organisation, User
from app.services.registration import csv_files
from benchmarks.events import published_event
from config import TestingConfig

HEADER = "name,email,organisation,sector,profession\n"


def make_app(folder: Path) -> Flask:
    config = TestingConfig()
    config.INSTANCE_DIR = folder
    config.MAIL_OUTBOX_DIR = folder / "outbox"
    config.SQLALCHEMY_DATABASE_URI = f"sqlite:///{folder / 'import.sqlite3'}"
    config.RATELIMIT_ENABLED = False  # one address registers in a tight loop
    config.MAIL_DELIVERY = "worker"  # building mail is not what is measured
    return create_app(config)


def people_file(rows: int) -> str:
    lines = (f"Person {n},person{n}@example.org,Riverside City Council,,GP\n" for n in range(rows))
    return HEADER + "".join(lines)


def run(rows: int, batch_rows: int) -> dict[str, float]:
    with tempfile.TemporaryDirectory() as folder:
        app = make_app(Path(folder))
        with app.app_context():
            upgrade()
            council = Organisation(name="Riverside City Council", sector="Local government")
            imported, other = (
                published_event(
                    slug,
                    slug.title(),
                    "",
                    capacity=rows,
                    rounds=1,
                    tables=1,
                    table_size=8,
                    convenors=[council],
                )
                for slug in ("imported", "other")
            )
            db.session.add_all([imported, other, User(email="o@example.org", password_hash="x")])
            db.session.commit()
            imported_id, text = imported.id, people_file(rows)
            preview = csv_files.preview_import(imported, text)
            assert preview.ok, preview.problems or [r.errors for r in preview.rows if r.errors]

        finished = threading.Event()
        timings: dict[str, float] = {}

        def import_file() -> None:
            with app.app_context():
                event = db.session.get(type(imported), imported_id)
                started = time.perf_counter()
                csv_files.import_csv(event, text, send_confirmations=True)
                timings["import_s"] = time.perf_counter() - started
            finished.set()

        waits = []
        client = app.test_client()
        importing = threading.Thread(target=import_file)
        original = csv_files.IMPORT_BATCH_ROWS
        csv_files.IMPORT_BATCH_ROWS = batch_rows
        try:
            importing.start()
            while not finished.is_set():
                person = {
                    "name": "Quick Person",
                    "email": f"quick{len(waits)}@example.org",
                    "organisation": "Riverside City Council",
                    "profession": "GP",
                    "consent": True,
                }
                started = time.perf_counter()
                response = client.post("/api/v1/events/other/registrations", json=person)
                waits.append(time.perf_counter() - started)
                assert response.status_code == 201, response.get_json()
            importing.join()
        finally:
            csv_files.IMPORT_BATCH_ROWS = original
        return {
            **timings,
            "registrations": len(waits),
            "p50_ms": statistics.median(waits) * 1000,
            "max_ms": max(waits) * 1000,
        }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rows", type=int, default=5000)
    parser.add_argument("--batches", default="200,5000", help="batch sizes, comma-separated")
    args = parser.parse_args()
    print(f"{'batch':>6} {'import s':>9} {'others in':>10} {'p50 ms':>8} {'max ms':>8}")
    for batch_rows in (int(b) for b in args.batches.split(",")):
        row = run(args.rows, batch_rows)
        print(
            f"{batch_rows:>6} {row['import_s']:>9.2f} {row['registrations']:>10} "
            f"{row['p50_ms']:>8.1f} {row['max_ms']:>8.1f}"
        )


if __name__ == "__main__":
    main()
