"""Typed, immutable view of a loaded and validated criteria set (bộ tiêu chí)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from decimal import Decimal
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from spcncl_core.engine.compiled import CompiledSet

INPUT_TYPES = ("number", "integer", "percent", "boolean", "choice", "set", "text")
PROVENANCES = ("official", "partly-official", "reconstruction", "draft")
PROVENANCE_TEXT = {
    "official": "the official table",
    "partly-official": "partly official",
    "reconstruction": "not the official point table",
    "draft": "an authority's working draft, not yet in force",
}


@dataclass(frozen=True, slots=True)
class InputSpec:
    """An input a dossier provides (chỉ tiêu): its type, range, options and labels."""

    id: str
    type: str
    label: Mapping[str, str]
    unit: str | None = None
    min: Decimal | None = None
    max: Decimal | None = None
    options: tuple[str, ...] = ()
    required: bool = True


@dataclass(frozen=True, slots=True)
class DerivedSpec:
    """An indicator computed from inputs by a registered function (e.g. revenue_cagr)."""

    id: str
    function: str
    args: tuple[str | Decimal, ...]
    label: Mapping[str, str]


@dataclass(frozen=True, slots=True)
class Prerequisite:
    """A prerequisite (điều kiện tiên quyết); its rule is checked by a registered prerequisite check."""

    id: str
    title: Mapping[str, str]
    rule: Mapping[str, Any]
    description: str = ""
    check: str = "condition"
    parsed: Any = None


@dataclass(frozen=True, slots=True)
class Criterion:
    """A scored criterion (tiêu chí) with its maximum points and its scoring rule."""

    id: str
    group: str
    title: Mapping[str, str]
    max_points: Decimal
    kind: str
    rule: Any
    manual: bool
    description: str = ""
    guidance: Mapping[str, str] = field(default_factory=dict)
    when_undefined: Decimal | None = None
    path: tuple[str, ...] = ()  # the ids of the groups holding it, outermost first


@dataclass(frozen=True, slots=True)
class Group:
    """A group of criteria (nhóm tiêu chí), e.g. KT – Kinh tế; it may hold sub-groups, to any depth.

    `declared_max` is the group's own `max_points` when the set gives one (checked against its children, or a cap
    when `cap` is true); `max_points` is what the group can score.
    """

    id: str
    title: Mapping[str, str]
    criteria: tuple[Criterion, ...]
    groups: tuple[Group, ...] = ()
    declared_max: Decimal | None = None
    cap: bool = False

    @property
    def children_max(self) -> Decimal:
        """Sum of the maxima of the group's criteria and sub-groups."""
        return sum((c.max_points for c in self.criteria), Decimal(0)) + sum((g.max_points for g in self.groups),
                                                                            Decimal(0))

    @property
    def max_points(self) -> Decimal:
        """The most the group can score: its declared maximum when it caps, else the sum of its children's."""
        if self.cap and self.declared_max is not None:
            return min(self.declared_max, self.children_max)
        return self.children_max

    def all_criteria(self) -> tuple[Criterion, ...]:
        """The group's criteria and those of its sub-groups, depth first."""
        return self.criteria + tuple(c for g in self.groups for c in g.all_criteria())

    def all_groups(self) -> tuple[Group, ...]:
        """The group itself and its sub-groups, depth first."""
        return (self,) + tuple(x for g in self.groups for x in g.all_groups())


@dataclass(frozen=True, slots=True)
class PassCondition:
    """One condition of a pass rule, or `all`/`any` of several.

    `on` is `total`, `group` (`target` names it), `criterion` (`target` names it) or `each-criterion`; the
    condition compares the points (`points`) or the share of the maximum in percent (`share`) with `operator`.
    """

    on: str  # total | group | criterion | each-criterion | all | any
    operator: str = ">="
    points: Decimal | None = None
    share: Decimal | None = None
    target: str | None = None
    conditions: tuple[PassCondition, ...] = ()

    def describe(self) -> str:
        """The condition as people read it: 'total > 70', 'each criterion ≥ 60 % of its maximum'."""
        if self.on in ("all", "any"):
            inner = "; ".join(c.describe() for c in self.conditions)
            return f"{self.on} of ({inner})"
        op = {">=": "≥", "≥": "≥", ">": ">"}.get(self.operator, self.operator)
        what = {"total": "total", "group": f"group {self.target}", "criterion": f"criterion {self.target}",
                "each-criterion": "each criterion"}[self.on]
        if self.share is not None:
            return f"{what} {op} {self.share.normalize():f} % of its maximum"
        assert self.points is not None
        return f"{what} {op} {self.points.normalize():f}"


