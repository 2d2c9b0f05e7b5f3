"""The programmes pages' forms; their rules are checked again in app/services/programmes/."""

from __future__ import annotations

from flask_wtf import FlaskForm
from wtforms import RadioField, StringField, TextAreaField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import DataRequired, Length

from app.models import ProgrammeKind
from app.services.programmes.programmes import DESCRIPTION_LENGTH, NAME_LENGTH

KIND_HINTS = {
    ProgrammeKind.MENTORING: "mentors and mentees from different organisations and sectors",
    ProgrammeKind.SECONDMENT: "hosts offering placements and staff seeking a secondment",
    ProgrammeKind.PEER_CHALLENGE: "teams of peers reviewing host organisations",
}


class ProgrammeForm(FlaskForm):
    kind = RadioField(
        "Kind of programme",
        choices=[
            SelectChoice(kind.value, f"{kind.label}: {KIND_HINTS[kind]}") for kind in ProgrammeKind
        ],
        validators=[DataRequired("Choose the kind of programme.")],
    )
    name = StringField(
        "Name",
        description="For example: Cross-sector mentoring 2027.",
        validators=[DataRequired("Give the programme a name."), Length(max=NAME_LENGTH)],
    )
    description = TextAreaField(
        "Description",
        description="What it is for; people who join see it.",
        validators=[Length(max=DESCRIPTION_LENGTH)],
    )
