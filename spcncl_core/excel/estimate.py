"""Excel formulas generated from a criteria set's rules, so that a self-assessment shows an estimated score as the
enterprise types. They follow the engine: a value not given scores 0 and fails a condition; derived indicators
are blank when an argument is; each criterion is capped at its maximum; the total is rounded half up.

Formulas exist for the built-in rule kinds, prerequisite conditions and derived-indicator functions. A plugin's
own rule kind carries its formula beside its scoring code (`RuleKind.excel_formula`, trusted only when the same
class defines `compile` and `parse`, as for the fast path's `generate`), and its own function in
`DerivedFunction.excel_formula`; without one the estimate of that criterion is left out and says so (the import
always recomputes with the engine). `RULE_FORMULAS` / `FUNCTION_FORMULAS` by name still work for older plugins.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from spcncl_core.criteria.model import CriteriaSet, Criterion, DerivedSpec, Group, PassCondition, Prerequisite
from spcncl_core.engine.codegen import generates
from spcncl_core.engine.conditions import Condition
from spcncl_core.engine.functions import BUILTIN_FUNCTIONS
from spcncl_core.engine.rules import BUILTIN_RULE_KINDS, Bands, Boolean, Choice, Items, Linear, Parts, RuleKind
from spcncl_core.excel.layout import NO, YES, literal

UNDEFINED = "không xác định"  # a derived indicator whose function is undefined (e.g. growth from a zero base)
# Derived values are rounded to 9 decimals: binary floating point would put 30/100×100 just above 30 and
# (1.44^½ − 1)×100 just below 20, on the wrong side of a band the engine's exact decimals hit exactly.
DERIVED_PLACES = 9


@dataclass
class Cells:
    """Where each value lives: input id → cell (a set input: (id, option) → cell), derived id → cell."""

    inputs: dict[str, str] = field(default_factory=dict)
    options: dict[tuple[str, str], str] = field(default_factory=dict)
    types: dict[str, str] = field(default_factory=dict)  # id → input type, "derived" for derived indicators
    read: set[str] = field(default_factory=set)  # derived indicators read by the formula being built
    kinds: Mapping[str, Any] = field(default_factory=dict)  # the set's registered rule kinds, by name
    functions: Mapping[str, Any] = field(default_factory=dict)  # and its registered functions

    @classmethod
    def of(cls, criteria_set: CriteriaSet) -> Cells:
        """Empty cells for a set's workbook, knowing the rule kinds and functions it was compiled with."""
        compiled = criteria_set.compiled
        return cls(kinds=compiled.rule_kinds, functions=compiled.functions)

    def ref(self, ref_id: str) -> str | None:
        """The cell of an input or derived indicator (None when it has none), noting derived ones read."""
        address = self.inputs.get(ref_id)
        if address is not None and self.types.get(ref_id) == "derived":
            self.read.add(address)
        return address


RuleFormula = Callable[[Any, Cells], "str | None"]
FunctionFormula = Callable[[list[str]], tuple["str | None", str]]


def _num(ref: str) -> str:
    return f"ISNUMBER({ref})"


def condition_formula(cond: Condition, cells: Cells) -> str | None:
    """A condition as a boolean formula; FALSE when the value is not given, as in the engine."""
    ref = cells.ref(cond.of)
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
    ref = cells.ref(of)
    if ref is None:
        return None
    formula = "0"
    for op, threshold, points in reversed(levels):
        formula = f"IF({ref}{'>=' if op == 'gte' else '>'}{literal(threshold)},{literal(points)},{formula})"
    return f"IF({_num(ref)},{formula},0)"


def _choice(rule: Any, cells: Cells) -> str | None:
    of, table = rule
    ref = cells.ref(of)
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
    ref = cells.ref(of)
    if ref is None:
        return None
    return f'IF({ref}="{YES if when else NO}",{literal(points)},0)'


