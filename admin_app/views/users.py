"""The admin manages users: create, change role or name, deactivate, reset a password — through services.users."""

from __future__ import annotations

from typing import Any

from flask import abort, redirect, request, url_for
from flask_admin import expose
from flask_babel import gettext as _
from sqlalchemy import select

from spcncl_core.db.models import User
from spcncl_core.db.models.users import ROLES
from spcncl_core.services import users

from ..extensions import db
from .base import StaffView, actor, require, run_service


class UsersView(StaffView):
    """Users and roles (admins only)."""

    roles = ("admin",)

    @expose("/")
    def index(self) -> Any:
        return self.render("spcncl/users.html", users=list(db.session.scalars(select(User).order_by(User.username))),
                           roles=ROLES)

    @expose("/new", methods=["POST"])
    def create(self) -> Any:
        require("user.create")
        form = request.form
        run_service(lambda: users.create_user(db.session(), actor(), form.get("username", "").strip(),
                                              form.get("name", "").strip(), form.get("role", ""),
                                              form.get("password", "")), _("User created."))
        return redirect(url_for(".index"))

    @expose("/<int:user_id>", methods=["POST"])
    def update(self, user_id: int) -> Any:
        require("user.update")
        user = db.session.get(User, user_id) or abort(404)
        form = request.form
        run_service(lambda: users.update_user(db.session(), actor(), user, name=form.get("name"),
                                              role=form.get("role"), active=form.get("active") == "on",
                                              password=form.get("password") or None), _("User saved."))
        return redirect(url_for(".index"))
