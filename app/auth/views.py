"""Organiser sign-in and sign-out, password change, and reset by an emailed link.

Every sign-in is a row (app/services/accounts/sign_ins.py) whose key the session cookie carries
under SIGN_IN_KEY; the user loader accepts a cookie only while its row lives. So signing out ends
this browser's session for good (a copied cookie stops working), "sign out everywhere" and any
password change end all of them. Remember-me cookies are not used: one would carry no key and is
refused.
"""

from __future__ import annotations

from urllib.parse import unquote, urlsplit

from flask import Blueprint, flash, redirect, render_template, request, session, url_for
from flask_login import current_user, login_required, login_user, logout_user
from flask_wtf import FlaskForm

from app.auth.forms import ChangePasswordForm, ForgotPasswordForm, LoginForm, NewPasswordForm
from app.extensions import login_manager
from app.models import User
from app.security import (
    clear_login_failures,
    limit_logins,
    limit_password_resets,
    login_wait_seconds,
    record_login_failure,
)
from app.services.accounts import password_resets, sign_ins
from app.services.accounts.organisers import AccountError, authenticate, change_password

bp = Blueprint("auth", __name__)
SIGN_IN_KEY = "sign_in"


@login_manager.user_loader
def load_user(user_id: str) -> User | None:
    return sign_ins.signed_in_user(user_id, session.get(SIGN_IN_KEY))


def _sign_in(user: User) -> None:
    key = sign_ins.start(user)
    login_user(user)
    session[SIGN_IN_KEY] = key


def _forget_sign_in() -> None:
    """Sign this browser out (its sign-in row is already gone or is ended by the caller)."""
    session.pop(SIGN_IN_KEY, None)
    logout_user()


def _is_own_path(target: str) -> bool:
    """A path on this site however a browser reads it: printable ASCII (browsers drop tabs and
    newlines), no scheme or host, one leading slash, no backslash (browsers read one as a slash),
    no empty or dot segment (`/.//x` resolves to `//x`), and all of it still true once
    percent-decoded, so no later decoding or normalising step can turn it into `//host`."""
    if not target.isascii() or not target.isprintable() or " " in target:
        return False
    parts = urlsplit(target)
    if parts.scheme or parts.netloc:
        return False
    given = target.partition("#")[0].partition("?")[0]  # as given: urlsplit drops "//" of "///x"
    for path in (given, unquote(given)):
        if not path.startswith("/") or "\\" in path or "//" in path or not path.isprintable():
            return False
        if any(segment in (".", "..") for segment in path.split("/")):
            return False
    return True


def _safe_next(target: str | None) -> str:
    """Only same-site paths: a crafted ?next= must not send an organiser elsewhere."""
    return target if target and _is_own_path(target) else url_for("organise.dashboard")


@bp.route("/login", methods=["GET", "POST"])
@limit_logins
def login():
    if current_user.is_authenticated:
        return redirect(_safe_next(request.args.get("next")))
    form = LoginForm()
    if form.validate_on_submit():
        # Wrong passwords slow down the account from the addresses that gave them, never from an
        # address that has not failed (app/security.py, "Sign-in backoff").
        if wait := login_wait_seconds(form.email.data):
            form.password.errors.append(
                f"Too many wrong passwords for this account. Try again in {_duration(wait)}."
            )
            return render_template("auth/login.html", form=form), 429, {"Retry-After": wait}
        user = authenticate(form.email.data, form.password.data)
        if user is not None:
            clear_login_failures(form.email.data)
            _sign_in(user)
            flash("Signed in.", "success")
            return redirect(_safe_next(request.args.get("next")))
        record_login_failure(form.email.data)
        form.password.errors.append("The email or password is not right.")
    return render_template("auth/login.html", form=form)


def _duration(seconds: int) -> str:
    if seconds < 60:
        return f"{seconds} second{'s' if seconds != 1 else ''}"
    minutes = -(-seconds // 60)
    return f"{minutes} minute{'s' if minutes != 1 else ''}"


@bp.post("/logout")
@login_required
def logout():
    sign_ins.end(session.get(SIGN_IN_KEY))
    _forget_sign_in()
    flash("Signed out.", "success")
    return redirect(url_for("public.index"))


@bp.post("/logout/everywhere")
@login_required
def logout_everywhere():
    sign_ins.end_all(current_user)
    _forget_sign_in()
    flash("Signed out on every device and browser.", "success")
    return redirect(url_for("auth.login"))


def _show_error(form: FlaskForm, error: AccountError) -> None:
    message = str(error)
    form[error.field].errors.append(f"{message[0].upper()}{message[1:]}.")


@bp.route("/account/password", methods=["GET", "POST"])
@login_required
@limit_logins  # the current password can be guessed here too
def change_password_page():
    form = ChangePasswordForm()
    if form.validate_on_submit():
        user = current_user._get_current_object()
        try:
            change_password(user, form.current.data, form.password.data, form.again.data)
        except AccountError as error:
            _show_error(form, error)
        else:
            _sign_in(user)  # every sign-in has ended, this browser's too: it stays signed in
            flash("Your password is changed. Every other browser is signed out.", "success")
            return redirect(url_for("organise.dashboard"))
    return render_template("auth/password.html", form=form)


@bp.route("/forgot-password", methods=["GET", "POST"])
@limit_password_resets
def forgot_password():
    form = ForgotPasswordForm()
    if form.validate_on_submit():
        password_resets.request_reset(form.email.data)
        # The same answer whether or not there is such an account.
        flash(
            f"If {form.email.data.strip()} is an organiser's address, a link to choose a new "
            "password is on its way there. It works once, for an hour.",
            "info",
        )
        return redirect(url_for("auth.login"))
    return render_template("auth/forgot.html", form=form)


@bp.route("/reset-password/<token>", methods=["GET", "POST"])
def reset_password(token: str):
    if password_resets.live_reset(token) is None:
        return _dead_reset_link()
    form = NewPasswordForm()
    if form.validate_on_submit():
        try:
            password_resets.complete_reset(token, form.password.data, form.again.data)
        except AccountError as error:
            if error.field is None:
                return _dead_reset_link()
            _show_error(form, error)
        else:
            if current_user.is_authenticated:
                _forget_sign_in()  # its sign-in has ended with all the others
            flash("Your password is changed. Sign in with it.", "success")
            return redirect(url_for("auth.login"))
    return render_template("auth/reset.html", form=form)


def _dead_reset_link():
    # 404: the link names nothing, and app/security.py counts each one as a guess of a token.
    page = render_template("auth/reset_link_dead.html", message=password_resets.DEAD_LINK)
    return page, 404