def _linear(rule: Any, cells: Cells) -> str | None:
    of, v0, p0, v1, p1 = rule
    ref = cells.ref(of)
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
            nested = rule_formula(part[1], part[2], cells)
            if nested is None:
                return None
            terms.append(f"({nested})")
    return "+".join(terms)


_BUILT_IN: dict[type, RuleFormula] = {
    Bands: _bands, Choice: _choice, Items: _items, Boolean: _boolean, Linear: _linear, Parts: _parts,
}
RULE_FORMULAS: dict[str, RuleFormula] = {}  # by kind name, for plugins written before `RuleKind.excel_formula`


def rule_formula(kind: RuleKind | str | None, rule: Any, cells: Cells) -> str | None:
    """The points of a rule as a formula (uncapped), or None when the kind has none: a built-in kind's own (its
    exact class: a subclass may score differently), else the formula the kind's class writes itself."""
    if isinstance(kind, str):
        kind = cells.kinds.get(kind) or _BUILT_IN_BY_NAME.get(kind)
    if kind is None:
        return None
    built_in = _BUILT_IN.get(type(kind))
    if built_in is not None:
        return built_in(rule, cells)
    if generates(kind, "excel_formula"):
        return kind.excel_formula(rule, cells)
    legacy = RULE_FORMULAS.get(kind.name)
    return None if legacy is None else legacy(rule, cells)


def criterion_formula(criterion: Criterion, cells: Cells, self_assessed: str) -> str | None:
    """A criterion's estimated points, capped at its maximum; a manual criterion takes the self-assessed points."""
    if criterion.manual:
        return f"IF({_num(self_assessed)},{self_assessed},0)"
    cells.read = set()
    points = rule_formula(cells.kinds.get(criterion.kind) or criterion.kind, criterion.rule, cells)
    if points is None:
        return None
    capped = f"MIN({literal(criterion.max_points)},{points})"
    if not cells.read:
        return capped
    # a rule reading an undefined indicator gives the criterion's when_undefined points (the engine refuses the
    # dossier when the set declares none: the estimate then shows the marker)
    undefined = "OR(" + ",".join(f'{a}="{UNDEFINED}"' for a in sorted(cells.read)) + ")"
    fallback = literal(min(criterion.when_undefined, criterion.max_points)) \
        if getattr(criterion, "when_undefined", None) is not None else f'"{UNDEFINED}"'
    return f"IF({undefined},{fallback},{capped})"


# each returns (condition under which the function is undefined, or None; the value's formula)
def _cagr(args: list[str]) -> tuple[str | None, str]:
    start, end, years = args
    return f"OR({start}<=0,{years}<=0,{end}<0)", f"(({end}/{start})^(1/{years})-1)*100"


_BUILT_IN_FUNCTIONS: dict[str, FunctionFormula] = {
    "cagr": _cagr,
    "ratio": lambda a: (f"{a[1]}=0", f"{a[0]}/{a[1]}"),
    "share": lambda a: (f"{a[1]}=0", f"{a[0]}/{a[1]}*100"),
    "difference": lambda a: (None, f"{a[0]}-{a[1]}"),
}
FUNCTION_FORMULAS: dict[str, FunctionFormula] = {}  # by name, for plugins written before DerivedFunction's own


def _function_formula(name: str, cells: Cells) -> FunctionFormula | None:
    """The formula maker of a derived-indicator function: the registered function's own, a built-in's (when the
    name is the built-in function itself), or an older plugin's entry in FUNCTION_FORMULAS."""
    function = cells.functions.get(name)
    if function is not None and function.excel_formula is not None:
        return function.excel_formula  # type: ignore[no-any-return]
    if name in _BUILT_IN_FUNCTIONS and (function is None or function is _BUILT_IN_FUNCTION_OBJECTS.get(name)):
        return _BUILT_IN_FUNCTIONS[name]
    return FUNCTION_FORMULAS.get(name)