@dataclass(frozen=True, slots=True)
class PassRule:
    """How a product passes: `total <operator> points` (Hanoi: > 70; Huế: ≥ 65), or a compound `condition`.

    `operator` and `points` are those of the rule's total condition (None when it has none), for callers that
    only need the mark.
    """

    operator: str | None
    points: Decimal | None
    condition: PassCondition | None = None

    @property
    def simple(self) -> bool:
        """Whether the rule is one condition on the total."""
        return self.condition is None or self.condition.on == "total"

    def describe(self) -> str:
        """The rule in one line: 'total > 70', or 'all of (total ≥ 650; each criterion ≥ 60 % of its maximum)'."""
        if self.condition is None:
            return "none"
        return self.condition.describe()

    def __str__(self) -> str:
        if self.condition is not None and self.condition.on != "total":
            return self.describe()
        return f"{self.operator} {self.points.normalize():f}" if self.points is not None else "none"


@dataclass(frozen=True, slots=True)
class ResultClass:
    """A result class (hạng) by total, e.g. "4 sao" from 70 points; `recognised` says whether it is recognised."""

    id: str
    label: Mapping[str, str]
    operator: str
    points: Decimal
    recognised: bool

    def describe(self, lang: str = "vi") -> str:
        """'4 sao (total ≥ 70, recognised)'."""
        op = "≥" if self.operator in (">=", "≥") else ">"
        return (f"{self.label.get(lang) or self.label.get('vi') or self.id} (total {op} {self.points.normalize():f}"
                f"{', recognised' if self.recognised else ''})")


@dataclass(frozen=True, slots=True)
class Rounding:
    """How results are rounded (half up): `digits` places, at each `criterion` before summing or at the `total`."""

    digits: int
    at: str = "total"

    def __str__(self) -> str:
        return f"{self.digits} digits, half up, at the {self.at}"


@dataclass(frozen=True, slots=True)
class TieBreak:
    """One tie-break of the ranking: a group subtotal (higher first) or the submission time (earlier first)."""

    by: str
    group: str | None = None

    def __str__(self) -> str:
        return f"subtotal {self.group}" if self.by == "subtotal" else "earlier submission"


@dataclass(frozen=True, eq=False)
class CriteriaSet:
    """A loaded criteria set: the merged document (after `extends`), its typed parts and its content hash."""

    id: str
    title: Mapping[str, str]
    jurisdiction: str
    year_from: int
    year_to: int | None
    product_group: str
    provenance: str
    official_parts: tuple[str, ...]
    legal_basis: tuple[str, ...]
    notes: Mapping[str, str]
    total_points: Decimal
    pass_rule: PassRule
    top: int
    tie_breaks: tuple[TieBreak, ...]
    aggregation: str
    rounding: Rounding
    score_step: Decimal
    recognition_years: int | None
    comment_days: int | None
    inputs: tuple[InputSpec, ...]
    derived: tuple[DerivedSpec, ...]
    prerequisites: tuple[Prerequisite, ...]
    groups: tuple[Group, ...]
    extends: str | None
    source: str
    document: Mapping[str, Any]
    content_hash: str
    # Built from the parts above by `spcncl_core.engine.compile.compile_set`; None only while loading.
    compiled: CompiledSet = field(default=None, repr=False)  # type: ignore[assignment]

    classes: tuple[ResultClass, ...] = ()

    @property
    def rounding_places(self) -> int:
        """Decimal places of results."""
        return self.rounding.digits

    @property
    def criteria(self) -> tuple[Criterion, ...]:
        """Every criterion, in group order (sub-groups depth first)."""
        return tuple(c for g in self.groups for c in g.all_criteria())

    def all_groups(self) -> tuple[Group, ...]:
        """Every group, sub-groups included, depth first."""
        return tuple(x for g in self.groups for x in g.all_groups())

    def group(self, group_id: str) -> Group:
        """The group (at any depth) with this id; KeyError if none."""
        for g in self.all_groups():
            if g.id == group_id:
                return g
        raise KeyError(group_id)

    def provenance_text(self) -> str:
        """How every command shows the provenance: 'RECONSTRUCTION — …', 'PARTLY-OFFICIAL — official: …'."""
        text = f"{self.provenance.upper()} — {PROVENANCE_TEXT.get(self.provenance, self.provenance)}"
        if self.official_parts:
            text += "; official: " + "; ".join(self.official_parts)
        return text

    def criterion(self, criterion_id: str) -> Criterion:
        """The criterion with this id; KeyError if none."""
        for c in self.criteria:
            if c.id == criterion_id:
                return c
        raise KeyError(criterion_id)

    def input(self, input_id: str) -> InputSpec:
        """The declared input with this id; KeyError if none."""
        for spec in self.inputs:
            if spec.id == input_id:
                return spec
        raise KeyError(input_id)

    def applies_to(self, year: int) -> bool:
        """Whether the set covers programme year `year`."""
        return self.year_from <= year and (self.year_to is None or year <= self.year_to)

    @property
    def years_label(self) -> str:
        """'2018–2020', or '2023–' for an open period."""
        return f"{self.year_from}–{self.year_to if self.year_to is not None else ''}"

    def label(self, lang: str = "vi") -> str:
        """The set's title in `lang`, falling back to Vietnamese, then to the id."""
        return self.title.get(lang) or self.title.get("vi") or self.id
