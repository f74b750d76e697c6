"""The back office's home: staff see the rounds; council members go to their forms."""

from __future__ import annotations

from typing import Any

from flask import redirect, request, url_for
from flask_admin import AdminIndexView, expose
from flask_login import current_user
from sqlalchemy import select

from spcncl_core.db.models import Round

from ..extensions import db


class HomeView(AdminIndexView):
    """Home."""

    def is_accessible(self) -> bool:
        return bool(current_user.is_authenticated)

    def inaccessible_callback(self, name: str, **kwargs: Any) -> Any:
        return redirect(url_for("auth.login", next=request.full_path))

    @expose("/")
    def index(self) -> Any:
        if current_user.role == "council":
            return redirect(url_for("scoring.index"))
        all_rounds = list(db.session.scalars(select(Round).order_by(Round.year.desc())))
        return self.render("spcncl/home.html", rounds=all_rounds)
