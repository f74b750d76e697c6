"""Results: council scores aggregated by each set's rule, ranking and Top N with recorded tie-breaks, and the
triangulation of self-assessed, preliminary and council points."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from typing import TYPE_CHECKING

from sqlalchemy import delete, select, text
from sqlalchemy.orm import Session, load_only

from spcncl_core import clock
from spcncl_core.catalog import Catalog
from spcncl_core.criteria.model import CriteriaSet
from spcncl_core.db.bulk import insert_rows, paused_gc, update_rows
from spcncl_core.db.models import (
    Certificate,
    CouncilMember,
    Dossier,
    Enterprise,
    PrerequisiteCheck,
    Product,
    Result,
    Round,
    User,
)
from spcncl_core.dossier import Dossier as EngineDossier
from spcncl_core.engine.evaluate import Evaluation, evaluate
from spcncl_core.engine.ranking import rank
from spcncl_core.numbers import round_half_up
from spcncl_core.services import audit, checks
from spcncl_core.services.dossiers import apply_many
from spcncl_core.services.policy import actor_name, require
from spcncl_core.services.rounds import criteria_set_for
from spcncl_core.services.scoring import member_scores
from spcncl_core.services.screening import engine_evaluation

if TYPE_CHECKING:
    from spcncl_core.services.recognition import CertificateStatus

SCORED = ("preliminarily_scored", "council_scored", "published")  # published: re-ranked after a re-scoring


def _criteria_json(evaluation: Evaluation) -> list[dict[str, object]]:
    return [{"id": c.id, "group": c.group, "points": str(c.points), "max_points": str(c.max_points),
             "preliminary": str(c.preliminary), "council": None if c.council is None else str(c.council),
             "self_assessed": None if c.self_assessed is None else str(c.self_assessed), "scorers": c.scorers,
             "explanation": c.explanation} for c in evaluation.criteria]


CHUNK = 1000  # dossiers evaluated per batch: a round's scores are never all in memory at once


@dataclass(frozen=True)
class ComputedResults:
    """What `compute_results` did: how many results, how many passed, the Top N's dossier numbers."""

    results: int
    eligible: int
    passed: int
    top: tuple[str, ...]


class _Ranked:
    """What ranking needs of an evaluation, without its criteria (a round's evaluations stay small)."""

    __slots__ = ("criteria_set", "dossier_id", "submitted_at", "eligible", "passed", "total", "subtotals")

    def __init__(self, evaluation: Evaluation) -> None:
        self.criteria_set, self.dossier_id = evaluation.criteria_set, evaluation.dossier_id
        self.submitted_at, self.eligible, self.passed = evaluation.submitted_at, True, evaluation.passed
        self.total, self.subtotals = evaluation.total, dict(evaluation.subtotals)


def compute_results(session: Session, actor: User, catalog: Catalog, round_: Round) -> ComputedResults:
    """Aggregate the submitted council scores of every scored dossier, rank each product group, mark the Top N
    (results phase, after scoring closed).

    Dossiers with council scores become council_scored. Results record the criteria set's content hash; each
    dossier's result gets its own audit entry (total, pass, position, Top N; the previous result as `before`).
    Dossiers and their scores are read, and results written, in batches: memory stays bounded whatever the
    round's size.
    """
    round_ = checks.lock_round(session, round_)
    require(session, actor, "results.compute", round_)
    with paused_gc():
        return _compute_results(session, actor, catalog, round_)


