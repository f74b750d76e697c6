"""Helpers for generating fast-path code, and the `Gen` context a rule kind's `generate` method receives.

A rule kind lives in one place: `spcncl_core/engine/rules.py` holds each built-in kind's parsing, checking code
(`compile`) and generated code (`generate`) side by side. Generated code is used only when the class that
defines `generate` also defines `compile` and `parse` — a plugin's subclass that changes how a kind scores, but
not its generator, runs its own compiled function.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from spcncl_core.engine.conditions import COMPARISONS, Condition
from spcncl_core.numbers import show


def f_string(*parts: str, value: str | None = None) -> str:
    """An f-string expression: the literal parts joined, with `{show(value)}` where `value` is given."""
    literal = [p.replace("{", "{{").replace("}", "}}") for p in parts]
    if value is None:
        return repr("".join(parts))
    return "f" + repr(literal[0] + "{show(" + value + ")}" + "".join(literal[1:]))


def indent(lines: list[str], depth: int = 1) -> list[str]:
    """Indent generated lines by `depth` levels."""
    return ["    " * depth + line for line in lines]


def condition_code(cond: Condition, var: str, optional: bool, key: str, ok: str, msg: str,
                    ns: dict[str, Any]) -> list[str] | None:
    """Lines setting `ok` and `msg` as compile_condition's function would, or None to call that function."""
    of = cond.of
    head = [f"if {var} is None:", f"    {ok}, {msg} = False, {of + ' not given'!r}"] if optional else []
    first = "elif" if optional else "if"
    if cond.op in COMPARISONS:
        test, yes, no = COMPARISONS[cond.op]
        symbol = {"gte": ">=", "gt": ">", "lte": "<=", "lt": "<"}[cond.op]
        ns[f"{key}c"] = cond.operand
        holds, fails = f" {yes} {show(cond.operand)}", f" {no} {show(cond.operand)}"
        return head + [f"{first} {var} {symbol} {key}c:",
                       f"    {ok}, {msg} = True, {f_string(of + ' ', holds, value=var)}",
                       "else:", f"    {ok}, {msg} = False, {f_string(of + ' ', fails, value=var)}"]
    if cond.op == "is" and isinstance(cond.operand, bool):
        other = not cond.operand
        holds = f"{of} is {bool_text(cond.operand)}"
        fails = f"{of} is {bool_text(other)}, not {bool_text(cond.operand)}"
        return head + [f"{first} {var} is {cond.operand!r}:", f"    {ok}, {msg} = True, {holds!r}",
                       "else:", f"    {ok}, {msg} = False, {fails!r}"]
    return None


def bool_text(value: bool) -> str:
    """true or false, as explanations write it."""
    return "true" if value else "false"


def generates(kind: Any, method: str = "generate") -> bool:
    """Whether `kind`'s own class wrote its `method` (the fast path's `generate`, the Excel estimate's
    `excel_formula`): the classes defining `method`, `compile` and `parse` must be one and the same (and not the
    base class), so that a subclass changing how a kind scores never inherits code computing the parent's points."""
    from spcncl_core.engine.rules import RuleKind

    mro = type(kind).__mro__

    def owner(name: str) -> type | None:
        return next((c for c in mro if name in c.__dict__), None)

    writer = owner(method)
    return writer is not None and writer is not RuleKind and writer is owner("compile") is owner("parse")


@dataclass
class Gen:
    """What a rule kind's `generate` needs: where the values are, the namespace for constants, the names to set.

    `var_of(input_id)` gives the local variable holding an input or derived indicator and whether it may be None;
    constants go into `ns` under names starting with `key`; the generated lines set `pts` (points) and `how` (the
    account). With `tail`, the kind writes the whole explanation, " → points of max" included.
    """

    var_of: Callable[[str], tuple[str, bool]]
    ns: dict[str, Any]
    key: str
    pts: str
    how: str
    tail: bool = False
    max_shown: str = ""

    def rule(self, kind: Any, rule: Any, key: str, pts: str, how: str) -> list[str] | None:
        """Lines for a nested rule (e.g. a part), or None when that kind has no trusted generator."""
        return rule_code(kind, rule, Gen(self.var_of, self.ns, key, pts, how))


def rule_code(kind: Any, rule: Any, gen: Gen) -> list[str] | None:
    """Lines setting `gen.pts` and `gen.how` for a rule, or None to call the kind's compiled function."""
    if kind is None or not generates(kind):
        return None
    return kind.generate(rule, gen)  # type: ignore[no-any-return]
