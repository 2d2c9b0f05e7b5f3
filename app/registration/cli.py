"""Registration commands for `flask --app wsgi ...` (run them from cron or a systemd timer)."""

from __future__ import annotations

import click

from app.services.registration import lifecycle


@click.command("expire-offers")
def expire_offers_command() -> None:
    """Withdraw lapsed seat offers and pass free seats to the waiting lists."""
    checked = lifecycle.expire_offers()
    click.echo(f"Checked the waiting lists of {checked} upcoming events.")


@click.command("erase-personal-data")
@click.option(
    "--older-than",
    "days",
    required=True,
    type=click.IntRange(0, 36500),
    help="Erase registrations of events that ended more than this many days ago.",
)
def erase_personal_data_command(days: int) -> None:
    """Erase the personal data of registrations for events that ended more than N days ago."""
    erased = lifecycle.erase_ended_events(days)
    click.echo(f"Erased the personal data of {erased} registrations.")
