"""What changed between two criteria sets: settings, inputs, prerequisites, groups, criterion by criterion."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

from spcncl_core.criteria.model import CriteriaSet
from spcncl_core.numbers import show


@dataclass(frozen=True, slots=True)
class Change:
    """One difference. `change` is added, removed or changed; `field` says which part of the item changed."""

    what: str  # setting | input | prerequisite | group | criterion
    id: str
    change: str
    field: str
    before: str | None
    after: str | None


def _label(label: object) -> str:
    if not label:
        return ""
    return "; ".join(f"{k}: {v}" for k, v in sorted(dict(label).items()))  # type: ignore[call-overload]


def _num(value: Decimal | None) -> str:
    return "" if value is None else show(value)


def _settings(s: CriteriaSet) -> dict[str, str]:
    return {
        "title": _label(s.title), "jurisdiction": s.jurisdiction, "years": s.years_label,
        "product_group": s.product_group, "provenance": s.provenance, "official_parts": "; ".join(s.official_parts),
        "legal_basis": "; ".join(s.legal_basis), "notes": _label(s.notes), "total_points": show(s.total_points),
        "pass": s.pass_rule.describe() if not s.pass_rule.simple else str(s.pass_rule),
        "classes": "; ".join(f"{c.id} {c.operator} {show(c.points)}{' recognised' if c.recognised else ''} "
                             f"({_label(c.label)})" for c in s.classes),
        "top": str(s.top), "tie_breaks": ", ".join(map(str, s.tie_breaks)), "aggregation": s.aggregation,
        "rounding": str(s.rounding), "score_step": show(s.score_step),
        "recognition_years": str(s.recognition_years), "comment_days": str(s.comment_days),
    }


def _compare(what: str, before: dict[str, dict[str, str]], after: dict[str, dict[str, str]]) -> list[Change]:
    out: list[Change] = []
    for item_id, fields_a in before.items():
        if item_id not in after:
            out.append(Change(what, item_id, "removed", "", _summary(fields_a), None))
            continue
        for name, value in fields_a.items():
            other = after[item_id].get(name)
            if other != value:
                out.append(Change(what, item_id, "changed", name, value, other))
    for item_id, fields_b in after.items():
        if item_id not in before:
            out.append(Change(what, item_id, "added", "", None, _summary(fields_b)))
    return out


def _summary(fields: dict[str, str]) -> str:
    return "; ".join(f"{k}: {v}" for k, v in fields.items() if v)


def _parents(s: CriteriaSet) -> dict[str, str]:
    return {sub.id: g.id for g in s.all_groups() for sub in g.groups}


def diff_sets(a: CriteriaSet, b: CriteriaSet) -> list[Change]:
    """Every difference from `a` to `b`: settings (title, years, legal basis, provenance, pass rule, classes,
    rounding, aggregation, top, tie-breaks, …), then inputs (type, unit, label, min, max, options, required),
    derived indicators, prerequisites, groups (title, maximum, cap, parent) and criteria (group, title, maximum,
    rule, when_undefined)."""
    sa, sb = _settings(a), _settings(b)
    changes = [Change("setting", name, "changed", name, value, sb[name]) for name, value in sa.items()
               if sb[name] != value]
    changes += _compare("input", *({i.id: {"type": i.type, "unit": i.unit or "", "label": _label(i.label),
                                           "min": _num(i.min), "max": _num(i.max), "options": ", ".join(i.options),
                                           "required": str(i.required)} for i in s.inputs} for s in (a, b)))
    changes += _compare("derived", *({d.id: {"function": f"{d.function}({', '.join(map(str, d.args))})",
                                             "label": _label(d.label)} for d in s.derived} for s in (a, b)))
    changes += _compare("prerequisite", *({p.id: {"rule": p.description, "title": _label(p.title)}
                                           for p in s.prerequisites} for s in (a, b)))
    changes += _compare("group", *({g.id: {"title": _label(g.title), "parent": _parents(s).get(g.id, ""),
                                           "max_points": show(g.max_points), "cap": str(g.cap)}
                                    for g in s.all_groups()} for s in (a, b)))
    changes += _compare("criterion", *({c.id: {"group": c.group, "title": _label(c.title),
                                               "max_points": show(c.max_points), "rule": c.description,
                                               "when_undefined": _num(c.when_undefined)}
                                        for c in s.criteria} for s in (a, b)))
    return changes
