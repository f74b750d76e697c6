"""A criteria set compiled once into plain functions, so evaluating a dossier does no parsing or lookups."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from spcncl_core.engine.aggregation import AggregateFn
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
    groups: tuple[str, ...]
    aggregate: AggregateFn
    pass_test: Callable[[Decimal], bool]
    places: int
    score_step: Decimal
    quantum: Decimal
    # the same, as plain tuples for the evaluation loop
    input_table: tuple[tuple[str, bool, Converter], ...]
    derived_table: tuple[tuple[str, Callable[..., Decimal], tuple[tuple[bool, Any], ...]], ...]
    prerequisite_table: tuple[tuple[str, str, CheckFn], ...]
    # (id, group, max_points, max shown, manual, score, cache of " → points of max" texts)
    criteria_table: tuple[tuple[str, str, Decimal, str, bool, ScoreFn, dict[Decimal, str]], ...]
