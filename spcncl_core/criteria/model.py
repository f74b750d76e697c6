"""Typed, immutable view of a loaded and validated criteria set (bộ tiêu chí)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from decimal import Decimal
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from spcncl_core.engine.compiled import CompiledSet

INPUT_TYPES = ("number", "integer", "percent", "boolean", "choice", "set", "text")


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


@dataclass(frozen=True, slots=True)
class Group:
    """A group of criteria (nhóm tiêu chí), e.g. KT – Kinh tế."""

    id: str
    title: Mapping[str, str]
    criteria: tuple[Criterion, ...]

    @property
    def max_points(self) -> Decimal:
        """Sum of the maximum points of the group's criteria."""
        return sum((c.max_points for c in self.criteria), Decimal(0))


@dataclass(frozen=True, slots=True)
class PassRule:
    """How a total passes: `total <operator> points` (Hanoi: > 70; Huế: ≥ 65)."""

    operator: str
    points: Decimal

    def __str__(self) -> str:
        return f"{self.operator} {self.points.normalize():f}"


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
    legal_basis: tuple[str, ...]
    notes: Mapping[str, str]
    total_points: Decimal
    pass_rule: PassRule
    top: int
    tie_breaks: tuple[TieBreak, ...]
    aggregation: str
    rounding_places: int
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

    @property
    def criteria(self) -> tuple[Criterion, ...]:
        """Every criterion, in group order."""
        return tuple(c for g in self.groups for c in g.criteria)

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
