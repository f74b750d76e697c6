"""Criteria sets to and from Excel, so that an official can prepare next year's set without YAML.

One sheet per part of the format: settings (Thông tin), inputs (Chỉ tiêu), derived indicators (Chỉ số),
prerequisites (Điều kiện), criteria (Tiêu chí). Row 3 of each table holds the format's keys: `label.vi` is a key
inside a mapping, `options[]` a comma-separated list, `score{}` a rule written in YAML flow style
(`{bands: {of: product_revenue, levels: [{gte: 1000, points: 15}]}}`). Columns headed `(mô tả)` are for reading
only. An imported set is validated by the same loader as a YAML file; each problem names its sheet and cell.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from decimal import Decimal, InvalidOperation
from pathlib import Path
from typing import Any, BinaryIO

import yaml
from openpyxl.utils import get_column_letter

from spcncl_core.catalog import Catalog
from spcncl_core.criteria.model import CriteriaSet
from spcncl_core.errors import CriteriaSetError, Problem, WorkbookError
from spcncl_core.excel.layout import (
    GREY_FILL,
    WRAP,
    freeze,
    header_row,
    new_workbook,
    print_setup,
    provenance_line,
    put,
    put_text,
    read_meta,
    titles,
    write_meta,
)
from spcncl_core.excel.safety import DEFAULT_LIMITS, Limits, read_grids
from spcncl_core.registries import CriteriaSetSource

KIND = "criteria-set"
SETTINGS = "Thông tin"
DESCRIPTION = "(mô tả)"
TABLES: tuple[tuple[str, str, list[tuple[str, str]]], ...] = (  # sheet, document key, (column key, label)
    ("Chỉ tiêu", "inputs", [("id", "Mã"), ("type", "Kiểu"), ("label.vi", "Tên (tiếng Việt)"),
                            ("label.en", "Tên (tiếng Anh)"), ("unit", "Đơn vị"), ("min", "Nhỏ nhất"),
                            ("max", "Lớn nhất"), ("options[]", "Các lựa chọn"), ("required", "Bắt buộc")]),
    ("Chỉ số", "derived", [("id", "Mã"), ("function", "Hàm"), ("args[]", "Tham số"), ("label.vi", "Tên"),
                           ("label.en", "Tên (tiếng Anh)")]),
    ("Điều kiện", "prerequisites", [("id", "Mã"), ("title.vi", "Điều kiện"), ("title.en", "Điều kiện (tiếng Anh)"),
                                    ("rule{}", "Quy tắc")]),
)
GROUPS = "Nhóm"
GROUP_COLUMNS = [("id", "Mã nhóm"), ("parent", "Thuộc nhóm"), ("title.vi", "Tên nhóm"),
                 ("title.en", "Tên nhóm (tiếng Anh)"), ("max_points", "Điểm tối đa (nếu khai báo)"),
                 ("cap", "Giới hạn ở điểm tối đa")]
CRITERIA = "Tiêu chí"
CRITERIA_COLUMNS = [("group", "Nhóm"), ("id", "Mã"), ("title.vi", "Tiêu chí"), ("title.en", "Tiêu chí (tiếng Anh)"),
                    ("max_points", "Điểm tối đa"), ("score{}", "Cách tính điểm"), ("guidance.vi", "Hướng dẫn chấm")]
PARTS = ("inputs", "derived", "prerequisites", "groups", "extends", "remove")


def _flow(value: Any) -> str:
    return yaml.safe_dump(value, default_flow_style=True, allow_unicode=True, sort_keys=False,
                          width=10**6).strip().removesuffix("...").strip()


def _cell(value: Any) -> Any:
    if isinstance(value, (list, dict)):
        return _flow(value)
    return value


def _get(item: Mapping[str, Any], key: str) -> Any:
    key = key.rstrip("[]{}")
    if "." in key:
        outer, inner = key.split(".", 1)
        sub = item.get(outer)
        return sub.get(inner) if isinstance(sub, Mapping) else None
    return item.get(key)


def write_criteria_book(criteria_set: CriteriaSet, target: str | Path | BinaryIO) -> Any:
    """Write a criteria set (its merged content, as a standalone set) as a readable, importable workbook."""
    document = {k: v for k, v in criteria_set.document.items() if k not in ("extends", "remove")}
    workbook = new_workbook()
    ws = workbook.create_sheet(SETTINGS)
    titles(ws, [f"BỘ TIÊU CHÍ {criteria_set.id}", criteria_set.label("vi"), provenance_line([criteria_set])], 3)
    header_row(ws, 4, ["Khoá", "Giá trị", "Ghi chú"])
    r = 5
    for key, value in document.items():
        if key in PARTS:
            continue
        if isinstance(value, list):
            rows = [(f"{key}[{i}]", item) for i, item in enumerate(value, start=1)] or [(f"{key}[]", None)]
        elif isinstance(value, Mapping):
            rows = [(f"{key}.{k}", v) for k, v in value.items()]
        else:
            rows = [(key, value)]
        for name, item in rows:
            put_text(ws, r, 1, name, fill=GREY_FILL)
            cell = put(ws, r, 2, _cell(item)) if not isinstance(item, str) else put_text(ws, r, 2, item)
            cell.alignment = WRAP
            r += 1
    ws.column_dimensions["A"].width, ws.column_dimensions["B"].width, ws.column_dimensions["C"].width = 22, 90, 30
    print_setup(ws)
    for sheet, part, columns in TABLES:
        items = document.get(part) or []
        _table(workbook, sheet, _columns(columns, items), items, {})
    groups: list[dict[str, Any]] = []
    criteria: list[dict[str, Any]] = []

    def walk(group: Mapping[str, Any], parent: str | None) -> None:
        groups.append({**{k: v for k, v in group.items() if k not in ("criteria", "groups")}, "parent": parent})
        criteria.extend({**c, "group": group.get("id")} for c in group.get("criteria", []))
        for sub in group.get("groups", []):
            walk(sub, group.get("id"))

    for group in document.get("groups", []):
        walk(group, None)
    _table(workbook, GROUPS, _columns(GROUP_COLUMNS, groups), groups, {})
    described = {c.id: c.description for c in criteria_set.criteria}
    _table(workbook, CRITERIA, _columns(CRITERIA_COLUMNS, criteria), criteria, described)
    write_meta(workbook, KIND, {"criteria_set": criteria_set.id, "content_hash": criteria_set.content_hash})
    workbook.save(target)
    return target


def _columns(preferred: list[tuple[str, str]], items: list[Mapping[str, Any]]) -> list[tuple[str, str]]:
    """The preferred columns, then a column for every other key the items use (a mapping of texts: one column per
    language; a list of plain values: `key[]`; anything else nested: `key{}`)."""
    columns = list(preferred)
    known = {k.rstrip("[]{}") for k, _ in columns}
    for item in items:
        for key, value in item.items():
            if isinstance(value, Mapping) and all(not isinstance(v, (Mapping, list)) for v in value.values()):
                names = [f"{key}.{sub}" for sub in value]
            elif isinstance(value, list) and all(not isinstance(v, (Mapping, list)) for v in value):
                names = [f"{key}[]"]
            elif isinstance(value, (Mapping, list)):
                names = [f"{key}{{}}"]
            else:
                names = [key]
            for name in names:
                if name.rstrip("[]{}") not in known:
                    known.add(name.rstrip("[]{}"))
                    columns.append((name, name))
    return columns


def _table(workbook: Any, sheet: str, columns: list[tuple[str, str]], items: list[Mapping[str, Any]],
           described: Mapping[str, str]) -> None:
    ws = workbook.create_sheet(sheet)
    keys = [k for k, _ in columns] + ([DESCRIPTION] if described else [])
    titles(ws, [f"{sheet.upper()} — hàng 3 là khoá của định dạng (không sửa)"], len(keys))
    header_row(ws, 2, [label for _, label in columns] + (["Mô tả (chỉ để đọc)"] if described else []))
    for j, key in enumerate(keys, start=1):
        put_text(ws, 3, j, key, fill=GREY_FILL)
    for r, item in enumerate(items, start=4):
        for j, key in enumerate(keys, start=1):
            if key == DESCRIPTION:
                put_text(ws, r, j, described.get(str(item.get("id")), "")).alignment = WRAP
                continue
            value = _get(item, key)
            if key.endswith("[]") and isinstance(value, list):
                value = ", ".join(str(v) for v in value)
            elif key.endswith("{}") and value is not None:
                value = _flow(value)
            cell = put_text(ws, r, j, value) if isinstance(value, str) else put(ws, r, j, _cell(value))
            cell.alignment = WRAP
    for j, key in enumerate(keys, start=1):
        wide = key.endswith("{}") or key == DESCRIPTION or key.startswith(("label", "title"))
        ws.column_dimensions[get_column_letter(j)].width = 60 if wide else 14
    freeze(ws, "B4")
    print_setup(ws, "2:3")


def _scalar(text: str) -> Any:
    text = text.strip()
    if re.fullmatch(r"-?\d+", text):
        return int(text)
    try:
        number = Decimal(text)
    except InvalidOperation:
        return text
    return float(number) if number.is_finite() else text


def _value(key: str, raw: Any, where: str, problems: list[Problem]) -> Any:
    if isinstance(raw, str) and raw.startswith("="):
        problems.append(Problem(where, "holds a formula; type the value itself"))
        return None
    if key.endswith("[]"):
        if raw is None:
            return []
        return [_scalar(p) for p in str(raw).split(",") if p.strip()]
    if key.endswith("{}") or (isinstance(raw, str) and raw.strip()[:1] in "{["):
        if raw is None:
            return None
        try:
            return yaml.safe_load(str(raw))
        except yaml.YAMLError as exc:
            problems.append(Problem(where, f"not a valid rule (YAML flow style): {getattr(exc, 'problem', exc)}"))
            return None
    if isinstance(raw, str):
        return raw.strip()
    return raw


def _put(target: dict[str, Any], key: str, value: Any) -> None:
    key = key.rstrip("[]{}")
    if "." in key:
        outer, inner = key.split(".", 1)
        if value is not None:
            target.setdefault(outer, {})[inner] = value
    elif value is not None or key in ("to",):
        target[key] = value


def read_criteria_book(path: str | Path, problems: list[Problem], limits: Limits = DEFAULT_LIMITS
                       ) -> tuple[dict[str, Any], dict[str, str]]:
    """The criteria-set document in a workbook, and where each of its paths came from ('groups[0].criteria[1]'
    → 'Tiêu chí!H5')."""
    path = Path(path)
    source = path.name
    grids = read_grids(path, limits)
    read_meta(grids, source, KIND)
    cells: dict[str, str] = {}
    document: dict[str, Any] = {}
    settings = grids.get(SETTINGS) or []
    lists: dict[str, list[Any]] = {}
    for r, row in enumerate(settings[4:], start=5):
        if not row or not isinstance(row[0], str) or not row[0].strip():
            continue
        key, raw = row[0].strip(), row[1] if len(row) > 1 else None
        where = f"{source}: {SETTINGS}!B{r}"
        match = re.fullmatch(r"(\w+)\[(\d*)\]", key)
        if match:
            items = lists.setdefault(match.group(1), [])
            cells[f"{match.group(1)}[{len(items)}]"] = f"{SETTINGS}!B{r}"
            cells.setdefault(match.group(1), f"{SETTINGS}!A{r}")
            if match.group(2):
                items.append(_value("", raw, where, problems))
            continue
        cells[key] = f"{SETTINGS}!B{r}"
        cells.setdefault(key.split(".")[0], f"{SETTINGS}!A{r}")
        value = _value(key, raw, where, problems)
        if "." in key:
            outer, inner = key.split(".", 1)
            document.setdefault(outer, {})[inner] = value
        else:
            document[key] = value
    document.update(lists)
    for sheet, part, _columns in TABLES:
        items = _read_table(grids.get(sheet) or [], sheet, part, source, cells, problems)
        if items:
            document[part] = items
    group_rows = _read_table(grids.get(GROUPS) or [], GROUPS, "group_rows", source, cells, problems)
    criteria = _read_table(grids.get(CRITERIA) or [], CRITERIA, "criteria", source, cells, problems)
    tree: list[dict[str, Any]] = []
    paths: dict[str, str] = {}
    by_id: dict[str, dict[str, Any]] = {}
    for i, row in enumerate(group_rows):
        parent = row.pop("parent", None)
        group = {**row, "criteria": []}
        siblings = tree if parent is None else by_id.get(str(parent), {}).setdefault("groups", [])
        if parent is not None and str(parent) not in by_id:
            problems.append(Problem(f"{source}: {cells.get(f'group_rows[{i}].parent', GROUPS)}",
                                    f"unknown group '{parent}': list a group before its sub-groups"))
            continue
        path = f"groups[{len(siblings)}]" if parent is None else f"{paths[str(parent)]}.groups[{len(siblings)}]"
        siblings.append(group)
        by_id[str(group.get("id"))] = group
        paths[str(group.get("id"))] = path
        _move(cells, f"group_rows[{i}]", path)
    for i, item in enumerate(criteria):
        group_id = item.pop("group", None)
        group = by_id.get(str(group_id))
        if group is None:
            problems.append(Problem(f"{source}: {cells.get(f'criteria[{i}].group', CRITERIA)}",
                                    f"unknown group '{group_id}': list it on the sheet “{GROUPS}”"))
            continue
        _move(cells, f"criteria[{i}]", f"{paths[str(group_id)]}.criteria[{len(group['criteria'])}]")
        group["criteria"].append(item)
    for group in by_id.values():
        if not group["criteria"] and group.get("groups"):
            del group["criteria"]
    document["groups"] = tree
    cells.setdefault("groups", f"{GROUPS}!A4")
    return document, cells


def _move(cells: dict[str, str], old: str, new: str) -> None:
    for key in [k for k in cells if k == old or k.startswith(old + ".")]:
        cells[new + key[len(old):]] = cells.pop(key)


def _read_table(grid: list[tuple[Any, ...]], sheet: str, part: str, source: str, cells: dict[str, str],
                problems: list[Problem]) -> list[dict[str, Any]]:
    if len(grid) < 3:
        problems.append(Problem(f"{source}: {sheet}", "the sheet is missing or has no key row (row 3)"))
        return []
    keys = [str(k).strip() if k is not None else "" for k in grid[2]]
    items = []
    for r, row in enumerate(grid[3:], start=4):
        if all(v is None or (isinstance(v, str) and not v.strip()) for v in row):
            continue
        index = len(items)
        cells[f"{part}[{index}]"] = f"{sheet}!A{r}"
        item: dict[str, Any] = {}
        for j, key in enumerate(keys):
            if not key or key == DESCRIPTION:
                continue
            raw = row[j] if j < len(row) else None
            address = f"{get_column_letter(j + 1)}{r}"
            cells[f"{part}[{index}].{key.rstrip('[]{}')}"] = f"{sheet}!{address}"
            if raw is None or (isinstance(raw, str) and not raw.strip()):
                continue
            _put(item, key, _value(key, raw, f"{source}: {sheet}!{address}", problems))
        items.append(item)
    return items


def _locate(path: str, cells: Mapping[str, str]) -> str | None:
    while path:
        if path in cells:
            return cells[path]
        cut = max(path.rfind("."), path.rfind("["))
        path = path[:cut] if cut > 0 else ""
    return None


def import_criteria_book(path: str | Path, catalog: Catalog, limits: Limits = DEFAULT_LIMITS
                         ) -> tuple[CriteriaSet, str]:
    """Validate a criteria set authored in Excel with the criteria-set loader; returns the set and its YAML text.
    Every problem names its sheet and cell (and the format's path). The set may extend an installed set."""
    from spcncl_core.criteria.loader import load_criteria_sets

    path = Path(path)
    problems: list[Problem] = []
    document, cells = read_criteria_book(path, problems, limits)
    if problems:
        raise WorkbookError(problems)
    set_id = document.get("id")
    known = {k: v for k, v in catalog.criteria_sets.items() if k != set_id}
    try:
        loaded = load_criteria_sets([CriteriaSetSource(document, path.name, "excel")], catalog.registries, known)
    except CriteriaSetError as exc:
        located = []
        for problem in exc.problems:
            inner = problem.where.split(": ", 1)[1] if ": " in problem.where else ""
            cell = _locate(inner, cells)
            where = f"{path.name}: {cell}" + (f" ({inner})" if inner else "") if cell else problem.where
            located.append(Problem(where, problem.message))
        raise WorkbookError(located) from None
    criteria_set = loaded[str(set_id)]
    text = yaml.safe_dump(document, allow_unicode=True, sort_keys=False, width=120)
    return criteria_set, text
