"""Evaluating one dossier against one criteria set: pure, exact, and explained criterion by criterion."""

from __future__ import annotations

from collections.abc import Collection, Mapping
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from typing import Any

from spcncl_core.criteria.model import CriteriaSet
from spcncl_core.dossier import Dossier
from spcncl_core.engine.inputs import unknown_input_message
from spcncl_core.errors import DossierError, Problem, did_you_mean
from spcncl_core.numbers import ZERO, round_half_up, show, to_decimal

_MISSING = object()


@dataclass(frozen=True, slots=True)
class PrerequisiteResult:
    """Whether one prerequisite holds, and why."""

    id: str
    title: str
    passed: bool
    message: str


@dataclass(frozen=True, slots=True)
class CriterionResult:
    """A criterion's points (council-aggregated when scores were given, else preliminary) and how they came about."""

    id: str
    group: str
    points: Decimal
    max_points: Decimal
    explanation: str
    preliminary: Decimal
    self_assessed: Decimal | None
    council: Decimal | None
    scorers: int


@dataclass(frozen=True, slots=True)
class Evaluation:
    """The result of evaluating a dossier: reproducible from the dossier and the criteria set's content hash."""

    criteria_set: str
    content_hash: str
    dossier_id: str | None
    submitted_at: datetime | None
    eligible: bool
    passed: bool
    total: Decimal | None
    preliminary_total: Decimal | None
    max_points: Decimal
    prerequisites: tuple[PrerequisiteResult, ...]
    criteria: tuple[CriterionResult, ...]
    subtotals: Mapping[str, Decimal]
    council_scored: bool

    def failed_prerequisites(self) -> tuple[PrerequisiteResult, ...]:
        """The prerequisites that did not hold."""
        return tuple(p for p in self.prerequisites if not p.passed)

    def to_dict(self) -> dict[str, Any]:
        """A JSON-ready dict; numbers as JSON numbers (exact decimals with at most `rounding` places)."""
        return {
            "criteria_set": self.criteria_set,
            "content_hash": self.content_hash,
            "dossier_id": self.dossier_id,
            "eligible": self.eligible,
            "passed": self.passed,
            "total": _num(self.total),
            "preliminary_total": _num(self.preliminary_total),
            "max_points": _num(self.max_points),
            "council_scored": self.council_scored,
            "subtotals": {k: _num(v) for k, v in self.subtotals.items()},
            "prerequisites": [{"id": p.id, "title": p.title, "passed": p.passed, "message": p.message}
                              for p in self.prerequisites],
            "criteria": [{"id": c.id, "group": c.group, "points": _num(c.points), "max_points": _num(c.max_points),
                          "explanation": c.explanation, "preliminary": _num(c.preliminary),
                          "self_assessed": _num(c.self_assessed), "council": _num(c.council), "scorers": c.scorers}
                         for c in self.criteria],
        }


def _num(value: Decimal | None) -> int | float | None:
    if value is None:
        return None
    return int(value) if value == value.to_integral_value() else float(value)


def check_points(value: Any, maximum: Decimal, step: Decimal | None) -> Decimal:
    """Parse points given for a criterion and check 0 ≤ points ≤ maximum (and the step); raise ValueError."""
    try:
        points = to_decimal(value)
    except ValueError:
        raise ValueError(f"must be a number of points, got {value!r}") from None
    if points < 0 or points > maximum:
        raise ValueError(f"must be between 0 and {show(maximum)}, got {show(points)}")
    if step is not None and points % step:
        raise ValueError(f"must be in steps of {show(step)}, got {show(points)}")
    return points


