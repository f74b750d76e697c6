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
    """Validate one merged document and build the typed, compiled set; append problems and return None if invalid."""
    try:
        data = _SCHEMA.load(document)
    except ValidationError as exc:
        problems.extend(Problem(f"{label}: {p}", m) for p, m in flatten_messages(exc.messages, ""))
        return None
    if data.get("remove") and not data.get("extends"):
        problems.append(Problem(f"{label}: remove", "only a set that extends another can remove entries"))
    before = len(problems)
    inputs = tuple(_input(d) for d in data["inputs"])
    ctx = RuleContext(
        source=label,
        inputs={**{i.id: i.type for i in inputs}, **{d["id"]: "derived" for d in data["derived"]}},
        options={i.id: i.options for i in inputs},
        registries=registries,
        problems=problems,
    )
    _unique(ctx, "inputs", [i.id for i in inputs] + [d["id"] for d in data["derived"]], "input or derived indicator")
    derived = _derived(data["derived"], {i.id for i in inputs}, ctx)
    prerequisites = _prerequisites(data["prerequisites"], ctx)
    step = data["score_step"] if data["score_step"] is not None else DEFAULT_SCORE_STEP
    groups = _groups(data["groups"], step, ctx)

    group_max = {g["id"]: sum((c["max_points"] for c in g["criteria"]), Decimal(0)) for g in data["groups"]}
    total = sum(group_max.values(), Decimal(0))
    if total != data["total_points"]:
        per_group = ", ".join(f"{g} {show(m)}" for g, m in group_max.items())
        ctx.problem("total_points", f"the criteria's max_points add up to {show(total)} ({per_group}), "
                                    f"not the declared {show(data['total_points'])}")
    if data["pass_"]["points"] > data["total_points"]:
        ctx.problem("pass.points", f"must be ≤ total_points ({show(data['total_points'])})")
    group_ids = list(group_max)
    for i, tie in enumerate(data["tie_breaks"]):
        if tie["by"] == "subtotal" and tie.get("group") not in group_ids:
            ctx.problem(f"tie_breaks[{i}].group", f"unknown group '{tie.get('group')}'"
                                                  f"{did_you_mean(str(tie.get('group')), group_ids)}")
    aggregation = registries.aggregations.get(data["aggregation"])
    if aggregation is None:
        ctx.problem("aggregation", f"unknown aggregation '{data['aggregation']}'"
                                   f"{did_you_mean(data['aggregation'], registries.aggregations)}; known: "
                                   f"{', '.join(registries.aggregations)}")
    if len(problems) > before or aggregation is None:
        return None

    document = dict(document)
    pass_rule = PassRule(data["pass_"]["operator"], data["pass_"]["points"])
    return CriteriaSet(
        id=data["id"], title=data["title"], jurisdiction=data["jurisdiction"],
        year_from=data["years"]["from_"], year_to=data["years"]["to"], product_group=data["product_group"],
        provenance=data["provenance"], legal_basis=tuple(data["legal_basis"]), notes=data["notes"],
        total_points=data["total_points"],
        pass_rule=pass_rule, top=data["top"],
        tie_breaks=tuple(TieBreak(t["by"], t.get("group")) for t in data["tie_breaks"]),
        aggregation=data["aggregation"], rounding_places=data["rounding"], score_step=step,
        recognition_years=data["recognition_years"], comment_days=data["comment_days"],
        inputs=inputs, derived=derived, prerequisites=prerequisites, groups=groups,
        extends=data["extends"], source=source or label, document=document,
        content_hash=content_hash(document),
    )


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


def _groups(items: list[dict[str, Any]], step: Decimal, ctx: RuleContext) -> tuple[Group, ...]:
    _unique(ctx, "groups", [g["id"] for g in items], "group")
    _unique(ctx, "criteria", [c["id"] for g in items for c in g["criteria"]], "criterion")
    groups = []
    for gi, g in enumerate(items):
        criteria = []
        if not g["criteria"]:
            ctx.problem(f"groups[{gi}].criteria", "a group needs at least one criterion")
        for ci, c in enumerate(g["criteria"]):
            at = f"groups[{gi}].criteria[{ci}]"
            maximum: Decimal = c["max_points"]
            if maximum % step:
                ctx.problem(join_path(at, "max_points"), f"must be a multiple of score_step ({show(step)})")
            ctx.max_points = maximum
            parsed = parse_rule(c["score"], join_path(at, "score"), ctx)
            ctx.max_points = None
            if parsed is None:
                continue
            kind, rule = parsed
            criteria.append(Criterion(c["id"], g["id"], c["title"], maximum, kind.name, rule, kind.manual,
                                      kind.describe(rule), c.get("guidance") or {}))
        groups.append(Group(g["id"], g["title"], tuple(criteria)))
    return tuple(groups)
