"""Organiser forms. Field-level rules live here so errors show beside the field at fault."""

from __future__ import annotations

import re
from functools import cache
from zoneinfo import available_timezones

from flask_wtf import FlaskForm
from wtforms import (
    BooleanField,
    DateTimeLocalField,
    EmailField,
    HiddenField,
    IntegerField,
    SelectField,
    SelectMultipleField,
    StringField,
    TextAreaField,
)
from wtforms.fields.choices import SelectChoice
from wtforms.validators import (
    DataRequired,
    Email,
    InputRequired,
    Length,
    NumberRange,
    Optional,
    Regexp,
    ValidationError,
)

from app.formatting import is_one_line
from app.models import SessionKind, WaitlistPolicy
from app.services.messaging.segments import BODY_LIMIT, SUBJECT_LIMIT
from app.services.organisations import sectors
from app.shared import SLUG_PATTERN

DATETIME_FORMAT = "%Y-%m-%dT%H:%M"
# Dates outside these years are typing slips (a year of 20255, or 1): refused with a message.
EARLIEST_YEAR, LATEST_YEAR = 2000, 2199


def one_line(form: FlaskForm, field: StringField) -> None:
    """Titles, venues and names go into mail subjects and calendar lines: one line each."""
    if field.data and not is_one_line(field.data):
        raise ValidationError("Use a single line: no line breaks, tabs or control characters.")


def sane_year(form: FlaskForm, field: DateTimeLocalField) -> None:
    if field.data and not EARLIEST_YEAR <= field.data.year <= LATEST_YEAR:
        raise ValidationError(
            f"Give a date between the years {EARLIEST_YEAR} and {LATEST_YEAR} "
            f"(this one is in {field.data.year})."
        )


@cache
def timezone_choices() -> list[tuple[str, str]]:
    names = sorted(n for n in available_timezones() if "/" in n and not n.startswith("Etc/"))
    return [SelectChoice("UTC", "UTC"), *(SelectChoice(n, n.replace("_", " ")) for n in names)]


def slugify(text: str) -> str:
    return re.sub(r"[^a-z0-9]+", "-", text.lower()).strip("-")[:80] or "event"


