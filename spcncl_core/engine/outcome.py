"""From exact points to what is published: rounding once, half up, as the set declares; shown parts that add up
to the shown total; the pass rule and the result class, judged on the published numbers.

Exact values are fractions. With `rounding.at: total` the total is the exact total rounded once; the group
subtotals and criterion points shown with it are the exact values apportioned by largest remainder (each within
one unit of its last digit), so that the parts shown add up to the total shown at every level. With
`rounding.at: criterion` each criterion is rounded first and the subtotals and total are their sums.
A group that caps (`cap: true`) shows its cap; its own parts are then apportioned to their rounded sum.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from decimal import Decimal
from fractions import Fraction
from typing import Any

from spcncl_core.criteria.model import PassCondition, PassRule, ResultClass, Rounding
from spcncl_core.numbers import show

# (group id, criterion ids, sub-groups, cap or None)
GroupNode = tuple[str, tuple[str, ...], tuple[Any, ...], Decimal | None]
Judge = Callable[[Decimal, Mapping[str, Decimal], Mapping[str, Decimal]], tuple[bool, tuple[tuple[str, bool], ...]]]


def half_up_units(value: Fraction, places: int) -> int:
    """`value` in units of 10^-places, rounded half up (halves away from zero)."""
    numerator, denominator = value.numerator * 10 ** places, value.denominator
    if numerator < 0:
        return -((-2 * numerator + denominator) // (2 * denominator))
    return (2 * numerator + denominator) // (2 * denominator)


def half_up(value: Fraction | Decimal | int, places: int) -> Decimal:
    """Round an exact value once, half up, to `places` decimals."""
    return Decimal(half_up_units(Fraction(value), places)).scaleb(-places)


def _apportion(values: Sequence[Fraction], target: int, scale: int) -> list[int]:
    """Integers (units of 1/scale) near each value that add up to `target`: floors, plus one for the largest
    remainders (earlier first on equal remainders)."""
    floors, remainders = [], []
    for v in values:
        scaled = v * scale
        f = scaled.numerator // scaled.denominator
        floors.append(f)
        remainders.append(scaled - f)
    extra = max(0, min(target - sum(floors), len(values)))
    if extra:
        for i in sorted(range(len(values)), key=lambda i: -remainders[i])[:extra]:
            floors[i] += 1
    return floors


def finalize(tree: Sequence[GroupNode], exact: Mapping[str, Fraction], rounding: Rounding,
             total_override: Fraction | None = None
             ) -> tuple[dict[str, Decimal], dict[str, Decimal], Decimal, set[str]]:
    """Shown criterion points, shown subtotals (every group, depth first), the shown total, and the groups capped.

    `total_override` is an aggregation's own total when it is not the sum of the criteria (e.g. a median).
    """
    digits = rounding.digits
    scale = 10 ** digits
    raw: dict[str, Fraction] = {}
    capped_value: dict[str, Fraction] = {}
    capped: set[str] = set()

    def up(node: GroupNode) -> Fraction:
        gid, cids, subs, cap = node
        s = sum((exact[c] for c in cids), Fraction(0)) + sum((up(n) for n in subs), Fraction(0))
        raw[gid] = s
        if cap is not None and s > cap:
            capped.add(gid)
            s = Fraction(cap)
        capped_value[gid] = s
        return s

    total_exact = sum((up(n) for n in tree), Fraction(0))

    def dec(units: int) -> Decimal:
        return Decimal(units).scaleb(-digits)

    shown_c: dict[str, Decimal] = {}
    shown_g: dict[str, Decimal] = {}
    if rounding.at == "criterion":
        for c, v in exact.items():
            shown_c[c] = half_up(v, digits)

        def add(node: GroupNode) -> Decimal:
            gid, cids, subs, cap = node
            s = sum((shown_c[c] for c in cids), Decimal(0)) + sum((add(n) for n in subs), Decimal(0))
            if cap is not None and s > cap:
                s = cap + Decimal(0).scaleb(-digits)
            shown_g[gid] = s
            return s

        total = sum((add(n) for n in tree), Decimal(0).scaleb(-digits))
        ordered = {g: shown_g[g] for g in _order(tree)}
        if total_override is not None:
            total = half_up(total_override, digits)
        return shown_c, ordered, total, capped

    def down(node: GroupNode, units: int) -> None:
        gid, cids, subs, _cap = node
        shown_g[gid] = dec(units)
        if gid in capped:
            units = half_up_units(raw[gid], digits)
        values = [exact[c] for c in cids] + [capped_value[n[0]] for n in subs]
        parts = _apportion(values, units, scale)
        for c, u in zip(cids, parts):
            shown_c[c] = dec(u)
        for n, u in zip(subs, parts[len(cids):]):
            down(n, u)

    total_units = half_up_units(total_exact, digits)
    tops = _apportion([capped_value[n[0]] for n in tree], total_units, scale)
    for node, units in zip(tree, tops):
        down(node, units)
    total = dec(total_units) if total_override is None else half_up(total_override, digits)
    return {c: shown_c[c] for c in exact}, {g: shown_g[g] for g in _order(tree)}, total, capped


def _order(tree: Sequence[GroupNode]) -> list[str]:
    out: list[str] = []
    for gid, _cids, subs, _cap in tree:
        out.append(gid)
        out += _order(subs)
    return out


_TESTS: dict[str, Callable[[Any, Any], bool]] = {">": lambda a, b: a > b, ">=": lambda a, b: a >= b,
                                                  "≥": lambda a, b: a >= b}
_SIGNS = {">": (">", "≤"), ">=": ("≥", "<"), "≥": ("≥", "<")}


def compile_pass(rule: PassRule, total_points: Decimal, group_max: Mapping[str, Decimal],
                 criterion_max: Mapping[str, Decimal]) -> Judge | None:
    """A function of the published total, subtotals and criterion points giving (passed, each condition's
    account and whether it held); None when the set has no pass rule (classes decide)."""
    if rule.condition is None:
        return None
    condition = rule.condition

    def judge(total: Decimal, subtotals: Mapping[str, Decimal], points: Mapping[str, Decimal]
              ) -> tuple[bool, tuple[tuple[str, bool], ...]]:
        detail: list[tuple[str, bool]] = []
        held = _holds(condition, total, subtotals, points, total_points, group_max, criterion_max, detail)
        return held, tuple(detail)

    return judge


def _holds(c: PassCondition, total: Decimal, subtotals: Mapping[str, Decimal], points: Mapping[str, Decimal],
           total_points: Decimal, group_max: Mapping[str, Decimal], criterion_max: Mapping[str, Decimal],
           detail: list[tuple[str, bool]]) -> bool:
    if c.on in ("all", "any"):
        results = [_holds(x, total, subtotals, points, total_points, group_max, criterion_max, detail)
                   for x in c.conditions]
        return all(results) if c.on == "all" else any(results)
    test = _TESTS[c.operator]
    yes, no = _SIGNS[c.operator]
    if c.on == "each-criterion":
        failed = []
        for cid, maximum in criterion_max.items():
            value = points[cid]
            held = test(value * 100, c.share * maximum) if c.share is not None else test(value, c.points)
            if not held:
                failed.append(f"{cid} {show(value)} of {show(maximum)}")
        text = c.describe() + (f": not met by {', '.join(failed)}" if failed else "")
        detail.append((text, not failed))
        return not failed
    if c.on == "total":
        value, maximum, what = total, total_points, "total"
    elif c.on == "group":
        value, maximum, what = subtotals[c.target or ""], group_max[c.target or ""], f"group {c.target}"
    else:
        value, maximum, what = points[c.target or ""], criterion_max[c.target or ""], f"criterion {c.target}"
    if c.share is not None:
        held = test(value * 100, c.share * maximum)
        percent = show(value * 100 / maximum) if maximum else "0"
        text = f"{what} {show(value)} of {show(maximum)} = {percent} % {yes if held else no} {show(c.share)} %"
    else:
        assert c.points is not None
        held = test(value, c.points)
        text = f"{what} {show(value)} {yes if held else no} {show(c.points)}"
    detail.append((text, held))
    return held


def classify(classes: Sequence[ResultClass], total: Decimal) -> ResultClass | None:
    """The first class (highest first) whose threshold the published total reaches; None below every class."""
    for rc in classes:
        if _TESTS[rc.operator](total, rc.points):
            return rc
    return None
