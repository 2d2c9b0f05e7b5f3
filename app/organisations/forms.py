"""Organiser forms for the directory: rename, re-sector or confirm the sector of an organisation,
manage sectors."""

from __future__ import annotations

from flask_wtf import FlaskForm
from wtforms import HiddenField, SelectField, StringField
from wtforms.validators import DataRequired, Length

from app.services.organisations import sectors


class OrganisationForm(FlaskForm):
    name = StringField("Name", validators=[DataRequired(), Length(max=200)])
    sector = SelectField("Sector", validators=[DataRequired()])

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.sector.choices = [(s.name, s.name) for s in sectors.every_sector()]
        if self.sector.data and self.sector.data not in {name for name, _ in self.sector.choices}:
            # Kept as stored, so saving a new name never moves the organisation by accident.
            self.sector.choices.append((self.sector.data, self.sector.data))


class ConfirmSectorForm(FlaskForm):
    """The sector an organiser confirms for an organisation a registrant typed in."""

    sector = SelectField("Sector", validators=[DataRequired()])

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.sector.choices = [(s.name, s.name) for s in sectors.offered()]


class MergeForm(FlaskForm):
    source_id = HiddenField(validators=[DataRequired()])
    into_id = HiddenField(validators=[DataRequired()])


class SectorForm(FlaskForm):
    name = StringField("Sector", validators=[DataRequired(), Length(max=100)])
