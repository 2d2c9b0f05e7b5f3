"""The actions' forms; their rules are checked again in app/services/commitments/actions.py."""

from __future__ import annotations

from flask_wtf import FlaskForm
from wtforms import DateField, SelectField, StringField, TextAreaField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import DataRequired, Length, Optional

from app.models import ActionStatus
from app.services.commitments.actions import OWNER_LENGTH, STATUS_WORDS, TEXT_LENGTH
from app.services.commitments.follow_ups import LONGEST, MOST

OWNER_HINT = "A role or a sector (for example: Housing leads), never a person's name."


class PlenaryActionForm(FlaskForm):
    what = TextAreaField(
        "Commitment",
        validators=[DataRequired("Say what was committed to."), Length(max=TEXT_LENGTH)],
    )
    owner = StringField("Owner", description=OWNER_HINT, validators=[Length(max=OWNER_LENGTH)])
    due_on = DateField("Due by", validators=[Optional()])


class ActionUpdateForm(FlaskForm):
    status = SelectField(
        "Where it stands", choices=[SelectChoice(s.value, STATUS_WORDS[s]) for s in ActionStatus]
    )
    owner = StringField("Owner", description=OWNER_HINT, validators=[Length(max=OWNER_LENGTH)])
    due_on = DateField("Due by", validators=[Optional()])
    note = TextAreaField("What has happened", validators=[Length(max=TEXT_LENGTH)])


class FollowUpIntervalsForm(FlaskForm):
    months = StringField(
        "Months after the event",
        description=(
            f"Whole months, separated by commas (for example: 3, 6), up to {MOST} of them, "
            f"each from 1 to {LONGEST}."
        ),
        validators=[DataRequired("Give at least one number of months, for example: 3, 6.")],
    )
