"""Results: council scores aggregated by each set's rule, ranking and Top N with recorded tie-breaks, and the
triangulation of self-assessed, preliminary and council points."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from typing import TYPE_CHECKING

from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from spcncl_core import clock
from spcncl_core.catalog import Catalog
from spcncl_core.db.models import Certificate, Dossier, Enterprise, Product, Result, Round, User
from spcncl_core.engine.evaluate import Evaluation
from spcncl_core.engine.ranking import rank
from spcncl_core.numbers import round_half_up
from spcncl_core.services import audit, checks
from spcncl_core.services.dossiers import apply_many
from spcncl_core.services.policy import actor_name, require
from spcncl_core.services.rounds import criteria_set_for
from spcncl_core.services.scoring import member_scores, round_scores
from spcncl_core.services.screening import engine_evaluation

if TYPE_CHECKING:
    from spcncl_core.services.recognition import CertificateStatus

SCORED = ("preliminarily_scored", "council_scored", "published")  # published: re-ranked after a re-scoring


def _criteria_json(evaluation: Evaluation) -> list[dict[str, object]]:
    return [{"id": c.id, "group": c.group, "points": str(c.points), "max_points": str(c.max_points),
             "preliminary": str(c.preliminary), "council": None if c.council is None else str(c.council),
             "self_assessed": None if c.self_assessed is None else str(c.self_assessed), "scorers": c.scorers,
             "explanation": c.explanation} for c in evaluation.criteria]


def compute_results(session: Session, actor: User, catalog: Catalog, round_: Round) -> list[Result]:
    """Aggregate the submitted council scores of every scored dossier, rank each product group, mark the Top N
    (results phase, after scoring closed).

    Dossiers with council scores become council_scored. Results record the criteria set's content hash. Each
    dossier's result gets its own audit entry (total, pass, position, Top N)."""
    round_ = checks.lock_round(session, round_)
    require(session, actor, "results.compute", round_)
    dossiers = list(session.scalars(select(Dossier).where(Dossier.round_id == round_.id,
                                                          Dossier.state.in_((*SCORED, "ineligible")))
                                    .order_by(Dossier.number)))
    evaluations: dict[int, Evaluation] = {}
    by_group: dict[str, list[Evaluation]] = {}
    scores = round_scores(session, round_)
    for dossier in dossiers:
        if dossier.state == "ineligible":
            continue
        evaluation = engine_evaluation(session, catalog, dossier, scores.get(dossier.id))
        evaluations[dossier.id] = evaluation
        by_group.setdefault(dossier.product_group or "", []).append(evaluation)
    places = {}
    sets = [criteria_set_for(session, catalog, round_, group) for group in sorted(by_group)]
    if sets and len({(s.top, s.tie_breaks) for s in sets}) == 1:
        # the product groups share one ranking and one Top N (Hanoi's Top 10 is the round's)
        for entry in rank(list(evaluations.values()), sets[0], all_sets=True):
            places[entry.evaluation.dossier_id] = entry
    else:
        for cset in sets:
            for entry in rank(by_group[cset.product_group], cset):
                places[entry.evaluation.dossier_id] = entry
    previous = {r.dossier_id: r for r in session.scalars(select(Result).where(
        Result.dossier_id.in_([d.id for d in dossiers])))}
    before = {i: {"result": audit.result_json(r)} for i, r in previous.items()}
    for r in previous.values():
        session.expunge(r)
    session.execute(delete(Result).where(Result.dossier_id.in_([d.id for d in dossiers])))
    results = []
    for dossier in dossiers:
        evaluation = evaluations.get(dossier.id)
        if evaluation is None:
            cset = criteria_set_for(session, catalog, round_, dossier.product_group or "")
            results.append(Result(dossier_id=dossier.id, criteria_set_id=cset.id, content_hash=cset.content_hash,
                                  eligible=False, total=None, passed=False, subtotals={}, criteria=[]))
            continue
        place = places.get(dossier.number)
        results.append(Result(
            dossier_id=dossier.id, criteria_set_id=evaluation.criteria_set, content_hash=evaluation.content_hash,
            eligible=True, total=evaluation.total, passed=evaluation.passed, result_class=evaluation.class_id,
            position=place.position if place else None, top=bool(place and place.top),
            tie_break=place.tie_break if place else None,
            subtotals={g: str(v) for g, v in evaluation.subtotals.items()}, criteria=_criteria_json(evaluation)))
    apply_many(session, actor, [d for d in dossiers if d.state == "preliminarily_scored"
                                and evaluations[d.id].council_scored], "council_scored", reason="results computed")
    session.add_all(results)
    checks.flush(session, f"storing the results of the {round_.year} round")
    name = actor_name(actor)
    numbers = {d.id: d.number for d in dossiers}
    audit.record_many(session, name, "result.computed",
                      (("dossier", numbers[r.dossier_id], before.get(r.dossier_id), {"result": audit.result_json(r)})
                       for r in results))
    audit.record(session, name, "results.computed", "round", round_.id,
                 after={"dossiers": len(results), "passed": sum(r.passed for r in results),
                        "top": sorted(d.number for d in dossiers if places.get(d.number) and places[d.number].top)})
    return results


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


def round_report(session: Session, catalog: Catalog, round_: Round) -> list[ReportRow]:
    """A round's results with products, enterprises and certificates, best first (ineligible last), in a fixed
    number of queries whatever the round's size."""
    from spcncl_core.services.recognition import CertificateStatus, certificate_status  # recognition imports us
    rows = session.execute(
        select(Dossier.number, Dossier.state, Dossier.product_group, Product.name, Enterprise.name,
               Result.criteria_set_id, Result.eligible, Result.total, Result.passed, Result.position, Result.top,
               Result.tie_break, Certificate.number, Certificate.valid_from, Certificate.valid_until,
               Certificate.revoked_at, Certificate.revocation_reason)
        .join(Result, Result.dossier_id == Dossier.id)
        .join(Product, Product.id == Dossier.product_id)
        .join(Enterprise, Enterprise.id == Product.enterprise_id)
        .outerjoin(Certificate, Certificate.dossier_id == Dossier.id)
        .where(Dossier.round_id == round_.id)).all()
    today = clock.today(round_.jurisdiction_id)
    places: dict[str, int] = {}
    report = []
    for (number, state, group, product, enterprise, set_id, eligible, total, passed, position, top, tie_break,
         cert_number, valid_from, valid_until, revoked_at, revocation_reason) in rows:
        if set_id not in places:
            places[set_id] = catalog.get(set_id).rounding_places
        certificate = None if cert_number is None else CertificateStatus(
            cert_number, product, enterprise, valid_from, valid_until,
            certificate_status(valid_until, revoked_at, today), revocation_reason)
        report.append(ReportRow(position, number, product, enterprise, group, state, eligible, total,
                                "" if total is None else format(round_half_up(total, places[set_id]), "f"),
                                passed, top, tie_break, certificate))
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
