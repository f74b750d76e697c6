"""The fast path for council-scored dossiers: the built-in mean aggregations in whole numbers, as generated code.

Council points come in steps (0.5 by default), so every member's points are a whole number of steps, a
criterion's mean is a fraction with a small denominator, and the exact total and every apportioned part can be
computed with Python integers over one common denominator — the same values `outcome.finalize` computes with
fractions, at a fraction of the cost. As for the preliminary fast path (`fastpath.py`), the loops over criteria
and groups are unrolled into one function generated for each set, with the set's numbers as constants.

Reading a sheet costs one lookup per score: each criterion has a table from every valid value (0 to its maximum,
in steps; ints, floats and Decimals compare and hash alike) to its number of steps plus one in the high bits, so
adding table entries counts the scorers and sums their steps at once. Anything unusual (a value not in the
table or not exactly an int, float or Decimal — a boolean, a fraction —, an unknown criterion, a coverage gap, a
cap that cuts, more than 12 scorers) raises `Irregular` or `KeyError`, and the checking path reports it or
computes it.
"""

from __future__ import annotations

from collections.abc import Callable
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
_SHIFT = 32  # a criterion's accumulator: scorers above this bit, summed steps below (12 scorers never carry)
_CACHED_TEXTS = 4096
_MAX_TABLE = 50_000  # valid scores tabled over all criteria (e.g. 100 points in steps of 0.002)
_PREFILLED = 20_000  # shown numbers made in advance (100.00 points at 2 digits: 10,001)


def build_council_fast(cset: CriteriaSet, cs: CompiledSet, fast: Callable[..., Any]) -> Callable[..., Any] | None:
    """The council fast path of a compiled set, or None when its aggregation or score step does not allow one."""
    aggregation = cs.aggregation
    if aggregation is None or not aggregation.builtin or aggregation.name not in FAST_AGGREGATIONS:
        return None
    per_step = 1 / Fraction(cs.score_step)
    if per_step.denominator != 1 or sum(c[2] for c in cs.criteria_table) * per_step.numerator > _MAX_TABLE:
        return None  # a step too fine for tables of every valid score: the checking path
    from spcncl_core.engine.evaluate import Evaluation

    k = per_step.numerator  # steps per point
    digits = cs.rounding.digits
    scale = 10 ** digits
    den = k * _COMMON  # every mean, in units of 10**-digits, is a whole number of 1/den
    criteria = cs.criteria_table
    n = len(criteria)
    by_id = {c[0]: i for i, c in enumerate(criteria)}
    ns: dict[str, Any] = {
        "parts": fast.parts, "Irregular": Irregular, "Evaluation": Evaluation, "top": _top, "classify": classify,
        "set_id": cset.id, "set_hash": cset.content_hash, "total_points": cset.total_points, "tree": cs.tree,
        "judge": cs.judge, "pass_test": cs.pass_test, "classes": cs.classes,
        "ZEROS": {c[0]: 0 for c in criteria}, "SCORE_TYPES": frozenset({int, float, Decimal}),
        "S": _Shown(digits, int(cset.total_points * scale)), "U": _Units(scale),
        "T": {c[0]: _steps_table(c[2], k) for c in criteria},
    }
    lines = ["def council(raw, scores, dossier_id, submitted_at):",
             "    acc = ZEROS.copy()",
             "    for given in scores.values():"]
    if aggregation.coverage == "member":
        lines += [f"        if len(given) != {n}:", "            raise Irregular"]
    lines += ["        for cid, value in given.items():",
              "            if value.__class__ not in SCORE_TYPES:",  # bool, Fraction, numpy: the checking path
              "                raise Irregular",
              "            acc[cid] += T[cid][value]",
              f"    {', '.join(f'a{i}' for i in range(n))}, = acc.values()"]
    manual = [i for i, c in enumerate(criteria) if c[4]]
    for i in manual:
        lines += [f"    if not a{i}:", "        raise Irregular"]
    if not manual:  # an empty sheet is no council scoring: the checking path says so
        lines += [f"    if not ({' or '.join(f'a{i}' for i in range(n))}):", "        raise Irregular"]
    lines += ["    prereqs, pd, preliminary_total = parts(raw, dossier_id, submitted_at)",
              "    if pd is None:",
              "        return Evaluation(set_id, set_hash, dossier_id, submitted_at, False, False, None, None, "
              "total_points, prereqs, (), {}, False, None, (), tree)"]
    for i, c in enumerate(criteria):
        ns[f"M{i}"] = _Means(scale, den, digits, c[3])
        ns[f"cid{i}"], ns[f"grp{i}"], ns[f"max{i}"] = c[0], c[1], c[2]
        lines += [f"    if a{i}:", f"        c{i}, n{i}, u{i}, r{i}, h{i} = M{i}[a{i}]"]
        if i not in manual:
            lines += ["    else:", f"        c{i} = 0", f"        u{i} = U[pd[{i * 9 + 2}]]",
                      f"        n{i} = u{i} * {den}", f"        r{i} = 0"]
    names = {gid: j for j, gid in enumerate(cs.groups)}  # generated variables are named by position
    plan = [_plan(node, by_id, names, scale, den) for node in cs.tree]
    if cs.rounding.at == "criterion":
        lines += _per_criterion(plan, den)
    else:
        lines += _total_only(plan, den)
    results = []
    for i in range(n):
        lines += [f"    s{i} = S[u{i}]", f"    if c{i}:", f"        e{i} = h{i}[u{i}] + pd[{i * 9 + 4}]",
                  f"        v{i} = s{i}", "    else:", f"        e{i} = pd[{i * 9 + 4}]", f"        v{i} = None"]
        results.append(f"cid{i}, grp{i}, s{i}, max{i}, e{i}, pd[{i * 9 + 5}], None, v{i}, c{i}")
    lines.append("    criteria = (" + ", ".join(results) + ",)")
    lines.append("    subtotals = {" + ", ".join(f"{g!r}: S[gu_{names[g]}]" for g in cs.groups) + "}")
    lines.append("    total = S[total_units]")
    if cs.judge is not None:
        lines.append("    passed, detail = judge(total, subtotals, {" + ", ".join(
            f"cid{i}: s{i}" for i in range(n)) + "})")
    else:
        lines.append("    passed, detail = pass_test(total), ()")
    if cs.classes:
        lines += ["    rc = classify(classes, total)", "    passed = passed and rc is not None and rc.recognised"]
    else:
        lines.append("    rc = None")
    lines.append("    return Evaluation(set_id, set_hash, dossier_id, submitted_at, True, passed, total, "
                 "preliminary_total, total_points, prereqs, criteria, subtotals, True, rc, detail, tree)")
    source = "\n".join(lines) + "\n"
    exec(compile(source, f"<spcncl council fast path of {cset.id}>", "exec"), ns)  # noqa: S102 - our own code
    council = ns["council"]
    council.__source__ = source  # for debugging: print(cset.compiled.fast_path().council.__source__)
    return council  # type: ignore[no-any-return]


