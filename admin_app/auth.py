"""Signing in and out, changing one's own password, choosing the language. Failed sign-ins are rate-limited."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

from flask import Blueprint, Flask, current_app, flash, redirect, render_template, request, session, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user, login_required, login_user, logout_user
from flask_wtf import FlaskForm
from wtforms import PasswordField, StringField
from wtforms.validators import DataRequired, EqualTo, Length

from spcncl_core.db.models import User
from spcncl_core.errors import SpcnclError
from spcncl_core.services import users

from .extensions import db, limiter, login_manager
from .views.base import refusal

bp = Blueprint("auth", __name__)


@dataclass
class SignedIn:
    """The signed-in user as Flask-Login sees them; the session id includes a piece of the password hash, so that
    changing a password signs out every other session."""

    id: int
    username: str
    name: str
    role: str
    language: str | None
    token: str

    is_authenticated = True
    is_active = True
    is_anonymous = False
    active = True  # the loader signs out inactive users, so a SignedIn is always an active one

    def get_id(self) -> str:
        return f"{self.id}:{self.token}"

    @classmethod
    def of(cls, user: User) -> SignedIn:
        return cls(user.id, user.username, user.name, user.role, user.language, (user.password_hash or "")[-16:])


def init_login(app: Flask) -> None:
    """Flask-Login on this app: unknown visitors go to the sign-in page."""
    login_manager.init_app(app)
    login_manager.login_view = "auth.login"
    login_manager.login_message = _l("Please sign in to see this page.")
    login_manager.login_message_category = "warning"
    login_manager.session_protection = "strong"


@login_manager.user_loader
def _load(user_id: str) -> SignedIn | None:
    ident, _sep, token = user_id.partition(":")
    if not ident.isdigit():
        return None
    user = db.session.get(User, int(ident))
    if user is None or not user.active or (user.password_hash or "")[-16:] != token:
        return None
    return SignedIn.of(user)


class SignInForm(FlaskForm):
    username = StringField(_l("User name"), validators=[DataRequired(), Length(max=80)])
    password = PasswordField(_l("Password"), validators=[DataRequired(), Length(max=200)])


class PasswordForm(FlaskForm):
    current = PasswordField(_l("Current password"), validators=[DataRequired()])
    new = PasswordField(_l("New password"), validators=[DataRequired(), Length(min=8, max=200)])
    repeat = PasswordField(_l("Repeat the new password"), validators=[EqualTo("new")])


def _safe_next(target: str | None) -> str:
    if target and not urlsplit(target).netloc and target.startswith("/") and not target.startswith("//"):
        return target
    return url_for("admin.index")


def _signin_limit() -> str:
    return current_app.config["SPCNCL_SIGNIN_LIMIT"]


@bp.route("/login", methods=["GET", "POST"])
@limiter.limit(_signin_limit, methods=["POST"])
def login() -> Any:
    """The sign-in page."""
    form = SignInForm()
    if form.validate_on_submit():
        user = users.authenticate(db.session(), form.username.data or "", form.password.data or "")
        if user is None:
            flash(_("Wrong user name or password."), "danger")
        else:
            session.clear()
            login_user(SignedIn.of(user))
            session.permanent = True
            return redirect(_safe_next(request.args.get("next")))
    return render_template("auth/login.html", form=form)


@bp.route("/logout", methods=["POST"])
def logout() -> Any:
    """Sign out (a POST, so that a link on another site cannot sign anyone out)."""
    logout_user()
    session.clear()
    flash(_("You are signed out."), "info")
    return redirect(url_for("auth.login"))


@bp.route("/password", methods=["GET", "POST"])
@login_required
def password() -> Any:
    """Change one's own password."""
    form = PasswordForm()
    if form.validate_on_submit():
        user = db.session.get(User, current_user.id)
        try:
            users.change_password(db.session(), user, form.current.data or "", form.new.data or "")
            db.session.commit()
        except SpcnclError as exc:
            db.session.rollback()
            flash(refusal(exc), "danger")
        else:
            login_user(SignedIn.of(user))
            flash(_("Your password was changed."), "success")
            return redirect(url_for("admin.index"))
    return render_template("auth/password.html", form=form)


@bp.route("/language/<code>", methods=["POST"])
def language(code: str) -> Any:
    """Switch the language: stored on the user when signed in, else in this browser's session."""
    if code not in ("vi", "en"):
        code = "vi"
    session["language"] = code
    if current_user.is_authenticated:
        user = db.session.get(User, current_user.id)
        users.set_language(db.session(), user, code)
        db.session.commit()
    return redirect(_safe_next(request.form.get("next") or request.referrer and urlsplit(request.referrer).path))
