"""Compiling a validated criteria set into plain functions (`CompiledSet`). Needs the registries, not marshmallow."""

from __future__ import annotations

import operator
from collections.abc import Callable
from decimal import Decimal
from typing import Any

from spcncl_core.criteria.model import CriteriaSet, Group
from spcncl_core.engine.aggregation import SheetCriterion, SheetGroup
from spcncl_core.engine.compiled import (
    CompiledCriterion,
    CompiledDerived,
    CompiledInput,
    CompiledPrerequisite,
    CompiledSet,
)
from spcncl_core.engine.council_fast import build_council_fast
from spcncl_core.engine.fastpath import build_fast_path
from spcncl_core.engine.inputs import make_converter
from spcncl_core.engine.outcome import GroupNode, compile_pass
from spcncl_core.errors import PluginError
from spcncl_core.numbers import show
from spcncl_core.registries import Registries

_PASS_TESTS = {">": operator.gt, ">=": operator.ge, "≥": operator.ge}


def _need(item: object, what: str, name: str, set_id: str) -> object:
    if item is None:
        raise PluginError(f"criteria set '{set_id}' needs {what} '{name}', which no loaded plugin registers")
    return item


def compile_set(cset: CriteriaSet, registries: Registries) -> CompiledSet:
    """Build the evaluation functions of a validated set with the registered kinds, checks and functions."""
    derived = []
    for d in cset.derived:
        function = _need(registries.functions.get(d.function), "function", d.function, cset.id)
        derived.append(CompiledDerived(d.id, function.fn,  # type: ignore[attr-defined]
                                       tuple((isinstance(a, str), a) for a in d.args)))
    prerequisites = []
    for p in cset.prerequisites:
        check = _need(registries.prerequisite_checks.get(p.check), "prerequisite check", p.check, cset.id)
        prerequisites.append(CompiledPrerequisite(p.id, p.title.get("vi", p.id),
                                                  check.compile(p.parsed)))  # type: ignore[attr-defined]
    criteria = []
    for c in cset.criteria:
        kind = _need(registries.rule_kinds.get(c.kind), "rule kind", c.kind, cset.id)
        criteria.append(CompiledCriterion(c.id, c.group, c.max_points, show(c.max_points), c.manual,
                                          kind.compile(c.rule), c.when_undefined))  # type: ignore[attr-defined]
    aggregation = _need(registries.aggregations.get(cset.aggregation), "aggregation", cset.aggregation, cset.id)
    if cset.pass_rule.operator is not None and cset.pass_rule.points is not None:
        test, points = _PASS_TESTS[cset.pass_rule.operator], cset.pass_rule.points

        def passes(total: Decimal) -> bool:
            return test(total, points)
    else:
        def passes(total: Decimal) -> bool:
            return True

    all_groups = cset.all_groups()
    group_max = {g.id: g.max_points for g in all_groups}
    criterion_max = {c.id: c.max_points for c in cset.criteria}
    judge = None if cset.pass_rule.simple else compile_pass(cset.pass_rule, cset.total_points, group_max,
                                                            criterion_max)
    parents = {sub.id: g.id for g in all_groups for sub in g.groups}

    inputs = tuple(CompiledInput(i.id, i.required, make_converter(i)) for i in cset.inputs)
    quantum = Decimal(1).scaleb(-cset.rounding_places)
    kinds, checks = dict(registries.rule_kinds.items()), dict(registries.prerequisite_checks.items())

    def build_fast() -> Callable[..., Any]:
        fast = build_fast_path(cset, inputs, tuple(derived), tuple(prerequisites), tuple(criteria), passes, quantum,
                               kinds, checks, tuple(_node(g) for g in cset.groups), judge, cset.classes)
        fast.council = build_council_fast(cset, compiled, fast)  # type: ignore[attr-defined]
        return fast

    compiled = CompiledSet(
        inputs=inputs,
        declared=frozenset(i.id for i in cset.inputs),
        derived=tuple(derived),
        prerequisites=tuple(prerequisites),
        criteria=tuple(criteria),
        criterion_ids=tuple(c.id for c in criteria),
        max_by_criterion={c.id: c.max_points for c in criteria},
        groups=tuple(g.id for g in all_groups),
        aggregate=aggregation.fn,  # type: ignore[attr-defined]
        pass_test=passes,
        places=cset.rounding_places,
        score_step=cset.score_step,
        quantum=quantum,
        input_table=tuple((i.id, i.required, i.convert) for i in inputs),
        derived_table=tuple((d.id, d.fn, d.args) for d in derived),
        prerequisite_table=tuple((p.id, p.title, p.check) for p in prerequisites),
        criteria_table=tuple((c.id, c.group, c.max_points, c.max_shown, c.manual, c.score, {}, c.when_undefined)
                             for c in criteria),
        build_fast=build_fast,
        tree=tuple(_node(g) for g in cset.groups),
        rounding=cset.rounding,
        aggregation=aggregation,  # type: ignore[arg-type]
        sheet_criteria=tuple(SheetCriterion(c.id, c.group, c.path, c.max_points, c.manual) for c in cset.criteria),
        sheet_groups=tuple(SheetGroup(g.id, parents.get(g.id), g.max_points, tuple(c.id for c in g.criteria))
                           for g in all_groups),
        judge=judge,
        classes=cset.classes,
        group_max=group_max,
        rule_kinds=kinds,
        functions=dict(registries.functions.items()),
    )
    return compiled


def _node(group: Group) -> GroupNode:
    cap = group.declared_max if group.cap else None
    return (group.id, tuple(c.id for c in group.criteria), tuple(_node(g) for g in group.groups), cap)