def _per_criterion(plan: list[Any], den: int) -> list[str]:
    """Lines rounding each criterion half up, then adding the rounded parts group by group (caps checked)."""
    lines: list[str] = []
    for i in sorted(i for node in _postorder(plan) for i in node[1]):  # u = floor: one more from half a unit up
        lines += [f"    if r{i} * 2 >= {den}:", f"        u{i} += 1"]
    for gid, members, subs, cap in _postorder(plan):
        var = f"gu_{gid}"
        terms = [f"u{i}" for i in members] + [f"gu_{sub[0]}" for sub in subs]
        lines.append(f"    {var} = {' + '.join(terms) or '0'}")
        if cap is not None:
            lines += [f"    if {var} > {cap[1]}:", "        raise Irregular"]
    tops = [f"gu_{node[0]}" for node in plan]
    lines.append(f"    total_units = {' + '.join(tops) or '0'}")
    return lines


def _total_only(plan: list[Any], den: int) -> list[str]:
    """Lines rounding the exact total once, then sharing each whole's units among its parts by largest remainder
    (earlier parts first on equal remainders), from the top down."""
    lines: list[str] = []
    for gid, members, subs, cap in _postorder(plan):
        terms = [f"n{i}" for i in members] + [f"gn_{sub[0]}" for sub in subs]
        lines.append(f"    gn_{gid} = {' + '.join(terms) or '0'}")
        if cap is not None:
            lines += [f"    if gn_{gid} > {cap[0]}:", "        raise Irregular"]
        lines.append(f"    gu_{gid}, gr_{gid} = divmod(gn_{gid}, {den})")
    lines.append(f"    total_units = ({' + '.join(f'gn_{node[0]}' for node in plan) or '0'} + {den // 2}) // {den}")
    lines += _share("total_units", [f"gu_{node[0]}" for node in plan], [f"gr_{node[0]}" for node in plan])
    for gid, members, subs, _cap in _preorder(plan):
        lines += _share(f"gu_{gid}", [f"u{i}" for i in members] + [f"gu_{s[0]}" for s in subs],
                        [f"r{i}" for i in members] + [f"gr_{s[0]}" for s in subs])
    return lines


def _share(whole: str, parts: list[str], remainders: list[str]) -> list[str]:
    """Lines giving the units `whole` has beyond its parts' floors to the parts with the largest remainders."""
    if not parts:
        return []
    if len(parts) == 1:
        return [f"    {parts[0]} = {whole}"]
    joined = ", ".join(parts)
    first_largest = [f"if {r} == most:" if j == 0 else (f"elif {r} == most:" if j < len(parts) - 1 else "else:")
                     for j, r in enumerate(remainders)]
    one_more = [line for j, test in enumerate(first_largest) for line in (test, f"    {parts[j]} += 1")]
    return [f"    extra = {whole} - ({' + '.join(parts)})",
            "    if extra == 1:",  # the usual case, without building lists
            f"        most = max({', '.join(remainders)})",
            *["        " + line for line in one_more],
            "    elif extra:",
            f"        shared = [{joined}]",
            f"        for j in top([{', '.join(remainders)}], extra):",
            "            shared[j] += 1",
            f"        {joined} = shared"]


