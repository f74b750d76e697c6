"""The fast path for council-scored dossiers: the built-in mean aggregations in whole numbers.

Council points come in steps (0.5 by default), so every member's points are a whole number of steps, a
criterion's mean is a fraction with a small denominator, and the exact total and every apportioned part can be
computed with Python integers over one common denominator — the same values `outcome.finalize` computes with
fractions, at a fraction of the cost. Anything unusual (a value that is not a plain number of steps, an unknown
criterion, a coverage gap, a cap that cuts, an ineligible dossier) raises `Irregular`, and the checking path
reports it or computes it.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from decimal import Decimal
from fractions import Fraction
from math import lcm
from typing import TYPE_CHECKING, Any

from spcncl_core.engine.fastpath import Irregular
from spcncl_core.engine.outcome import classify
from spcncl_core.numbers import show

if TYPE_CHECKING:
    from spcncl_core.criteria.model import CriteriaSet
    from spcncl_core.engine.compiled import CompiledSet

FAST_AGGREGATIONS = ("mean-of-assigned", "mean-of-totals")
_COMMON = lcm(*range(1, 13))  # any count of members up to 12 divides it


def build_council_fast(cset: CriteriaSet, cs: CompiledSet, fast: Callable[..., Any]) -> Callable[..., Any] | None:
    """The council fast path of a compiled set, or None when its aggregation or score step does not allow one."""
    aggregation = cs.aggregation
    if aggregation is None or not aggregation.builtin or aggregation.name not in FAST_AGGREGATIONS:
        return None
    per_step = 1 / Fraction(cs.score_step)
    if per_step.denominator != 1:
        return None
    from spcncl_core.engine.evaluate import Evaluation

    k = per_step.numerator  # steps per point
    digits = cs.rounding.digits
    scale = 10 ** digits
    every_member = aggregation.coverage == "member"
    criteria = cs.criteria_table
    n = len(criteria)
    index = {c[0]: i for i, c in enumerate(criteria)}
    max_steps = [int(c[2] * k) for c in criteria]
    manual = [i for i, c in enumerate(criteria) if c[4]]
    denominator = k * _COMMON
    factor = [0] + [scale * (_COMMON // count) for count in range(1, 13)]
    by_criterion_total = cs.rounding.at == "criterion"
    ids = [c[0] for c in criteria]
    groups_of = [c[1] for c in criteria]
    maxima = [c[2] for c in criteria]
    max_shown = [c[3] for c in criteria]
    judge, pass_test, classes, tree = cs.judge, cs.pass_test, cs.classes, cs.tree
    shown_cache: dict[int, Decimal] = {}
    texts: list[dict[tuple[int, int], str]] = [{} for _ in range(n)]
    set_id, set_hash, total_points = cset.id, cset.content_hash, cset.total_points
    # a cap that cuts raises Irregular: the checking path explains it
    plan = [_plan(node, index, scale, denominator) for node in tree]

    def dec(units: int) -> Decimal:
        found = shown_cache.get(units)
        if found is None:
            found = Decimal(units).scaleb(-digits)
            if len(shown_cache) < 100_000:
                shown_cache[units] = found
        return found

    def council(raw: Mapping[str, Any], scores: Mapping[str, Mapping[str, Any]], dossier_id: Any,
                submitted_at: Any) -> Any:
        sums = [0] * n
        counts = [0] * n
        for given in scores.values():
            if every_member and len(given) != n:
                raise Irregular
            for cid, value in given.items():
                i = index[cid]  # KeyError: the checking path names the unknown criterion
                t = type(value)
                if t is int:
                    steps = value * k
                elif t is float:
                    x = value * k
                    steps = int(x)
                    if steps != x:
                        raise Irregular
                else:
                    raise Irregular
                if steps < 0 or steps > max_steps[i]:
                    raise Irregular
                sums[i] += steps
                counts[i] += 1
        for i in manual:
            if not counts[i]:
                raise Irregular
        preliminary = fast(raw, dossier_id, submitted_at)
        if type(preliminary) is not Evaluation:
            raise Irregular  # ineligible: rare with council scores; the checking path decides
        data = preliminary.criterion_data
        numerators = [0] * n
        for i in range(n):
            count = counts[i]
            if count:
                if count > 12:
                    raise Irregular
                numerators[i] = sums[i] * factor[count]
            else:
                numerators[i] = int(data[i * 9 + 2] * scale) * denominator
        units = [0] * n
        subtotals: dict[str, Decimal] = {}
        if by_criterion_total:
            twice = 2 * denominator
            for i in range(n):
                units[i] = (2 * numerators[i] + denominator) // twice
            total_units = 0
            for node in plan:
                total_units += _sum_units(node, units, subtotals, dec)
        else:
            group_numerators: dict[str, int] = {}
            tops = [_numerator(node, numerators, group_numerators) for node in plan]
            total_numerator = sum(tops)
            total_units = (2 * total_numerator + denominator) // (2 * denominator)
            _share(plan, tops, total_units, denominator, numerators, group_numerators, units, subtotals, dec)
        total = dec(total_units)
        results: list[Any] = []
        points: dict[str, Decimal] = {}
        for i in range(n):
            shown = dec(units[i])
            points[ids[i]] = shown
            count = counts[i]
            if count:
                key = (count, units[i])
                head = texts[i].get(key)
                if head is None:
                    head = (f"council: mean of {count} member{'s' if count > 1 else ''} → {show(shown)} of "
                            f"{max_shown[i]}; preliminary: ")
                    if len(texts[i]) < 4096:
                        texts[i][key] = head
                results += (ids[i], groups_of[i], shown, maxima[i], head + data[i * 9 + 4], data[i * 9 + 5], None,
                            shown, count)
            else:
                results += (ids[i], groups_of[i], shown, maxima[i], data[i * 9 + 4], data[i * 9 + 5], None, None, 0)
        ordered = {g: subtotals[g] for g in cs.groups}
        if judge is not None:
            passed, detail = judge(total, ordered, points)
        else:
            passed, detail = pass_test(total), ()
        rc = None
        if classes:
            rc = classify(classes, total)
            passed = passed and rc is not None and rc.recognised
        return Evaluation(set_id, set_hash, dossier_id, submitted_at, True, passed, total, preliminary.total,
                          total_points, preliminary.prerequisite_data, tuple(results), ordered, True, rc, detail,
                          tree)

    return council


def _plan(node: Any, index: Mapping[str, int], scale: int, denominator: int
          ) -> tuple[str, tuple[int, ...], tuple[Any, ...], Any]:
    """(group id, its criteria's positions, sub-groups, cap as (numerator, shown units) or None)."""
    gid, cids, subs, cap = node
    return (gid, tuple(index[c] for c in cids), tuple(_plan(s, index, scale, denominator) for s in subs),
            None if cap is None else (int(cap * scale * denominator), int(cap * scale)))


def _numerator(node: Any, numerators: list[int], out: dict[str, int]) -> int:
    gid, members, subs, cap = node
    value = sum(numerators[i] for i in members) + sum(_numerator(s, numerators, out) for s in subs)
    if cap is not None and value > cap[0]:
        raise Irregular
    out[gid] = value
    return value


def _sum_units(node: Any, units: list[int], subtotals: dict[str, Decimal], dec: Callable[[int], Decimal]) -> int:
    gid, members, subs, cap = node
    value = sum(units[i] for i in members) + sum(_sum_units(s, units, subtotals, dec) for s in subs)
    if cap is not None and value > cap[1]:
        raise Irregular
    subtotals[gid] = dec(value)
    return value


def _apportion(values: list[int], target: int, denominator: int) -> list[int]:
    floors = [v // denominator for v in values]
    extra = target - sum(floors)
    if extra > 0:
        remainders = [v % denominator for v in values]
        for i in sorted(range(len(values)), key=lambda i: -remainders[i])[:extra]:
            floors[i] += 1
    elif extra < 0:
        raise Irregular
    return floors


def _share(nodes: Any, values: list[int], target: int, denominator: int, numerators: list[int],
           group_numerators: dict[str, int], units: list[int], subtotals: dict[str, Decimal],
           dec: Callable[[int], Decimal]) -> None:
    for node, u in zip(nodes, _apportion(values, target, denominator)):
        gid, members, subs, _cap = node
        subtotals[gid] = dec(u)
        parts = _apportion([numerators[i] for i in members] + [group_numerators[s[0]] for s in subs], u,
                           denominator)
        for i, part in zip(members, parts):
            units[i] = part
        if subs:
            _share(subs, [group_numerators[s[0]] for s in subs], u - sum(parts[:len(members)]), denominator,
                   numerators, group_numerators, units, subtotals, dec)
