"""What the round workbooks read from the records: a round's dossiers with their products and enterprises in one
query, and the round's criteria sets in order."""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy import select
from sqlalchemy.orm import Session, joinedload

from spcncl_core.catalog import Catalog
from spcncl_core.criteria.model import CriteriaSet
from spcncl_core.db.models import Dossier, Product, Result, Round
from spcncl_core.engine.evaluate import Evaluation
from spcncl_core.engine.ranking import RankedEntry, rank
from spcncl_core.services.rounds import criteria_set_for


def round_sets(session: Session, catalog: Catalog, round_: Round) -> dict[str, CriteriaSet]:
    """The round's criteria set for each product group, by product group."""
    return {c.product_group: criteria_set_for(session, catalog, round_, c.product_group)
            for c in sorted(round_.criteria_sets, key=lambda c: c.product_group)}


def round_dossiers(session: Session, round_: Round, states: Sequence[str] | None = None) -> list[Dossier]:
    """The round's dossiers (optionally in `states`) with product and enterprise loaded, by number."""
    query = (select(Dossier).where(Dossier.round_id == round_.id)
             .options(joinedload(Dossier.product).joinedload(Product.enterprise)).order_by(Dossier.number))
    if states is not None:
        query = query.where(Dossier.state.in_(states))
    return list(session.scalars(query).unique())


def round_results(session: Session, round_: Round) -> list[tuple[Dossier, Result]]:
    """Stored results of the round with products and enterprises, best first (ineligible last)."""
    rows = session.execute(
        select(Dossier, Result).join(Result, Result.dossier_id == Dossier.id).where(Dossier.round_id == round_.id)
        .options(joinedload(Dossier.product).joinedload(Product.enterprise))).unique().all()
    return sorted(((d, r) for d, r in rows),
                  key=lambda dr: (not dr[1].eligible, dr[1].position or 10**9, dr[0].number))


def rank_round(evaluations: Sequence[Evaluation], sets: dict[str, CriteriaSet]) -> dict[str | None, RankedEntry]:
    """Places by dossier id: one ranking when the product groups share Top N and tie-breaks (as
    `results.compute_results` ranks), else one per set."""
    ordered = list(sets.values())
    places: dict[str | None, RankedEntry] = {}
    if ordered and len({(s.top, s.tie_breaks) for s in ordered}) == 1:
        for entry in rank(list(evaluations), ordered[0], all_sets=True):
            places[entry.evaluation.dossier_id] = entry
    else:
        for cset in ordered:
            for entry in rank([e for e in evaluations if e.criteria_set == cset.id], cset):
                places[entry.evaluation.dossier_id] = entry
    return places
