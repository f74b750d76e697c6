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
            # rounding each part by itself is what apportioning gives whenever those parts add up to their
            # whole's rounding at every level; otherwise apportion (rarely: a few sheets in a hundred)
            group_numerators: dict[str, int] = {}
            consistent = True
            for gid, members, subs, cap in postorder:
                v = sum([numerators[i] for i in members]) + sum([group_numerators[g] for g in subs])
                if cap is not None and v > cap[0]:
                    raise Irregular
                group_numerators[gid] = v
                u = (2 * v + denominator) // twice
                group_units[gid] = u
                if consistent and u != sum([units[i] for i in members]) + sum([group_units[g] for g in subs]):
                    consistent = False
            total_numerator = sum([group_numerators[g] for g in top_ids])
            total_units = (2 * total_numerator + denominator) // twice
            if not consistent or total_units != sum([group_units[g] for g in top_ids]):
                _share_flat(preorder, top_ids, total_units, denominator, numerators, group_numerators, units,
                            group_units)
        if group_units:
            for gid in cs.groups:
                subtotals[gid] = dec(group_units[gid])
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


def _pick(floors: list[int], remainders: list[int], extra: int) -> None:
    """Add one to the `extra` largest remainders (the earlier first on equal remainders)."""
    if extra == 1:
        best = 0
        top = remainders[0]
        for j in range(1, len(remainders)):
            if remainders[j] > top:
                best, top = j, remainders[j]
        floors[best] += 1
    elif extra > 0:
        for j in sorted(range(len(remainders)), key=remainders.__getitem__, reverse=True)[:extra]:
            floors[j] += 1
    elif extra < 0:
        raise Irregular


def _share_flat(preorder: list[tuple[str, tuple[int, ...], tuple[str, ...]]], top_ids: list[str], total: int,
                denominator: int, numerators: list[int], group_numerators: dict[str, int], units: list[int],
                group_units: dict[str, int]) -> None:
    """Apportion `total` down the groups, depth first: each whole's units shared by largest remainder."""
    values = [group_numerators[g] for g in top_ids]
    floors = [v // denominator for v in values]
    _pick(floors, [v % denominator for v in values], total - sum(floors))
    for g, u in zip(top_ids, floors):
        group_units[g] = u
    for gid, members, subs in preorder:
        values = [numerators[i] for i in members] + [group_numerators[g] for g in subs]
        floors = [v // denominator for v in values]
        _pick(floors, [v % denominator for v in values], group_units[gid] - sum(floors))
        k = len(members)
        for i, u in zip(members, floors):
            units[i] = u
        for g, u in zip(subs, floors[k:]):
            group_units[g] = u


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
