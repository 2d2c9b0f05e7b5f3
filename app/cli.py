"""Administration from the shell: `flask --app wsgi COMMAND` (DESIGN.md lists the contract)."""

from __future__ import annotations

import sys

import click
from flask import Flask, current_app
from sqlalchemy import select

from app.extensions import db
from app.formatting import plural
from app.models import Event, JobState, Plan, PlanKind, SessionKind, User
from app.organisations.cli import organisations_command, sectors_command
from app.registration.cli import erase_personal_data_command, expire_offers_command
from app.services.accounts.organisers import AccountError, create_organiser, reset_password
from app.services.commitments import follow_ups
from app.services.events.demo import seed_demo
from app.services.harvest import editors
from app.services.messaging import outbox
from app.services.planning import jobs, publishing
from app.services.programmes import mentoring_check_ins, peer_challenge_milestones

DEFAULT_ORGANISER = "organiser@convene.example"


def register_commands(app: Flask) -> None:
    app.cli.add_command(create_organiser_command)
    app.cli.add_command(reset_organiser_password_command)
    app.cli.add_command(create_harvest_editor_command)
    app.cli.add_command(seed_demo_command)
    app.cli.add_command(first_run_command)
    app.cli.add_command(expire_offers_command)
    app.cli.add_command(erase_personal_data_command)
    app.cli.add_command(plan_command)
    app.cli.add_command(worker_command)
    app.cli.add_command(send_mail_command)
    app.cli.add_command(mail_worker_command)
    app.cli.add_command(organisations_command)
    app.cli.add_command(sectors_command)
    app.cli.add_command(follow_up_commitments_command)
    app.cli.add_command(check_in_programmes_command)
    app.cli.add_command(remind_peer_challenges_command)


@click.command("follow-up-commitments")
def follow_up_commitments_command() -> None:
    """Email each event's organisers its open commitments 3 and 6 months after it ended (each
    follow-up once; run it daily)."""
    queued = follow_ups.queue_due()
    click.echo(f"Queued {plural(queued, 'follow-up message')}.")


@click.command("check-in-programmes")
def check_in_programmes_command() -> None:
    """Email each side of every published mentoring or secondment pair its "is this working?"
    check-in 1, 3 and 6 months after publishing (each once; run it daily), and tell the
    organisers of pairs newly at risk."""
    queued = mentoring_check_ins.queue_due()
    click.echo(f"Queued {plural(queued, 'check-in message')}.")
    if at_risk := mentoring_check_ins.tell_organisers():
        click.echo(f"Emailed the organisers about {plural(at_risk, 'pair')} newly at risk.")


@click.command("remind-peer-challenges")
def remind_peer_challenges_command() -> None:
    """Email each peer-challenge host, and its team once the teams are published, a reminder
    a week before each dated step of its challenge (each once; run it daily)."""
    queued = peer_challenge_milestones.queue_due()
    click.echo(f"Queued {plural(queued, 'reminder')}.")


@click.command("create-organiser")
@click.argument("email")
@click.option("--password-stdin", is_flag=True, help="Read the password from standard input.")
def create_organiser_command(email: str, password_stdin: bool) -> None:
    """Create an organiser account; without --password-stdin a password is generated and shown."""
    user, password = _with_password(create_organiser, email, password_stdin)
    click.echo(f"Created organiser {user.email}.")
    if not password_stdin:
        click.echo(f"Password (shown once): {password}")


@click.command("reset-organiser-password")
@click.argument("email")
@click.option("--password-stdin", is_flag=True, help="Read the password from standard input.")
def reset_organiser_password_command(email: str, password_stdin: bool) -> None:
    """Give an organiser a new password and sign them out everywhere; without --password-stdin
    one is generated and shown."""
    user, password = _with_password(reset_password, email, password_stdin)
    click.echo(f"New password set for {user.email}; every browser signed in to it is signed out.")
    if not password_stdin:
        click.echo(f"Password (shown once): {password}")


@click.command("create-harvest-editor")
@click.argument("email")
@click.option("--event", "slug", required=True, help="The event whose harvest they moderate.")
def create_harvest_editor_command(email: str, slug: str) -> None:
    """Give an event's harvest (moderation, themes, briefing) to EMAIL; a new account is mailed
    a link to choose its password."""
    event = db.session.scalar(db.select(Event).where(Event.slug == slug))
    if event is None:
        raise click.ClickException(f"there is no event {slug!r}")
    try:
        user, created = editors.add_editor(event, email)
    except AccountError as exc:
        raise click.ClickException(str(exc)) from None
    made = "Created harvest editor" if created else "Gave the harvest to"
    mailed = "; a link to choose a password was mailed to them" if created else ""
    click.echo(f"{made} {user.email} for {event.slug}{mailed}.")


def _with_password(action, email: str, password_stdin: bool):
    """Run an account `action(email, password)` with the password from standard input, or None
    for one to be generated; an AccountError becomes the command's error message."""
    password = sys.stdin.readline().rstrip("\r\n") if password_stdin else None
    try:
        return action(email, password)
    except AccountError as exc:
        raise click.ClickException(str(exc)) from None


