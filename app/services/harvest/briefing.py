"""The briefing: the harvest written up for policymakers, and its way from draft to public.

Its content is gathered from approved cards only, at the moment it is read: what the event was
and who convened it (organisations, never people), counts, the setbacks tables named and what
they would do differently, each theme with its evidence and a few quotations, commitments by
owner, the closing vote's bridging and dividing statements once it has closed (counts only,
from voting.results), how the commitments of the series' earlier events stand, and a method
note. A count of people is shown only from MIN_PEOPLE; a theme's sectors only from
themes.MIN_TABLES contributing tables. Publishing is refused while any approved card fails the
identification check (a registrant added later may make an old card identifying).

Imports models, harvest.{identification, moderation, templates, themes}, voting.{ballots,
results}, series.history, commitments.actions.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field

from sqlalchemy import select

from app.extensions import db
from app.models import (
    Briefing,
    BriefingStatus,
    Card,
    CardStatus,
    Event,
    Registration,
    RegistrationStatus,
    Theme,
)
from app.models.types import utcnow
from app.services.commitments.actions import actions_of, progress
from app.services.harvest import identification, themes
from app.services.harvest.moderation import cards_of
from app.services.harvest.templates import prompts_for
from app.services.series.history import earlier_events
from app.services.voting.ballots import vote_of
from app.services.voting.results import results as vote_results

MIN_PEOPLE = 3
QUOTES_PER_THEME = 3
QUOTE_LENGTH = 400
TOP_SETBACKS = 8
# Prompt keys whose answers say what a table would do differently (templates.DEFAULT_PROMPTS).
DIFFERENTLY = {"now_what", "next_time", "advice"}
NO_OWNER = "No owner named"

METHOD_NOTE = (
    "Tables wrote what they learned on cards during the event, under the Chatham House Rule: "
    "what was said may be used, but not who said it or where they work. Cards were kept with "
    "their table and round only, never with anything that names a person. Before a card was "
    "used, every mention of a registrant's name, email address or organisation was found and "
    "replaced by neutral words, and a moderator approved it. Themes were grouped by hand, with "
    "suggestions from the words the cards share. The sectors behind a theme are counted only "
    "when at least 3 tables contributed to it, so that no small group can be singled out."
)


class BriefingRefused(Exception):
    """A step the briefing cannot take now; the message says why."""


@dataclass(frozen=True)
class ThemeSection:
    theme: Theme
    evidence: themes.Evidence
    quotations: list[str]


@dataclass
class Content:
    event: Event
    convenors: list[str]
    attendees: int | None
    sectors: int | None
    tables: int
    cards: int
    setbacks: list[str] = field(default_factory=list)
    differently: list[str] = field(default_factory=list)
    themes: list[ThemeSection] = field(default_factory=list)
    commitments: dict[str, list[str]] = field(default_factory=dict)
    bridging: list[str] = field(default_factory=list)  # statements of the closed vote
    dividing: list[tuple[str, int]] = field(default_factory=list)  # with their spread, in points
    # per earlier event of the series with commitments: (event, "7 of 12 done")
    earlier_commitments: list[tuple[Event, str]] = field(default_factory=list)
    method: str = METHOD_NOTE


def briefing_for(event: Event) -> Briefing:
    """The event's briefing, made as a draft the first time it is asked for (caller commits)."""
    briefing = db.session.scalar(select(Briefing).where(Briefing.event_id == event.id))
    if briefing is None:
        briefing = Briefing(event_id=event.id, status=BriefingStatus.DRAFT, summary="")
        db.session.add(briefing)
        db.session.flush()
    return briefing


def published_briefing(event: Event) -> Briefing | None:
    return db.session.scalar(
        select(Briefing).where(
            Briefing.event_id == event.id, Briefing.status == BriefingStatus.PUBLISHED
        )
    )


def _quote(text: str) -> str:
    text = " ".join(text.split())
    return text if len(text) <= QUOTE_LENGTH else text[: QUOTE_LENGTH - 1].rsplit(" ", 1)[0] + "…"


def _answers(card: Card, wanted) -> list[str]:
    return [
        card.answers[p["key"]]
        for p in prompts_for(card.session)
        if wanted(p) and card.answers.get(p["key"])
    ]


