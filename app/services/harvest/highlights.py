"""A card's text cut into plain and flagged pieces, so a page can mark what the identification
check found without building HTML from the text. Imports models and harvest.identification."""

from __future__ import annotations

from dataclasses import dataclass

from app.models import Card
from app.services.harvest.identification import Hit


@dataclass(frozen=True)
class Piece:
    text: str
    hit: Hit | None = None


def pieces(text: str, hits: list[Hit]) -> list[Piece]:
    """`text` as pieces in order; each hit (non-overlapping, within the text) is its own piece."""
    out: list[Piece] = []
    at = 0
    for hit in sorted(hits, key=lambda h: h.start):
        if hit.start < at:
            continue
        if hit.start > at:
            out.append(Piece(text[at : hit.start]))
        out.append(Piece(text[hit.start : hit.end], hit))
        at = hit.end
    if at < len(text):
        out.append(Piece(text[at:]))
    return out


def highlighted(card: Card, hits: list[Hit]) -> dict[str, list[Piece]]:
    """Each answer's pieces by prompt key, plus "tags.<i>" and "commitments.<i>.action"/".owner"."""
    by_field: dict[str, list[Hit]] = {}
    for hit in hits:
        by_field.setdefault(hit.field, []).append(hit)
    fields = dict(card.answers)
    for i, tag in enumerate(card.tags):
        fields[f"tags.{i}"] = tag
    for i, commitment in enumerate(card.commitments):
        fields[f"commitments.{i}.action"] = commitment.get("action", "")
        fields[f"commitments.{i}.owner"] = commitment.get("owner", "")
    return {name: pieces(text, by_field.get(name, [])) for name, text in fields.items()}