def _compute_results(session: Session, actor: User, catalog: Catalog, round_: Round) -> ComputedResults:
    checks.flush(session, "saving pending changes")
    known = catalog.known_inputs(round_.jurisdiction_id)
    overridden = set(session.scalars(
        select(PrerequisiteCheck.dossier_id).join(Dossier, Dossier.id == PrerequisiteCheck.dossier_id)
        .where(Dossier.round_id == round_.id, PrerequisiteCheck.override.is_not(None))))
    in_round = select(Dossier.id).where(Dossier.round_id == round_.id)
    previous = {dossier_id: {"total": audit.decimal_text(total), "passed": passed, "position": position, "top": top}
                for dossier_id, total, passed, position, top in session.execute(
                    select(Result.dossier_id, Result.total, Result.passed, Result.position, Result.top)
                    .where(Result.dossier_id.in_(in_round)))}
    session.execute(delete(Result).where(Result.dossier_id.in_(in_round))
                    .execution_options(synchronize_session=False))
    members: dict[int, str] = {member_id: code for member_id, code in session.execute(
        select(CouncilMember.id, CouncilMember.code).where(CouncilMember.round_id == round_.id))}
    sets: dict[str, CriteriaSet] = {}
    ranked: dict[int, _Ranked] = {}
    listed: list[tuple[int, str, str | None]] = []  # id, number, product group
    to_move: list[int] = []
    now = clock.now()
    last_id = 0
    while True:
        batch = session.execute(
            select(Dossier.id, Dossier.number, Dossier.state, Dossier.product_group, Dossier.inputs,
                   Dossier.self_assessment, Dossier.submitted_at)
            .where(Dossier.round_id == round_.id, Dossier.state.in_((*SCORED, "ineligible")), Dossier.id > last_id)
            .order_by(Dossier.id).limit(CHUNK)).all()
        if not batch:
            break
        last_id = batch[-1][0]
        scores = _submitted_scores(session, batch[0][0], last_id, members)
        rows = []
        for dossier_id, number, state, group, inputs, assessment, submitted_at in batch:
            listed.append((dossier_id, number, group))
            if group not in sets:
                sets[group] = criteria_set_for(session, catalog, round_, group or "")
            cset = sets[group]
            if state == "ineligible":
                rows.append({"dossier_id": dossier_id, "criteria_set_id": cset.id, "content_hash": cset.content_hash,
                             "eligible": False, "total": None, "passed": False, "result_class": None,
                             "position": None, "top": False, "tie_break": None, "subtotals": {}, "criteria": [],
                             "computed_at": now})
                continue
            if dossier_id in overridden:  # the secretariat's overrides decide eligibility: the full path
                evaluation = engine_evaluation(session, catalog, session.get(Dossier, dossier_id),
                                               scores.get(dossier_id))
            else:
                evaluation = evaluate(cset, EngineDossier(round_.jurisdiction_id, round_.year, inputs, assessment,
                                                          number, submitted_at),
                                      scores.get(dossier_id), known_inputs=known)
            ranked[dossier_id] = _Ranked(evaluation)
            if state == "preliminarily_scored" and evaluation.council_scored:
                to_move.append(dossier_id)
            rows.append({"dossier_id": dossier_id, "criteria_set_id": evaluation.criteria_set,
                         "content_hash": evaluation.content_hash, "eligible": True, "total": evaluation.total,
                         "passed": evaluation.passed, "result_class": evaluation.class_id, "position": None,
                         "top": False, "tie_break": None,
                         "subtotals": {g: str(v) for g, v in evaluation.subtotals.items()},
                         "criteria": _criteria_json(evaluation), "computed_at": now})
        insert_rows(session, Result.__table__, rows)
    places = {}
    by_group: dict[str, list[_Ranked]] = {}
    for dossier_id, _, group in listed:
        if dossier_id in ranked:
            by_group.setdefault(group or "", []).append(ranked[dossier_id])
    ranked_sets = [sets[group] for group in sorted(by_group)]
    if ranked_sets and len({(s.top, s.tie_breaks) for s in ranked_sets}) == 1:
        # the product groups share one ranking and one Top N (Hanoi's Top 10 is the round's)
        entries = rank([e for g in sorted(by_group) for e in by_group[g]], ranked_sets[0],  # type: ignore[misc]
                       all_sets=True)
    else:
        entries = [entry for cset in ranked_sets for entry in rank(by_group[cset.product_group],  # type: ignore
                                                                   cset)]
    for entry in entries:
        places[entry.evaluation.dossier_id] = entry
    update_rows(session, Result.__table__, "dossier_id", [
        {"dossier_id": dossier_id, "position": place.position, "top": place.top, "tie_break": place.tie_break}
        for dossier_id, number, _ in listed if (place := places.get(number)) is not None])
    logged = []
    for dossier_id, number, _ in listed:
        item, place = ranked.get(dossier_id), places.get(number)
        before = previous.get(dossier_id)
        logged.append(("dossier", number, None if before is None else {"result": before}, {"result": {
            "total": None if item is None else audit.decimal_text(item.total),
            "passed": bool(item and item.passed), "position": place.position if place else None,
            "top": bool(place and place.top), "eligible": item is not None}}))
    moving = []
    for chunk in range(0, len(to_move), CHUNK):
        moving += session.scalars(select(Dossier).options(load_only(Dossier.id, Dossier.number, Dossier.state,
                                                                    Dossier.version))
                                  .where(Dossier.id.in_(to_move[chunk:chunk + CHUNK])))
    apply_many(session, actor, moving, "council_scored", reason="results computed")
    name = actor_name(actor)
    audit.record_many(session, name, "result.computed", logged)
    top = tuple(sorted(n for n, place in places.items() if place.top))
    passed = sum(item.passed for item in ranked.values())
    audit.record(session, name, "results.computed", "round", round_.id,
                 after={"dossiers": len(listed), "passed": passed, "top": list(top)})
    for dossier in moving:
        session.expire(dossier)
    return ComputedResults(len(listed), len(ranked), passed, top)


def _submitted_scores(session: Session, first_id: int, last_id: int,
                      members: dict[int, str]) -> dict[int, dict[str, dict[str, Decimal]]]:
    """Submitted scores of the dossiers whose ids lie in [first_id, last_id]: dossier → member → criterion.

    Read without the ORM's row processing: a national round has close to a million scores."""
    out: dict[int, dict[str, dict[str, Decimal]]] = {}
    rows = session.execute(_SCORES, {"first": first_id, "last": last_id, "voting": True}).all()
    for dossier_id, member_id, criterion_id, points in rows:
        out.setdefault(dossier_id, {}).setdefault(members[member_id], {})[criterion_id] = (
            points if isinstance(points, Decimal) else Decimal(points))
    return out


