"""The series pages' forms; their rules are checked again in app/services/series/grouping.py."""

from __future__ import annotations

from flask_wtf import FlaskForm
from wtforms import SelectField, StringField
from wtforms.validators import DataRequired, Length

from app.services.series.grouping import NAME_LENGTH


class SeriesForm(FlaskForm):
    name = StringField(
        "Name of the series",
        description="For example: Quarterly learning days 2027.",
        validators=[
            DataRequired("Give the series a name."),
            Length(max=NAME_LENGTH, message=f"The name must be at most {NAME_LENGTH} characters."),
        ],
    )


class AddEventForm(FlaskForm):
    event = SelectField("Event to add", coerce=int, validate_choice=True)


class ThemeLinkForm(FlaskForm):
    same_as = SelectField("Same theme as", coerce=int, validate_choice=True)
