"""The vote's forms; their rules are checked again in app/services/voting/ballots.py."""

from __future__ import annotations

from flask_wtf import FlaskForm
from wtforms import SelectField, StringField, TextAreaField
from wtforms.validators import DataRequired, Length

from app.services.voting.ballots import TEXT_LENGTH


class BallotLinkForm(FlaskForm):
    email = StringField(
        "Your email address",
        description="The one you registered with.",
        validators=[DataRequired("Enter the email address you registered with."), Length(max=254)],
    )


class StatementForm(FlaskForm):
    theme = SelectField("From the theme", coerce=int, validate_choice=True)
    text = TextAreaField(
        "Statement",
        description="One short sentence people can agree or disagree with.",
        validators=[
            DataRequired("Write the statement people will vote on."),
            Length(max=TEXT_LENGTH),
        ],
    )
