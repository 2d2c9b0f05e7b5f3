"""The approved cards of an event as CSV, cells safe from spreadsheet formulas.
Imports models, harvest.moderation, harvest.templates, registration.csv_files (neutralise)."""

from __future__ import annotations

import csv
import io

from app.models import CardStatus, Event
from app.services.harvest.moderation import cards_of
from app.services.harvest.templates import prompts_for
from app.services.registration.csv_files import neutralise

COLUMNS = [
    "card",
    "session",
    "table",
    "breakout",
    "prompt",
    "answer",
    "tags",
    "commitments",
    "theme",
]


def where(card) -> tuple[str, str]:
    """The table number or the breakout title that wrote the card."""
    if card.table is not None:
        return str(card.table.number), ""
    return "", card.breakout.title if card.breakout is not None else ""


def harvest_csv(event: Event) -> str:
    """One row per answer of every approved card (UTF-8 with a byte-order mark)."""
    out = io.StringIO()
    out.write("\ufeff")
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(COLUMNS)
    for card in cards_of(event):
        if card.status != CardStatus.APPROVED:
            continue
        table, breakout = where(card)
        labels = {p["key"]: p["label"] for p in prompts_for(card.session)}
        tags = "; ".join(card.tags)
        commitments = "; ".join(f"{c['action']} ({c['owner']})" for c in card.commitments)
        theme = card.theme.title if card.theme is not None else ""
        for key, answer in card.answers.items():
            if not answer:
                continue
            row = [card.id, card.session.title, table, breakout, labels.get(key, key), answer]
            writer.writerow([neutralise(v) for v in [*row, tags, commitments, theme]])
    return out.getvalue()
