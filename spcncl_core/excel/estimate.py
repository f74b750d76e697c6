"""Excel formulas generated from a criteria set's rules, so that a self-assessment shows an estimated score as the
enterprise types. They follow the engine: a value not given scores 0 and fails a condition; derived indicators
are blank when an argument is; each criterion is capped at its maximum; the total is rounded half up.

Formulas exist for the built-in rule kinds, prerequisite conditions and derived-indicator functions. A plugin's
own kind or function is registered here with `RULE_FORMULAS` / `FUNCTION_FORMULAS`; without one the estimate of
that criterion is left out and says so (the import always recomputes with the engine).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from spcncl_core.criteria.model import CriteriaSet, Criterion, DerivedSpec, Prerequisite
from spcncl_core.engine.conditions import Condition
from spcncl_core.excel.layout import NO, YES, literal

# Derived values are rounded to 9 decimals: binary floating point would put 30/100×100 just above 30 and
# (1.44^½ − 1)×100 just below 20, on the wrong side of a band the engine's exact decimals hit exactly.
DERIVED_PLACES = 9


@dataclass
class Cells:
    """Where each value lives: input id → cell (a set input: (id, option) → cell), derived id → cell."""

    inputs: dict[str, str] = field(default_factory=dict)
    options: dict[tuple[str, str], str] = field(default_factory=dict)
    types: dict[str, str] = field(default_factory=dict)  # id → input type, "derived" for derived indicators

    def numeric(self, ref_id: str) -> str:
        """The cell of a numeric input or derived indicator."""
        return self.inputs[ref_id]


RuleFormula = Callable[[Any, Cells], "str | None"]
FunctionFormula = Callable[[list[str]], str]


def _num(ref: str) -> str:
    return f"ISNUMBER({ref})"


def condition_formula(cond: Condition, cells: Cells) -> str | None:
    """A condition as a boolean formula; FALSE when the value is not given, as in the engine."""
    ref = cells.inputs.get(cond.of)
    if ref is None:
        return None
    symbols = {"gte": ">=", "gt": ">", "lte": "<=", "lt": "<"}
    if cond.op in symbols:
        return f"AND({_num(ref)},{ref}{symbols[cond.op]}{literal(cond.operand)})"
    if cond.op == "between":
        low, high = cond.operand
        return f"AND({_num(ref)},{ref}>={literal(low)},{ref}<={literal(high)})"
    if cond.op == "in":
        return "OR(" + ",".join(f'{ref}="{option}"' for option in sorted(cond.operand)) + ")"
    if isinstance(cond.operand, bool):
        return f'{ref}="{YES if cond.operand else NO}"'
    return f'{ref}="{cond.operand}"'


def _bands(rule: Any, cells: Cells) -> str | None:
    of, levels = rule
    ref = cells.inputs.get(of)
    if ref is None:
        return None
    formula = "0"
    for op, threshold, points in reversed(levels):
        formula = f"IF({ref}{'>=' if op == 'gte' else '>'}{literal(threshold)},{literal(points)},{formula})"
    return f"IF({_num(ref)},{formula},0)"


def _choice(rule: Any, cells: Cells) -> str | None:
    of, table = rule
    ref = cells.inputs.get(of)
    if ref is None:
        return None
    formula = "0"
    for option, points in reversed(table):
        formula = f'IF({ref}="{option}",{literal(points)},{formula})'
    return formula


def _items(rule: Any, cells: Cells) -> str | None:
    of, table = rule
    terms = []
    for item, points in table:
        ref = cells.options.get((of, item))
        if ref is None:
            return None
        terms.append(f'IF({ref}="{YES}",{literal(points)},0)')
    return "+".join(terms) or "0"


def _boolean(rule: Any, cells: Cells) -> str | None:
    of, when, points = rule
    ref = cells.inputs.get(of)
    if ref is None:
        return None
    return f'IF({ref}="{YES if when else NO}",{literal(points)},0)'


def _linear(rule: Any, cells: Cells) -> str | None:
    of, v0, p0, v1, p1 = rule
    ref = cells.inputs.get(of)
    if ref is None:
        return None
    return (f"IF({_num(ref)},{literal(p0)}+(MIN(MAX({ref},{literal(v0)}),{literal(v1)})-{literal(v0)})"
            f"*({literal(p1)}-{literal(p0)})/({literal(v1)}-{literal(v0)}),0)")


def _parts(rule: Any, cells: Cells) -> str | None:
    terms = []
    for part in rule:
        if part[0] == "condition":
            check = condition_formula(part[1], cells)
            if check is None:
                return None
            terms.append(f"IF({check},{literal(part[2])},0)")
        else:
            nested = rule_formula(part[1].name, part[2], cells)
            if nested is None:
                return None
            terms.append(f"({nested})")
    return "+".join(terms)


RULE_FORMULAS: dict[str, RuleFormula] = {
    "bands": _bands, "choice": _choice, "items": _items, "boolean": _boolean, "linear": _linear, "parts": _parts,
}


def rule_formula(kind: str, rule: Any, cells: Cells) -> str | None:
    """The points of a rule as a formula (uncapped), or None when the kind has no formula."""
    make = RULE_FORMULAS.get(kind)
    return None if make is None else make(rule, cells)


def criterion_formula(criterion: Criterion, cells: Cells, self_assessed: str) -> str | None:
    """A criterion's estimated points, capped at its maximum; a manual criterion takes the self-assessed points."""
    if criterion.manual:
        return f"IF({_num(self_assessed)},{self_assessed},0)"
    points = rule_formula(criterion.kind, criterion.rule, cells)
    if points is None:
        return None
    return f"MIN({literal(criterion.max_points)},{points})"


