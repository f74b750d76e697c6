"""Conditions on one input (`{of: equity, gt: 0}`), shared by prerequisites and by parts of a criterion."""

from __future__ import annotations

import operator
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from decimal import Decimal
from types import ModuleType
from typing import Any

from spcncl_core.engine.context import NUMERIC_TYPES, CheckFn, RuleContext, join_path
from spcncl_core.numbers import show

# operator name → (test, symbol when it holds, symbol when it does not)
COMPARISONS: dict[str, tuple[Callable[[Any, Any], bool], str, str]] = {
    "gte": (operator.ge, "≥", "<"),
    "gt": (operator.gt, ">", "≤"),
    "lte": (operator.le, "≤", ">"),
    "lt": (operator.lt, "<", "≥"),
}
OPERATORS = (*COMPARISONS, "is", "in", "between")


def _schemas() -> ModuleType:
    # imported on first validation only: evaluating a cached catalog never needs marshmallow
    from spcncl_core.engine import rule_schemas

    return rule_schemas


@dataclass(frozen=True, slots=True)
class Condition:
    """A parsed condition: the input it reads, its operator and operand."""

    of: str
    op: str
    operand: Any

    def describe(self) -> str:
        """The condition as written in the rule tables, e.g. 'equity > 0'."""
        if self.op in COMPARISONS:
            return f"{self.of} {COMPARISONS[self.op][1]} {show(self.operand)}"
        if self.op == "is":
            return f"{self.of} is {_value_text(self.operand)}"
        if self.op == "in":
            return f"{self.of} in {{{', '.join(self.operand)}}}"
        low, high = self.operand
        return f"{show(low)} ≤ {self.of} ≤ {show(high)}"


def _value_text(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, Decimal):
        return show(value)
    if isinstance(value, frozenset):
        return "{" + ", ".join(sorted(value)) + "}" if value else "none"
    return str(value)


def parse_condition(raw: Any, path: str, ctx: RuleContext, extra: frozenset[str] = frozenset()) -> Condition | None:
    """Parse and check a condition; keys in `extra` (such as `points`) are left to the caller."""
    if not isinstance(raw, Mapping):
        ctx.problem(path, "must be a mapping such as {of: equity, gt: 0}")
        return None
    data = ctx.load(_schemas().CONDITION, {k: v for k, v in raw.items() if k not in extra}, path)
    if data is None:
        return None
    ops = [k for k in ("gte", "gt", "lte", "lt", "is_", "in_", "between") if k in data]
    if len(ops) != 1:
        ctx.problem(path, f"needs exactly one operator of {', '.join(OPERATORS)}; found {len(ops)}")
        return None
    op = ops[0].rstrip("_")
    operand = data[ops[0]]
    of = data["of"]
    if op in COMPARISONS or op == "between":
        ctx.ref_input(join_path(path, "of"), of, NUMERIC_TYPES)
    else:
        kind = ctx.ref_input(join_path(path, "of"), of)
        if op == "is" and kind is not None:
            operand = _parse_is(operand, kind, of, join_path(path, "is"), ctx)
        if op == "in" and kind is not None:
            if kind != "choice":
                ctx.problem(join_path(path, "in"), f"'in' needs a choice input; '{of}' is of type {kind}")
            else:
                for i, option in enumerate(operand):
                    if option not in ctx.options.get(of, ()):
                        ctx.problem(join_path(join_path(path, "in"), i),
                                    f"'{option}' is not an option of '{of}' ({', '.join(ctx.options[of])})")
            operand = frozenset(operand)
    return Condition(of, op, operand)


def _parse_is(operand: Any, kind: str, of: str, path: str, ctx: RuleContext) -> Any:
    if kind == "boolean":
        if not isinstance(operand, bool):
            ctx.problem(path, f"'{of}' is a boolean; write true or false")
        return operand
    if kind == "choice":
        if operand not in ctx.options.get(of, ()):
            ctx.problem(path, f"'{operand}' is not an option of '{of}' ({', '.join(ctx.options.get(of, ()))})")
        return operand
    ctx.problem(path, f"'is' needs a boolean or choice input; '{of}' is of type {kind}")
    return operand


def compile_condition(cond: Condition) -> CheckFn:
    """A function of the dossier's values returning (holds, account), e.g. (False, 'equity -3 ≤ 0')."""
    of, operand = cond.of, cond.operand
    if cond.op in COMPARISONS:
        test, yes, no = COMPARISONS[cond.op]
        prefix, holds_text, fails_text = f"{of} ", f" {yes} {show(operand)}", f" {no} {show(operand)}"

        def compare(values: Mapping[str, Any]) -> tuple[bool, str]:
            value = values[of]
            if value is None:
                return False, f"{of} not given"
            if test(value, operand):
                return True, prefix + show(value) + holds_text
            return False, prefix + show(value) + fails_text

        return compare
    if cond.op == "between":
        low, high = operand

        def between(values: Mapping[str, Any]) -> tuple[bool, str]:
            value = values[of]
            if value is None:
                return False, f"{of} not given"
            holds = low <= value <= high
            return holds, f"{of} {show(value)} {'within' if holds else 'outside'} {show(low)}–{show(high)}"

        return between
    if cond.op == "in":

        def member(values: Mapping[str, Any]) -> tuple[bool, str]:
            value = values[of]
            if value is None:
                return False, f"{of} not given"
            holds = value in operand
            return holds, f"{of} {value} {'in' if holds else 'not in'} {{{', '.join(sorted(operand))}}}"

        return member
    expected = _value_text(operand)
    holds_text = f"{of} is {expected}"

    def equals(values: Mapping[str, Any]) -> tuple[bool, str]:
        value = values[of]
        if value is None:
            return False, f"{of} not given"
        if value == operand:
            return True, holds_text
        return False, f"{of} is {_value_text(value)}, not {expected}"

    return equals