def derived_formula(spec: DerivedSpec, cells: Cells) -> str | None:
    """A derived indicator: blank when an argument is not given, `không xác định` when the function is undefined
    for the figures (or reads an undefined indicator), else its value rounded to 9 decimals."""
    make = _function_formula(spec.function, cells)
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
    undefined, value = make(args)
    body = f"ROUND({value},{DERIVED_PLACES})"
    if undefined:
        body = f'IF({undefined},"{UNDEFINED}",{body})'
    if not refs:
        return body
    blank = ",".join(f'{r}=""' for r in refs)
    numbers = ",".join(_num(r) for r in refs)
    return f'IF(OR({blank}),"",IF(AND({numbers}),{body},"{UNDEFINED}"))'


def prerequisite_formula(prerequisite: Prerequisite, cells: Cells) -> str | None:
    """A prerequisite as a boolean formula (built-in condition checks only)."""
    if prerequisite.check != "condition" or not isinstance(prerequisite.parsed, Condition):
        return None
    return condition_formula(prerequisite.parsed, cells)


_BUILT_IN_BY_NAME = {kind.name: kind for kind in BUILTIN_RULE_KINDS}
_BUILT_IN_FUNCTION_OBJECTS = {function.name: function for function in BUILTIN_FUNCTIONS}

PASS_SYMBOLS = {">": ">", ">=": ">=", "≥": ">="}


def group_formula(group: Group, parts: Sequence[str]) -> str:
    """A group's points: its criteria and sub-groups summed, cut at its declared maximum when it caps."""
    body = "+".join(parts) or "0"
    if group.cap and group.declared_max is not None:
        return f"MIN({literal(group.declared_max)},{body})"
    return body


def pass_formula(criteria_set: CriteriaSet, total: str, groups: Mapping[str, str], criteria: Mapping[str, str]
                 ) -> str | None:
    """Whether the estimate passes the set's rule (a condition on the total, or a compound one on groups and
    criteria, on their rounded values); None when the set has no pass rule (its classes decide)."""
    rule = criteria_set.pass_rule
    if rule.condition is None:
        if rule.points is None:
            return None
        return f"{total}{PASS_SYMBOLS.get(rule.operator or '>', '>')}{literal(rule.points)}"
    places = criteria_set.rounding_places
    maxima = {g.id: g.max_points for g in criteria_set.all_groups()}
    maxima.update({c.id: c.max_points for c in criteria_set.criteria})

    def test(value: str, cond: PassCondition, maximum: Decimal) -> str:
        op = PASS_SYMBOLS.get(cond.operator, ">=")
        if cond.share is not None:
            return f"{value}*100{op}{literal(cond.share)}*{literal(maximum)}"
        return f"{value}{op}{literal(cond.points or 0)}"

    def holds(cond: PassCondition) -> str:
        if cond.on in ("all", "any"):
            return ("AND(" if cond.on == "all" else "OR(") + ",".join(holds(c) for c in cond.conditions) + ")"
        if cond.on == "total":
            return test(total, cond, criteria_set.total_points)
        if cond.on == "group":
            return test(f"ROUND({groups[cond.target or '']},{places})", cond, maxima[cond.target or ""])
        if cond.on == "criterion":
            return test(f"ROUND({criteria[cond.target or '']},{places})", cond, maxima[cond.target or ""])
        return "AND(" + ",".join(test(f"ROUND({criteria[c]},{places})", cond, maxima[c]) for c in criteria) + ")"

    return holds(rule.condition)


def class_formulas(criteria_set: CriteriaSet, total: str) -> tuple[str, str] | None:
    """(the class label, whether the class is recognised) of a total, classes read highest first; None without
    classes."""
    if not criteria_set.classes:
        return None
    label, recognised = '""', "FALSE"
    for rc in reversed(criteria_set.classes):
        test = f"{total}{PASS_SYMBOLS.get(rc.operator, '>=')}{literal(rc.points)}"
        name = (rc.label.get("vi") or rc.id).replace('"', "'")
        label = f'IF({test},"{name}",{label})'
        recognised = f"IF({test},{'TRUE' if rc.recognised else 'FALSE'},{recognised})"
    return label, recognised