# the scores that count (scoring._counted_entries): submitted forms of voting members without a declared conflict
_SCORES = text("SELECT f.dossier_id, f.member_id, e.criterion_id, e.points FROM scoring_form f "
               "JOIN scoring_entry e ON e.form_id = f.id "
               "JOIN council_member m ON m.id = f.member_id "
               "LEFT JOIN conflict c ON c.member_id = f.member_id AND c.dossier_id = f.dossier_id "
               "WHERE f.dossier_id BETWEEN :first AND :last AND f.submitted_at IS NOT NULL "
               "AND m.voting = :voting AND c.member_id IS NULL")


def round_results(session: Session, round_: Round) -> list[tuple[Dossier, Result]]:
    """Stored results of a round, best first (ineligible last)."""
    rows = session.execute(select(Dossier, Result).join(Result, Result.dossier_id == Dossier.id)
                           .where(Dossier.round_id == round_.id)).all()
    return sorted(((d, r) for d, r in rows),
                  key=lambda dr: (not dr[1].eligible, dr[1].position or 10**9, dr[0].product_group or "",
                                  dr[0].number))


@dataclass(frozen=True)
class ReportRow:
    """One dossier's line in a round's report: its result, product, enterprise and certificate."""

    position: int | None
    dossier: str
    product: str
    enterprise: str
    product_group: str | None
    state: str
    eligible: bool
    total: Decimal | None
    total_text: str  # with the set's decimals (70.00), never an exponent; "" when not scored
    passed: bool
    top: bool
    tie_break: str | None
    certificate: CertificateStatus | None
    result_class: str | None = None  # the class reached, for sets with result classes


def round_report(session: Session, catalog: Catalog, round_: Round) -> list[ReportRow]:
    """A round's results with products, enterprises and certificates, best first (ineligible last), in a fixed
    number of queries whatever the round's size."""
    from spcncl_core.services.recognition import CertificateStatus, certificate_status  # recognition imports us
    rows = session.execute(
        select(Dossier.number, Dossier.state, Dossier.product_group, Product.name, Enterprise.name,
               Result.criteria_set_id, Result.eligible, Result.total, Result.passed, Result.position, Result.top,
               Result.tie_break, Result.result_class, Certificate.number, Certificate.valid_from,
               Certificate.valid_until, Certificate.revoked_at, Certificate.revocation_reason)
        .join(Result, Result.dossier_id == Dossier.id)
        .join(Product, Product.id == Dossier.product_id)
        .join(Enterprise, Enterprise.id == Product.enterprise_id)
        .outerjoin(Certificate, Certificate.dossier_id == Dossier.id)
        .where(Dossier.round_id == round_.id)).all()
    today = clock.today(round_.jurisdiction_id)
    places: dict[str, int] = {}
    report = []
    for (number, state, group, product, enterprise, set_id, eligible, total, passed, position, top, tie_break,
         result_class, cert_number, valid_from, valid_until, revoked_at, revocation_reason) in rows:
        if set_id not in places:
            places[set_id] = catalog.get(set_id).rounding_places
        certificate = None if cert_number is None else CertificateStatus(
            cert_number, product, enterprise, valid_from, valid_until,
            certificate_status(valid_until, revoked_at, today), revocation_reason)
        report.append(ReportRow(position, number, product, enterprise, group, state, eligible, total,
                                "" if total is None else format(round_half_up(total, places[set_id]), "f"),
                                passed, top, tie_break, certificate, result_class))
    report.sort(key=lambda r: (not r.eligible, r.position or 10**9, r.product_group or "", r.dossier))
    return report


@dataclass(frozen=True)
class TriangulationRow:
    """Self-assessed, preliminary and council points of one criterion, and whether they differ beyond a margin."""

    criterion_id: str
    max_points: Decimal
    self_assessed: Decimal | None
    preliminary: Decimal
    council: Decimal | None
    flags: tuple[str, ...]


def triangulation(session: Session, catalog: Catalog, dossier: Dossier,
                  margin: Decimal = Decimal(2)) -> list[TriangulationRow]:
    """Compare, criterion by criterion, what the enterprise claimed, what the working group computed and what the
    council gave; flag gaps larger than `margin` points."""
    evaluation = engine_evaluation(session, catalog, dossier, member_scores(session, dossier) or None)
    rows = []
    for c in evaluation.criteria:
        flags = []
        if c.self_assessed is not None and abs(c.self_assessed - c.preliminary) > margin:
            flags.append(f"self-assessed {c.self_assessed} vs preliminary {c.preliminary}")
        if c.council is not None and abs(c.council - c.preliminary) > margin:
            flags.append(f"council {c.council} vs preliminary {c.preliminary}")
        if c.council is not None and c.self_assessed is not None and abs(c.council - c.self_assessed) > margin:
            flags.append(f"council {c.council} vs self-assessed {c.self_assessed}")
        rows.append(TriangulationRow(c.id, c.max_points, c.self_assessed, c.preliminary, c.council, tuple(flags)))
    return rows
