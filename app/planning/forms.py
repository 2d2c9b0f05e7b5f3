from flask_wtf import FlaskForm
from wtforms import HiddenField, IntegerField, SelectField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import InputRequired, NumberRange

from app.models import SeatingRuleKind


class SolveForm(FlaskForm):
    # The planning page shows the tables and the breakouts forms together: their fields keep
    # the same names but need ids of their own, or each label would point at the first form.
    id_prefix = "breakouts"

    time_limit = IntegerField(
        "Time to spend planning (seconds)",
        default=30,
        validators=[InputRequired(), NumberRange(min=1, max=600)],
    )
    seed = IntegerField(
        "Variation",
        default=0,
        description="The same number gives the same plan again; another number, another plan "
        "just as good.",
        validators=[InputRequired(), NumberRange(min=0, max=2**31 - 1)],
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        for field in self:
            if field.name != "csrf_token":
                field.id = field.label.field_id = f"{self.id_prefix}-{field.name}"


class TableSolveForm(SolveForm):
    id_prefix = "tables"
    same_org = IntegerField(
        "Weight: same-organisation tablemates",
        default=1000,
        validators=[InputRequired(), NumberRange(min=0, max=10**6)],
    )
    repeats = IntegerField(
        "Weight: meeting someone again",
        default=100,
        validators=[InputRequired(), NumberRange(min=0, max=10**6)],
    )
    sector = IntegerField(
        "Weight: sector mix",
        default=10,
        validators=[InputRequired(), NumberRange(min=0, max=10**6)],
    )
    profession = IntegerField(
        "Weight: profession mix",
        default=1,
        validators=[InputRequired(), NumberRange(min=0, max=10**6)],
    )


class SeatingRuleForm(FlaskForm):
    kind = SelectField(
        "Rule",
        choices=[
            SelectChoice(SeatingRuleKind.KEEP_APART.value, "Keep apart"),
            SelectChoice(SeatingRuleKind.KEEP_TOGETHER.value, "Always seat together"),
        ],
    )
    # A type-ahead picker over these in the browser (static/js/person-picker.js).
    first = SelectField("First person", coerce=int, render_kw={"data-picker": ""})
    second = SelectField("Second person", coerce=int, render_kw={"data-picker": ""})

    def __init__(self, *args, people=(), **kwargs):
        super().__init__(*args, **kwargs)
        choices = [
            SelectChoice(r.id, f"{r.name} ({r.organisation.name if r.organisation else '—'})")
            for r in people
        ]
        self.first.choices = choices
        self.second.choices = list(choices)

    def validate(self, extra_validators=None) -> bool:
        ok = super().validate(extra_validators)
        if ok and self.first.data == self.second.data:
            self.second.errors.append("Choose two different people.")
            ok = False
        return ok


class MoveForm(FlaskForm):
    registration_id = IntegerField(validators=[InputRequired()])
    session_id = IntegerField(validators=[InputRequired()])
    target_id = IntegerField(validators=[InputRequired()])


class SwapForm(FlaskForm):
    first_id = IntegerField(validators=[InputRequired()])
    second_id = IntegerField(validators=[InputRequired()])
    session_id = IntegerField(validators=[InputRequired()])


class LockForm(FlaskForm):
    registration_id = IntegerField(validators=[InputRequired()])
    session_id = IntegerField(validators=[InputRequired()])
    locked = IntegerField(validators=[InputRequired(), NumberRange(min=0, max=1)])


class PublishForm(FlaskForm):
    # The other kind's draft, published together with the plan (empty: this plan alone).
    with_plan_id = HiddenField()
