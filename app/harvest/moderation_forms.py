"""Forms of the moderation page: a card's content, a new theme, moving a card between themes."""

from __future__ import annotations

from typing import Any

from flask_wtf import FlaskForm
from wtforms import HiddenField, IntegerField, SelectField, StringField, TextAreaField
from wtforms.validators import InputRequired, Length, Optional

ANSWER_LENGTH = 4000
TAGS_LENGTH = 300
COMMITMENTS_LENGTH = 2000


class CardForm(FlaskForm):
    """A card's answers (one field per prompt, added by `card_form`), tags and commitments."""

    tags = StringField(
        "Tags",
        description="Short topics, separated by commas.",
        validators=[Optional(), Length(max=TAGS_LENGTH)],
    )
    commitments = TextAreaField(
        "Commitments",
        description=(
            "One a line: the action, a colon, then who owns it (a role or sector, not a name)."
        ),
        validators=[Optional(), Length(max=COMMITMENTS_LENGTH)],
    )

    answer_keys: list[str] = []

    def answers(self) -> dict[str, str]:
        return {key: (self[f"answer_{key}"].data or "").strip() for key in self.answer_keys}

    def tag_list(self) -> list[str]:
        tags = (t.strip().lower() for t in (self.tags.data or "").split(","))
        return list(dict.fromkeys(t for t in tags if t))

    def commitment_list(self) -> list[dict[str, str]]:
        commitments = []
        for line in (self.commitments.data or "").splitlines():
            action, _, owner = line.partition(":")
            if action.strip():
                commitments.append({"action": action.strip(), "owner": owner.strip()})
        return commitments

    def validate(self, extra_validators=None) -> bool:
        if not super().validate(extra_validators):
            return False
        if not any(self.answers().values()):
            self[f"answer_{self.answer_keys[0]}"].errors.append("A card needs at least one answer.")
            return False
        return True


def card_form(prompts: list[dict[str, Any]], card=None, **kwargs) -> CardForm:
    """A CardForm with a text box per prompt, filled from `card` when given."""

    class Form(CardForm):
        answer_keys = [p["key"] for p in prompts]

    for prompt in prompts:
        setattr(
            Form,
            f"answer_{prompt['key']}",
            TextAreaField(prompt["label"], validators=[Optional(), Length(max=ANSWER_LENGTH)]),
        )
    if card is not None and "formdata" not in kwargs:
        kwargs["data"] = {
            **{f"answer_{key}": text for key, text in card.answers.items()},
            "tags": ", ".join(card.tags),
            "commitments": "\n".join(f"{c['action']}: {c['owner']}" for c in card.commitments),
        }
    return Form(**kwargs)


class ThemeForm(FlaskForm):
    title = StringField("Theme", validators=[InputRequired(), Length(max=200)])
    # The approved cards to put under it, as ids separated by spaces (a suggestion's cards).
    cards = HiddenField()

    def card_ids(self) -> list[int]:
        return [int(part) for part in (self.cards.data or "").split() if part.isdigit()]


class ThemeEditForm(FlaskForm):
    title = StringField("Title", validators=[InputRequired(), Length(max=200)])
    summary = TextAreaField(
        "Summary for the briefing",
        description="What the cards under this theme say, in your words, without names.",
        validators=[Optional(), Length(max=4000)],
    )


class MoveCardForm(FlaskForm):
    theme = SelectField("Theme", coerce=int)


class ReflectionForm(FlaskForm):
    """A session's template; its prompts' wording is posted as `label-<key>` beside it."""

    template = SelectField("Template")


class EditorForm(FlaskForm):
    email = StringField(
        "Email address",
        description="They will be able to moderate this event's cards and write its briefing.",
        validators=[InputRequired(), Length(max=254)],
    )


class RedactForm(FlaskForm):
    field = HiddenField(validators=[InputRequired()])
    start = IntegerField(validators=[InputRequired()])
    end = IntegerField(validators=[InputRequired()])
