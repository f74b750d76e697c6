"""A round's results: ranking, Top N, pass or not, tie-break reasons, triangulation with flagged gaps, and charts."""

from __future__ import annotations

from collections import defaultdict
from decimal import Decimal
from typing import Any

from flask import abort
from flask_admin import expose
from flask_babel import get_locale
from flask_babel import gettext as _

from spcncl_core.db.models import Dossier, Result, Round
from spcncl_core.services import results, scoring
from spcncl_core.services.rounds import criteria_set_for

from .. import charts
from ..extensions import db
from .base import RoundScreenView, catalog
from .rounds import get_round


def round_charts(round_: Round, rows: list[tuple[Dossier, Result]]) -> dict[str, Any]:
    """The three charts of a round's results."""
    sets = {c.product_group: criteria_set_for(db.session(), catalog(), round_, c.product_group)
            for c in round_.criteria_sets}
    totals = [r.total for _d, r in rows if r.eligible and r.total is not None]
    mark = next(iter(sets.values())).pass_rule.points if sets else None
    sums: dict[str, list[Decimal]] = defaultdict(list)
    maxima: dict[str, Decimal] = {}
    for _d, r in rows:
        for c in r.criteria or []:
            sums[c["id"]].append(Decimal(c["points"]))
            maxima[c["id"]] = max(maxima.get(c["id"], Decimal(0)), Decimal(c["max_points"]))
    means = [(cid, sum(v) / len(v), maxima[cid]) for cid, v in sums.items() if v]
    spread: dict[str, list[Decimal]] = defaultdict(list)
    for by_member in scoring.round_scores(db.session(), round_).values():
        per_criterion: dict[str, list[Decimal]] = defaultdict(list)
        for points in by_member.values():
            for cid, value in points.items():
                per_criterion[cid].append(value)
        for cid, values in per_criterion.items():
            if len(values) > 1:
                spread[cid].append(max(values) - min(values))
    spreads = [(cid, sum(v) / len(v), maxima.get(cid, max(v))) for cid, v in spread.items() if v]
    return {
        "totals": charts.histogram(totals, mark, _("Distribution of totals (red: the pass mark)")),
        "means": charts.bars(means, _("Mean points per criterion against the maximum"), (_("mean"), _("maximum"))),
        "spread": charts.bars(spreads, _("Members' disagreement: mean spread (highest − lowest) per criterion"),
                              (_("spread"), _("maximum"))),
    }


class ResultsView(RoundScreenView):
    """Results of a round."""

    @expose("/<int:round_id>")
    def round_results(self, round_id: int) -> Any:
        round_ = get_round(round_id)
        rows = results.round_results(db.session(), round_)
        return self.render("spcncl/results.html", round_=round_, rows=rows, charts=round_charts(round_, rows),
                           lang=str(get_locale() or "vi"))

    @expose("/dossier/<int:dossier_id>")
    def triangulation(self, dossier_id: int) -> Any:
        """Self-assessed, preliminary and council points of each criterion, gaps flagged."""
        dossier = db.session.get(Dossier, dossier_id) or abort(404)
        rows = results.triangulation(db.session(), catalog(), dossier)
        return self.render("spcncl/triangulation.html", dossier=dossier, rows=rows)
