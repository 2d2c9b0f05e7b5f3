"""Forms of peer-challenge rounds. They only collect and show: the rules are in
app/services/programmes/peer_challenge_*.py, whose errors the views put beside the fields."""

from __future__ import annotations

from typing import Any

from flask_wtf import FlaskForm
from flask_wtf.file import FileField
from wtforms import BooleanField, DateField, EmailField, IntegerField, SelectField, StringField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import InputRequired, NumberRange, Optional

from app.models.peer_challenge import REMINDER_DAYS_MAX
from app.services.organisations import sectors
from app.services.programmes.peer_challenge_members import ROLE_WORDS, TEXT_LIMITS
from app.services.programmes.peer_challenge_milestones import STAGES
from scheduler.peer_teams import ROLES


def _sector_choices(current: str | None) -> list[SelectChoice]:
    choices = [SelectChoice("", "Choose its sector")]
    choices += [SelectChoice(s.name, s.name) for s in sectors.offered()]
    if current and current not in {c.value for c in choices}:
        choices.append(SelectChoice(current, current))
    return choices


class _EntryForm(FlaskForm):
    name = StringField("Full name", render_kw={"maxlength": TEXT_LIMITS["name"]})
    email = EmailField(
        "Email",
        description="Only the organisers see it.",
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
        "Sector of the organisation",
        description="Needed only when the organisation is not among the suggestions.",
        validate_choice=False,
    )
    FIELDS: tuple[str, ...] = ()

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.sector.choices = _sector_choices(self.sector.data)

    def raw(self) -> dict[str, Any]:
        """The details in the service's field names."""
        return {name: self[name].data for name in self.FIELDS}

    def add_errors(self, errors: dict[str, list[str]]) -> None:
        for name, messages in errors.items():
            if name in self._fields:
                self[name].errors = [*self[name].errors, *messages]


class PeerForm(_EntryForm):
    role = SelectField(
        "Your role in a team",
        choices=[SelectChoice("", "Choose your role")]
        + [SelectChoice(role, ROLE_WORDS[role][0].capitalize()) for role in ROLES],
        validate_choice=False,
    )
    topics = StringField(
        "Your skills",
        description="Separate them with semicolons, e.g. finance; housing; adult social care.",
        render_kw={"maxlength": TEXT_LIMITS["topics"]},
    )
    capacity = StringField(
        "How many challenges you can take part in this round",
        render_kw={"inputmode": "numeric", "size": 4},
    )
    exclude = StringField(
        "Organisations you must not review (optional)",
        description="Neighbours, partners, past employers: separate them with semicolons.",
        render_kw={"maxlength": TEXT_LIMITS["exclude"]},
    )
    group = StringField(
        "Your political group (member peers only)",
        render_kw={"maxlength": TEXT_LIMITS["group"]},
    )
    FIELDS = (
        "name",
        "email",
        "organisation",
        "sector",
        "role",
        "topics",
        "capacity",
        "exclude",
        "group",
    )


def slot_field(role: str) -> str:
    """The host form's field for a role's count (the service calls it "slots-<role>")."""
    return "slots_" + role.replace("-", "_")


class HostForm(_EntryForm):
    topics = StringField(
        "Themes the challenge should look at",
        description="Separate them with semicolons, e.g. finance; place leadership.",
        render_kw={"maxlength": TEXT_LIMITS["topics"]},
    )
    FIELDS = ("name", "email", "organisation", "sector", "topics")

    def __init__(self, *args, data: dict[str, Any] | None = None, **kwargs):
        if data is not None:  # the service's "slots-<role>" are this form's slot fields
            data = {
                slot_field(k.removeprefix("slots-")) if k.startswith("slots-") else k: v
                for k, v in data.items()
            }
        super().__init__(*args, data=data, **kwargs)
        self.name.label.text = "Contact's full name"
        self.organisation.label.text = "Organisation to be reviewed"

    def slot_fields(self) -> list:
        return [self[slot_field(role)] for role in ROLES]

    def raw(self) -> dict[str, Any]:
        return {**super().raw(), **{f"slots-{r}": self[slot_field(r)].data for r in ROLES}}

    def add_errors(self, errors: dict[str, list[str]]) -> None:
        # A rule on all the counts ("slots") is shown at the first of them.
        renamed: dict[str, list[str]] = {}
        for name, found in errors.items():
            if name == "slots":
                name = slot_field(ROLES[0])
            elif name.startswith("slots-"):
                name = slot_field(name.removeprefix("slots-"))
            renamed.setdefault(name, []).extend(found)
        super().add_errors(renamed)


for _role in ROLES:
    setattr(
        HostForm,
        slot_field(_role),
        StringField(
            ROLE_WORDS[_role][1].capitalize(),
            default="0",
            render_kw={"inputmode": "numeric", "size": 3},
        ),
    )


class ImportForm(FlaskForm):
    peers = FileField("Peers file (PEERS.csv)")
    hosts = FileField("Hosts file (HOSTS.csv)")


class ConfirmForm(FlaskForm):
    """Destructive or final actions ask first: this form is the confirmation."""


class StartForm(FlaskForm):
    time_limit = IntegerField(
        "Time to spend building the teams (seconds)",
        default=30,
        validators=[InputRequired(), NumberRange(min=1, max=600)],
    )


class PlaceForm(FlaskForm):
    host = SelectField("Team", validate_choice=False)
    peer = SelectField("Peer", validate_choice=False)


class SwapForm(FlaskForm):
    first = SelectField("Swap", validate_choice=False)
    second = SelectField("with", validate_choice=False)


class PublishForm(FlaskForm):
    confirm = BooleanField("Yes: tell every peer and host their team now")


class PublishChangesForm(FlaskForm):
    confirm = BooleanField("Yes: tell the people of these teams now")


class OnSiteForm(FlaskForm):
    on_site = DateField("First day on site, to date every step from", validators=[Optional()])


class RemindersForm(FlaskForm):
    reminder_days = IntegerField(
        "Days before each step that its reminder goes",
        description=f"A whole number from 1 to {REMINDER_DAYS_MAX}.",
        validators=[
            InputRequired("Give a number of days."),
            NumberRange(
                min=1,
                max=REMINDER_DAYS_MAX,
                message=f"Give a number of days from 1 to {REMINDER_DAYS_MAX}.",
            ),
        ],
        render_kw={"inputmode": "numeric", "size": 3},
    )


class MilestonesForm(FlaskForm):
    """One date per step; built with a field per stage."""


for _stage, _step in STAGES.items():
    setattr(MilestonesForm, _stage, DateField(_step.name, validators=[Optional()]))
