"""Forms of mentoring schemes and secondment rounds. They only collect and show: the rules are in
app/services/programmes/mentoring_members.py, whose errors the views put beside the fields."""

from __future__ import annotations

from typing import Any

from flask import Request
from flask_wtf import FlaskForm
from flask_wtf.file import FileField
from wtforms import (
    EmailField,
    IntegerField,
    RadioField,
    SelectField,
    StringField,
    TextAreaField,
)
from wtforms.fields.choices import SelectChoice
from wtforms.validators import InputRequired, NumberRange

from app.services.organisations import sectors
from app.services.organisations.directory import all_organisations, publicly_known
from app.services.organisations.suggestions import likely_typos
from app.services.programmes.mentoring_members import NOT_ACCEPTABLE, RANKS, TEXT_LIMITS, Words

CHOICE_PREFIX = "choice-"
RANK_WORDS = ["First choice", "Second choice", "Third choice", "Fourth choice", "Fifth choice"]


class MemberForm(FlaskForm):
    name = StringField("Full name", render_kw={"maxlength": TEXT_LIMITS["name"]})
    email = EmailField(
        "Email",
        description="Only the organisers see it, and, once matches are published, your match.",
        render_kw={"maxlength": TEXT_LIMITS["email"], "autocomplete": "email"},
    )
    organisation = StringField(
        "Organisation",
        description="Pick it from the suggestions as you type, or type its full name.",
        render_kw={
            "maxlength": TEXT_LIMITS["organisation"],
            "list": "organisations",
            "autocomplete": "off",
        },
    )
    sector = SelectField(
        "Sector of your organisation",
        description="Needed only when your organisation is not among the suggestions.",
        validate_choice=False,
    )
    profession = StringField(
        "Profession",
        description="For example: social worker, GP, police inspector, policy officer.",
        render_kw={"maxlength": TEXT_LIMITS["profession"]},
    )
    topics = StringField(
        "Topics",
        description="Separate them with semicolons, e.g. housing; data sharing; leading change.",
        render_kw={"maxlength": TEXT_LIMITS["topics"]},
    )
    capacity = StringField("How many", render_kw={"inputmode": "numeric", "size": 4})
    bio = TextAreaField(
        "A few words about you",
        description="What you do and what you bring; the other side sees it.",
        render_kw={"maxlength": TEXT_LIMITS["bio"], "rows": 4},
    )

    def __init__(self, *args, words: Words, **kwargs):
        super().__init__(*args, **kwargs)
        self.topics.label.text = words.topics
        if words.capacity:
            self.capacity.label.text = words.capacity
        else:
            del self.capacity
        choices = [SelectChoice("", "Choose its sector")]
        choices += [SelectChoice(s.name, s.name) for s in sectors.offered()]
        if self.sector.data and self.sector.data not in {c.value for c in choices}:
            choices.append(SelectChoice(self.sector.data, self.sector.data))
        self.sector.choices = choices

    def raw(self) -> dict[str, Any]:
        """The details in the service's field names."""
        names = ("name", "email", "organisation", "sector", "profession", "topics", "bio")
        data: dict[str, Any] = {name: self[name].data for name in names}
        if "capacity" in self._fields:
            data["capacity"] = self.capacity.data
        return data

    def add_errors(self, errors: dict[str, list[str]]) -> None:
        for name, messages in errors.items():
            if name in self._fields:
                self[name].errors = [*self[name].errors, *messages]


def submitted_choices(request: Request) -> dict[int, str]:
    """The preference selects as sent: {other member id: "", "1".."RANKS" or "no"}."""
    found = {}
    for key, value in request.form.items():
        if key.startswith(CHOICE_PREFIX) and key[len(CHOICE_PREFIX) :].isdecimal():
            found[int(key[len(CHOICE_PREFIX) :])] = value
    return found


def choice_options() -> list[tuple[str, str]]:
    """What each person's select offers: no view, a rank, or not acceptable."""
    return [
        ("", "No preference"),
        *((str(r), RANK_WORDS[r - 1]) for r in range(1, RANKS + 1)),
        (NOT_ACCEPTABLE, "Not acceptable: never match us"),
    ]


def organisation_suggestions(*, for_organiser: bool = False) -> list[str]:
    """The type-ahead's organisations, as registration offers them: the public sees only the
    directory's publicly known names; neither sees a likely typo."""
    doubtful = likely_typos()
    offered = all_organisations() if for_organiser else publicly_known()
    return [o.name for o in offered if o.id not in doubtful]


class WithdrawForm(FlaskForm):
    """Withdrawing asks first: this form is its confirmation."""


class ImportForm(FlaskForm):
    """The two files, labelled in the programme's words (a secondment's hosts and secondees)."""

    mentors = FileField("Mentors file (MENTORS.csv)")
    mentees = FileField("Mentees file (MENTEES.csv)")

    def __init__(self, *args, mentor: Words, mentee: Words, **kwargs):
        super().__init__(*args, **kwargs)
        self.mentors.label.text = f"{mentor.many.capitalize()} file (MENTORS.csv)"
        self.mentees.label.text = f"{mentee.many.capitalize()} file (MENTEES.csv)"


class CheckInForm(FlaskForm):
    working = RadioField(
        "Is it working?",
        choices=[
            SelectChoice("yes", "Yes, it is working"),
            SelectChoice("no", "No, it is not working"),
        ],
        validators=[InputRequired("Choose yes or no.")],
    )
    note = TextAreaField(
        "Anything the organisers should know (optional)", render_kw={"maxlength": 1000, "rows": 3}
    )


class MatchForm(FlaskForm):
    mode = RadioField(
        "How to match",
        choices=[
            SelectChoice(
                "most-matched",
                "As many matched as possible, then the fairest, then the most topics and choices",
            ),
            SelectChoice(
                "stable",
                "Stable: no mentor and mentee who would both rather be together, then as many "
                "matched as possible",
            ),
        ],
        default="most-matched",
        validators=[InputRequired("Choose how to match.")],
    )
    time_limit = IntegerField(
        "Time to spend matching (seconds)",
        default=30,
        validators=[InputRequired(), NumberRange(min=1, max=600)],
    )

    def __init__(self, *args, mentor: Words, mentee: Words, **kwargs):
        super().__init__(*args, **kwargs)
        self.mode.choices = [
            self.mode.choices[0],
            SelectChoice(
                "stable",
                f"Stable: no {mentor.one} and {mentee.one} who would both rather be together, "
                "then as many matched as possible",
            ),
        ]