class EventForm(FlaskForm):
    title = StringField("Title", validators=[DataRequired(), Length(max=200), one_line])
    slug = StringField(
        "Web address name",
        description="Lower-case letters, digits and hyphens; made from the title when empty.",
        validators=[
            Optional(),
            Length(max=80),
            Regexp(SLUG_PATTERN, message="Use lower-case letters, digits and single hyphens."),
        ],
    )
    description = TextAreaField("Description", validators=[Optional(), Length(max=10000)])
    venue = StringField("Venue", validators=[Optional(), Length(max=300), one_line])
    contact_email = EmailField(
        "Organiser contact email",
        description="Shown on the event page and in every message, for attendees' questions. "
        "Left empty, it is your own address.",
        validators=[Optional(), Length(max=254), Email(message="Give an email address.")],
    )
    timezone = SelectField("Timezone", default="Europe/London", validators=[DataRequired()])
    starts_at = DateTimeLocalField(
        "Starts", format=DATETIME_FORMAT, validators=[InputRequired(), sane_year]
    )
    ends_at = DateTimeLocalField(
        "Ends", format=DATETIME_FORMAT, validators=[InputRequired(), sane_year]
    )
    capacity = IntegerField(
        "Capacity", validators=[InputRequired(), NumberRange(min=1, max=100000)]
    )
    # The capacity the organiser agreed to lower to, below the places already held (asked first).
    lower_capacity_to = HiddenField()
    registration_opens_at = DateTimeLocalField(
        "Registration opens",
        format=DATETIME_FORMAT,
        validators=[Optional(), sane_year],
        description="Left empty, registration opens as soon as the event is published.",
    )
    registration_closes_at = DateTimeLocalField(
        "Registration closes",
        format=DATETIME_FORMAT,
        validators=[Optional(), sane_year],
        description="Left empty, registration closes when the event starts.",
    )
    waitlist_policy = SelectField(
        "When a seat frees up",
        choices=[
            SelectChoice(
                WaitlistPolicy.AUTO_PROMOTE.value, "Confirm the first person on the waiting list"
            ),
            SelectChoice(
                WaitlistPolicy.OFFER.value, "Offer the seat to the first person for a limited time"
            ),
        ],
        default=WaitlistPolicy.AUTO_PROMOTE.value,
    )
    offer_hours = IntegerField(
        "Hours to claim an offered seat",
        default=48,
        validators=[InputRequired(), NumberRange(min=1, max=24 * 14)],
    )
    convenors = SelectMultipleField("Co-convening organisations", coerce=int)
    new_convenor_name = StringField(
        "Add a convenor not listed: name", validators=[Optional(), Length(max=200), one_line]
    )
    new_convenor_sector = StringField(
        "Its sector", validators=[Optional(), Length(max=100), one_line]
    )

    def __init__(self, *args, organisations=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.timezone.choices = timezone_choices()
        self.convenors.choices = [
            SelectChoice(o.id, f"{o.name} ({o.sector})") for o in organisations
        ]

    def validate(self, extra_validators=None) -> bool:
        ok = super().validate(extra_validators)
        start, end = self.starts_at.data, self.ends_at.data
        if start and end and end <= start:
            self.ends_at.errors.append("The event must end after it starts.")
            ok = False
        opens, closes = self.registration_opens_at.data, self.registration_closes_at.data
        if opens and closes and closes <= opens:
            self.registration_closes_at.errors.append("Registration must close after it opens.")
            ok = False
        if closes and end and closes > end:
            self.registration_closes_at.errors.append("Registration must close by the event's end.")
            ok = False
        name, sector = self.new_convenor_name.data, self.new_convenor_sector.data
        if name and not sector:
            self.new_convenor_sector.errors.append("Give the new convenor's sector.")
            ok = False
        if sector and not name:
            self.new_convenor_name.errors.append("Give the new convenor's name.")
            ok = False
        if sector and sectors.resolve(sector) is None:
            offered = ", ".join(s.name for s in sectors.offered())
            self.new_convenor_sector.errors.append(f"Choose one of the sectors: {offered}.")
            ok = False
        if not self.convenors.data and not name:
            self.convenors.errors.append("An event needs at least one convening organisation.")
            ok = False
        return ok


class SessionForm(FlaskForm):
    kind = SelectField(
        "Kind",
        choices=[SelectChoice(k.value, k.label) for k in SessionKind],
        validators=[DataRequired()],
    )
    title = StringField("Title", validators=[DataRequired(), Length(max=200), one_line])
    description = TextAreaField("Description", validators=[Optional(), Length(max=5000)])
    location = StringField(
        "Location",
        validators=[Optional(), Length(max=200), one_line],
        description="The main room; breakouts name their own rooms.",
    )
    starts_at = DateTimeLocalField(
        "Starts", format=DATETIME_FORMAT, validators=[InputRequired(), sane_year]
    )
    ends_at = DateTimeLocalField(
        "Ends", format=DATETIME_FORMAT, validators=[InputRequired(), sane_year]
    )

    def __init__(self, *args, event, **kwargs):
        super().__init__(*args, **kwargs)
        self.event = event

    def validate(self, extra_validators=None) -> bool:
        ok = super().validate(extra_validators)
        start, end = self.starts_at.data, self.ends_at.data
        if start and end:
            if end <= start:
                self.ends_at.errors.append("A session must end after it starts.")
                ok = False
            if start < self.event.starts_at or end > self.event.ends_at:
                window = f"{self.event.starts_at:%d %b %H:%M} – {self.event.ends_at:%d %b %H:%M}"
                self.starts_at.errors.append(f"Sessions must fall within the event ({window}).")
                ok = False
        return ok


class BreakoutForm(FlaskForm):
    title = StringField("Topic", validators=[DataRequired(), Length(max=200), one_line])
    description = TextAreaField("Description", validators=[Optional(), Length(max=5000)])
    room = StringField("Room", validators=[DataRequired(), Length(max=200), one_line])
    capacity = IntegerField("Capacity", validators=[InputRequired(), NumberRange(min=1, max=10000)])
    min_attendance = IntegerField(
        "Minimum attendance",
        validators=[Optional(), NumberRange(min=0, max=10000)],
        description="Below this the breakout is cancelled and its people placed elsewhere.",
    )

    def validate(self, extra_validators=None) -> bool:
        ok = super().validate(extra_validators)
        low, cap = self.min_attendance.data, self.capacity.data
        if low is not None and cap is not None and low > cap:
            self.min_attendance.errors.append("The minimum cannot exceed the capacity.")
            ok = False
        return ok


class TableForm(FlaskForm):
    number = IntegerField(
        "Table number", validators=[InputRequired(), NumberRange(min=1, max=9999)]
    )
    capacity = IntegerField("Seats", validators=[InputRequired(), NumberRange(min=1, max=100)])
    accessible = BooleanField("Step-free, wheelchair-accessible table")
    # A type-ahead picker over this in the browser (static/js/person-picker.js).
    facilitator_id = SelectField(
        "Facilitator", coerce=int, validate_choice=True, render_kw={"data-picker": ""}
    )

    def __init__(self, *args, candidates=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.facilitator_id.choices = [SelectChoice(0, "No facilitator")] + [
            SelectChoice(r.id, f"{r.name} — {r.organisation.name if r.organisation else ''}")
            for r in candidates
        ]


class AddTablesForm(FlaskForm):
    count = IntegerField(
        "How many tables", validators=[InputRequired(), NumberRange(min=1, max=500)]
    )
    capacity = IntegerField(
        "Seats at each", default=8, validators=[InputRequired(), NumberRange(min=1, max=100)]
    )
    accessible = IntegerField(
        "How many of them are accessible",
        default=0,
        validators=[InputRequired(), NumberRange(min=0, max=500)],
    )

    def validate(self, extra_validators=None) -> bool:
        ok = super().validate(extra_validators)
        if ok and self.accessible.data > self.count.data:
            self.accessible.errors.append("Cannot be more than the number of tables.")
            ok = False
        return ok


class MessageForm(FlaskForm):
    segment = SelectField("To", validate_choice=True)
    subject = StringField(
        "Subject", validators=[DataRequired(), Length(max=SUBJECT_LIMIT), one_line]
    )
    body = TextAreaField(
        "Message",
        description="Plain text. Each message says the event, how to reach you and the person's "
        "own registration link below it.",
        validators=[DataRequired(), Length(max=BODY_LIMIT)],
    )
    # The segment and the count the organiser was shown, "key:count": sent only when both hold.
    confirmed = HiddenField()

    def __init__(self, *args, segments=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.segment.choices = [SelectChoice(s.key, s.label) for s in segments]


class CopyEventForm(FlaskForm):
    title = StringField(
        "Title of the new event", validators=[DataRequired(), Length(max=200), one_line]
    )
    slug = StringField(
        "Its web address name",
        description="Lower-case letters, digits and hyphens; made from the title when empty.",
        validators=[
            Optional(),
            Length(max=80),
            Regexp(SLUG_PATTERN, message="Use lower-case letters, digits and single hyphens."),
        ],
    )
    starts_at = DateTimeLocalField(
        "It starts",
        format=DATETIME_FORMAT,
        description="Every session, and the registration window, moves by as much as the start.",
        validators=[InputRequired(), sane_year],
    )
