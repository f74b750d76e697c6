"""Evaluating one dossier against one criteria set: pure, exact, and explained criterion by criterion."""

from __future__ import annotations

from collections.abc import Collection, Mapping
from datetime import datetime
from decimal import ROUND_HALF_UP, Decimal
from typing import Any, NamedTuple

from spcncl_core.criteria.model import CriteriaSet
from spcncl_core.dossier import Dossier
from spcncl_core.engine.fastpath import Irregular
from spcncl_core.engine.inputs import number_message, unknown_input_message
from spcncl_core.errors import MAX_HINTS, DossierError, Problem, did_you_mean
from spcncl_core.numbers import ZERO, show, to_decimal

FAST_PATH_AFTER = 20  # evaluations of one set before its fast path is generated


class PrerequisiteResult(NamedTuple):
    """Whether one prerequisite holds, and why."""

    id: str
    title: str
    passed: bool
    message: str


class CriterionResult(NamedTuple):
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


class Evaluation:
    """The result of evaluating a dossier: reproducible from the dossier and the criteria set's content hash.

    Read-only by convention. The per-prerequisite and per-criterion results are stored flat, field after field,
    in one tuple each (a few objects for the garbage collector to track instead of dozens, which keeps a round of
    100,000 evaluations cheap to hold) and offered as named records by `prerequisites` and `criteria`;
    `to_dict()` gives the JSON form.
    """

    __slots__ = ("criteria_set", "content_hash", "dossier_id", "submitted_at", "eligible", "passed", "total",
                 "preliminary_total", "max_points", "prerequisite_data", "criterion_data", "subtotals",
                 "council_scored")

    def __init__(self, criteria_set: str, content_hash: str, dossier_id: str | None, submitted_at: datetime | None,
                 eligible: bool, passed: bool, total: Decimal | None, preliminary_total: Decimal | None,
                 max_points: Decimal, prerequisite_data: tuple[Any, ...], criterion_data: tuple[Any, ...],
                 subtotals: Mapping[str, Decimal],
                 council_scored: bool) -> None:
        self.criteria_set = criteria_set
        self.content_hash = content_hash
        self.dossier_id = dossier_id
        self.submitted_at = submitted_at
        self.eligible = eligible
        self.passed = passed
        self.total = total
        self.preliminary_total = preliminary_total
        self.max_points = max_points
        self.prerequisite_data = prerequisite_data
        self.criterion_data = criterion_data
        self.subtotals = subtotals
        self.council_scored = council_scored

    @property
    def prerequisites(self) -> tuple[PrerequisiteResult, ...]:
        """Each prerequisite: id, title, passed, message."""
        data, width = self.prerequisite_data, len(PrerequisiteResult._fields)
        return tuple(PrerequisiteResult._make(data[i:i + width]) for i in range(0, len(data), width))

    @property
    def criteria(self) -> tuple[CriterionResult, ...]:
        """Each criterion's result, in the set's order (empty when not eligible)."""
        data, width = self.criterion_data, len(CriterionResult._fields)
        return tuple(CriterionResult._make(data[i:i + width]) for i in range(0, len(data), width))

    def _key(self) -> tuple[Any, ...]:
        return tuple(getattr(self, name) for name in self.__slots__)

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Evaluation) and self._key() == other._key()

    __hash__ = None  # type: ignore[assignment]

    def __repr__(self) -> str:
        return (f"Evaluation({self.criteria_set!r}, dossier={self.dossier_id!r}, eligible={self.eligible}, "
                f"total={self.total}, passed={self.passed})")

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
    except ValueError as exc:
        raise ValueError(number_message("must be a number of points", value, exc)) from None
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
    jit = cs.jit
    fast = jit[0]
    if fast is None:
        jit[1] += 1
        if jit[1] == FAST_PATH_AFTER:  # generating costs a few milliseconds: worth it only for bulk work
            fast = cs.fast_path()
    if fast is not None and not scores and not dossier.self_assessment:
        raw = dossier.inputs
        declared = cs.declared
        if declared.issuperset(raw) or (known_inputs is not None
                                        and all(k in declared or k in known_inputs for k in raw)):
            try:
                result = fast(raw, dossier.id, dossier.submitted_at)
            except (Irregular, ValueError, TypeError):
                pass  # the checking path reports every problem
            else:
                if type(result) is Evaluation:
                    return result
                return Evaluation(criteria_set.id, criteria_set.content_hash, dossier.id, dossier.submitted_at,
                                  False, False, None, None, criteria_set.total_points, result, (), {}, False)
    return evaluate_checked(criteria_set, dossier, scores, known_inputs=known_inputs)


