"""Programme rounds: creating one, choosing the criteria set of each product group, locking them once council
scoring starts, and closing scoring."""

from __future__ import annotations

from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from spcncl_core import clock
from spcncl_core.catalog import Catalog
from spcncl_core.criteria.model import CriteriaSet
from spcncl_core.db.base import utcnow
from spcncl_core.db.models import Dossier, Jurisdiction, Round, RoundCriteriaSet, User
from spcncl_core.dossier import Dossier as EngineDossier
from spcncl_core.engine.evaluate import evaluate
from spcncl_core.errors import DossierError, DuplicateError, LockedError, NotFoundError, PhaseError, RecordError
from spcncl_core.services import audit, checks
from spcncl_core.services.policy import PHASES, actor_name, require


def get_round(session: Session, jurisdiction: str, year: int) -> Round:
    """The round of `jurisdiction` for `year`."""
    found = session.scalar(select(Round).where(Round.jurisdiction_id == jurisdiction, Round.year == year))
    if found is None:
        raise NotFoundError(f"no {jurisdiction} round for {year}; create it first")
    return found


def create_round(session: Session, actor: User, catalog: Catalog, jurisdiction: str, year: int, title: str,
                 plan_ref: str | None = None, council_decision_ref: str | None = None,
                 comment_days: int | None = None) -> Round:
    """Create a round, in its registration phase, and give each product group the set that covers the year."""
    require(session, actor, "round.create")
    jurisdiction = checks.text(jurisdiction, Jurisdiction.id, "jurisdiction") or ""
    title = checks.text(title, Round.title, "title") or ""
    plan_ref = checks.text(plan_ref, Round.plan_ref, "plan reference", required=False)
    council_decision_ref = checks.text(council_decision_ref, Round.council_decision_ref,
                                       "council decision reference", required=False)
    if not isinstance(year, int) or isinstance(year, bool) or not 1990 <= year <= 2200:
        raise RecordError(f"year must be a whole year between 1990 and 2200, not {year!r}")
    if comment_days is not None and (not isinstance(comment_days, int) or isinstance(comment_days, bool)
                                     or not 1 <= comment_days <= 366):
        raise RecordError(f"comment days must be a whole number from 1 to 366, not {comment_days!r}")
    sets = catalog.sets_for(jurisdiction, year)
    if not sets:
        raise RecordError(f"no criteria set of {jurisdiction} covers {year}: install or write one first")
    if session.scalar(select(Round).where(Round.jurisdiction_id == jurisdiction, Round.year == year)):
        raise DuplicateError(f"the {jurisdiction} round for {year} exists already")
    groups: dict[str, CriteriaSet] = {}
    for cset in sets:
        if cset.product_group in groups:
            raise RecordError(f"two criteria sets cover {jurisdiction} {year} {cset.product_group}: "
                              f"{groups[cset.product_group].id} and {cset.id}")
        groups[cset.product_group] = cset
    if session.get(Jurisdiction, jurisdiction) is None:
        session.add(Jurisdiction(id=jurisdiction, name=jurisdiction))
    round_ = Round(jurisdiction_id=jurisdiction, year=year, title=title, plan_ref=plan_ref,
                   council_decision_ref=council_decision_ref, comment_days=comment_days, phase="registration")
    session.add(round_)
    for group, cset in sorted(groups.items()):
        session.add(RoundCriteriaSet(round=round_, product_group=group, criteria_set_id=cset.id,
                                     content_hash=cset.content_hash))
    checks.flush(session, f"creating the {jurisdiction} round for {year}", savepoint=True)
    audit.record(session, actor_name(actor), "round.created", "round", round_.id,
                 after={"jurisdiction": jurisdiction, "year": year, "phase": round_.phase,
                        "criteria_sets": {g: s.id for g, s in groups.items()}})
    return round_


def set_phase(session: Session, actor: User, round_: Round, phase: str, reason: str | None = None) -> None:
    """Record the round's move to `phase` (called by the services that make the move, after their checks)."""
    if phase not in PHASES:
        raise RecordError(f"phase must be one of {', '.join(PHASES)}, not {phase!r}")
    before, round_.phase = round_.phase, phase
    checks.flush(session, f"moving the {round_.year} round to {phase}")
    audit.record(session, actor_name(actor), "round.phase", "round", round_.id, before=before, after=phase,
                 reason=checks.cut(reason))


