"""Installed plugins and their criteria sets; any set as a table; any two sets compared."""

from __future__ import annotations

from typing import Any

from flask import abort, request
from flask_admin import expose
from flask_babel import get_locale

from spcncl_core.criteria.diff import diff_sets
from spcncl_core.errors import SpcnclError

from .base import StaffView, catalog


class CriteriaView(StaffView):
    """Plugins, criteria sets, comparisons."""

    @expose("/")
    def index(self) -> Any:
        cat = catalog()
        sets = sorted(cat.criteria_sets.values(), key=lambda s: (s.jurisdiction, s.year_from, s.product_group))
        return self.render("spcncl/plugins.html", plugins=cat.plugins(), sets=sets, owner=cat.owner,
                           lang=str(get_locale() or "vi"))

    @expose("/set/<set_id>")
    def show(self, set_id: str) -> Any:
        """A criteria set as a table."""
        try:
            cset = catalog().get(set_id)
        except SpcnclError:
            abort(404)
        return self.render("spcncl/criteria_set.html", cset=cset, lang=str(get_locale() or "vi"))

    @expose("/compare")
    def compare(self) -> Any:
        """What changed from one set to another."""
        cat = catalog()
        a, b = request.args.get("a", ""), request.args.get("b", "")
        changes, left, right = None, None, None
        if a and b:
            try:
                left, right = cat.get(a), cat.get(b)
            except SpcnclError:
                abort(404)
            changes = diff_sets(left, right)
        return self.render("spcncl/compare.html", sets=sorted(cat.criteria_sets), a=a, b=b, left=left, right=right,
                           changes=changes)