def _cagr(args: list[str]) -> str:
    start, end, years = args
    return f"IF(OR({start}<=0,{years}<=0,{end}<0),0,(({end}/{start})^(1/{years})-1)*100)"


FUNCTION_FORMULAS: dict[str, FunctionFormula] = {
    "cagr": _cagr,
    "ratio": lambda a: f"IF({a[1]}=0,0,{a[0]}/{a[1]})",
    "share": lambda a: f"IF({a[1]}=0,0,{a[0]}/{a[1]}*100)",
    "difference": lambda a: f"{a[0]}-{a[1]}",
}


def derived_formula(spec: DerivedSpec, cells: Cells) -> str | None:
    """A derived indicator: blank when an argument is not given, else the function rounded to 9 decimals."""
    make = FUNCTION_FORMULAS.get(spec.function)
    if make is None:
        return None
    args, refs = [], []
    for arg in spec.args:
        if isinstance(arg, str):
            ref = cells.inputs.get(arg)
            if ref is None:
                return None
            args.append(ref)
            refs.append(ref)
        else:
            args.append(literal(arg))
    body = f"ROUND({make(args)},{DERIVED_PLACES})"
    if not refs:
        return body
    return f'IF(AND({",".join(_num(r) for r in refs)}),{body},"")'


def prerequisite_formula(prerequisite: Prerequisite, cells: Cells) -> str | None:
    """A prerequisite as a boolean formula (built-in condition checks only)."""
    if prerequisite.check != "condition" or not isinstance(prerequisite.parsed, Condition):
        return None
    return condition_formula(prerequisite.parsed, cells)


PASS_SYMBOLS = {">": ">", ">=": ">=", "≥": ">="}


def pass_formula(criteria_set: CriteriaSet, total: str) -> str:
    """Whether a total passes the set's rule."""
    return f"{total}{PASS_SYMBOLS.get(criteria_set.pass_rule.operator, '>')}{literal(criteria_set.pass_rule.points)}"


def rounded_total(terms: Mapping[str, str], places: int) -> str:
    """The sum of the criteria's cells, rounded half up to the set's places."""
    return f"ROUND({'+'.join(terms.values()) or '0'},{places})"
