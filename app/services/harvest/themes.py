"""Themes: approved cards grouped by a moderator, their evidence and breadth, and suggested groups.

Breadth is the number of distinct sectors among the people seated at the contributing tables (or
assigned to the contributing breakouts) in the published plans. It is worked out only when at
least MIN_TABLES tables or breakouts contributed: below that a theme is "from fewer than 3 tables"
and shows no breakdown, so no small group can be singled out. Imports models, planning.plans.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass

import numpy as np
from sqlalchemy import select

from app.extensions import db
from app.models import Assignment, Card, CardStatus, Event, PlanKind, Theme
from app.services.planning.plans import published_plan

# The privacy threshold: the fewest contributing tables for which sectors are shown.
MIN_TABLES = 3
# Cosine distance under which two cards' words are close enough to suggest one theme.
SUGGESTION_DISTANCE = 0.85
TITLE_LENGTH = 200


@dataclass(frozen=True)
class Evidence:
    """Where a theme came from, in counts: `sectors` is None below the privacy threshold."""

    cards: int
    tables: int
    rounds: int
    sectors: int | None

    @property
    def single_table(self) -> bool:
        return self.tables < MIN_TABLES


@dataclass(frozen=True)
class Suggestion:
    title: str
    card_ids: list[int]
    reason: str


def themes_of(event: Event) -> list[Theme]:
    return list(
        db.session.scalars(select(Theme).where(Theme.event_id == event.id).order_by(Theme.id))
    )


def theme_of(event: Event, theme_id: int) -> Theme | None:
    return db.session.scalar(select(Theme).where(Theme.id == theme_id, Theme.event_id == event.id))


def clean_title(title: str) -> str:
    title = " ".join(title.split())
    if not title:
        raise ValueError("Give the theme a title.")
    if len(title) > TITLE_LENGTH:
        raise ValueError(f"A theme's title can be at most {TITLE_LENGTH} characters.")
    return title


def create_theme(event: Event, title: str, cards: list[Card]) -> Theme:
    """A theme of these approved cards (others are left out). Caller commits."""
    theme = Theme(event_id=event.id, title=clean_title(title))
    db.session.add(theme)
    db.session.flush()
    for card in cards:
        assign(card, theme)
    return theme


SUMMARY_LENGTH = 4000


def update_theme(theme: Theme, title: str, summary: str) -> None:
    """A new title, and the summary the briefing gives under it. Caller commits."""
    summary = summary.strip()
    if len(summary) > SUMMARY_LENGTH:
        raise ValueError(f"A theme's summary can be at most {SUMMARY_LENGTH:,} characters.")
    theme.title = clean_title(title)
    theme.summary = summary


def assign(card: Card, theme: Theme | None) -> None:
    """Put an approved card under a theme, or take it out (None). Caller commits."""
    if theme is not None and card.status != CardStatus.APPROVED:
        raise ValueError("Only approved cards can be grouped into themes.")
    card.theme = theme


def delete_theme(theme: Theme) -> None:
    """Its cards stay approved, without a theme. Caller commits."""
    for card in list(theme.cards):
        card.theme = None
    db.session.delete(theme)


def _place(card: Card) -> tuple[int, str, int]:
    """The table in its round, or the breakout, that wrote the card."""
    if card.table_id is not None:
        return (card.session_id, "table", card.table_id)
    return (card.session_id, "breakout", card.breakout_id or 0)


def evidence(theme: Theme) -> Evidence:
    cards = [c for c in theme.cards if c.status == CardStatus.APPROVED]
    places = {_place(c) for c in cards}
    sectors = None
    if len(places) >= MIN_TABLES:
        sectors = len(_sectors_at(theme.event, places))
    return Evidence(
        cards=len(cards),
        tables=len(places),
        rounds=len({c.session_id for c in cards}),
        sectors=sectors,
    )


def _sectors_at(event: Event, places: set[tuple[int, str, int]]) -> set[str]:
    """The sectors of the people the published plans seated at these places."""
    sectors: set[str] = set()
    for kind, column in ((PlanKind.TABLES, "table"), (PlanKind.BREAKOUTS, "breakout")):
        wanted = {(session, place) for session, what, place in places if what == column}
        plan = published_plan(event, kind) if wanted else None
        if plan is None:
            continue
        for assignment in db.session.scalars(
            select(Assignment).where(Assignment.plan_id == plan.id)
        ):
            place = assignment.table_id if column == "table" else assignment.breakout_id
            if (assignment.session_id, place) in wanted:
                sector = assignment.registration.sector
                if sector:
                    sectors.add(sector)
    return sectors


def card_text(card: Card) -> str:
    return "\n".join(text for text in card.answers.values() if text)


def suggest(event: Event) -> list[Suggestion]:
    """Groups of approved cards not yet in a theme: first cards sharing a tag, then cards whose
    words are alike (TF-IDF over their answers, clustered by cosine distance)."""
    cards = list(
        db.session.scalars(
            select(Card).where(
                Card.event_id == event.id,
                Card.status == CardStatus.APPROVED,
                Card.theme_id.is_(None),
            )
        )
    )
    suggestions = _by_tag(cards)
    tagged = {i for s in suggestions for i in s.card_ids}
    suggestions += _by_words([c for c in cards if c.id not in tagged])
    return suggestions


def _by_tag(cards: list[Card]) -> list[Suggestion]:
    by_tag: dict[str, list[int]] = defaultdict(list)
    for card in cards:
        for tag in card.tags:
            by_tag[tag].append(card.id)
    return [
        Suggestion(title=tag.capitalize(), card_ids=ids, reason=f"{len(ids)} cards tagged “{tag}”")
        for tag, ids in sorted(by_tag.items(), key=lambda item: (-len(item[1]), item[0]))
        if len(ids) >= 2
    ]


def _by_words(cards: list[Card]) -> list[Suggestion]:
    texts = [card_text(c) for c in cards]
    if len(cards) < 2:
        return []
    # Imported on first use, as WeasyPrint is: scikit-learn takes seconds to import, which every
    # process (each gunicorn worker, each CLI command) would otherwise pay at start-up.
    from sklearn.cluster import AgglomerativeClustering
    from sklearn.feature_extraction.text import TfidfVectorizer

    vectorizer = TfidfVectorizer(stop_words="english", sublinear_tf=True, min_df=1)
    try:
        matrix = vectorizer.fit_transform(texts)
    except ValueError:  # nothing but stop words
        return []
    clustering = AgglomerativeClustering(
        n_clusters=None,
        metric="cosine",
        linkage="average",
        distance_threshold=SUGGESTION_DISTANCE,
    )
    labels = clustering.fit_predict(matrix.toarray())
    terms = np.array(vectorizer.get_feature_names_out())
    suggestions = []
    for label in sorted(set(labels)):
        members = [i for i, value in enumerate(labels) if value == label]
        if len(members) < 2:
            continue
        centroid = np.asarray(matrix[members].mean(axis=0)).ravel()
        top = [terms[i] for i in centroid.argsort()[::-1][:3] if centroid[i] > 0]
        suggestions.append(
            Suggestion(
                title=", ".join(top).capitalize(),
                card_ids=[cards[i].id for i in members],
                reason=f"{len(members)} cards use the same words",
            )
        )
    suggestions.sort(key=lambda s: -len(s.card_ids))
    return suggestions
