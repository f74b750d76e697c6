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
    postorder: list[tuple[str, tuple[int, ...], tuple[str, ...], Any]] = []

    def visit(node: Any) -> None:
        gid, members, subs, cap = node
        for sub in subs:
            visit(sub)
        postorder.append((gid, members, tuple(x[0] for x in subs), cap))

    for node in plan:
        visit(node)
    preorder = _preorder(plan)
    top_ids = [node[0] for node in plan]
    twice = 2 * denominator

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
                elif t is float or t is Decimal:  # Decimal: scores read back from the database
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
        units = [0] * n
        for i in range(n):
            count = counts[i]
            if count:
                if count > 12:
                    raise Irregular
                v = sums[i] * factor[count]
            else:
                v = int(data[i * 9 + 2] * scale) * denominator
            numerators[i] = v
            units[i] = (2 * v + denominator) // twice
        subtotals: dict[str, Decimal] = {}
        group_units: dict[str, int] = {}
        if by_criterion_total:
            for gid, members, subs, cap in postorder:
                u = sum([units[i] for i in members]) + sum([group_units[g] for g in subs])
                if cap is not None and u > cap[1]:
                    raise Irregular
                group_units[gid] = u
            total_units = sum([group_units[g] for g in top_ids])
        else:
            # the exact total rounded once; each whole's units shared among its parts by largest remainder
            quotients = [0] * n
            remainders = [0] * n
            for i in range(n):
                quotients[i], remainders[i] = divmod(numerators[i], denominator)
            group_numerators: dict[str, int] = {}
            group_quotients: dict[str, int] = {}
            group_remainders: dict[str, int] = {}
            for gid, members, subs, cap in postorder:
                v = sum([numerators[i] for i in members]) + sum([group_numerators[g] for g in subs])
                if cap is not None and v > cap[0]:
                    raise Irregular
                group_numerators[gid] = v
                group_quotients[gid], group_remainders[gid] = divmod(v, denominator)
            total_units = (2 * sum([group_numerators[g] for g in top_ids]) + denominator) // twice
            extra = total_units - sum([group_quotients[g] for g in top_ids])
            for g in top_ids:
                group_units[g] = group_quotients[g]
            if extra:
                for g in _largest(top_ids, [group_remainders[g] for g in top_ids], extra):
                    group_units[g] += 1
            for gid, members, subs in preorder:
                for i in members:
                    units[i] = quotients[i]
                for g in subs:
                    group_units[g] = group_quotients[g]
                extra = group_units[gid] - sum([quotients[i] for i in members]) - sum(
                    [group_quotients[g] for g in subs])
                if extra:
                    children = [*members, *subs]
                    for child in _largest(children, [remainders[i] for i in members]
                                          + [group_remainders[g] for g in subs], extra):
                        if type(child) is int:
                            units[child] += 1
                        else:
                            group_units[child] += 1
        if group_units:
            for gid in cs.groups:
                subtotals[gid] = dec(group_units[gid])
        total = dec(total_units)
        results: list[Any] = []
        points: dict[str, Decimal] = {}
        for i in range(n):
            shown = shown_cache.get(units[i]) or dec(units[i])
            if judge is not None:
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
        ordered = subtotals  # filled depth first, as cs.groups lists the groups
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


def _preorder(plan: list[Any]) -> list[tuple[str, tuple[int, ...], tuple[str, ...]]]:
    out: list[tuple[str, tuple[int, ...], tuple[str, ...]]] = []
    for gid, members, subs, _cap in plan:
        out.append((gid, members, tuple(x[0] for x in subs)))
        out += _preorder(list(subs))
    return out


def _largest(items: list[Any], remainders: list[int], extra: int) -> list[Any]:
    """The `extra` items with the largest remainders, the earlier first on equal remainders."""
    if extra == 1:
        best = 0
        top = remainders[0]
        for j in range(1, len(remainders)):
            if remainders[j] > top:
                best, top = j, remainders[j]
        return [items[best]]
    if extra < 0 or extra > len(items):
        raise Irregular
    return [items[j] for j in sorted(range(len(items)), key=remainders.__getitem__, reverse=True)[:extra]]