def evaluate_checked(criteria_set: CriteriaSet, dossier: Dossier,
                     scores: Mapping[str, Mapping[str, Any]] | None = None, *,
                     known_inputs: Collection[str] | None = None) -> Evaluation:
    """`evaluate` without the generated fast path: checks every input and reports every problem. Same results."""
    cs = criteria_set.compiled
    raw = dossier.inputs
    get = raw.get
    values: dict[str, Any] = {}
    problems: list[Problem] = []
    for input_id, required, convert in cs.input_table:
        value = get(input_id)
        if value is None:
            if required:
                problems.append(Problem(f"inputs.{input_id}", "required input is missing"))
            values[input_id] = None
            continue
        try:
            values[input_id] = convert(value)
        except ValueError as exc:
            problems.append(Problem(f"inputs.{input_id}", str(exc)))
    if not cs.declared.issuperset(raw):
        known, hints = set(cs.declared) | set(known_inputs or ()), 0
        for key in raw:
            if key not in cs.declared and (known_inputs is None or key not in known_inputs):
                hints += 1  # a did-you-mean search for the first few only: a file may hold 200,000 unknown keys
                problems.append(Problem(f"inputs.{key}", unknown_input_message(
                    str(key), known if hints <= MAX_HINTS else ())))
    assessed = _self_assessment(criteria_set, dossier.self_assessment, problems) if dossier.self_assessment else {}
    council = _council_scores(criteria_set, scores, problems) if scores else None
    if problems:
        raise DossierError(problems)

    for derived_id, fn, args in cs.derived_table:
        arguments = [values[ref] if is_ref else ref for is_ref, ref in args]
        values[derived_id] = None if None in arguments else fn(*arguments)

    prerequisites = []
    eligible = True
    for prerequisite_id, title, check in cs.prerequisite_table:
        passed, message = check(values)
        if not passed:
            eligible = False
        prerequisites += (prerequisite_id, title, passed, message)
    if not eligible:
        return Evaluation(criteria_set.id, criteria_set.content_hash, dossier.id, dossier.submitted_at, False, False,
                          None, None, criteria_set.total_points, tuple(prerequisites), (), {}, False)

    quantize, quantum = Decimal.quantize, cs.quantum
    preliminary: dict[str, Decimal] = {}
    explanations: dict[str, str] = {}
    for cid, _group, maximum, max_shown, manual, score, tails in cs.criteria_table:
        if manual:
            own = assessed.get(cid)
            points = own if own is not None else ZERO
            how = "self-assessed" if own is not None else "not scored yet (scored by the council)"
        else:
            points, how = score(values)
            if points > maximum:
                points = maximum
                how += " (capped)"
        tail = tails.get(points)
        if tail is None:
            tail = f" → {show(points)} of {max_shown}"
            if len(tails) < 256:
                tails[points] = tail
        preliminary[cid] = points
        explanations[cid] = how + tail

    preliminary_sum = sum(preliminary.values(), ZERO)
    preliminary_total = quantize(preliminary_sum, quantum, ROUND_HALF_UP)
    if council:
        aggregated = cs.aggregate(cs.criterion_ids, preliminary, council)
        final, total, scorers = aggregated.points, aggregated.total, aggregated.scorers
    else:
        final, total, scorers = preliminary, preliminary_sum, None

    results = []
    subtotal_exact: dict[str, Decimal] = dict.fromkeys(cs.groups, ZERO)
    for cid, group, maximum, max_shown, _manual, _score, _tails in cs.criteria_table:
        exact = final[cid]
        subtotal_exact[group] += exact
        rounded = quantize(exact, quantum, ROUND_HALF_UP)
        if scorers and scorers[cid]:
            count = scorers[cid]
            results.extend((
                cid, group, rounded, maximum,
                f"council: mean of {count} member{'s' if count > 1 else ''} → {show(rounded)} of {max_shown}; "
                f"preliminary: {explanations[cid]}", preliminary[cid], assessed.get(cid), rounded, count))
        else:
            results.extend((cid, group, rounded, maximum, explanations[cid], preliminary[cid], assessed.get(cid),
                            None, 0))
    total = quantize(total, quantum, ROUND_HALF_UP)
    return Evaluation(
        criteria_set.id, criteria_set.content_hash, dossier.id, dossier.submitted_at, True, cs.pass_test(total),
        total, preliminary_total, criteria_set.total_points, tuple(prerequisites), tuple(results),
        {g: quantize(v, quantum, ROUND_HALF_UP) for g, v in subtotal_exact.items()}, bool(council),
    )


def _self_assessment(criteria_set: CriteriaSet, given: Mapping[str, Any],
                     problems: list[Problem]) -> dict[str, Decimal]:
    cs = criteria_set.compiled
    out: dict[str, Decimal] = {}
    for cid, value in given.items():
        maximum = cs.max_by_criterion.get(cid)
        if maximum is None:
            hint = did_you_mean(str(cid), cs.criterion_ids)
            problems.append(Problem(f"self_assessment.{cid}", f"unknown criterion{hint} in {criteria_set.id}"))
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
