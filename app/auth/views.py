"""Organiser sign-in and sign-out."""

from __future__ import annotations

from urllib.parse import urlsplit

from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask_login import current_user, login_required, login_user, logout_user

from app.auth.forms import LoginForm
from app.extensions import db, login_manager
from app.models import User
from app.security import (
    clear_login_failures,
    limit_logins,
    login_wait_seconds,
    record_login_failure,
)
from app.services.accounts.organisers import authenticate

bp = Blueprint("auth", __name__)


@login_manager.user_loader
def load_user(user_id: str) -> User | None:
    return db.session.get(User, int(user_id)) if user_id.isdigit() else None


def _safe_next(target: str | None) -> str:
    """Only same-site paths: a crafted ?next= must not send an organiser elsewhere."""
    if target:
        parts = urlsplit(target)
        if not parts.scheme and not parts.netloc and target.startswith("/") and "\\" not in target:
            return target
    return url_for("organise.dashboard")


@bp.route("/login", methods=["GET", "POST"])
@limit_logins
def login():
    if current_user.is_authenticated:
        return redirect(_safe_next(request.args.get("next")))
    form = LoginForm()
    if form.validate_on_submit():
        # After repeated wrong passwords an account waits before the next try (app/security.py),
        # whoever is asking and from wherever: guessing one account from many addresses is slow.
        if wait := login_wait_seconds(form.email.data):
            form.password.errors.append(
                f"Too many wrong passwords for this account. Try again in {_duration(wait)}."
            )
            return render_template("auth/login.html", form=form), 429, {"Retry-After": wait}
        user = authenticate(form.email.data, form.password.data)
        if user is not None:
            clear_login_failures(form.email.data)
            login_user(user)
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
    logout_user()
    flash("Signed out.", "success")
    return redirect(url_for("public.index"))