@click.command("seed-demo")
@click.option("--slug", default="demo", show_default=True)
@click.option("--attendees", default=120, show_default=True, type=click.IntRange(0, 5000))
@click.option("--capacity", default=150, show_default=True, type=click.IntRange(1, 5000))
def seed_demo_command(slug: str, attendees: int, capacity: int) -> None:
    """Create a published cross-sector demo event with registrations (once per slug)."""
    result = seed_demo(slug=slug, attendees=attendees, capacity=capacity)
    if result.created:
        click.echo(f"Created demo event /events/{slug} with {attendees} registrations.")
    else:
        click.echo(f"Demo event /events/{slug} already exists; left as it is.")


@click.command("first-run")
def first_run_command() -> None:
    """For `make run`: an organiser the first time (password printed once), a demo when empty."""
    if db.session.scalar(select(User).limit(1)) is None:
        user, password = create_organiser(DEFAULT_ORGANISER)
        click.echo("=" * 64)
        click.echo(f"Organiser sign-in: {user.email}")
        click.echo(f"Password (shown only now): {password}")
        click.echo("=" * 64)
    if db.session.scalar(select(Event).limit(1)) is None:
        seed_demo()
        click.echo("Seeded the demo event: http://127.0.0.1:5000/events/demo")


@click.command("plan")
@click.argument("slug")
@click.option("--time-limit", default=60, show_default=True, type=click.IntRange(1, 3600))
@click.option("--seed", default=0, show_default=True, type=click.IntRange(0))
@click.option("--publish", is_flag=True, help="Publish the new plans (attendees are told).")
def plan_command(slug: str, time_limit: int, seed: int, publish: bool) -> None:
    """Plan tables and breakouts for an event, as the organiser's page does."""
    event = db.session.scalar(select(Event).where(Event.slug == slug))
    if event is None:
        raise click.ClickException(f"no event with slug {slug!r}")
    kinds = [PlanKind.TABLES] if event.sessions_of(SessionKind.TABLE_ROUND) else []
    if any(s.breakouts for s in event.sessions_of(SessionKind.BREAKOUT_SLOT)):
        kinds.append(PlanKind.BREAKOUTS)
    if not kinds:
        raise click.ClickException(f"{slug} has no table rounds or breakouts to plan")
    failed = False
    made = []
    for kind in kinds:
        job = jobs.create(event, kind, {"time_limit": time_limit, "seed": seed})
        jobs.run(job.id)
        db.session.refresh(job)
        if job.state != JobState.SUCCEEDED:
            click.echo(f"{kind.value}: {job.state.value}: {job.error}", err=True)
            failed = True
            continue
        click.echo(
            f"{kind.value}: plan #{job.plan.id} ({job.plan.solver_status}) {_summary(job.plan)}"
        )
        made.append(job.plan)
    if publish and made:
        # Together, so each attendee gets one message for both plans.
        told = publishing.publish(*made)
        for plan in made:
            click.echo(f"{plan.kind.value}: published")
        click.echo(f"{plural(len(told), 'attendee')} told about their places")
    if failed:
        raise SystemExit(1)


def _summary(plan: Plan) -> str:
    m = plan.metrics
    if plan.kind == PlanKind.TABLES:
        return (
            f"same-org pairs {m['same_org_pairs']['value']} (bound "
            f"{m['same_org_pairs']['bound']}), repeats {m['repeat_pairs']['value']} (bound "
            f"{m['repeat_pairs']['bound']}), sector mix {m['sector_mix']['value']:.3f}"
        )
    figures = m["plan"]
    return (
        f"ranked {figures['ranked_assignments']} of at most "
        f"{figures['ranked_upper_bound']}, all from ranking {figures['fully_served']}"
    )


@click.command("worker")
@click.option("--burst", is_flag=True, help="Stop when the queue is empty.")
def worker_command(burst: bool) -> None:
    """Run an RQ worker for solve jobs (needs REDIS_URL)."""
    app = current_app._get_current_object()
    if not app.config.get("REDIS_URL"):
        raise click.ClickException("REDIS_URL is not set: solve jobs run in the web process")
    jobs.work(app, burst=burst)


@click.command("send-mail")
def send_mail_command() -> None:
    """Send the mail that is due now (e.g. from cron, or after a delivery failure)."""
    totals = dict.fromkeys(outbox.OUTCOMES, 0)
    while True:
        outcome = outbox.send_due()
        for name, count in outcome.items():
            totals[name] += count
        if outcome[outbox.SENT] + outcome[outbox.SUPERSEDED] + outcome[outbox.FAILED] == 0:
            break
    click.echo(
        f"Sent {totals[outbox.SENT]} messages ({totals[outbox.SUPERSEDED]} no longer applied, "
        f"{totals[outbox.RETRY]} to be retried, {totals[outbox.FAILED]} could not be written); "
        f"{outbox.pending_count()} still waiting."
    )


@click.command("mail-worker")
@click.option("--poll", default=1.0, show_default=True, help="Seconds between looks when idle.")
def mail_worker_command(poll: float) -> None:
    """Send mail as it is queued, until stopped (for MAIL_DELIVERY=worker)."""
    click.echo(f"Sending mail; looking for more every {poll:g} s when idle. Ctrl-C stops.")
    outbox.run_worker(poll)
