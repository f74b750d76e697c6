"""The built-in plugin `core`: the standard rule kinds, functions, prerequisite checks and aggregations."""

from __future__ import annotations

from spcncl_core.engine.aggregation import BUILTIN_AGGREGATIONS
from spcncl_core.engine.functions import BUILTIN_FUNCTIONS
from spcncl_core.engine.prerequisites import BUILTIN_PREREQUISITE_CHECKS
from spcncl_core.engine.rules import BUILTIN_RULE_KINDS
from spcncl_core.hookspecs import hookimpl
from spcncl_core.registries import (
    AggregationRegistry,
    FunctionRegistry,
    PrerequisiteCheckRegistry,
    RuleKindRegistry,
)


@hookimpl
def register_rule_kinds(registry: RuleKindRegistry) -> None:
    """bands, choice, items, boolean, linear, parts, manual."""
    for kind in BUILTIN_RULE_KINDS:
        registry.add(kind)


@hookimpl
def register_functions(registry: FunctionRegistry) -> None:
    """cagr, ratio, share, difference."""
    for function in BUILTIN_FUNCTIONS:
        registry.add(function)


@hookimpl
def register_prerequisite_checks(registry: PrerequisiteCheckRegistry) -> None:
    """condition."""
    for check in BUILTIN_PREREQUISITE_CHECKS:
        registry.add(check)


@hookimpl
def register_aggregations(registry: AggregationRegistry) -> None:
    """mean-of-assigned, mean-of-totals, trimmed-mean-of-totals."""
    for aggregation in BUILTIN_AGGREGATIONS:
        registry.add_aggregation(aggregation)
