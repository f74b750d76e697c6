"""The built-in scoring rule kinds: bands, choice, items, boolean, linear, parts and manual.

A rule kind parses its part of a criterion's `score` (reporting problems with their paths), describes it in one
line for people, and compiles it into a fast function of the dossier's values. Plugins add kinds by subclassing
`RuleKind` and registering an instance through the `register_rule_kinds` hook.
"""

from __future__ import annotations

from collections.abc import Mapping
from decimal import Decimal
from types import ModuleType
from typing import Any, ClassVar

from spcncl_core.engine.codegen import Gen, condition_code, f_string, indent
from spcncl_core.engine.conditions import COMPARISONS, Condition, compile_condition, parse_condition
from spcncl_core.engine.context import NUMERIC_TYPES, RuleContext, ScoreFn, join_path
from spcncl_core.errors import did_you_mean
from spcncl_core.numbers import ZERO, show


def _schemas() -> ModuleType:
    # imported on first validation only: evaluating a cached catalog never needs marshmallow
    from spcncl_core.engine import rule_schemas

    return rule_schemas


class RuleKind:
    """Base of a scoring rule kind. Subclasses set `name`, `description` and implement parse/compile/describe."""

    name: ClassVar[str] = ""
    description: ClassVar[str] = ""
    manual: ClassVar[bool] = False

    def parse(self, params: Any, path: str, ctx: RuleContext) -> Any | None:
        """Validate the rule's parameters; record problems on `ctx` and return the parsed rule (None if invalid)."""
        raise NotImplementedError

    def compile(self, rule: Any) -> ScoreFn:
        """Return a function of the dossier's values giving (points, account)."""
        raise NotImplementedError

    def describe(self, rule: Any) -> str:
        """The rule in one line, as the criteria tables write it."""
        raise NotImplementedError

    def generate(self, rule: Any, gen: Gen) -> list[str] | None:
        """Optional: lines of Python for the fast path that set `gen.pts` and `gen.how` exactly as `compile`'s
        function would (spcncl_core/engine/codegen.py). None (the default): the fast path calls `compile`'s
        function. Used only when the class defining it also defines `compile` and `parse`."""
        return None

    def excel_formula(self, rule: Any, cells: Any) -> str | None:
        """Optional: the rule's points as an Excel formula (before the criterion's cap), for the estimate a
        self-assessment workbook shows as the enterprise types. `cells.ref(input_id)` gives the cell of an input or
        derived indicator (None when it has none: return None); an input not given is blank and must score 0, as
        in `compile`. None (the default): that criterion's estimate is left out and says so. Used only when the
        class defining it also defines `compile` and `parse` (spcncl_core/excel/estimate.py has the built-in
        kinds' formulas, and helpers such as `literal`)."""
        return None


def parse_rule(raw: Any, path: str, ctx: RuleContext) -> tuple[RuleKind, Any] | None:
    """Parse a `score` value: the string 'manual', or a mapping with exactly one key naming a rule kind."""
    kinds = ctx.registries.rule_kinds
    if isinstance(raw, str):
        raw = {raw: None}
    if not isinstance(raw, Mapping) or len(raw) != 1:
        ctx.problem(path, f"must name exactly one rule kind, e.g. {{bands: …}}; known kinds: {', '.join(kinds)}")
        return None
    (name, params), = raw.items()
    kind = kinds.get(str(name))
    if kind is None:
        ctx.problem(path, f"unknown rule kind '{name}'{did_you_mean(str(name), kinds)}; known kinds: "
                          f"{', '.join(kinds)}")
        return None
    rule = kind.parse(params, join_path(path, str(name)), ctx)
    return None if rule is None else (kind, rule)