def content(event: Event) -> Content:
    approved = [c for c in cards_of(event) if c.status == CardStatus.APPROVED]
    confirmed = list(
        db.session.scalars(
            select(Registration).where(
                Registration.event_id == event.id,
                Registration.status == RegistrationStatus.CONFIRMED,
            )
        )
    )
    sectors = {r.sector for r in confirmed if r.sector}
    enough = len(confirmed) >= MIN_PEOPLE
    gathered = Content(
        event=event,
        convenors=[o.name for o in event.convenors],
        attendees=len(confirmed) if enough else None,
        sectors=len(sectors) if enough else None,
        tables=len({(c.session_id, c.table_id or c.breakout_id) for c in approved}),
        cards=len(approved),
    )
    # Themed setbacks first: what several tables said comes before a single table's words.
    ordered = sorted(approved, key=lambda c: (c.theme_id is None, c.id))
    setbacks = [_quote(t) for c in ordered for t in _answers(c, lambda p: p.get("did_not_work"))]
    gathered.setbacks = list(dict.fromkeys(setbacks))[:TOP_SETBACKS]
    differently = [
        _quote(t) for c in ordered for t in _answers(c, lambda p: p["key"] in DIFFERENTLY)
    ]
    gathered.differently = list(dict.fromkeys(differently))[:TOP_SETBACKS]
    for theme in themes.themes_of(event):
        evidence = themes.evidence(theme)
        if not evidence.cards:
            continue
        answers = {
            _quote(t)
            for c in theme.cards
            if c.status == CardStatus.APPROVED
            for t in c.answers.values()
            if t
        }
        quotations = sorted(answers, key=lambda t: (-len(t), t))[:QUOTES_PER_THEME]
        gathered.themes.append(ThemeSection(theme, evidence, quotations))
    gathered.themes.sort(key=lambda s: (-s.evidence.tables, -s.evidence.cards, s.theme.title))
    by_owner: dict[str, list[str]] = defaultdict(list)
    owners: dict[str, str] = {}
    for card in approved:
        for commitment in card.commitments:
            owner = commitment.get("owner", "").strip() or NO_OWNER
            key = owner.casefold()
            owners.setdefault(key, owner)
            by_owner[key].append(commitment["action"])
    gathered.commitments = {owners[k]: by_owner[k] for k in sorted(by_owner)}
    vote = vote_of(event)
    if vote is not None and vote.closed_at is not None:
        outcome = vote_results(event)
        gathered.bridging = [r.statement.text for r in outcome.bridging]
        gathered.dividing = [(r.statement.text, round(100 * r.spread)) for r in outcome.dividing]
    for earlier in earlier_events(event):
        done = progress(actions_of(earlier))
        if done.counted:
            gathered.earlier_commitments.append((earlier, done.words))
    return gathered


def identifying_cards(event: Event) -> list[Card]:
    """Approved cards the identification check finds something in, as it stands now."""
    known = identification.known_identifiers(event)
    return [
        card
        for card in cards_of(event)
        if card.status == CardStatus.APPROVED and identification.card_hits(card, known)
    ]


def save_summary(briefing: Briefing, summary: str) -> None:
    """A changed summary sends an approved or published briefing back to draft. Commits."""
    summary = summary.strip()
    if summary != briefing.summary:
        briefing.summary = summary
        if briefing.status != BriefingStatus.DRAFT:
            back_to_draft(briefing)
    db.session.commit()


def approve(briefing: Briefing) -> None:
    _refuse_if_identifying(briefing)
    briefing.status = BriefingStatus.APPROVED
    db.session.commit()


def publish(briefing: Briefing) -> None:
    if briefing.status != BriefingStatus.APPROVED:
        raise BriefingRefused("Approve the briefing before publishing it.")
    _refuse_if_identifying(briefing)
    briefing.status = BriefingStatus.PUBLISHED
    briefing.published_at = utcnow()
    db.session.commit()


def back_to_draft(briefing: Briefing) -> None:
    """Takes a published briefing off its public page until it is published again. Commits."""
    briefing.status = BriefingStatus.DRAFT
    briefing.published_at = None
    db.session.commit()


def _refuse_if_identifying(briefing: Briefing) -> None:
    found = identifying_cards(briefing.event)
    if found:
        numbers = ", ".join(f"#{card.id}" for card in found)
        raise BriefingRefused(
            f"{len(found)} approved card{'s' if len(found) != 1 else ''} ({numbers}) now "
            "mention someone who registered. Redact them on the moderation page first."
        )
