"""Results: council scores aggregated by each set's rule, ranking and Top N with recorded tie-breaks, and the
triangulation of self-assessed, preliminary and council points."""

from __future__ import annotations

import json
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from decimal import Decimal
from json.encoder import encode_basestring_ascii  # type: ignore[attr-defined]
from typing import TYPE_CHECKING, Any

from sqlalchemy import delete, select, text
from sqlalchemy.orm import Session

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
from spcncl_core.engine.evaluate import CriterionResult, Evaluation, evaluate
from spcncl_core.engine.ranking import rank
from spcncl_core.numbers import round_half_up
from spcncl_core.services import audit, checks
from spcncl_core.services.dossiers import StateRow, apply_many_rows
from spcncl_core.services.policy import actor_name, require
from spcncl_core.services.rounds import criteria_set_for
from spcncl_core.services.scoring import member_scores
from spcncl_core.services.screening import engine_evaluation

if TYPE_CHECKING:
    from spcncl_core.services.recognition import CertificateStatus

SCORED = ("preliminarily_scored", "council_scored", "published")  # published: re-ranked after a re-scoring


_WIDTH = len(CriterionResult._fields)
_FIELD = {name: i for i, name in enumerate(CriterionResult._fields)}
_ID, _GROUP, _POINTS, _MAX, _EXPLANATION, _PRELIMINARY, _ASSESSED, _COUNCIL, _SCORERS = (
    _FIELD[name] for name in ("id", "group", "points", "max_points", "explanation", "preliminary", "self_assessed",
                              "council", "scorers"))


def _criteria_json(evaluation: Evaluation) -> list[dict[str, object]]:
    """A result's `criteria`: each criterion's points, preliminary, council and self-assessed points (as text), its
    scorers and explanation."""
    return [{"id": c.id, "group": c.group, "points": str(c.points), "max_points": str(c.max_points),
             "preliminary": str(c.preliminary), "council": None if c.council is None else str(c.council),
             "self_assessed": None if c.self_assessed is None else str(c.self_assessed), "scorers": c.scorers,
             "explanation": c.explanation} for c in evaluation.criteria]


def _criteria_text(evaluation: Evaluation, prefixes: dict[tuple[Any, Any], str]) -> str:
    """`json.dumps(_criteria_json(evaluation))`, character for character, written straight from the evaluation's
    flat criterion data: a national round's results hold 300,000 criteria (tests/test_results_scale.py checks the
    two agree). `prefixes` caches each criterion's constant start."""
    data = evaluation.criterion_data
    parts = []
    for i in range(0, len(data), _WIDTH):
        key = (data[i + _ID], data[i + _GROUP])
        prefix = prefixes.get(key)
        if prefix is None:
            prefix = prefixes[key] = f'{{"id": {_js(key[0])}, "group": {_js(key[1])}, "points": '
        council, assessed, scorers = data[i + _COUNCIL], data[i + _ASSESSED], data[i + _SCORERS]
        explanation = data[i + _EXPLANATION]
        council_text = "null" if council is None else '"' + str(council) + '"'
        assessed_text = "null" if assessed is None else '"' + str(assessed) + '"'
        parts.append(f'{prefix}"{data[i + _POINTS]!s}", "max_points": "{data[i + _MAX]!s}", "preliminary": '
                     f'"{data[i + _PRELIMINARY]!s}", "council": {council_text}, "self_assessed": {assessed_text}, '
                     f'"scorers": {scorers if type(scorers) is int else _js(scorers)}, "explanation": '
                     f'{encode_basestring_ascii(explanation) if type(explanation) is str else _js(explanation)}}}')
    return "[" + ", ".join(parts) + "]"


def _js(value: Any) -> str:
    # json.dumps of one value: the C encoder for text, as json.dumps uses it (ASCII escapes)
    return encode_basestring_ascii(value) if type(value) is str else json.dumps(value)


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
    with paused_gc(), _without_jit(session):
        return _compute_results(session, actor, catalog, round_)