def choose_criteria_set(session: Session, actor: User, catalog: Catalog, round_: Round, product_group: str,
                        criteria_set_id: str, reason: str | None = None) -> RoundCriteriaSet:
    """Switch the set a product group is scored on (admins only); refused once council scoring has started.

    `reason` goes into the audit entry; it is required when the group's set changes (another set, or the same id
    with other content), optional when the set chosen is the one in use. The round's row is locked first, so a
    switch racing the start of scoring in another session waits for it and is then refused."""
    round_ = checks.lock_round(session, round_)
    require(session, actor, "round.choose_criteria_set", round_)
    if round_.scoring_started:
        raise LockedError(f"the criteria sets of the {round_.year} round are locked: council scoring started on "
                          f"{clock.show(round_.scoring_started_at, round_.jurisdiction_id)}")
    product_group = checks.text(product_group, RoundCriteriaSet.product_group, "product group") or ""
    cset = catalog.get(checks.text(criteria_set_id, RoundCriteriaSet.criteria_set_id, "criteria set") or "")
    if cset.jurisdiction != round_.jurisdiction_id or cset.product_group != product_group:
        raise RecordError(f"{cset.id} is a {cset.jurisdiction} set for {cset.product_group} products, not for "
                          f"{round_.jurisdiction_id} {product_group}")
    if not cset.applies_to(round_.year):
        raise RecordError(f"{cset.id} covers {cset.years_label}, not {round_.year}")
    choice = session.get(RoundCriteriaSet, (round_.id, product_group))
    unchanged = choice is not None and (choice.criteria_set_id, choice.content_hash) == (cset.id, cset.content_hash)
    if round_.phase != "registration" and not unchanged:
        screened = session.scalar(select(func.count()).select_from(Dossier).where(
            Dossier.round_id == round_.id, Dossier.product_group == product_group,
            Dossier.state.not_in(("draft", "submitted"))))
        if screened:
            raise LockedError(f"{screened} {product_group} dossiers of the {round_.year} round were screened on the "
                              "current set; switching now would leave their checks and preliminary scores on "
                              "another set")
    if not unchanged:
        _check_submitted(session, catalog, round_, product_group, cset)
    reason = checks.reason(reason, f"a written reason for switching the {product_group} criteria set",
                           required=choice is not None and not unchanged)
    before = {"criteria_set": choice.criteria_set_id, "hash": choice.content_hash} if choice else None
    if choice is None:
        choice = RoundCriteriaSet(round=round_, product_group=product_group)
        session.add(choice)
    choice.criteria_set_id, choice.content_hash, choice.chosen_at = cset.id, cset.content_hash, utcnow()
    checks.flush(session, f"switching the {product_group} criteria set of the {round_.year} round")
    audit.record(session, actor_name(actor), "round.criteria_set_chosen", "round", round_.id, before=before,
                 after={"product_group": product_group, "criteria_set": cset.id, "hash": cset.content_hash},
                 reason=reason or None)
    return choice


def check_figures(catalog: Catalog, round_: Round, cset: CriteriaSet, number: str, inputs: dict[str, Any],
                  self_assessment: dict[str, Any]) -> None:
    """A dossier's figures checked against a set of its round, as a submission is (DossierError, every problem)."""
    evaluate(cset, EngineDossier(round_.jurisdiction_id, round_.year, inputs, self_assessment, number),
             known_inputs=catalog.known_inputs(round_.jurisdiction_id))


def _check_submitted(session: Session, catalog: Catalog, round_: Round, product_group: str,
                     cset: CriteriaSet) -> None:
    """Submitted dossiers of the group were checked against the set in use: the new set must accept their figures
    too, or the switch is refused naming them (return them to draft and complete them first)."""
    refused: list[str] = []
    for number, inputs, assessed in session.execute(
            select(Dossier.number, Dossier.inputs, Dossier.self_assessment).where(
                Dossier.round_id == round_.id, Dossier.product_group == product_group,
                Dossier.state == "submitted").order_by(Dossier.number)):
        try:
            check_figures(catalog, round_, cset, number, inputs or {}, assessed or {})
        except DossierError as exc:
            refused.append(f"{number} ({exc.problems[0]})")
    if refused:
        raise RecordError(f"{len(refused)} submitted {product_group} dossiers do not meet {cset.id}: "
                          f"{'; '.join(refused[:3])}{' …' if len(refused) > 3 else ''}; return them to draft and "
                          "complete them first, or keep the current set")


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


def open_screening(session: Session, actor: User, round_: Round) -> None:
    """Close registration and open screening. Drafts left unsubmitted stay drafts and take no further part."""
    round_ = checks.lock_round(session, round_)
    require(session, actor, "round.open_screening", round_)
    set_phase(session, actor, round_, "screening")


def start_scoring(session: Session, actor: User, round_: Round) -> None:
    """Open council scoring; from now on the round's criteria sets are locked.

    Needs every submitted dossier screened and every eligible one preliminarily scored. The round's row is locked,
    so a criteria-set switch racing this waits, then is refused."""
    round_ = checks.lock_round(session, round_)
    require(session, actor, "round.start_scoring", round_)
    waiting = session.execute(select(Dossier.number, Dossier.state).where(
        Dossier.round_id == round_.id, Dossier.state.in_(("submitted", "eligible"))).order_by(Dossier.number)
        .limit(11)).all()
    if waiting:
        listed = ", ".join(f"{n} ({s})" for n, s in waiting[:10]) + (", …" if len(waiting) > 10 else "")
        raise PhaseError(f"council scoring of the {round_.year} round cannot open: screen every submitted dossier "
                         f"and compute the preliminary scores of every eligible one first ({listed})")
    round_.scoring_started_at = utcnow()
    for choice in round_.criteria_sets:
        choice.locked = True
    set_phase(session, actor, round_, "scoring",
              reason="criteria sets locked: " + ", ".join(f"{c.product_group} {c.criteria_set_id}"
                                                          for c in round_.criteria_sets))
