"""Screening (prerequisites, with the secretariat's written overrides) and preliminary scores."""

from __future__ import annotations

from dataclasses import replace

from sqlalchemy.orm import Session

from spcncl_core.catalog import Catalog
from spcncl_core.criteria.model import CriteriaSet
from spcncl_core.db.models import Dossier, PreliminaryScore, PrerequisiteCheck, User
from spcncl_core.dossier import Dossier as EngineDossier
from spcncl_core.engine.evaluate import Evaluation, evaluate
from spcncl_core.errors import IllegalTransitionError, NotFoundError, RecordError
from spcncl_core.services import audit, checks
from spcncl_core.services.dossiers import apply_move, check_transition
from spcncl_core.services.policy import actor_name, require
from spcncl_core.services.rounds import criteria_set_for


def criteria_set_of(session: Session, catalog: Catalog, dossier: Dossier) -> CriteriaSet:
    """The criteria set a submitted dossier is scored on."""
    if dossier.product_group is None:
        raise RecordError(f"dossier {dossier.number} has not been submitted")
    return criteria_set_for(session, catalog, dossier.round, dossier.product_group)


def engine_evaluation(session: Session, catalog: Catalog, dossier: Dossier,
                      scores: dict[str, dict[str, object]] | None = None) -> Evaluation:
    """Evaluate a stored dossier with its round's criteria set (optionally with council scores).

    When the secretariat's overrides make a dossier eligible that the computed prerequisites would not, it is
    scored all the same: the overrides decide eligibility, the criteria decide the points.
    """
    cset = criteria_set_of(session, catalog, dossier)
    round_ = dossier.round
    engine_dossier = EngineDossier(round_.jurisdiction_id, round_.year, dossier.inputs, dossier.self_assessment,
                                   dossier.number, dossier.submitted_at)
    known = catalog.known_inputs(round_.jurisdiction_id)
    evaluation = evaluate(cset, engine_dossier, scores, known_inputs=known)
    if not evaluation.eligible and dossier.checks and all(c.passed for c in dossier.checks):
        without = replace(cset, compiled=replace(cset.compiled, prerequisite_table=(), build_fast=None,
                                                 jit=[None, 0]))
        evaluation = evaluate(without, engine_dossier, scores, known_inputs=known)
    return evaluation


def screen(session: Session, actor: User, catalog: Catalog, dossier: Dossier) -> bool:
    """Compute the prerequisites of a submitted dossier; it becomes eligible or ineligible. Returns eligibility."""
    require(session, actor, "dossier.screen", dossier.round)
    if dossier.state != "submitted":
        raise IllegalTransitionError(f"dossier {dossier.number} is {dossier.state}: only a submitted dossier is "
                                     "screened")
    evaluation = engine_evaluation(session, catalog, dossier)
    dossier.checks = [PrerequisiteCheck(prerequisite_id=p.id, computed=p.passed, message=p.message)
                      for p in evaluation.prerequisites]
    checks.flush(session, f"screening dossier {dossier.number}")
    eligible = all(c.passed for c in dossier.checks)
    apply_move(session, actor, dossier, "eligible" if eligible else "ineligible",
               reason=None if eligible else "; ".join(f"{p.id}: {p.message}"
                                                      for p in evaluation.failed_prerequisites()))
    return eligible


def override(session: Session, actor: User, dossier: Dossier, prerequisite_id: str, passed: bool,
             reason: str) -> bool:
    """Override one computed prerequisite with a written reason; the dossier's eligibility follows."""
    require(session, actor, "prerequisite.override", dossier.round)
    reason = checks.reason(reason, "an override's written reason (lý do)") or ""
    if not isinstance(passed, bool):
        raise RecordError(f"an override is true or false, not {passed!r}")
    if dossier.state not in ("eligible", "ineligible", "preliminarily_scored"):
        raise RecordError(f"dossier {dossier.number} is {dossier.state}: prerequisites can be overridden between "
                          "screening and council scoring only")
    check = next((c for c in dossier.checks if c.prerequisite_id == prerequisite_id), None)
    if check is None:
        raise NotFoundError(f"dossier {dossier.number} has no prerequisite {prerequisite_id}")
    eligible = all(passed if c is check else c.passed for c in dossier.checks)
    target = None
    if eligible and dossier.state == "ineligible":
        target = "eligible"
    elif not eligible and dossier.state != "ineligible":
        target = "ineligible"
    if target is not None:
        check_transition(dossier, target)
    before = {"computed": check.computed, "override": check.override, "reason": check.override_reason}
    check.override, check.override_reason, check.overridden_by = passed, reason, actor_name(actor)
    checks.flush(session, f"overriding {prerequisite_id} of dossier {dossier.number}")
    audit.record(session, actor_name(actor), "prerequisite.overridden", "dossier", dossier.number, before=before,
                 after={"prerequisite": prerequisite_id, "override": passed}, reason=reason)
    if target is not None:
        apply_move(session, actor, dossier, target, reason=f"override of {prerequisite_id}")
    return eligible


def preliminary_scores(session: Session, actor: User, catalog: Catalog, dossier: Dossier) -> Evaluation:
    """The working group's computed scores for an eligible dossier (shown to the council)."""
    require(session, actor, "dossier.preliminary_score", dossier.round)
    if dossier.state != "eligible":
        raise RecordError(f"dossier {dossier.number} is {dossier.state}: only an eligible dossier is scored")
    evaluation = engine_evaluation(session, catalog, dossier)
    dossier.preliminary = [PreliminaryScore(criterion_id=c.id, points=c.preliminary, explanation=c.explanation)
                           for c in evaluation.criteria]
    checks.flush(session, f"storing the preliminary scores of dossier {dossier.number}")
    apply_move(session, actor, dossier, "preliminarily_scored",
               reason="preliminary " + ", ".join(f"{c.id} {c.preliminary}" for c in evaluation.criteria))
    return evaluation