def evaluate(criteria_set: CriteriaSet, dossier: Dossier,
             scores: Mapping[str, Mapping[str, Any]] | None = None, *,
             known_inputs: Collection[str] | None = None) -> Evaluation:
    """Evaluate `dossier` against `criteria_set`; `scores` maps council members to their points per criterion.

    Inputs are checked against the set's declared inputs; an input the set does not declare is ignored when it is
    in `known_inputs` (inputs other sets of the jurisdiction declare) and an error otherwise. Every problem is
    reported at once in a DossierError.
    """
    cs = criteria_set.compiled
    raw = dossier.inputs
    values: dict[str, Any] = {}
    problems: list[Problem] | None = None
    for spec in cs.inputs:
        value = raw.get(spec.id, _MISSING)
        if value is _MISSING or value is None:
            if spec.required:
                problems = problems or []
                problems.append(Problem(f"inputs.{spec.id}", "required input is missing"))
            values[spec.id] = None
            continue
        try:
            values[spec.id] = spec.convert(value)
        except ValueError as exc:
            problems = problems or []
            problems.append(Problem(f"inputs.{spec.id}", str(exc)))
    if len(raw) > len(values) or any(k not in cs.declared for k in raw):
        for key in raw:
            if key not in cs.declared and (known_inputs is None or key not in known_inputs):
                problems = problems or []
                problems.append(Problem(f"inputs.{key}", unknown_input_message(
                    str(key), set(cs.declared) | set(known_inputs or ()))))
    assessed = _self_assessment(criteria_set, dossier.self_assessment, problems_out := [])
    council = _council_scores(criteria_set, scores, problems_out) if scores else None
    if problems_out:
        problems = (problems or []) + problems_out
    if problems:
        raise DossierError(problems)

    for derived in cs.derived:
        args = [values[ref] if is_ref else ref for is_ref, ref in derived.args]
        values[derived.id] = None if None in args else derived.fn(*args)

    prerequisites = []
    eligible = True
    for prerequisite in cs.prerequisites:
        passed, message = prerequisite.check(values)
        eligible = eligible and passed
        prerequisites.append(PrerequisiteResult(prerequisite.id, prerequisite.title, passed, message))
    if not eligible:
        return Evaluation(criteria_set.id, criteria_set.content_hash, dossier.id, dossier.submitted_at, False, False,
                          None, None, criteria_set.total_points, tuple(prerequisites), (), {}, False)

    preliminary: dict[str, Decimal] = {}
    explanations: dict[str, str] = {}
    for criterion in cs.criteria:
        cid = criterion.id
        if criterion.manual:
            own = assessed.get(cid)
            points = own if own is not None else ZERO
            how = "self-assessed" if own is not None else "not scored yet (scored by the council)"
        else:
            points, how = criterion.score(values)
            if points > criterion.max_points:
                points = criterion.max_points
                how += " (capped)"
        preliminary[cid] = points
        explanations[cid] = f"{how} → {show(points)} of {criterion.max_shown}"

    places = cs.places
    preliminary_total = round_half_up(sum(preliminary.values(), ZERO), places)
    if council:
        aggregated = cs.aggregate(cs.criterion_ids, preliminary, council)
        final, total, scorers = aggregated.points, aggregated.total, aggregated.scorers
    else:
        final, total, scorers = preliminary, preliminary_total, None

    results = []
    subtotal_exact: dict[str, Decimal] = dict.fromkeys(cs.groups, ZERO)
    for criterion in cs.criteria:
        cid = criterion.id
        exact = final[cid]
        subtotal_exact[criterion.group] += exact
        count = scorers[cid] if scorers else 0
        explanation = explanations[cid]
        council_points = None
        if count:
            council_points = round_half_up(exact, places)
            explanation = (f"council: mean of {count} member{'s' if count > 1 else ''} → {show(council_points)} "
                           f"of {criterion.max_shown}; preliminary: {explanation}")
        results.append(CriterionResult(cid, criterion.group, round_half_up(exact, places), criterion.max_points,
                                       explanation, preliminary[cid], assessed.get(cid), council_points, count))
    total = round_half_up(total, places)
    return Evaluation(
        criteria_set.id, criteria_set.content_hash, dossier.id, dossier.submitted_at, True, cs.pass_test(total),
        total, preliminary_total, criteria_set.total_points, tuple(prerequisites), tuple(results),
        {g: round_half_up(v, places) for g, v in subtotal_exact.items()}, bool(council),
    )


def _self_assessment(criteria_set: CriteriaSet, given: Mapping[str, Any], problems: list[Problem]) -> dict[str, Decimal]:
    cs = criteria_set.compiled
    out: dict[str, Decimal] = {}
    for cid, value in given.items():
        maximum = cs.max_by_criterion.get(cid)
        if maximum is None:
            problems.append(Problem(f"self_assessment.{cid}", f"unknown criterion{did_you_mean(str(cid), cs.criterion_ids)}"
                                                              f" in {criteria_set.id}"))
            continue
        try:
            out[cid] = check_points(value, maximum, None)
        except ValueError as exc:
            problems.append(Problem(f"self_assessment.{cid}", str(exc)))
    return out


def _council_scores(criteria_set: CriteriaSet, scores: Mapping[str, Mapping[str, Any]],
                    problems: list[Problem]) -> dict[str, dict[str, Decimal]]:
    cs = criteria_set.compiled
    out: dict[str, dict[str, Decimal]] = {}
    for member, given in scores.items():
        member_scores = out.setdefault(str(member), {})
        for cid, value in given.items():
            where = f"council_scores.{member}.{cid}"
            maximum = cs.max_by_criterion.get(cid)
            if maximum is None:
                problems.append(Problem(where, f"unknown criterion{did_you_mean(str(cid), cs.criterion_ids)}"))
                continue
            try:
                member_scores[cid] = check_points(value, maximum, cs.score_step)
            except ValueError as exc:
                problems.append(Problem(where, str(exc)))
    return {m: s for m, s in out.items() if s}