@contextmanager
def _without_jit(session: Session) -> Iterator[None]:
    """PostgreSQL: no JIT compilation for the statements in between (restored afterwards, as the transaction had
    it). Right after a bulk import the planner's row estimates are far too high and it spends longer compiling each
    batch's statements than running them."""
    connection = session.connection()
    if connection.dialect.name != "postgresql":
        yield
        return
    previous = connection.execute(text("SELECT current_setting('jit')")).scalar_one()
    connection.execute(text("SELECT set_config('jit', 'off', true)"))
    yield
    connection.execute(text("SELECT set_config('jit', :previous, true)"), {"previous": previous})


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
    prefixes: dict[tuple[Any, Any], str] = {}
    ranked: dict[int, _Ranked] = {}
    listed: list[tuple[int, str, str | None]] = []  # id, number, product group
    to_move: list[StateRow] = []
    now = clock.now()
    # the ids first, then each batch by its ids: a batch "after the last id, the first 1,000" read the whole round
    # again on PostgreSQL (through the round and state index, sorted) for every batch
    wanted = session.scalars(select(Dossier.id).where(Dossier.round_id == round_.id,
                                                      Dossier.state.in_((*SCORED, "ineligible")))
                             .order_by(Dossier.id)).all()
    for start in range(0, len(wanted), CHUNK):
        batch = session.execute(
            select(Dossier.id, Dossier.number, Dossier.state, Dossier.product_group, Dossier.inputs,
                   Dossier.self_assessment, Dossier.submitted_at)
            .where(Dossier.id.in_(wanted[start:start + CHUNK])).order_by(Dossier.id)).all()
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
                             "position": None, "top": False, "tie_break": None, "subtotals": {}, "criteria": "[]",
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
                to_move.append(StateRow(dossier_id, number, state))
            rows.append({"dossier_id": dossier_id, "criteria_set_id": evaluation.criteria_set,
                         "content_hash": evaluation.content_hash, "eligible": True, "total": evaluation.total,
                         "passed": evaluation.passed, "result_class": evaluation.class_id, "position": None,
                         "top": False, "tie_break": None,
                         "subtotals": {g: str(v) for g, v in evaluation.subtotals.items()},
                         "criteria": _criteria_text(evaluation, prefixes), "computed_at": now})
        insert_rows(session, Result.__table__, rows, json_text=("criteria",))
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
    apply_many_rows(session, actor, to_move, "council_scored", reason="results computed")
    name = actor_name(actor)
    audit.record_many(session, name, "result.computed", logged)
    top = tuple(sorted(n for n, place in places.items() if place.top))
    passed = sum(item.passed for item in ranked.values())
    audit.record(session, name, "results.computed", "round", round_.id,
                 after={"dossiers": len(listed), "passed": passed, "top": list(top)})
    return ComputedResults(len(listed), len(ranked), passed, top)


def _submitted_scores(session: Session, first_id: int, last_id: int,
                      members: dict[int, str]) -> dict[int, dict[str, dict[str, Decimal]]]:
    """Submitted scores of the dossiers whose ids lie in [first_id, last_id]: dossier → member → criterion.

    Read without the ORM's row processing: a national round has close to a million scores. The points come as
    text and each distinct text is made a Decimal once (a round's points take a few dozen values)."""
    out: dict[int, dict[str, dict[str, Decimal]]] = {}
    connection = session.connection()
    cursor = connection.connection.driver_connection.cursor()  # type: ignore[union-attr]
    if connection.dialect.name == "postgresql":
        cursor.execute(_SCORES_PG, (first_id, last_id))
    else:
        cursor.execute(_SCORES, (first_id, last_id))
    rows = cursor.fetchall()
    cursor.close()
    decimals = _Decimals()
    last_dossier = last_member = -1
    sheet: dict[str, Decimal] = {}
    for dossier_id, member_id, criterion_id, points in rows:
        if member_id != last_member or dossier_id != last_dossier:  # a form's entries come together
            last_dossier, last_member = dossier_id, member_id
            sheets = out.get(dossier_id)
            if sheets is None:
                sheets = out[dossier_id] = {}
            code = members[member_id]
            sheet = sheets.get(code)  # type: ignore[assignment]
            if sheet is None:
                sheet = sheets[code] = {}
        sheet[criterion_id] = decimals[points]
    return out


class _Decimals(dict[Any, Decimal]):
    """Stored points (text, or a Decimal) → the Decimal, made once per distinct text."""

    def __missing__(self, text: Any) -> Decimal:
        value = self[text] = text if isinstance(text, Decimal) else Decimal(text)
        return value


# the scores that count (scoring._counted_entries): submitted forms of voting members without a declared conflict;
# run on the driver's own cursor (no per-row processing)
_SCORES = ("SELECT f.dossier_id, f.member_id, e.criterion_id, e.points FROM scoring_form f "
           "JOIN scoring_entry e ON e.form_id = f.id "
           "JOIN council_member m ON m.id = f.member_id "
           "LEFT JOIN conflict c ON c.member_id = f.member_id AND c.dossier_id = f.dossier_id "
           "WHERE f.dossier_id BETWEEN ? AND ? AND f.submitted_at IS NOT NULL AND m.voting AND c.member_id IS NULL")
# PostgreSQL: each form's entries through the entries' key (a lateral subquery kept apart by OFFSET 0). As a plain
# join the planner scans every entry of every round once per batch of dossiers, the more so right after an import
# (before the statistics catch up). The points as text: made Decimals once per distinct value (see _Decimals).
_SCORES_PG = ("SELECT f.dossier_id, f.member_id, e.criterion_id, e.points::text FROM scoring_form f "
              "JOIN council_member m ON m.id = f.member_id "
              "CROSS JOIN LATERAL (SELECT criterion_id, points FROM scoring_entry "
              "WHERE scoring_entry.form_id = f.id OFFSET 0) e "
              "LEFT JOIN conflict c ON c.member_id = f.member_id AND c.dossier_id = f.dossier_id "
              "WHERE f.dossier_id BETWEEN %s AND %s AND f.submitted_at IS NOT NULL AND m.voting "
              "AND c.member_id IS NULL")


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
