from flask_wtf import FlaskForm
from wtforms import EmailField, PasswordField
from wtforms.validators import DataRequired, Length

from app.services.accounts.organisers import MAX_PASSWORD_LENGTH, MIN_PASSWORD_LENGTH


class LoginForm(FlaskForm):
    email = EmailField("Email", validators=[DataRequired(), Length(max=254)])
    password = PasswordField("Password", validators=[DataRequired(), Length(max=200)])


class ForgotPasswordForm(FlaskForm):
    email = EmailField("Email", validators=[DataRequired(), Length(max=254)])


def _password_field(label: str, description: str = "") -> PasswordField:
    return PasswordField(
        label,
        description=description,
        validators=[DataRequired(), Length(max=MAX_PASSWORD_LENGTH)],
    )


# Field names match AccountError.field (app/services/accounts/organisers.py checks passwords).
class NewPasswordForm(FlaskForm):
    password = _password_field("New password", f"At least {MIN_PASSWORD_LENGTH} characters.")
    again = _password_field("New password again")


class ChangePasswordForm(FlaskForm):
    current = _password_field("Current password")
    password = _password_field("New password", f"At least {MIN_PASSWORD_LENGTH} characters.")
    again = _password_field("New password again")
