"""Reflection templates: the prompts a table answers on its card.

Owns the three templates' default wording and a session's prompts as the organiser edited them.
Imports models only.
"""

from __future__ import annotations

from typing import Any

from app.extensions import db
from app.models import Reflection, ReflectionTemplate, Session, SessionKind

# Each template's prompts, in the order a table answers them. `did_not_work` marks the one prompt
# that asks about setbacks: the briefing leads with what it collects.
DEFAULT_PROMPTS: dict[ReflectionTemplate, list[dict[str, Any]]] = {
    ReflectionTemplate.WHAT_SO_WHAT: [
        {"key": "what", "label": "What? What happened, what did you notice?"},
        {"key": "so_what", "label": "So what? Why does it matter, what patterns do you see?"},
        {"key": "did_not_work", "label": "What did not work?", "did_not_work": True},
        {"key": "now_what", "label": "Now what? What will you do differently?"},
    ],
    ReflectionTemplate.AFTER_ACTION: [
        {"key": "expected", "label": "What did we expect to happen?"},
        {"key": "happened", "label": "What actually happened?"},
        {"key": "why", "label": "Why was there a difference?", "did_not_work": True},
        {"key": "next_time", "label": "What will we do next time?"},
    ],
    ReflectionTemplate.WHAT_WENT_WRONG: [
        {"key": "setback", "label": "The setback: what went wrong?", "did_not_work": True},
        {"key": "cost", "label": "What did it cost?"},
        {"key": "advice", "label": "What would we tell someone starting now?"},
    ],
}

TEMPLATE_LABELS = {
    ReflectionTemplate.WHAT_SO_WHAT: "What? So what? Now what?",
    ReflectionTemplate.AFTER_ACTION: "After-action review",
    ReflectionTemplate.WHAT_WENT_WRONG: "What went wrong",
}

HARVESTED_KINDS = (SessionKind.TABLE_ROUND, SessionKind.BREAKOUT_SLOT)


def default_prompts(template: ReflectionTemplate) -> list[dict[str, Any]]:
    return [
        dict(prompt, did_not_work=bool(prompt.get("did_not_work")))
        for prompt in DEFAULT_PROMPTS[template]
    ]


def prompts_for(session: Session) -> list[dict[str, Any]]:
    """The prompts this table round or breakout slot asks: the organiser's, else the default's."""
    reflection = reflection_of(session)
    if reflection is None:
        return default_prompts(ReflectionTemplate.WHAT_SO_WHAT)
    return reflection.prompts or default_prompts(reflection.template)


def reflection_of(session: Session) -> Reflection | None:
    return db.session.scalar(db.select(Reflection).where(Reflection.session_id == session.id))


def set_reflection(
    session: Session, template: ReflectionTemplate, labels: dict[str, str] | None = None
) -> Reflection:
    """Give a session a template, with the organiser's wording for any of its prompts.

    `labels` maps a prompt key to new wording; blank wording keeps the default. The caller
    commits.
    """
    if session.kind not in HARVESTED_KINDS:
        raise ValueError("Only table rounds and breakout slots carry a reflection template.")
    prompts = default_prompts(template)
    for prompt in prompts:
        wording = (labels or {}).get(prompt["key"], "").strip()
        if wording:
            prompt["label"] = wording
    reflection = reflection_of(session) or Reflection(session_id=session.id)
    reflection.template = template
    reflection.prompts = prompts
    db.session.add(reflection)
    return reflection
