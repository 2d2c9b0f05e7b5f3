"""Administration from the shell: `flask --app wsgi COMMAND` (DESIGN.md lists the contract)."""

from __future__ import annotations

import sys

import click
from flask import Flask
from sqlalchemy import select

from app.extensions import db
from app.models import Event, User
from app.registration.cli import erase_personal_data_command, expire_offers_command
from app.services.accounts import AccountError, create_organiser
from app.services.demo import seed_demo

DEFAULT_ORGANISER = "organiser@convene.example"


def register_commands(app: Flask) -> None:
    app.cli.add_command(create_organiser_command)
    app.cli.add_command(seed_demo_command)
    app.cli.add_command(first_run_command)
    app.cli.add_command(expire_offers_command)
    app.cli.add_command(erase_personal_data_command)


@click.command("create-organiser")
@click.argument("email")
@click.option("--password-stdin", is_flag=True, help="Read the password from standard input.")
def create_organiser_command(email: str, password_stdin: bool) -> None:
    """Create an organiser account; without --password-stdin a password is generated and shown."""
    password = sys.stdin.readline().rstrip("\r\n") if password_stdin else None
    try:
        user, password = create_organiser(email, password)
    except AccountError as exc:
        raise click.ClickException(str(exc)) from None
    click.echo(f"Created organiser {user.email}.")
    if not password_stdin:
        click.echo(f"Password (shown once): {password}")


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