class Bands(RuleKind):
    """Bands read top-down; the first threshold that holds gives its points, else 0."""

    name = "bands"
    description = "bands {of, levels: [{gte|gt, points}]}, read top-down, first that holds wins, else 0"

    def parse(self, params: Any, path: str, ctx: RuleContext) -> Any | None:
        data = ctx.load(_schemas().BANDS, params, path)
        if data is None:
            return None
        ctx.ref_input(join_path(path, "of"), data["of"], NUMERIC_TYPES)
        levels = []
        previous: tuple[str, Decimal] | None = None
        for i, level in enumerate(data["levels"]):
            at = join_path(join_path(path, "levels"), i)
            op = "gte" if "gte" in level else "gt"
            threshold = level[op]
            ctx.check_points(join_path(at, "points"), level["points"])
            if previous is not None:
                prev_op, prev_threshold = previous
                equal_allowed = prev_op == "gt" and op == "gte"  # "> 5" then "≥ 5" is meaningful
                if threshold > prev_threshold or (threshold == prev_threshold and not equal_allowed):
                    ctx.problem(at, f"bands out of order: threshold {show(threshold)} must be below the band above "
                                    f"it ({show(prev_threshold)}); bands are read top-down, highest first")
            previous = (op, threshold)
            levels.append((op, threshold, level["points"]))
        return (data["of"], tuple(levels))

    def compile(self, rule: Any) -> ScoreFn:
        of, levels = rule
        table = tuple((op == "gte", t, p, f" {COMPARISONS[op][1]} {show(t)}") for op, t, p in levels)
        last_op, last_t, _ = levels[-1]
        below = f" {COMPARISONS[last_op][2]} {show(last_t)}"
        prefix = f"{of} "

        def bands(values: Mapping[str, Any]) -> tuple[Decimal, str]:
            value = values[of]
            if value is None:
                return ZERO, f"{of} not given"
            for inclusive, threshold, points, text in table:
                if value >= threshold if inclusive else value > threshold:
                    return points, prefix + show(value) + text
            return ZERO, prefix + show(value) + below

        return bands

    def describe(self, rule: Any) -> str:
        of, levels = rule
        return f"{of} " + "; ".join(f"{COMPARISONS[op][1]} {show(t)} → {show(p)}" for op, t, p in levels)

    writes_tail = True  # its points are within the maximum: the generated code writes the whole explanation

    def generate(self, rule: Any, gen: Gen) -> list[str] | None:
        of, levels = rule
        var, optional = gen.var_of(of)
        key, pts, how, ns = gen.key, gen.pts, gen.how, gen.ns
        end = {p: f" → {show(p)} of {gen.max_shown}" if gen.tail else "" for p in (*(lv[2] for lv in levels), ZERO)}
        lines = [f"if {var} is None:", f"    {pts}, {how} = ZERO, {f_string(of + ' not given' + end[ZERO])}"] \
            if optional else []
        for n, (op, threshold, points) in enumerate(levels):
            ns[f"{key}t{n}"], ns[f"{key}p{n}"] = threshold, points
            text = f" {COMPARISONS[op][1]} {show(threshold)}"
            word = "if" if not lines else "elif"
            lines += [f"{word} {var} {'>=' if op == 'gte' else '>'} {key}t{n}:",
                      f"    {pts}, {how} = {key}p{n}, {f_string(of + ' ', text + end[points], value=var)}"]
        last_op, last_t, _ = levels[-1]
        below = f" {COMPARISONS[last_op][2]} {show(last_t)}"
        return lines + ["else:", f"    {pts}, {how} = ZERO, {f_string(of + ' ', below + end[ZERO], value=var)}"]




class Choice(RuleKind):
    """A choice input: each option gives its points; an option not listed gives 0."""

    name = "choice"
    description = "choice {of, points: {option: points}}"

    def parse(self, params: Any, path: str, ctx: RuleContext) -> Any | None:
        return _parse_points_table(params, path, ctx, "choice")

    def compile(self, rule: Any) -> ScoreFn:
        of, table = rule
        points = dict(table)

        def choice(values: Mapping[str, Any]) -> tuple[Decimal, str]:
            value = values[of]
            if value is None:
                return ZERO, f"{of} not given"
            return points.get(value, ZERO), f"{of} = {value}"

        return choice

    def describe(self, rule: Any) -> str:
        of, table = rule
        return f"{of}: " + "; ".join(f"{k} {show(v)}" for k, v in table)

    writes_tail = True

    def generate(self, rule: Any, gen: Gen) -> list[str] | None:
        of, table = rule
        var, optional = gen.var_of(of)
        key, pts, how, ns = gen.key, gen.pts, gen.how, gen.ns
        ns[f"{key}table"] = dict(table)
        ns[f"{key}ends"] = {option: f" → {show(p)} of {gen.max_shown}" if gen.tail else "" for option, p in table}
        zero_end = f" → 0 of {gen.max_shown}" if gen.tail else ""
        lines = [f"if {var} is None:", f"    {pts}, {how} = ZERO, {f_string(of + ' not given' + zero_end)}",
                 "else:"] if optional else []
        body = [f"{pts}, {how} = {key}table.get({var}, ZERO), {of + ' = '!r} + {var} + {key}ends.get({var}, "
                f"{zero_end!r})"]
        return lines + (indent(body) if optional else body)


def _parse_points_table(params: Any, path: str, ctx: RuleContext, input_type: str) -> Any | None:
    """`{of, points: {option: points}}` for a choice or set input: (input id, ((option, points), …))."""
    data = ctx.load(_schemas().CHOICE, params, path)
    if data is None:
        return None
    if not ctx.ref_input(join_path(path, "of"), data["of"], frozenset({input_type})):
        return (data["of"], tuple(data["points"].items()))
    options = ctx.options.get(data["of"], ())
    for option, points in data["points"].items():
        at = join_path(join_path(path, "points"), option)
        if option not in options:
            ctx.problem(at, f"'{option}' is not an option of '{data['of']}'{did_you_mean(option, options)}; "
                            f"options: {', '.join(options)}")
        ctx.check_points(at, points)
    return (data["of"], tuple(data["points"].items()))


