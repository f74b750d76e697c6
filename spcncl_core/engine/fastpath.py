"""A straight-line Python function generated for each criteria set: the fast path of `evaluate`.

Bulk evaluation (a round, an import, a benchmark) spends its time in per-input and per-criterion overhead, so the
loops of the checking path are unrolled into one generated function, as dataclasses and attrs generate their
`__init__`. The generated code handles valid dossiers only: at the first irregular value it raises `Irregular`
and `evaluate` runs the checking path, which reports every problem. Both paths must give equal results; the tests
compare them on every example and on thousands of random dossiers.

Each rule kind generates its own code (`RuleKind.generate`, beside its `compile`); a kind's generator is used
only when its own class wrote it (`codegen.generates`), so a plugin's subclass that changes what its parent
computes runs its own compiled function. Prerequisites are generated only for the built-in condition check
itself (`type(check) is ConditionCheck`).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from decimal import ROUND_HALF_UP, Decimal
from typing import TYPE_CHECKING, Any

from spcncl_core.engine.codegen import Gen, condition_code, generates, rule_code
from spcncl_core.engine.codegen import indent as _indent
from spcncl_core.engine.prerequisites import ConditionCheck
from spcncl_core.numbers import ZERO, show

if TYPE_CHECKING:
    from spcncl_core.criteria.model import CriteriaSet
    from spcncl_core.engine.compiled import CompiledCriterion, CompiledDerived, CompiledInput, CompiledPrerequisite

FastFn = Callable[[Mapping[str, Any], Any, Any], Any]


class Irregular(Exception):
    """Raised by generated code at an invalid or unusual input; the checking path takes over."""


def _input_code(i: int, spec: CompiledInput, kind: str, low: Decimal | None, high: Decimal | None,
                ns: dict[str, Any]) -> list[str]:
    """Lines reading input `spec` into local v{i}. A missing required input or any unusual value raises (or makes
    the converter raise), sending the dossier to the checking path."""
    v = f"v{i}"
    ns[f"conv{i}"] = spec.convert
    lines = [f"    x = get({spec.id!r})"]
    if not spec.required:
        lines += ["    if x is None:", f"        {v} = None", "    else:"]
    body: list[str]
    if kind == "boolean":
        body = ["if x is True or x is False:", f"    {v} = x", "else:", "    raise Irregular"]
    elif kind in ("number", "percent", "integer"):
        body = ["t = type(x)", "if t is int:", f"    {v} = D(x)"]
        if kind != "integer":
            body += ["elif t is float and x - x == 0:", f"    {v} = D(repr(x))"]
        body += ["else:", f"    {v} = conv{i}(x)"]
        if low is not None:
            ns[f"low{i}"] = low
            body += [f"if {v} < low{i}:", "    raise Irregular"]
        if high is not None:
            ns[f"high{i}"] = high
            body += [f"if {v} > high{i}:", "    raise Irregular"]
    elif kind == "choice":
        body = [f"if type(x) is str and x in opts{i}:", f"    {v} = x", "else:", "    raise Irregular"]
    elif kind == "set":
        body = ["if type(x) is list:", f"    {v} = frozenset(x)",
                f"    if not ({v} <= opts{i} and len({v}) == len(x)):",
                "        raise Irregular", "else:", f"    {v} = conv{i}(x)"]
    else:
        body = [f"{v} = conv{i}(x)"]  # text and plugin types: the converter checks
    return lines + _indent(body, 2 if not spec.required else 1)


def build_fast_path(cset: CriteriaSet, inputs: tuple[CompiledInput, ...], derived: tuple[CompiledDerived, ...],
                    prerequisites: tuple[CompiledPrerequisite, ...], criteria: tuple[CompiledCriterion, ...],
                    pass_test: Callable[[Decimal], bool], quantum: Decimal,
                    kinds: Mapping[str, Any], checks: Mapping[str, Any], tree: tuple[Any, ...] = (),
                    judge: Callable[..., Any] | None = None, classes: tuple[Any, ...] = ()) -> FastFn:
    """Generate the fast evaluation function of a compiled criteria set."""
    from spcncl_core.engine.evaluate import Evaluation
    from spcncl_core.engine.outcome import classify

    ns: dict[str, Any] = {
        "D": Decimal, "ZERO": ZERO, "HALF_UP": ROUND_HALF_UP, "Irregular": Irregular, "show": show,
        "Evaluation": Evaluation, "Q": quantum,
        "quantize": Decimal.quantize, "pass_test": pass_test, "set_id": cset.id, "set_hash": cset.content_hash,
        "total_points": cset.total_points,
    }
    specs = {s.id: s for s in cset.inputs}
    # Rounded points repeat (a band's points, common sums): one shared Decimal per value keeps a round of 100,000
    # evaluations small in memory, which is most of what holding them costs; read as a dict, a value met before
    # costs one lookup.
    ns["QS"], ns["QT"] = _Rounded(quantum, exact=True), _Rounded(quantum, exact=False)
    # constants used at every step are bound as default arguments: local variables are the fastest to read
    lines = ["def fast(raw, dossier_id, submitted_at, *, D=D, ZERO=ZERO, show=show, quantize=quantize, Q=Q, "
             "HALF_UP=HALF_UP, Irregular=Irregular, QS=QS, QT=QT):", "    get = raw.get"]
    names: dict[str, str] = {}
    for i, spec in enumerate(inputs):
        declared = specs[spec.id]
        lines += _input_code(i, spec, declared.type, declared.min if declared.type != "percent" else
                             (declared.min if declared.min is not None else Decimal(0)),
                             declared.max if declared.type != "percent" else
                             (declared.max if declared.max is not None else Decimal(100)), ns)
        if declared.type in ("choice", "set"):
            ns[f"opts{i}"] = frozenset(declared.options)
        names[spec.id] = f"v{i}"
    for j, d in enumerate(derived):
        ns[f"fn{j}"] = d.fn
        args = []
        refs = []
        for k, (is_ref, ref) in enumerate(d.args):
            if is_ref:
                args.append(names[ref])
                refs.append(names[ref])
            else:
                ns[f"arg{j}_{k}"] = ref
                args.append(f"arg{j}_{k}")
        var = f"w{j}"
        none_check = " or ".join(f"{r} is None" for r in refs)
        call = f"fn{j}({', '.join(args)})"
        lines.append(f"    {var} = None if {none_check} else {call}" if none_check else f"    {var} = {call}")
        names[d.id] = var
    values_at = len(lines)
    uses_values = False
    optional = {i.id for i in cset.inputs if not i.required} | {d.id for d in cset.derived}

    def var_of(input_id: str) -> tuple[str, bool]:
        return names[input_id], input_id in optional

    oks = []
    for j, (p, spec) in enumerate(zip(prerequisites, cset.prerequisites)):
        ns[f"chk{j}"], ns[f"pid{j}"], ns[f"ptitle{j}"] = p.check, p.id, p.title
        code = None
        if type(checks.get(spec.check)) is ConditionCheck:
            var, opt = var_of(spec.parsed.of)
            code = condition_code(spec.parsed, var, opt, f"pc{j}", f"ok{j}", f"msg{j}", ns)
        if code is None:
            uses_values = True
        lines += _indent(code) if code is not None else [f"    ok{j}, msg{j} = chk{j}(values)"]
        oks.append(f"ok{j}")
    lines.append("    prereqs = (" + "".join(f"pid{j}, ptitle{j}, ok{j}, msg{j}, " for j in range(len(oks))) + ")")
    if oks:
        lines += [f"    if not ({' and '.join(oks)}):", "        return prereqs"]
    results, points = [], []
    for k, (c, spec) in enumerate(zip(criteria, cset.criteria)):
        ns[f"cid{k}"], ns[f"grp{k}"], ns[f"max{k}"], ns[f"tails{k}"] = c.id, c.group, c.max_points, {}
        if c.manual:
            ns[f"how{k}"] = f"not scored yet (scored by the council) → 0 of {c.max_shown}"
            lines.append(f"    p{k} = ZERO")
            explanation = f"how{k}"
        else:
            ns[f"score{k}"] = c.score
            ns[f"maxshown{k}"] = c.max_shown
            kind = kinds.get(spec.kind)
            constant_tail = kind is not None and generates(kind) and getattr(kind, "writes_tail", False)
            code = rule_code(kind, spec.rule, Gen(var_of, ns, f"r{k}", f"p{k}", f"h{k}", constant_tail, c.max_shown))
            if code is None:
                uses_values = True
            lines += _indent(code) if code is not None else [f"    p{k}, h{k} = score{k}(values)"]
            lines += [] if constant_tail else [
                      f"    if p{k} > max{k}:", f"        p{k} = max{k}", f"        h{k} += ' (capped)'",
                      f"    t{k} = tails{k}.get(p{k})", f"    if t{k} is None:",
                      f"        t{k} = ' → ' + show(p{k}) + ' of ' + maxshown{k}",
                      f"        if len(tails{k}) < 256:", f"            tails{k}[p{k}] = t{k}"]
            explanation = f"h{k}" if constant_tail else f"h{k} + t{k}"
        # exact points with more digits than the set shows take the checking path, which apportions them
        lines.append(f"    q{k} = QS[p{k}]")
        results.append(f"{c.id!r}, {c.group!r}, q{k}, max{k}, {explanation}, p{k}, None, None, 0")
        points.append(f"p{k}")
    by_id = {c.id: k for k, c in enumerate(criteria)}

    def group_code(node: Any) -> str:
        gid, cids, subs, cap = node
        n = len(group_vars)
        var = f"g{n}"
        group_vars[gid] = var
        terms = [f"p{by_id[c]}" for c in cids] + [group_code(sub) for sub in subs]
        lines.append(f"    {var} = {' + '.join(terms) if terms else 'ZERO'}")
        if cap is not None:  # a cap that cuts takes the checking path, which explains it
            ns[f"cap{n}"] = cap
            lines.extend([f"    if {var} > cap{n}:", "        raise Irregular"])
        return var

    group_vars: dict[str, str] = {}
    tops = [group_code(node) for node in tree]
    # exact decimal sums: adding the group sums gives the same total as adding the criteria one by one
    lines.append(f"    total = QT[{' + '.join(tops)}]")
    lines.append("    criteria = (" + ", ".join(results) + ",)")
    # the council fast path needs the preliminary's parts only: the same code, returning before the verdict
    parts_source = "\n".join([lines[0].replace("def fast(", "def parts(", 1),
                              *[line.replace("        return prereqs", "        return prereqs, None, None")
                                for line in lines[1:]], "    return prereqs, criteria, total"]) + "\n"
    lines.append("    subtotals = {" + ", ".join(f"{g!r}: QT[{v}]" for g, v in group_vars.items()) + "}")
    ns["pass_points"] = cset.pass_rule.points
    if judge is not None:
        ns["judge"] = judge
        lines.append("    passed, detail = judge(total, subtotals, {" + ", ".join(
            f"{c.id!r}: q{k}" for k, c in enumerate(criteria)) + "})")
    elif cset.pass_rule.points is not None:
        comparison = ">" if cset.pass_rule.operator == ">" else ">="
        lines.append(f"    passed, detail = total {comparison} pass_points, ()")
    else:
        lines.append("    passed, detail = True, ()")
    if classes:
        ns["classify"], ns["classes"] = classify, classes
        lines += ["    rc = classify(classes, total)", "    passed = passed and rc is not None and rc.recognised"]
    else:
        lines.append("    rc = None")
    ns["tree"] = tree
    lines.append("    return Evaluation(set_id, set_hash, dossier_id, submitted_at, True, passed, total, total, "
                 "total_points, prereqs, criteria, subtotals, False, rc, detail, tree)")
    if uses_values:  # a plugin's check or rule kind reads the values by name
        lines.insert(values_at, "    values = {" + ", ".join(f"{k!r}: {v}" for k, v in names.items()
                                                          ) + "}")
    if uses_values:
        parts_lines = parts_source.splitlines()
        parts_lines.insert(values_at, lines[values_at])
        parts_source = "\n".join(parts_lines) + "\n"
    source = "\n".join(lines) + "\n"
    exec(compile(source, f"<spcncl fast path of {cset.id}>", "exec"), ns)  # noqa: S102 - our own generated code
    exec(compile(parts_source, f"<spcncl fast path of {cset.id} (parts)>", "exec"), ns)  # noqa: S102 - idem
    fast = ns["fast"]
    fast.__source__ = source  # for debugging: print(cset.compiled.fast_path().__source__)
    fast.parts = ns["parts"]  # (prerequisites, criteria, preliminary total) or (prerequisites, None, None)
    return fast  # type: ignore[no-any-return]


class _Rounded(dict):  # type: ignore[type-arg]
    """Points → the same points rounded half up to the set's quantum, one shared Decimal per value (up to a
    bound). With `exact`, points with more digits than the set shows raise `Irregular` instead: the checking path
    apportions them."""

    def __init__(self, quantum: Decimal, exact: bool) -> None:
        super().__init__()
        self.quantum, self.exact = quantum, exact

    def __missing__(self, value: Decimal) -> Decimal:
        rounded = value.quantize(self.quantum, rounding=ROUND_HALF_UP)
        if self.exact and rounded != value:
            raise Irregular
        if len(self) < 10_000:
            self[value] = rounded
        return rounded
