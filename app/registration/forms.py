"""Registration forms. They only collect and show: the rules are in
app/services/registration/details.py, whose errors the views attach to the fields here (one rule,
shared with the JSON API)."""

from __future__ import annotations

from typing import Any

from flask_wtf import FlaskForm
from wtforms import BooleanField, EmailField, SelectField, StringField, TextAreaField
from wtforms.fields.choices import SelectChoice

from app.models import Event, Registration
from app.services.organisations import sectors
from app.services.organisations.directory import all_organisations, publicly_known
from app.services.organisations.suggestions import likely_typos
from app.services.registration.details import REQUIRED, TEXT_LIMITS, breakouts_by_slot, details_of

RANK_WORDS = ["First", "Second", "Third", "Fourth", "Fifth"]


def _attrs(name: str) -> dict[str, Any]:
    attrs: dict[str, Any] = {"maxlength": TEXT_LIMITS[name]}
    if name in REQUIRED:
        attrs["required"] = True
    return attrs


class DetailsForm(FlaskForm):
    name = StringField("Full name", render_kw=_attrs("name"))
    email = EmailField("Email", render_kw={**_attrs("email"), "autocomplete": "email"})
    organisation = StringField(
        "Organisation",
        description="Pick it from the suggestions as you type, or type its full name.",
        render_kw={**_attrs("organisation"), "list": "organisations", "autocomplete": "off"},
    )
    # The service checks the choice (by name or alias), so that the form, the API and CSV files
    # are refused alike and the message names the sectors there are.
    sector = SelectField(
        "Sector of your organisation",
        description="Needed only when your organisation is not among the suggestions.",
        validate_choice=False,
    )
    profession = StringField(
        "Profession",
        description="For example: social worker, GP, police inspector, policy officer.",
        render_kw=_attrs("profession"),
    )
    role = StringField("Role or job title", render_kw=_attrs("role"))
    access_needs = TextAreaField(
        "Access needs",
        description="Anything that would help you take part: hearing loop, large print, a quiet "
        "space, breaks…",
        render_kw=_attrs("access_needs"),
    )
    needs_accessible_table = BooleanField("I need a step-free, wheelchair-accessible table")
    dietary_needs = TextAreaField("Dietary needs", render_kw=_attrs("dietary_needs"))

    preference_fields: list[tuple[str, list[str]]] = []  # (slot title, field names best first)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        choices = [SelectChoice("", "Choose its sector")]
        choices += [SelectChoice(s.name, s.name) for s in sectors.offered()]
        if self.sector.data and self.sector.data not in {c.value for c in choices}:
            choices.append(SelectChoice(self.sector.data, self.sector.data))  # as stored
        self.sector.choices = choices

    def raw(self) -> dict[str, Any]:
        """The submitted details in the service's (JSON) field names."""
        data: dict[str, Any] = {
            name: self[name].data for name in TEXT_LIMITS if name in self._fields
        }
        data["needs_accessible_table"] = bool(self.needs_accessible_table.data)
        for flag in (
            "consent",
            "share_tablemates",
            "hear_of_programmes",
            "hear_of_peer_challenges",
        ):
            if flag in self._fields:
                data[flag] = bool(self[flag].data)
        data["preferences"] = [
            int(self[name].data)
            for _, names in self.preference_fields
            for name in names
            if self[name].data
        ]
        return data

    def fill_preferences(self, chosen: list[int]) -> None:
        """Show saved choices (ids best first) in the per-slot selects."""
        for _, names in self.preference_fields:
            offered = {c.value for c in self[names[0]].choices}
            mine = [str(b) for b in chosen if str(b) in offered]
            for name, value in zip(names, mine, strict=False):
                self[name].data = value

    def add_errors(self, errors: dict[str, list[str]]) -> None:
        """Show the service's field errors beside the fields they are about."""
        for name, messages in errors.items():
            if name == "preferences" and self.preference_fields:
                name = self.preference_fields[0][1][0]
            if name in self._fields:
                self[name].errors = [*self[name].errors, *messages]


SHARE_TABLEMATES_LABEL = (
    "Once the event has begun, show me the people I sat with who agreed to this too, and show "
    "me to them: names and organisations only, on our own registration pages."
)


HEAR_OF_PROGRAMMES_LABEL = (
    "Tell me about mentoring schemes and secondments: the organisers may email me an "
    "invitation to join one."
)


HEAR_OF_PEER_CHALLENGES_LABEL = (
    "Tell me about peer challenges (peers from other organisations and sectors reviewing an "
    "organisation, by invitation of its leaders): the organisers may email me an invitation "
    "to take part in one."
)


class RegisterForm(DetailsForm):
    consent = BooleanField(
        "I agree that the organisers may use my details to run this event, as the privacy "
        "notice describes."
    )
    share_tablemates = BooleanField(SHARE_TABLEMATES_LABEL)
    hear_of_programmes = BooleanField(HEAR_OF_PROGRAMMES_LABEL)
    hear_of_peer_challenges = BooleanField(HEAR_OF_PEER_CHALLENGES_LABEL)


class OwnDetailsForm(DetailsForm):
    """What a registrant may change themselves: everything but the email, which identifies them;
    and their consents to share tablemates and to hear of programmes, which only they give or
    withdraw."""

    email = None
    share_tablemates = BooleanField(SHARE_TABLEMATES_LABEL)
    hear_of_programmes = BooleanField(HEAR_OF_PROGRAMMES_LABEL)
    hear_of_peer_challenges = BooleanField(HEAR_OF_PEER_CHALLENGES_LABEL)


def with_preferences(form_class: type[DetailsForm], event: Event) -> type[DetailsForm]:
    """The form class with one ranked select per place in each breakout slot of the event."""
    fields: dict[str, Any] = {}
    groups = []
    for slot, breakouts in breakouts_by_slot(event):
        if not breakouts:
            continue
        choices = [SelectChoice("", "No preference")] + [
            SelectChoice(str(b.id), f"{b.title} ({b.room})") for b in breakouts
        ]
        names = []
        for rank in range(min(len(breakouts), len(RANK_WORDS))):
            name = f"pref_{slot.id}_{rank + 1}"
            fields[name] = SelectField(f"{RANK_WORDS[rank]} choice", choices=choices, default="")
            names.append(name)
        groups.append((slot.title, names))
    fields["preference_fields"] = groups
    return type(form_class.__name__, (form_class,), fields)


def filled(form_class: type[DetailsForm], registration: Registration) -> DetailsForm:
    """The form (with the event's preference selects) showing the registration's saved details;
    a submitted form keeps what was posted."""
    saved = details_of(registration)
    form = with_preferences(form_class, registration.event)(
        data={k: v for k, v in saved.items() if k != "preferences"}
    )
    if not form.is_submitted():
        form.fill_preferences(saved["preferences"])
    return form


def suggestions(*, for_organiser: bool = False) -> dict[str, list[str]]:
    """The organisations offered as the form's type-ahead: canonical names only, and none that
    looks like a duplicate of another (a typo someone registered with is not offered to all).
    The public sees only the directory's publicly known names (none a draft event or a stranger
    put there); organisers see every one."""
    doubtful = likely_typos()
    offered = all_organisations() if for_organiser else publicly_known()
    return {"organisations": [o.name for o in offered if o.id not in doubtful]}
