"""A criteria set compiled once into plain functions, so evaluating a dossier does no parsing or lookups."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from spcncl_core.criteria.model import ResultClass, Rounding
from spcncl_core.engine.aggregation import AggregateFn, Aggregation, SheetCriterion, SheetGroup
from spcncl_core.engine.context import CheckFn, ScoreFn
from spcncl_core.engine.inputs import Converter


@dataclass(frozen=True, slots=True)
class CompiledInput:
    """One declared input: its id, whether it is required, and its converter."""

    id: str
    required: bool
    convert: Converter


@dataclass(frozen=True, slots=True)
class CompiledDerived:
    """A derived indicator: its function and its arguments (input ids, or fixed numbers)."""

    id: str
    fn: Callable[..., Decimal]
    args: tuple[tuple[bool, Any], ...]  # (is a reference, id or number)


@dataclass(frozen=True, slots=True)
class CompiledPrerequisite:
    """A prerequisite's id, title and check."""

    id: str
    title: str
    check: CheckFn


@dataclass(frozen=True, slots=True)
class CompiledCriterion:
    """A criterion's id, group, maximum, whether it is manual, and its score function."""

    id: str
    group: str
    max_points: Decimal
    max_shown: str
    manual: bool
    score: ScoreFn
    when_undefined: Decimal | None = None


@dataclass(frozen=True, slots=True)
class CompiledSet:
    """Everything `evaluate` needs, in evaluation order."""

    inputs: tuple[CompiledInput, ...]
    declared: frozenset[str]
    derived: tuple[CompiledDerived, ...]
    prerequisites: tuple[CompiledPrerequisite, ...]
    criteria: tuple[CompiledCriterion, ...]
    criterion_ids: tuple[str, ...]
    max_by_criterion: dict[str, Decimal]
    groups: tuple[str, ...]  # every group, depth first
    aggregate: AggregateFn
    pass_test: Callable[[Decimal], bool]  # the total condition alone (always true when the rule has none)
    places: int
    score_step: Decimal
    quantum: Decimal
    # the same, as plain tuples for the evaluation loop
    input_table: tuple[tuple[str, bool, Converter], ...]
    derived_table: tuple[tuple[str, Callable[..., Decimal], tuple[tuple[bool, Any], ...]], ...]
    prerequisite_table: tuple[tuple[str, str, CheckFn], ...]
    # (id, group, max_points, max shown, manual, score, cache of " → points of max" texts, when_undefined)
    criteria_table: tuple[tuple[str, str, Decimal, str, bool, ScoreFn, dict[Decimal, str], Decimal | None], ...]
    # the group tree for rounding: (group id, criterion ids, sub-groups, cap or None)
    tree: tuple[Any, ...] = ()
    rounding: Rounding = field(default_factory=lambda: Rounding(2))
    aggregation: Aggregation | None = None
    sheet_criteria: tuple[SheetCriterion, ...] = ()
    sheet_groups: tuple[SheetGroup, ...] = ()
    # (passed, [(condition's account, held)]) from the published total, subtotals and points; None: no pass rule
    judge: Callable[..., Any] | None = None
    classes: tuple[ResultClass, ...] = ()
    group_max: dict[str, Decimal] = field(default_factory=dict)
    # the registered kinds and functions the set was compiled with, by name (the Excel estimate asks them)
    rule_kinds: dict[str, Any] = field(default_factory=dict)
    functions: dict[str, Any] = field(default_factory=dict)
    # builds the generated straight-line evaluation of valid dossiers (see fastpath.py)
    build_fast: Callable[[], Callable[..., Any]] | None = None
    # [fast function or None, evaluations so far]: the fast path is generated once a set is used in bulk
    jit: list[Any] = field(default_factory=lambda: [None, 0])

    def fast_path(self) -> Callable[..., Any] | None:
        """The generated fast path, generating it now if needed (None when the set has none)."""
        if self.jit[0] is None and self.build_fast is not None:
            self.jit[0] = self.build_fast()
        return self.jit[0]  # type: ignore[no-any-return]
