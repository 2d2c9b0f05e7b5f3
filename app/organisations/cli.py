"""The directory from the shell: `flask --app wsgi organisations ...` and `... sectors list`
(a contract other tools call: DESIGN.md, "Administration from the shell")."""

from __future__ import annotations

import json

import click

from app.services.organisations import directory, sectors
from app.services.organisations.suggestions import suggest


@click.group("organisations")
def organisations_command() -> None:
    """The directory of organisations: list, likely duplicates, merge."""


@organisations_command.command("list")
@click.option("--json", "as_json", is_flag=True, help="One JSON list instead of lines.")
def list_command(as_json: bool) -> None:
    """Every organisation: canonical name, sector, aliases and registrations."""
    counts = directory.registration_counts()
    rows = [
        {
            "name": o.name,
            "sector": o.sector,
            "aliases": [a.name for a in o.aliases],
            "registrations": counts.get(o.id, 0),
        }
        for o in directory.all_organisations()
    ]
    if as_json:
        click.echo(json.dumps(rows, ensure_ascii=False, indent=2))
        return
    for row in rows:
        also = f"; also {', '.join(row['aliases'])}" if row["aliases"] else ""
        click.echo(f"{row['name']} ({row['sector']}): {row['registrations']} registrations{also}")


@organisations_command.command("suggest")
@click.option("--json", "as_json", is_flag=True, help="[{from, into, reason}] instead of lines.")
def suggest_command(as_json: bool) -> None:
    """Likely duplicates: merging every `from` into its `into` accepts them all."""
    found = [{"from": s.source.name, "into": s.into.name, "reason": s.reason} for s in suggest()]
    if as_json:
        click.echo(json.dumps(found, ensure_ascii=False, indent=2))
        return
    for row in found:
        click.echo(f"{row['from']} -> {row['into']}: {row['reason']}")
    click.echo(f"{len(found)} likely duplicates.")


@organisations_command.command("merge")
@click.argument("source_name", metavar="FROM")
@click.argument("into_name", metavar="INTO")
def merge_command(source_name: str, into_name: str) -> None:
    """FROM (a name or an alias) becomes an alias of INTO; its registrations move to INTO."""
    source = _named(source_name)
    into = _named(into_name)
    try:
        directory.merge(source, into)
    except directory.DirectoryError as error:
        raise click.ClickException(str(error)) from None
    click.echo(f"Merged {source_name!r} into {into.name!r}.")


def _named(name: str):
    organisation = directory.existing_organisation(name)
    if organisation is None:
        raise click.ClickException(f"no organisation or alias named {name!r}")
    return organisation


@click.group("sectors")
def sectors_command() -> None:
    """The managed list of sectors."""


@sectors_command.command("list")
def sectors_list_command() -> None:
    """The sectors offered to registrants, one a line, in list order."""
    for sector in sectors.offered():
        click.echo(sector.name)