class Items(RuleKind):
    """A set input: the points of every item present are summed (the engine caps at the maximum)."""

    name = "items"
    description = "items {of, points: {item: points}}, summed, capped at max_points"

    def parse(self, params: Any, path: str, ctx: RuleContext) -> Any | None:
        return _parse_points_table(params, path, ctx, "set")

    def compile(self, rule: Any) -> ScoreFn:
        of, table = rule
        texts = tuple((item, points, f"{item} ({show(points)})") for item, points in table)
        prefix = f"{of}: "

        def items(values: Mapping[str, Any]) -> tuple[Decimal, str]:
            present = values[of]
            if present is None:
                return ZERO, f"{of} not given"
            if not present:
                return ZERO, prefix + "none"
            total = ZERO
            parts = []
            for item, points, text in texts:
                if item in present:
                    total += points
                    parts.append(text)
            return total, prefix + " + ".join(parts)

        return items

    def describe(self, rule: Any) -> str:
        of, table = rule
        return f"{of}: " + ", ".join(f"{k} {show(v)}" for k, v in table)

    def generate(self, rule: Any, gen: Gen) -> list[str] | None:
        of, table = rule
        var, optional = gen.var_of(of)
        key, pts, how, ns = gen.key, gen.pts, gen.how, gen.ns
        lines = [f"if {var} is None:", f"    {pts}, {how} = ZERO, {of + ' not given'!r}", "else:"] if optional else []
        body = [f"{pts} = ZERO", f"{key}texts = []"]
        for n, (item, points) in enumerate(table):
            ns[f"{key}p{n}"] = points
            body += [f"if {item!r} in {var}:", f"    {pts} += {key}p{n}",
                     f"    {key}texts.append({item + ' (' + show(points) + ')'!r})"]
        body += [f"{how} = {of + ': '!r} + (' + '.join({key}texts) if {key}texts else 'none')"]
        return lines + (indent(body) if optional else body)




class Boolean(RuleKind):
    """A yes/no input: `points` when it equals `when` (true by default), else 0."""

    name = "boolean"
    description = "boolean {of, points, when: true|false}"

    def parse(self, params: Any, path: str, ctx: RuleContext) -> Any | None:
        data = ctx.load(_schemas().BOOLEAN, params, path)
        if data is None:
            return None
        ctx.ref_input(join_path(path, "of"), data["of"], frozenset({"boolean"}))
        ctx.check_points(join_path(path, "points"), data["points"])
        return (data["of"], data["when"], data["points"])

    def compile(self, rule: Any) -> ScoreFn:
        of, when, points = rule

        def boolean(values: Mapping[str, Any]) -> tuple[Decimal, str]:
            value = values[of]
            if value is None:
                return ZERO, f"{of} not given"
            return (points if value is when else ZERO), f"{of} {'true' if value else 'false'}"

        return boolean

    def describe(self, rule: Any) -> str:
        of, when, points = rule
        return f"{'' if when else 'not '}{of} → {show(points)}"






class Linear(RuleKind):
    """Points proportional between two (value, points) anchors, clamped outside them."""

    name = "linear"
    description = "linear {of, from: {value, points}, to: {value, points}}, clamped"

    def parse(self, params: Any, path: str, ctx: RuleContext) -> Any | None:
        data = ctx.load(_schemas().LINEAR, params, path)
        if data is None:
            return None
        ctx.ref_input(join_path(path, "of"), data["of"], NUMERIC_TYPES)
        start, end = data["from_"], data["to"]
        ctx.check_points(join_path(path, "from.points"), start["points"])
        ctx.check_points(join_path(path, "to.points"), end["points"])
        if start["value"] >= end["value"]:
            ctx.problem(join_path(path, "to.value"), "must be greater than from.value")
            return None
        return (data["of"], start["value"], start["points"], end["value"], end["points"])

    def compile(self, rule: Any) -> ScoreFn:
        of, v0, p0, v1, p1 = rule
        slope = (p1 - p0) / (v1 - v0)
        span = f"linear {show(v0)}→{show(p0)} .. {show(v1)}→{show(p1)}"

        def linear(values: Mapping[str, Any]) -> tuple[Decimal, str]:
            value = values[of]
            if value is None:
                return ZERO, f"{of} not given"
            clamped = min(max(value, v0), v1)
            return p0 + (clamped - v0) * slope, f"{of} {show(value)}, {span}"

        return linear

    def describe(self, rule: Any) -> str:
        of, v0, p0, v1, p1 = rule
        return f"{of} linear from {show(v0)} → {show(p0)} to {show(v1)} → {show(p1)}"


