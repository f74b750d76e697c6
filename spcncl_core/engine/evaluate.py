"""Evaluating one dossier against one criteria set: pure, exact, and explained criterion by criterion."""

from __future__ import annotations

from collections.abc import Collection, Mapping
from datetime import datetime
from decimal import Decimal
from fractions import Fraction
from typing import Any, NamedTuple

from spcncl_core.criteria.model import CriteriaSet, ResultClass
from spcncl_core.dossier import Dossier
from spcncl_core.engine.aggregation import CouncilSheet
from spcncl_core.engine.fastpath import Irregular
from spcncl_core.engine.functions import Undefined, UndefinedIndicator, UndefinedValue
from spcncl_core.engine.inputs import number_message, unknown_input_message
from spcncl_core.engine.outcome import classify, finalize, half_up
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
                 "council_scored", "result_class", "pass_detail", "group_tree")

    def __init__(self, criteria_set: str, content_hash: str, dossier_id: str | None, submitted_at: datetime | None,
                 eligible: bool, passed: bool, total: Decimal | None, preliminary_total: Decimal | None,
                 max_points: Decimal, prerequisite_data: tuple[Any, ...], criterion_data: tuple[Any, ...],
                 subtotals: Mapping[str, Decimal],
                 council_scored: bool, result_class: ResultClass | None = None,
                 pass_detail: tuple[tuple[str, bool], ...] = (), group_tree: tuple[Any, ...] = ()) -> None:
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
        self.result_class = result_class  # the class reached (None: below every class, or a set without classes)
        self.pass_detail = pass_detail  # a compound pass rule: each condition's account and whether it held
        self.group_tree = group_tree  # (group id, criterion ids, sub-groups, cap): the set's structure

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

    @property
    def class_id(self) -> str | None:
        """The id of the result class reached, or None."""
        return self.result_class.id if self.result_class is not None else None

    def groups_tree(self) -> list[dict[str, Any]]:
        """The subtotals as a tree: each group with its points, its criteria's ids and its sub-groups."""

        def node(n: Any) -> dict[str, Any]:
            gid, cids, subs, _cap = n
            return {"id": gid, "points": _num(self.subtotals.get(gid)), "criteria": list(cids),
                    "groups": [node(s) for s in subs]}

        return [node(n) for n in self.group_tree]

    def to_dict(self) -> dict[str, Any]:
        """A JSON-ready dict; numbers as JSON numbers (exact decimals with at most `rounding` places)."""
        rc = self.result_class
        return {
            "class": rc.id if rc is not None else None,
            "class_label": dict(rc.label) if rc is not None else None,
            "pass_checks": [{"condition": text, "held": held} for text, held in self.pass_detail],
            "groups": self.groups_tree() if self.eligible else [],
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
    if fast is not None and not dossier.self_assessment:
        raw = dossier.inputs
        declared = cs.declared
        if declared.issuperset(raw) or (known_inputs is not None
                                        and all(k in declared or k in known_inputs for k in raw)):
            if scores:
                council = fast.council  # type: ignore[attr-defined]
                if council is not None:
                    try:
                        return council(raw, scores, dossier.id, dossier.submitted_at)  # type: ignore[no-any-return]
                    except (Irregular, ValueError, TypeError, KeyError, AttributeError):
                        pass  # the checking path reports every problem
                return evaluate_checked(criteria_set, dossier, scores, known_inputs=known_inputs)
            try:
                result = fast(raw, dossier.id, dossier.submitted_at)
            except (Irregular, ValueError, TypeError):
                pass  # the checking path reports every problem
            else:
                if type(result) is Evaluation:
                    return result
                return Evaluation(criteria_set.id, criteria_set.content_hash, dossier.id, dossier.submitted_at,
                                  False, False, None, None, criteria_set.total_points, result, (), {}, False,
                                  group_tree=cs.tree)
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

    names = {d.id: d for d in criteria_set.derived}
    for derived_id, fn, args in cs.derived_table:
        arguments = [values[ref] if is_ref else ref for is_ref, ref in args]
        if None in arguments:
            values[derived_id] = None
            continue
        try:
            values[derived_id] = fn(*arguments)
        except UndefinedValue as exc:
            spec = names[derived_id]
            call = f"{spec.function}({', '.join(show(a) if not isinstance(a, str) else a for a in spec.args)})"
            values[derived_id] = Undefined(derived_id, f"{call}: {exc}")
        except UndefinedIndicator as exc:
            values[derived_id] = Undefined(derived_id, f"it reads {exc.value.id}, which is undefined")

    prerequisites = []
    eligible = True
    for prerequisite_id, title, check in cs.prerequisite_table:
        try:
            passed, message = check(values)
        except UndefinedIndicator as exc:
            problems.append(Problem(f"prerequisites.{prerequisite_id}", f"{exc}; the prerequisite cannot be "
                                                                        "checked"))
            passed, message = False, str(exc)
        if not passed:
            eligible = False
        prerequisites += (prerequisite_id, title, passed, message)
    if not eligible:
        if problems:
            raise DossierError(problems)
        return Evaluation(criteria_set.id, criteria_set.content_hash, dossier.id, dossier.submitted_at, False, False,
                          None, None, criteria_set.total_points, tuple(prerequisites), (), {}, False,
                          group_tree=cs.tree)

    preliminary: dict[str, Decimal] = {}
    explanations: dict[str, str] = {}
    for cid, _group, maximum, max_shown, manual, score, tails, when_undefined in cs.criteria_table:
        if manual:
            own = assessed.get(cid)
            points = own if own is not None else ZERO
            how = "self-assessed" if own is not None else "not scored yet (scored by the council)"
        else:
            try:
                points, how = score(values)
            except UndefinedIndicator as exc:
                if when_undefined is None:
                    problems.append(Problem(f"criteria.{cid}", f"{exc}; the set gives {cid} no when_undefined "
                                                               "points, so the dossier's figures must define it"))
                    continue
                points, how = when_undefined, f"{exc.value.id} undefined ({exc.value.reason}): when_undefined"
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
    if problems:
        raise DossierError(problems)

    rounding = cs.rounding
    preliminary_total = half_up(sum(preliminary.values(), ZERO), rounding.digits)
    scorers: dict[str, int] | Mapping[str, int] | None = None
    override = None
    if council:
        sheet = CouncilSheet(cs.sheet_criteria, cs.sheet_groups, preliminary, council)
        aggregated = cs.aggregate(sheet)
        exact = {cid: Fraction(aggregated.points[cid]) for cid in cs.criterion_ids}
        scorers = aggregated.scorers
        if aggregated.total is not None and Fraction(aggregated.total) != sum(exact.values(), Fraction(0)):
            override = Fraction(aggregated.total)
    else:
        exact = {cid: Fraction(v) for cid, v in preliminary.items()}
    shown, subtotals, total, capped = finalize(cs.tree, exact, rounding, override)

    results = []
    for cid, group, maximum, max_shown, _manual, _score, _tails, _undefined in cs.criteria_table:
        rounded = shown[cid]
        if scorers and scorers.get(cid):
            count = scorers[cid]
            results.extend((
                cid, group, rounded, maximum,
                f"council: mean of {count} member{'s' if count > 1 else ''} → {show(rounded)} of {max_shown}; "
                f"preliminary: {explanations[cid]}", preliminary[cid], assessed.get(cid), rounded, count))
        else:
            results.extend((cid, group, rounded, maximum, explanations[cid], preliminary[cid], assessed.get(cid),
                            None, 0))
    passed, detail = judge(cs, total, subtotals, shown)
    result_class = classify(cs.classes, total) if cs.classes else None
    if cs.classes:
        passed = passed and result_class is not None and result_class.recognised
    return Evaluation(
        criteria_set.id, criteria_set.content_hash, dossier.id, dossier.submitted_at, True, passed,
        total, preliminary_total, criteria_set.total_points, tuple(prerequisites), tuple(results),
        subtotals, bool(council), result_class, detail, cs.tree,
    )


def judge(cs: Any, total: Decimal, subtotals: Mapping[str, Decimal], points: Mapping[str, Decimal]
          ) -> tuple[bool, tuple[tuple[str, bool], ...]]:
    """The pass rule on the published numbers: (passed, each condition's account for a compound rule)."""
    if cs.judge is None:
        return cs.pass_test(total), ()
    return cs.judge(total, subtotals, points)  # type: ignore[no-any-return]


def _self_assessment(criteria_set: CriteriaSet, given: Mapping[str, Any],
                     problems: list[Problem]) -> dict[str, Decimal]:
    cs = criteria_set.compiled
    out: dict[str, Decimal] = {}
    for cid, value in given.items():
        maximum = cs.max_by_criterion.get(cid)
        if maximum is None:
            hint = did_you_mean(str(cid), cs.criterion_ids) if len(problems) < MAX_HINTS else ""
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
                hint = did_you_mean(str(cid), cs.criterion_ids) if len(problems) < MAX_HINTS else ""
                problems.append(Problem(where, f"unknown criterion{hint}"))
                continue
            try:
                member_scores[cid] = check_points(value, maximum, cs.score_step)
            except ValueError as exc:
                problems.append(Problem(where, str(exc)))
    out = {m: s for m, s in out.items() if s}
    if out and cs.aggregation is not None:
        _coverage(cs, out, {str(m): g for m, g in scores.items()}, problems)
    return out


def _coverage(cs: Any, council: Mapping[str, Mapping[str, Decimal]], given: Mapping[str, Mapping[str, Any]],
              problems: list[Problem]) -> None:
    """No missing score is filled in: what the aggregation needs scored and is not, is bad input."""
    name = cs.aggregation.name
    if cs.aggregation.coverage == "member":
        for member in council:
            for c in cs.sheet_criteria:
                if c.id not in given[member]:
                    problems.append(Problem(f"council_scores.{member}.{c.id}",
                                            f"not scored; with {name} every member scores every criterion"))
        return
    scored = {cid for s in given.values() for cid in s}
    for c in cs.sheet_criteria:
        if c.manual and c.id not in scored:
            problems.append(Problem(f"council_scores.{c.id}",
                                    "not scored by any member; a manual criterion is scored by the council"))