def _plan(node: Any, index: dict[str, int], names: dict[str, int], scale: int, den: int
          ) -> tuple[int, tuple[int, ...], tuple[Any, ...], Any]:
    """(group's position, its criteria's positions, sub-groups, cap as (numerator, shown units) or None)."""
    gid, cids, subs, cap = node
    return (names[gid], tuple(index[c] for c in cids), tuple(_plan(s, index, names, scale, den) for s in subs),
            None if cap is None else (int(cap * scale * den), int(cap * scale)))


def _postorder(plan: list[Any]) -> list[Any]:
    out: list[Any] = []
    for node in plan:
        out += _postorder(list(node[2]))
        out.append(node)
    return out


def _preorder(plan: list[Any]) -> list[Any]:
    out: list[Any] = []
    for node in plan:
        out.append(node)
        out += _preorder(list(node[2]))
    return out


def _steps_table(maximum: Decimal, k: int) -> dict[Any, int]:
    """Every valid score of a criterion (0 to `maximum` in steps of 1/k) → its steps plus one scorer."""
    one = 1 << _SHIFT
    table: dict[Any, int] = {}
    for steps in range(int(maximum * k) + 1):
        value = Fraction(steps, k)
        key: Any = value.numerator if value.denominator == 1 else value
        if value.denominator != 1 and float(value) == value:
            key = float(value)  # floats compare and hash like the fraction, and are what JSON gives
        table[key] = steps + one
    return table


def _top(remainders: list[int], extra: int) -> list[int]:
    """The positions of the `extra` largest remainders, the earlier first on equal remainders."""
    if extra == 1:
        best, most = 0, remainders[0]
        for j in range(1, len(remainders)):
            if remainders[j] > most:
                best, most = j, remainders[j]
        return [best]
    if extra < 0 or extra > len(remainders):
        raise Irregular
    return sorted(range(len(remainders)), key=remainders.__getitem__, reverse=True)[:extra]


class _Shown(dict):  # type: ignore[type-arg]
    """Units of 10**-digits → the shared Decimal shown for them (filled up to the set's total, then made on
    demand), so a round's evaluations share their numbers."""

    def __init__(self, digits: int, up_to: int) -> None:
        super().__init__((u, Decimal(u).scaleb(-digits)) for u in range(min(up_to, _PREFILLED) + 1))
        self.digits = digits

    def __missing__(self, units: int) -> Decimal:
        return Decimal(units).scaleb(-self.digits)


class _Units(dict):  # type: ignore[type-arg]
    """A preliminary's shown points → whole units of 10**-digits (the preliminary path already rounded them)."""

    def __init__(self, scale: int) -> None:
        super().__init__()
        self.scale = scale

    def __missing__(self, points: Decimal) -> int:
        units = points * self.scale
        if units != int(units):
            raise Irregular
        if len(self) < 10_000:
            self[points] = int(units)
        return int(units)


class _Means(dict):  # type: ignore[type-arg]
    """A criterion's accumulator (scorers and summed steps) → (scorers, exact mean as a numerator over the common
    denominator, its whole units and remainder, the explanation heads for that many scorers by shown units):
    computed once for each accumulator a round meets."""

    def __init__(self, scale: int, den: int, digits: int, max_shown: str) -> None:
        super().__init__()
        self.scale, self.den, self.digits, self.max_shown = scale, den, digits, max_shown
        self.heads: dict[int, _Heads] = {}

    def __missing__(self, acc: int) -> tuple[int, int, int, int, _Heads]:
        count, steps = acc >> _SHIFT, acc & ((1 << _SHIFT) - 1)
        if not 1 <= count <= 12:
            raise Irregular
        numerator = steps * self.scale * (_COMMON // count)
        heads = self.heads.get(count)
        if heads is None:
            heads = self.heads[count] = _Heads(count, self.digits, self.max_shown)
        entry = (count, numerator, *divmod(numerator, self.den), heads)
        if len(self) < _CACHED_TEXTS:
            self[acc] = entry
        return entry  # type: ignore[return-value]


class _Heads(dict):  # type: ignore[type-arg]
    """Shown units → the head of a council-scored criterion's explanation for one count of scorers, made once."""

    def __init__(self, count: int, digits: int, max_shown: str) -> None:
        super().__init__()
        self.count, self.digits, self.max_shown = count, digits, max_shown

    def __missing__(self, units: int) -> str:
        count = self.count
        head = (f"council: mean of {count} member{'s' if count > 1 else ''} → "
                f"{show(Decimal(units).scaleb(-self.digits))} of {self.max_shown}; preliminary: ")
        if len(self) < _CACHED_TEXTS:
            self[units] = head
        return head
