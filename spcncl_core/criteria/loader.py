"""Loading criteria sets: resolve `extends`, validate structure and meaning, compile. Every problem is reported
at once, each naming the file and the path inside it."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable, Mapping
from dataclasses import replace
from decimal import Decimal
from typing import Any

from marshmallow import ValidationError

from spcncl_core.criteria.merge import merge
from spcncl_core.criteria.model import (
    CriteriaSet,
    Criterion,
    DerivedSpec,
    Group,
    InputSpec,
    PassRule,
    Prerequisite,
    TieBreak,
)
from spcncl_core.criteria.outcome import parse_classes, parse_pass, parse_rounding
from spcncl_core.criteria.schema import CriteriaSetSchema
from spcncl_core.engine.compile import compile_set
from spcncl_core.engine.context import RuleContext, flatten_messages, join_path
from spcncl_core.engine.prerequisites import parse_prerequisite_rule
from spcncl_core.engine.rules import parse_rule
from spcncl_core.errors import CriteriaSetError, PluginError, Problem, did_you_mean
from spcncl_core.numbers import show, to_decimal
from spcncl_core.registries import CriteriaSetSource, Registries

_SCHEMA = CriteriaSetSchema()
DEFAULT_SCORE_STEP = Decimal("0.5")


def content_hash(document: Mapping[str, Any]) -> str:
    """sha256 of the merged document in canonical JSON: the exact content that produced a result."""
    canonical = json.dumps(document, sort_keys=True, ensure_ascii=False, separators=(",", ":"), default=str)
    return hashlib.sha256(canonical.encode("utf-8")).hexdigest()


def load_criteria_sets(sources: Iterable[CriteriaSetSource], registries: Registries,
                       known: Mapping[str, CriteriaSet] | None = None) -> dict[str, CriteriaSet]:
    """Load and validate documents; `known` sets may be extended but are not returned. Raises CriteriaSetError."""
    known = dict(known or {})
    problems: list[Problem] = []
    by_id: dict[str, CriteriaSetSource] = {}
    for src in sources:
        doc = src.document
        if not isinstance(doc, Mapping):
            problems.append(Problem(src.source, "must be a mapping of keys (id, title, groups, …), "
                                                f"not {type(doc).__name__}"))
            continue
        set_id = doc.get("id")
        if not isinstance(set_id, str) or not set_id:
            problems.append(Problem(f"{src.source}: id", "required key is missing"))
            continue
        if set_id in by_id and by_id[set_id].plugin == src.plugin:  # two files of one plugin (or command line)
            problems.append(Problem(f"{src.source}: id", f"criteria set id '{set_id}' is also declared by "
                                                         f"{by_id[set_id].source}; each set needs its own id"))
            continue
        if set_id in by_id:
            other = by_id[set_id]
            raise PluginError(f"criteria set '{set_id}' is registered twice: by plugin '{other.plugin}' "
                              f"({other.source}) and by plugin '{src.plugin}' ({src.source})")
        if set_id in known:
            raise PluginError(f"criteria set '{set_id}' ({src.source}) is already registered "
                              f"({known[set_id].source})")
        by_id[set_id] = src

    loaded: dict[str, CriteriaSet] = {}
    merged_docs: dict[str, dict[str, Any] | None] = {k: dict(v.document) for k, v in known.items()}

    def resolve(set_id: str, chain: tuple[str, ...]) -> dict[str, Any] | None:
        if set_id in merged_docs:
            return merged_docs[set_id]
        src = by_id[set_id]
        doc = src.document
        base_id = doc.get("extends")
        merged_docs[set_id] = None  # provisional: a cycle back here finds None
        if base_id is None:
            merged: dict[str, Any] | None = dict(doc)
            label = src.source
        else:
            label = f"{src.source} (merged with '{base_id}')"
            merged = None
            if not _structure_ok(doc, src.source, problems, partial=True):
                pass
            elif base_id in chain or base_id == set_id:
                loop = chain[chain.index(base_id):] if base_id in chain else ()
                cycle = " → ".join((*loop, set_id, base_id))
                problems.append(Problem(f"{src.source}: extends", f"cycle in extends: {cycle}"))
            elif base_id not in by_id and base_id not in known:
                problems.append(Problem(f"{src.source}: extends", f"unknown criteria set '{base_id}'"
                                        f"{did_you_mean(str(base_id), [*by_id, *known])}"))
            else:
                base = resolve(base_id, (*chain, set_id))
                if base is not None:
                    merged, merge_problems = merge(base, doc)
                    problems.extend(Problem(f"{src.source}: {p}", m) for p, m in merge_problems)
                    merged["extends"] = base_id
        merged_docs[set_id] = merged
        if merged is not None:
            result = build_criteria_set(merged, label, registries, problems, src.source)
            if result is not None:
                loaded[set_id] = replace(result, compiled=compile_set(result, registries))
            else:
                merged_docs[set_id] = None
        return merged_docs[set_id]

    for set_id in by_id:
        resolve(set_id, ())
    if problems:
        raise CriteriaSetError(problems)
    return loaded


def _structure_ok(doc: Mapping[str, Any], source: str, problems: list[Problem], partial: bool) -> bool:
    try:
        _SCHEMA.load(doc, partial=partial)
    except ValidationError as exc:
        problems.extend(Problem(f"{source}: {p}", m) for p, m in flatten_messages(exc.messages, ""))
        return False
    return True


def build_criteria_set(document: Mapping[str, Any], label: str, registries: Registries,
                       problems: list[Problem], source: str | None = None) -> CriteriaSet | None:
    """Validate one merged document and build the typed, compiled set; append problems and return None if invalid.

    Structure and meaning are checked in one run: when the structure has problems, the parts that loaded are
    still checked for meaning, so a file's problems are all reported together.
    """
    before = len(problems)
    try:
        data = _SCHEMA.load(document)
    except ValidationError as exc:
        problems.extend(Problem(f"{label}: {p}", m) for p, m in flatten_messages(exc.messages, ""))
        data = _partial(exc.valid_data if isinstance(exc.valid_data, dict) else {}, exc.messages)
    if data.get("remove") and not data.get("extends"):
        problems.append(Problem(f"{label}: remove", "only a set that extends another can remove entries"))
    inputs = tuple(_input(d) for d in data.get("inputs", ()))
    derived_items = data.get("derived", [])
    ctx = RuleContext(
        source=label,
        inputs={**{i.id: i.type for i in inputs}, **{d["id"]: "derived" for d in derived_items}},
        options={i.id: i.options for i in inputs},
        registries=registries,
        problems=problems,
    )
    _unique(ctx, "inputs", [i.id for i in inputs] + [d["id"] for d in derived_items], "input or derived indicator")
    derived = _derived(derived_items, {i.id for i in inputs}, ctx)
    prerequisites = _prerequisites(data.get("prerequisites", []), ctx)
    step = data.get("score_step") or DEFAULT_SCORE_STEP
    group_items = data.get("groups") or []
    seen_groups: set[str] = set()
    for at, g in _walk_groups(group_items):
        if g["id"] in seen_groups:
            ctx.problem(f"{at}.id", f"group '{g['id']}' is declared twice")
        seen_groups.add(g["id"])
    _unique(ctx, "criteria", [c["id"] for _, g in _walk_groups(group_items) for c in g.get("criteria", ())],
            "criterion")
    if data.get("_groups_partial"):
        ctx.dropped += 1  # a group or criterion left out: sums over groups are not checked
    groups = tuple(_group(g, f"groups[{gi}]", (), step, ctx) for gi, g in enumerate(group_items))

    declared_total = data.get("total_points")
    total = sum((g.max_points for g in groups), Decimal(0))
    if declared_total is not None and "groups" in data and not data.get("_groups_partial") \
            and not ctx.dropped and total != declared_total:
        per_group = ", ".join(f"{g.id} {show(g.max_points)}" for g in groups)
        ctx.problem("total_points", f"the criteria's max_points add up to {show(total)} ({per_group}), "
                                    f"not the declared {show(declared_total)}")
    all_groups = {g.id: g.max_points for top in groups for g in top.all_groups()}
    all_criteria = {c.id: c.max_points for top in groups for c in top.all_criteria()}
    rounding = parse_rounding(data.get("rounding", 2), ctx.problem)
    classes = parse_classes(data.get("classes", []), declared_total, ctx.problem)
    pass_rule = None
    if data.get("pass_") is not None:
        pass_rule = parse_pass(data["pass_"], all_groups, all_criteria, declared_total, ctx.problem)
    elif "pass_" in data and not document.get("classes"):
        ctx.problem("pass", "required when the set declares no classes: e.g. {operator: \">\", points: 70}")
    if data.get("provenance") == "partly-official" and not data.get("official_parts"):
        ctx.problem("official_parts", "a partly-official set lists which parts are official, e.g. "
                                      "[\"P9 (revenue gate, 1520/HD-SCT)\"]")
    elif data.get("official_parts") and data.get("provenance") in ("official", "reconstruction", "draft"):
        ctx.problem("official_parts", f"only a partly-official set lists official parts; provenance is "
                                      f"{data['provenance']}")
    for i, tie in enumerate(data.get("tie_breaks", [])):
        if tie["by"] == "subtotal" and tie.get("group") not in all_groups:
            ctx.problem(f"tie_breaks[{i}].group", f"unknown group '{tie.get('group')}'"
                                                  f"{did_you_mean(str(tie.get('group')), all_groups)}")
    aggregation = None
    if "aggregation" in data:
        aggregation = registries.aggregations.get(data["aggregation"])
        if aggregation is None:
            ctx.problem("aggregation", f"unknown aggregation '{data['aggregation']}'"
                                       f"{did_you_mean(data['aggregation'], registries.aggregations)}; known: "
                                       f"{', '.join(registries.aggregations)}")
    if len(problems) > before or aggregation is None:
        return None

    document = dict(document)
    return CriteriaSet(
        id=data["id"], title=data["title"], jurisdiction=data["jurisdiction"],
        year_from=data["years"]["from_"], year_to=data["years"]["to"], product_group=data["product_group"],
        provenance=data["provenance"], official_parts=tuple(data["official_parts"]),
        legal_basis=tuple(data["legal_basis"]), notes=data["notes"],
        total_points=data["total_points"],
        pass_rule=pass_rule or PassRule(None, None, None), top=data["top"],
        tie_breaks=tuple(TieBreak(t["by"], t.get("group")) for t in data["tie_breaks"]),
        aggregation=data["aggregation"], rounding=rounding, score_step=step,
        recognition_years=data["recognition_years"], comment_days=data["comment_days"],
        inputs=inputs, derived=derived, prerequisites=prerequisites, groups=groups,
        extends=data["extends"], source=source or label, document=document,
        content_hash=content_hash(document), classes=classes,
    )


def _partial(valid: dict[str, Any], messages: Any) -> dict[str, Any]:
    """What of a document that failed its structural check can still be checked for meaning: the top-level keys
    that loaded, with the list entries that had no problem of their own."""
    out: dict[str, Any] = {}
    errors = messages if isinstance(messages, Mapping) else {}
    for key, value in valid.items():
        bad = errors.get(key)
        if isinstance(value, list) and isinstance(bad, Mapping):
            out[key] = [_clean_group(v, bad.get(i)) if key == "groups" else v
                        for i, v in enumerate(value) if key == "groups" or i not in bad]
            if key == "groups":
                out[key] = [g for g in out[key] if g is not None]
        elif bad is None:
            out[key] = value
    out["_groups_partial"] = "groups" in errors
    out.setdefault("inputs", [])
    out.setdefault("derived", [])
    out.setdefault("prerequisites", [])
    out.setdefault("tie_breaks", [])
    if "pass_" not in out and "pass" not in errors:
        out["pass_"] = None
    return out


def _clean_group(group: Any, errors: Any) -> dict[str, Any] | None:
    if not isinstance(group, Mapping) or "id" not in group:
        return None
    if not isinstance(errors, Mapping):
        errors = {}
    if any(k in errors for k in ("id", "max_points", "cap", "_schema")):
        return None
    out = dict(group)
    crit_errors = errors.get("criteria") if isinstance(errors.get("criteria"), Mapping) else {}
    out["criteria"] = [c for i, c in enumerate(group.get("criteria") or []) if i not in crit_errors
                       and isinstance(c, Mapping) and "max_points" in c and "score" in c and "id" in c]
    sub_errors = errors.get("groups") if isinstance(errors.get("groups"), Mapping) else {}
    out["groups"] = [x for x in (_clean_group(g, sub_errors.get(i)) for i, g in enumerate(group.get("groups") or []))
                     if x is not None]
    out.setdefault("cap", False)
    return out


def _walk_groups(items: list[dict[str, Any]], base: str = "groups") -> list[tuple[str, dict[str, Any]]]:
    """Every group with its path, depth first."""
    out: list[tuple[str, dict[str, Any]]] = []
    for i, g in enumerate(items):
        out.append((f"{base}[{i}]", g))
        out += _walk_groups(g.get("groups") or [], f"{base}[{i}].groups")
    return out


def _input(d: Mapping[str, Any]) -> InputSpec:
    return InputSpec(id=d["id"], type=d["type"], label=d["label"], unit=d.get("unit"), min=d.get("min"),
                     max=d.get("max"), options=tuple(d.get("options") or ()), required=d["required"])


def _unique(ctx: RuleContext, where: str, ids: list[str], what: str) -> None:
    seen: set[str] = set()
    for i, item in enumerate(ids):
        if item in seen:
            ctx.problem(f"{where}[{i}].id", f"{what} '{item}' is declared twice")
        seen.add(item)


def _derived(items: list[dict[str, Any]], input_ids: set[str], ctx: RuleContext) -> tuple[DerivedSpec, ...]:
    specs = []
    available = set(input_ids)
    for i, d in enumerate(items):
        at = f"derived[{i}]"
        function = ctx.registries.functions.get(d["function"])
        if function is None:
            ctx.problem(f"{at}.function", f"unknown function '{d['function']}'"
                                          f"{did_you_mean(d['function'], ctx.registries.functions)}; known: "
                                          f"{', '.join(ctx.registries.functions)}")
        elif len(d["args"]) != function.arity:
            ctx.problem(f"{at}.args", f"{function.name} takes {function.arity} arguments, got {len(d['args'])}")
        args: list[tuple[bool, Any]] = []
        for j, arg in enumerate(d["args"]):
            if isinstance(arg, str):
                if arg not in available:
                    later = " (declare it earlier: derived indicators are computed in order)" if arg in ctx.inputs \
                        else did_you_mean(arg, available)
                    ctx.problem(f"{at}.args[{j}]", f"unknown input '{arg}'{later}")
                elif ctx.inputs.get(arg) not in ("number", "integer", "percent", "derived"):
                    ctx.problem(f"{at}.args[{j}]", f"input '{arg}' is of type {ctx.inputs.get(arg)}; needs a number")
                args.append((True, arg))
            else:
                try:
                    args.append((False, to_decimal(arg)))
                except ValueError:
                    ctx.problem(f"{at}.args[{j}]", f"must be an input id or a number, got {arg!r}")
        available.add(d["id"])
        specs.append(DerivedSpec(d["id"], d["function"], tuple(a for _, a in args), d["label"]))
    return tuple(specs)


def _prerequisites(items: list[dict[str, Any]], ctx: RuleContext) -> tuple[Prerequisite, ...]:
    _unique(ctx, "prerequisites", [p["id"] for p in items], "prerequisite")
    specs = []
    for i, p in enumerate(items):
        parsed = parse_prerequisite_rule(p["rule"], f"prerequisites[{i}].rule", ctx)
        if parsed is not None:
            check, rule = parsed
            specs.append(Prerequisite(p["id"], p["title"], p["rule"], check.describe(rule), check.name, rule))
    return tuple(specs)


def _group(g: dict[str, Any], at: str, path: tuple[str, ...], step: Decimal, ctx: RuleContext) -> Group:
    """A group and its sub-groups; checks each criterion's rule and the group's declared maximum."""
    criteria = []
    inner = (*path, g["id"])
    for ci, c in enumerate(g.get("criteria") or []):
        where = f"{at}.criteria[{ci}]"
        maximum: Decimal = c["max_points"]
        if maximum % step:
            ctx.problem(join_path(where, "max_points"), f"must be a multiple of score_step ({show(step)})")
        when_undefined = c.get("when_undefined")
        if when_undefined is not None and when_undefined > maximum:
            ctx.problem(join_path(where, "when_undefined"), f"must be ≤ max_points ({show(maximum)})")
        ctx.max_points = maximum
        parsed = parse_rule(c["score"], join_path(where, "score"), ctx)
        ctx.max_points = None
        if parsed is None:
            ctx.dropped += 1
            continue
        kind, rule = parsed
        criteria.append(Criterion(c["id"], g["id"], c["title"], maximum, kind.name, rule, kind.manual,
                                  kind.describe(rule), c.get("guidance") or {}, when_undefined, inner))
    subgroups = tuple(_group(sub, f"{at}.groups[{si}]", inner, step, ctx)
                      for si, sub in enumerate(g.get("groups") or []))
    if "title" not in g:  # an extension's new group must be whole: the merge has no base to take it from
        ctx.problem(join_path(at, "title"), "required key is missing")
    group = Group(g["id"], g.get("title") or {}, tuple(criteria), subgroups, g.get("max_points"),
                  bool(g.get("cap")))
    declared = g.get("max_points")
    if declared is not None and not ctx.dropped:
        children = group.children_max
        if group.cap and declared >= children:
            ctx.problem(f"{at}.max_points", f"a cap must be below what the children can score ({show(children)}); "
                                            f"{show(declared)} cuts nothing")
        elif not group.cap and declared != children:
            ctx.problem(f"{at}.max_points", f"the children's max_points add up to {show(children)}, not the declared "
                                            f"{show(declared)} (add cap: true to cut their sum at {show(declared)})")
        if declared % step:
            ctx.problem(f"{at}.max_points", f"must be a multiple of score_step ({show(step)})")
    return group
