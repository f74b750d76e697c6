"""What changed between two criteria sets: settings, inputs, prerequisites, groups, criterion by criterion."""

from __future__ import annotations

from dataclasses import dataclass

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


def _settings(s: CriteriaSet) -> dict[str, str]:
    return {
        "jurisdiction": s.jurisdiction, "years": s.years_label, "product_group": s.product_group,
        "provenance": s.provenance, "total_points": show(s.total_points), "pass": str(s.pass_rule),
        "top": str(s.top), "tie_breaks": ", ".join(map(str, s.tie_breaks)), "aggregation": s.aggregation,
        "rounding": str(s.rounding_places), "score_step": show(s.score_step),
        "recognition_years": str(s.recognition_years), "comment_days": str(s.comment_days),
        "legal_basis": "; ".join(s.legal_basis),
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


def diff_sets(a: CriteriaSet, b: CriteriaSet) -> list[Change]:
    """Every difference from `a` to `b`, settings first, then inputs, prerequisites, groups and criteria."""
    changes = [Change("setting", name, "changed", name, value, _settings(b)[name])
               for name, value in _settings(a).items() if _settings(b)[name] != value]
    changes += _compare("input", *({i.id: {"type": i.type, "options": ", ".join(i.options),
                                           "required": str(i.required)} for i in s.inputs} for s in (a, b)))
    changes += _compare("derived", *({d.id: {"function": f"{d.function}({', '.join(map(str, d.args))})"}
                                      for d in s.derived} for s in (a, b)))
    changes += _compare("prerequisite", *({p.id: {"rule": p.description, "title": p.title.get("vi", "")}
                                           for p in s.prerequisites} for s in (a, b)))
    changes += _compare("group", *({g.id: {"title": g.title.get("vi", ""), "max_points": show(g.max_points)}
                                    for g in s.groups} for s in (a, b)))
    changes += _compare("criterion", *({c.id: {"group": c.group, "title": c.title.get("vi", ""),
                                               "max_points": show(c.max_points), "rule": c.description}
                                        for c in s.criteria} for s in (a, b)))
    return changes
