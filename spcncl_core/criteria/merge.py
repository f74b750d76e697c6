"""How a criteria set that `extends` another is merged with its base (see docs/criteria-sets.md).

- Top-level keys given by the child replace the base's.
- `inputs`, `derived` and `prerequisites` merge by id: an entry with a base id replaces it, a new id is appended.
- `groups` merge by id, sub-groups too (at any depth); inside a group, `criteria` merge by id and a criterion given
  again is merged key by key (give only `max_points` and `score` to change a table, the title stays).
- `remove: {inputs, derived, prerequisites, groups, criteria: [ids]}` drops entries of the base.
"""

from __future__ import annotations

import copy
from collections.abc import Mapping
from typing import Any

from spcncl_core.errors import did_you_mean

BY_ID = ("inputs", "derived", "prerequisites")


def _merge_list(base: list[Any], child: list[Any], field_wise: bool) -> list[Any]:
    out = [copy.deepcopy(item) for item in base]
    index = {item.get("id"): i for i, item in enumerate(out) if isinstance(item, Mapping)
             and isinstance(item.get("id"), str)}
    for item in child:
        key = item.get("id") if isinstance(item, Mapping) else None
        if isinstance(key, str) and key in index:
            i = index[key]
            out[i] = {**out[i], **copy.deepcopy(item)} if field_wise else copy.deepcopy(item)
        else:  # a new entry; one without a text id is left for the schema to report
            if isinstance(key, str):
                index[key] = len(out)
            out.append(copy.deepcopy(item))
    return out


def merge(base: Mapping[str, Any], child: Mapping[str, Any]) -> tuple[dict[str, Any], list[tuple[str, str]]]:
    """Merge `child` onto `base`; return the merged document and (path, message) problems from `remove`."""
    merged = copy.deepcopy(dict(base))
    problems: list[tuple[str, str]] = []
    for key, value in child.items():
        if key == "remove":
            continue
        if key in BY_ID and isinstance(value, list):
            merged[key] = _merge_list(merged.get(key) or [], value, field_wise=False)
        elif key == "groups" and isinstance(value, list):
            merged["groups"] = _merge_groups(merged.get("groups") or [], value)
        else:
            merged[key] = copy.deepcopy(value)
    removal = child.get("remove") or {}
    if isinstance(removal, Mapping):
        for key, ids in removal.items():
            if not isinstance(ids, list):
                continue
            for i, item_id in enumerate(ids):
                if not _remove(merged, key, item_id):
                    known = _ids(merged, key)
                    problems.append((f"remove.{key}[{i}]", f"'{item_id}' is not in the base set"
                                                          f"{did_you_mean(str(item_id), known)}"))
    merged.pop("remove", None)
    return merged, problems


def _merge_groups(groups: list[Any], child: list[Any]) -> list[Any]:
    index = {g.get("id"): i for i, g in enumerate(groups) if isinstance(g, Mapping) and isinstance(g.get("id"), str)}
    for group in child:
        if not isinstance(group, Mapping):
            continue
        gid = group.get("id")
        if isinstance(gid, str) and gid in index:  # a group without a text id is appended, reported by the schema
            target = groups[index[gid]]
            for gkey, gvalue in group.items():
                if gkey == "criteria" and isinstance(gvalue, list):
                    target["criteria"] = _merge_list(target.get("criteria") or [], gvalue, field_wise=True)
                elif gkey == "groups" and isinstance(gvalue, list):
                    target["groups"] = _merge_groups(target.get("groups") or [], gvalue)
                else:
                    target[gkey] = copy.deepcopy(gvalue)
        else:
            if isinstance(gid, str):
                index[gid] = len(groups)
            groups.append(copy.deepcopy(dict(group)))
    return groups


def _all_groups(groups: list[Any]) -> list[dict[str, Any]]:
    out: list[dict[str, Any]] = []
    for g in groups:
        if isinstance(g, Mapping):
            out.append(g)  # type: ignore[arg-type]
            out += _all_groups(g.get("groups") or [])
    return out


def _ids(doc: Mapping[str, Any], key: str) -> list[str]:
    if key == "criteria":
        return [c.get("id") for g in _all_groups(doc.get("groups") or []) for c in g.get("criteria") or []
                if isinstance(c, Mapping)]
    if key == "groups":
        return [g.get("id") for g in _all_groups(doc.get("groups") or [])]
    return [item.get("id") for item in doc.get(key) or [] if isinstance(item, Mapping)]


def _remove(doc: dict[str, Any], key: str, item_id: Any) -> bool:
    if key == "criteria":
        for group in _all_groups(doc.get("groups") or []):
            before = group.get("criteria") or []
            after = [c for c in before if not (isinstance(c, Mapping) and c.get("id") == item_id)]
            if len(after) != len(before):
                group["criteria"] = after
                return True
        return False
    if key == "groups":
        holders = [doc] + _all_groups(doc.get("groups") or [])
        for holder in holders:
            before = holder.get("groups") or []
            after = [g for g in before if not (isinstance(g, Mapping) and g.get("id") == item_id)]
            if len(after) != len(before):
                holder["groups"] = after
                return True
        return False
    before = doc.get(key) or []
    after = [item for item in before if not (isinstance(item, Mapping) and item.get("id") == item_id)]
    doc[key] = after
    return len(after) != len(before)
