"""Programme rounds: creating one, choosing the criteria set of each product group, locking them once council
scoring starts, and closing scoring."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from spcncl_core import clock
from spcncl_core.catalog import Catalog
from spcncl_core.criteria.model import CriteriaSet
from spcncl_core.db.base import utcnow
from spcncl_core.db.models import Jurisdiction, Round, RoundCriteriaSet
from spcncl_core.errors import LockedError, NotFoundError, RecordError
from spcncl_core.services import audit
from spcncl_core.services.access import require_role


def get_round(session: Session, jurisdiction: str, year: int) -> Round:
    """The round of `jurisdiction` for `year`."""
    found = session.scalar(select(Round).where(Round.jurisdiction_id == jurisdiction, Round.year == year))
    if found is None:
        raise NotFoundError(f"no {jurisdiction} round for {year}; create it first")
    return found


def create_round(session: Session, catalog: Catalog, actor: str, jurisdiction: str, year: int, title: str,
                 plan_ref: str | None = None, council_decision_ref: str | None = None,
                 comment_days: int | None = None) -> Round:
    """Create a round and give each product group the criteria set that covers the year."""
    sets = catalog.sets_for(jurisdiction, year)
    if not sets:
        raise RecordError(f"no criteria set of {jurisdiction} covers {year}: install or write one first")
    if session.scalar(select(Round).where(Round.jurisdiction_id == jurisdiction, Round.year == year)):
        raise RecordError(f"the {jurisdiction} round for {year} exists already")
    if session.get(Jurisdiction, jurisdiction) is None:
        session.add(Jurisdiction(id=jurisdiction, name=jurisdiction))
    round_ = Round(jurisdiction_id=jurisdiction, year=year, title=title, plan_ref=plan_ref,
                   council_decision_ref=council_decision_ref, comment_days=comment_days)
    session.add(round_)
    session.flush()
    groups: dict[str, CriteriaSet] = {}
    for cset in sets:
        if cset.product_group in groups:
            raise RecordError(f"two criteria sets cover {jurisdiction} {year} {cset.product_group}: "
                              f"{groups[cset.product_group].id} and {cset.id}")
        groups[cset.product_group] = cset
    for group, cset in sorted(groups.items()):
        session.add(RoundCriteriaSet(round=round_, product_group=group, criteria_set_id=cset.id,
                                     content_hash=cset.content_hash))
    session.flush()
    audit.record(session, actor, "round.created", "round", round_.id,
                 after={"jurisdiction": jurisdiction, "year": year, "criteria_sets": {g: s.id for g, s in
                                                                                       groups.items()}})
    return round_


def choose_criteria_set(session: Session, catalog: Catalog, actor: str, round_: Round, product_group: str,
                        criteria_set_id: str) -> RoundCriteriaSet:
    """Switch the set a product group is scored on (admins only); refused once council scoring has started."""
    require_role(session, actor, ("admin",), "switching a round's criteria set")
    cset = catalog.get(criteria_set_id)
    if cset.jurisdiction != round_.jurisdiction_id or cset.product_group != product_group:
        raise RecordError(f"{cset.id} is a {cset.jurisdiction} set for {cset.product_group} products, not for "
                          f"{round_.jurisdiction_id} {product_group}")
    if not cset.applies_to(round_.year):
        raise RecordError(f"{cset.id} covers {cset.years_label}, not {round_.year}")
    if round_.scoring_started:
        raise LockedError(f"the criteria sets of the {round_.year} round are locked: council scoring started on "
                          f"{clock.show(round_.scoring_started_at, round_.jurisdiction_id)}")
    choice = session.get(RoundCriteriaSet, (round_.id, product_group))
    before = {"criteria_set": choice.criteria_set_id, "hash": choice.content_hash} if choice else None
    if choice is None:
        choice = RoundCriteriaSet(round=round_, product_group=product_group)
        session.add(choice)
    choice.criteria_set_id, choice.content_hash, choice.chosen_at = cset.id, cset.content_hash, utcnow()
    session.flush()
    audit.record(session, actor, "round.criteria_set_chosen", "round", round_.id, before=before,
                 after={"product_group": product_group, "criteria_set": cset.id, "hash": cset.content_hash})
    return choice


def criteria_set_for(session: Session, catalog: Catalog, round_: Round, product_group: str) -> CriteriaSet:
    """The set a round applies to a product group, checked to be the exact content chosen (its hash)."""
    # the round's loaded collection, not session.get: the identity map holds objects weakly, and this runs once
    # per dossier when a round's results are computed
    choice = next((c for c in round_.criteria_sets if c.product_group == product_group), None)
    if choice is None:
        raise RecordError(f"the {round_.year} round has no criteria set for {product_group} products")
    cset = catalog.get(choice.criteria_set_id)
    if cset.content_hash != choice.content_hash:
        raise RecordError(f"the installed {cset.id} differs from the one the round chose (content hash "
                          f"{choice.content_hash[:12]}…, installed {cset.content_hash[:12]}…); reinstall the "
                          "plugin version the round used, or choose the set again before scoring starts")
    return cset


def start_scoring(session: Session, actor: str, round_: Round) -> None:
    """Open council scoring; from now on the round's criteria sets are locked."""
    if round_.scoring_started:
        raise LockedError(f"council scoring of the {round_.year} round started already")
    round_.scoring_started_at = utcnow()
    for choice in round_.criteria_sets:
        choice.locked = True
    session.flush()
    audit.record(session, actor, "round.scoring_started", "round", round_.id,
                 after={c.product_group: c.criteria_set_id for c in round_.criteria_sets})