class Parts(RuleKind):
    """Several parts summed and capped at the maximum. A part is `{of, <operator>, points}` or a nested rule."""

    name = "parts"
    description = "parts [{of, gte|gt|lte|lt|is|in|between, points} or a nested rule], summed, capped"

    def parse(self, params: Any, path: str, ctx: RuleContext) -> Any | None:
        if not isinstance(params, list) or not params:
            ctx.problem(path, "must be a non-empty list of parts")
            return None
        parts: list[Any] = []
        for i, raw in enumerate(params):
            at = join_path(path, i)
            if isinstance(raw, Mapping) and "of" in raw:
                points = raw.get("points")
                value = _schemas().decimal_or_none(points)
                if value is None:
                    ctx.problem(join_path(at, "points"), "required number is missing or not a number")
                    continue
                cond = parse_condition(raw, at, ctx, extra=frozenset({"points"}))
                ctx.check_points(join_path(at, "points"), value)
                if cond is not None:
                    parts.append(("condition", cond, value))
            else:
                nested = parse_rule(raw, at, ctx)
                if nested is not None:
                    if nested[0].manual:
                        ctx.problem(at, "a part cannot be manual")
                    parts.append(("rule",) + nested)
        return tuple(parts) if len(parts) == len(params) else None

    def compile(self, rule: Any) -> ScoreFn:
        compiled: list[ScoreFn] = []
        for part in rule:
            if part[0] == "condition":
                compiled.append(_condition_part(part[1], part[2]))
            else:
                compiled.append(_rule_part(part[1].compile(part[2])))

        def parts(values: Mapping[str, Any]) -> tuple[Decimal, str]:
            total = ZERO
            texts = []
            for fn in compiled:
                points, text = fn(values)
                total += points
                texts.append(text)
            return total, "; ".join(texts)

        return parts

    def describe(self, rule: Any) -> str:
        texts = []
        for part in rule:
            if part[0] == "condition":
                texts.append(f"{part[1].describe()} → {show(part[2])}")
            else:
                texts.append(part[1].describe(part[2]))
        return "; ".join(texts) + " (summed, capped)"

    def generate(self, rule: Any, gen: Gen) -> list[str] | None:
        key, pts, how, ns = gen.key, gen.pts, gen.how, gen.ns
        lines = [f"{pts} = ZERO", f"{key}texts = []"]
        for n, part in enumerate(rule):
            sub = f"{key}_{n}"
            if part[0] == "condition":
                cond, points = part[1], part[2]
                var, optional = gen.var_of(cond.of)
                code = condition_code(cond, var, optional, sub, f"{sub}ok", f"{sub}msg", ns)
                if code is None:
                    return None
                ns[f"{sub}met"], ns[f"{sub}pts"] = f": {show(points)}", points
                lines += code + [f"if {sub}ok:", f"    {pts} += {sub}pts",
                                 f"    {key}texts.append({sub}msg + {sub}met)",
                                 "else:", f"    {key}texts.append({sub}msg + ': 0')"]
            else:
                code = gen.rule(part[1], part[2], sub, f"{sub}p", f"{sub}h")
                if code is None:
                    return None
                lines += code + [f"{pts} += {sub}p", f"{key}texts.append({sub}h + ': ' + show({sub}p))"]
        return lines + [f"{how} = '; '.join({key}texts)"]


def _condition_part(cond: Condition, points: Decimal) -> ScoreFn:
    check = compile_condition(cond)
    met, unmet = f": {show(points)}", ": 0"

    def part(values: Mapping[str, Any]) -> tuple[Decimal, str]:
        holds, text = check(values)
        return (points, text + met) if holds else (ZERO, text + unmet)

    return part


def _rule_part(fn: ScoreFn) -> ScoreFn:
    def part(values: Mapping[str, Any]) -> tuple[Decimal, str]:
        points, text = fn(values)
        return points, f"{text}: {show(points)}"

    return part


class Manual(RuleKind):
    """Scored by the council from the dossier; the self-assessment, when given, is the preliminary score."""

    name = "manual"
    description = "manual: scored by the council; a dossier's self-assessment gives the preliminary points"
    manual = True

    def parse(self, params: Any, path: str, ctx: RuleContext) -> Any | None:
        if params not in (None, {}):
            ctx.problem(path, "takes no parameters; write `score: manual`")
            return None
        return ()

    def compile(self, rule: Any) -> ScoreFn:
        def manual(values: Mapping[str, Any]) -> tuple[Decimal, str]:
            return ZERO, "scored by the council"

        return manual

    def describe(self, rule: Any) -> str:
        return "scored by the council"


BUILTIN_RULE_KINDS: tuple[RuleKind, ...] = (Bands(), Choice(), Items(), Boolean(), Linear(), Parts(), Manual())
