"""Validating how a criteria set turns points into an outcome: its pass rule (one condition on the total, or
`all`/`any` of conditions on the total, a group, a criterion or each criterion), its result classes and its
rounding. The engine compiles what these return (spcncl_core/engine/outcome.py)."""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from decimal import Decimal
from typing import Any

from spcncl_core.criteria.model import PassCondition, PassRule, ResultClass, Rounding
from spcncl_core.errors import did_you_mean
from spcncl_core.numbers import show, to_decimal

OPERATORS = (">", ">=", "≥")
TARGETS = ("total", "group", "criterion", "each-criterion")
Report = Callable[[str, str], None]


def parse_rounding(raw: Any, report: Report) -> Rounding:
    """`rounding: 2` (at the total) or `rounding: {digits: 2, at: total|criterion}`."""
    if isinstance(raw, int) and not isinstance(raw, bool):
        if not 0 <= raw <= 6:
            report("rounding", "must be between 0 and 6 digits")
            return Rounding(2)
        return Rounding(raw)
    if isinstance(raw, Mapping):
        unknown = [k for k in raw if k not in ("digits", "at")]
        for key in unknown:
            report(f"rounding.{key}", "unknown key; rounding takes digits and at")
        digits, at = raw.get("digits"), raw.get("at", "total")
        ok = not unknown
        if isinstance(digits, bool) or not isinstance(digits, int) or not 0 <= digits <= 6:
            report("rounding.digits", f"must be a whole number of digits from 0 to 6, got {digits!r}")
            ok = False
        if at not in ("total", "criterion"):
            report("rounding.at", f"must be total (round the total once) or criterion (round each criterion, "
                                  f"then add), got {at!r}")
            ok = False
        return Rounding(digits, at) if ok else Rounding(2)
    report("rounding", f"must be a number of digits or {{digits, at}}, got {raw!r}")
    return Rounding(2)


def parse_pass(raw: Any, groups: Mapping[str, Decimal], criteria: Mapping[str, Decimal], total: Decimal | None,
               report: Report) -> PassRule | None:
    """The pass rule: `{operator, points}` on the total, or a compound `{all|any: [conditions]}` where a condition
    is `{of: total|group|criterion|each-criterion, group|criterion: ID, operator, points|share}`."""
    condition = _condition(raw, "pass", groups, criteria, total, report)
    if condition is None:
        return None
    if condition.on == "total":
        return PassRule(condition.operator, condition.points, condition)
    mark = next((c for c in condition.conditions if c.on == "total" and c.points is not None), None) \
        if condition.on == "all" else None
    return PassRule(mark.operator if mark else None, mark.points if mark else None, condition)


def _condition(raw: Any, path: str, groups: Mapping[str, Decimal], criteria: Mapping[str, Decimal],
               total: Decimal | None, report: Report) -> PassCondition | None:
    if not isinstance(raw, Mapping):
        report(path, "must be a condition such as {operator: \">=\", points: 70} or {all: [conditions]}")
        return None
    for joiner in ("all", "any"):
        if joiner in raw:
            if len(raw) != 1:
                report(path, f"'{joiner}' stands alone: write {{{joiner}: [conditions]}}")
                return None
            items = raw[joiner]
            if not isinstance(items, list) or not items:
                report(f"{path}.{joiner}", "must be a non-empty list of conditions")
                return None
            parsed = [_condition(item, f"{path}.{joiner}[{i}]", groups, criteria, total, report)
                      for i, item in enumerate(items)]
            if any(p is None for p in parsed):
                return None
            return PassCondition(joiner, conditions=tuple(p for p in parsed if p is not None))
    ok = True
    for key in raw:
        if key not in ("of", "operator", "points", "share", "group", "criterion"):
            report(f"{path}.{key}", "unknown key; a condition takes of, operator, points or share, group, criterion")
            ok = False
    on = raw.get("of", "total")
    if on not in TARGETS:
        report(f"{path}.of", f"must be one of {', '.join(TARGETS)}, got {on!r}")
        return None
    operator = raw.get("operator", ">=")
    if operator not in OPERATORS:
        report(f"{path}.operator", f"must be one of {', '.join(OPERATORS)}, got {operator!r}")
        ok = False
    if ("points" in raw) == ("share" in raw):
        report(path, "needs exactly one of points or share (a percentage of the maximum)")
        return None
    target: str | None = None
    maximum = total
    if on in ("group", "criterion"):
        target = raw.get(on)
        known = groups if on == "group" else criteria
        if not isinstance(target, str) or target not in known:
            report(f"{path}.{on}", f"unknown {on} {target!r}{did_you_mean(str(target), known)}; known: "
                                   f"{', '.join(known)}")
            return None
        maximum = known[target]
    elif on == "each-criterion":
        maximum = None
    for other in ("group", "criterion"):
        if other in raw and other != on:
            report(f"{path}.{other}", f"only a condition on a {other} names one")
            ok = False
    key = "points" if "points" in raw else "share"
    try:
        value = to_decimal(raw[key])
    except ValueError:
        report(f"{path}.{key}", f"must be a number, got {raw[key]!r}")
        return None
    if value < 0:
        report(f"{path}.{key}", "must be ≥ 0")
        ok = False
    elif key == "share" and value > 100:
        report(f"{path}.share", f"is a percentage of the maximum: must be ≤ 100, got {show(value)}")
        ok = False
    elif key == "points" and maximum is not None and value > maximum:
        limit = "total_points" if on == "total" else f"the maximum of {on} {target}"
        report(f"{path}.points", f"must be ≤ {limit} ({show(maximum)})")
        ok = False
    if not ok:
        return None
    return PassCondition(on, operator, value if key == "points" else None, value if key == "share" else None,
                         target)


def parse_classes(items: Sequence[Mapping[str, Any]], total: Decimal | None, report: Report
                  ) -> tuple[ResultClass, ...]:
    """Result classes, highest first; thresholds strictly decreasing and within the total."""
    out = []
    seen: set[str] = set()
    previous: Decimal | None = None
    for i, item in enumerate(items):
        at = f"classes[{i}]"
        if item["id"] in seen:
            report(f"{at}.id", f"class '{item['id']}' is declared twice")
        seen.add(item["id"])
        points = item["points"]
        if total is not None and points > total:
            report(f"{at}.points", f"must be ≤ total_points ({show(total)})")
        if previous is not None and points >= previous:
            report(f"{at}.points", f"classes are listed highest first: {show(points)} must be below the class "
                                   f"above it ({show(previous)})")
        previous = points
        out.append(ResultClass(item["id"], item["label"], item["operator"], points, item["recognised"]))
    return tuple(out)
