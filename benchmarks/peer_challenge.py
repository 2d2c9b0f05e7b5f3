"""A full-size peer-challenge round in the app: import, team building, review page, publishing.

    python -m benchmarks.peer_challenge [--seed 1] [--time-limit 30]

The round is benchmarks/matching.py's (30 hosts asking for 6-7 peers each, 400 peers across 8
sectors and 300 organisations), written as the PEERS.csv and HOSTS.csv the import page takes
and imported by its service on a scratch database. Teams are built by the background job with
the in-process runner; then the round's page (the review) is fetched by a signed-in organiser,
and the teams published.

Printed: how long each step took, and the review's figures beside their bounds. Targets: the
round's page within a second, the import within a few; every slot the bound allows filled.
Mail is left to the worker: building it is not what is measured.
Timings are wall-clock on whatever the machine is doing; on a shared machine they are noisy.
"""

from __future__ import annotations

import argparse
import csv
import io
import time

from app.extensions import db
from app.models import JobState, OutgoingMail, ProgrammeKind, SolveJob, User
from app.services.organisations import sectors
from app.services.programmes import peer_challenge_members, peer_challenge_teams, programmes
from benchmarks.matching import peer_problem
from benchmarks.scratch import scratch_app
from scheduler.peer_teams import PeerProblem

PASSWORD = "a long benchmark password"


def csv_files(problem: PeerProblem) -> dict[str, tuple[str, bytes]]:
    """The round as the import's two files (each row with an email)."""
    peers = [
        {
            "id": p.id,
            "name": p.name,
            "email": f"{p.id}@example.org",
            "organisation": p.organisation,
            "sector": p.sector,
            "role": p.role,
            "skills": ";".join(p.skills),
            "capacity": p.capacity,
            "exclude": ";".join(sorted(p.exclude)),
            "group": p.group,
        }
        for p in problem.peers
    ]
    hosts = [
        {
            "id": h.id,
            "organisation": h.organisation,
            "email": f"{h.id}@example.org",
            "sector": h.sector,
            "slots": ";".join(f"{role}:{count}" for role, count in h.slots.items()),
            "themes": ";".join(h.themes),
        }
        for h in problem.hosts
    ]
    return {"peer": ("PEERS.csv", _csv(peers)), "host": ("HOSTS.csv", _csv(hosts))}


def _csv(rows: list[dict]) -> bytes:
    text = io.StringIO()
    writer = csv.DictWriter(text, fieldnames=list(rows[0]))
    writer.writeheader()
    writer.writerows(rows)
    return text.getvalue().encode()


def wait_for(job_id: int) -> SolveJob:
    while True:
        db.session.rollback()  # a new transaction sees what the runner has committed
        job = db.session.get(SolveJob, job_id)
        if job.state not in (JobState.QUEUED, JobState.RUNNING):
            return job
        time.sleep(0.2)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--time-limit", type=float, default=30)
    args = parser.parse_args()
    problem = peer_problem(args.seed)
    with scratch_app(WTF_CSRF_ENABLED=False, MAIL_DELIVERY="worker") as app:
        sectors.install_defaults()
        organiser = User(email="organiser@example.org", name="Olu Organiser")
        organiser.set_password(PASSWORD)
        db.session.add(organiser)
        db.session.commit()
        programme = programmes.create_programme(
            ProgrammeKind.PEER_CHALLENGE, "Peer challenge 2027", "", organiser
        )
        start = time.perf_counter()
        added = peer_challenge_members.import_csv(programme, csv_files(problem))
        print(
            f"import: {added['peer']} peers and {added['host']} hosts in "
            f"{time.perf_counter() - start:.1f} s"
        )
        start = time.perf_counter()
        job = wait_for(peer_challenge_teams.start(programme, args.time_limit).id)
        run = peer_challenge_teams.review(programme).run
        print(
            f"team building: {job.state.value} ({run.solver_status if run else job.error}) in "
            f"{time.perf_counter() - start:.1f} s (limit {args.time_limit:g} s)"
        )
        client = app.test_client()
        client.post("/login", data={"email": organiser.email, "password": PASSWORD})
        start = time.perf_counter()
        response = client.get(f"/organise/programmes/{programme.id}")
        print(
            f"round page (the review): {response.status_code}, "
            f"{len(response.data) // 1024} KB in {time.perf_counter() - start:.2f} s"
        )
        review = peer_challenge_teams.review(programme)
        for figure in review.figures:
            print(f"  {figure.text}; {figure.best}")
        open_slots = sum(len(t.open_slots) for t in review.teams)
        print(f"  hosts with an open slot: {open_slots}; roles short: {len(review.shortages)}")
        start = time.perf_counter()
        told = peer_challenge_teams.publish(programme)
        queued = db.session.scalar(db.select(db.func.count()).select_from(OutgoingMail))
        print(
            f"publishing: {told} told ({queued} messages queued in all) in "
            f"{time.perf_counter() - start:.2f} s"
        )


if __name__ == "__main__":
    main()
