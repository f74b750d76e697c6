"""Huế's back-office screen, an example of `register_admin_views`: a StaffView (sign-in and roles checked by
spcncl's back office) that reads the records and changes nothing."""

from __future__ import annotations

from typing import Any

from flask_admin import expose
from markupsafe import Markup, escape
from spcncl_admin.extensions import db
from spcncl_admin.views.base import StaffView, catalog
from sqlalchemy import func, select

from spcncl_core.db.models import Dossier, Round


class HueView(StaffView):
    """Huế's rounds with their dossier counts, and the Huế criteria sets."""

    @expose("/")
    def index(self) -> Any:
        counts = dict(db.session.execute(select(Dossier.round_id, func.count()).group_by(Dossier.round_id)).all())
        rounds = db.session.scalars(select(Round).where(Round.jurisdiction_id == "hue").order_by(Round.year))
        rows = "".join(f"<tr><td>{r.year}</td><td>{escape(r.title)}</td><td>{counts.get(r.id, 0)}</td></tr>"
                       for r in rounds)
        sets = ", ".join(escape(s.id) for s in catalog().sets_for("hue"))
        body = Markup(f"<h3>Thừa Thiên Huế</h3><p>Bộ tiêu chí: {sets}</p>"
                      f"<table class='table table-sm' id='hue-rounds'><tr><th>Năm</th><th>Đợt</th><th>Hồ sơ</th></tr>"
                      f"{rows}</table>")
        return self.render("spcncl/plugin_page.html", body=body)
