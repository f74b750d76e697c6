"""The self-assessment workbook (bảng tự đánh giá), generated from any criteria set, and reading a filled one.

One sheet: the enterprise and product, one input cell per input of the set (a set input: one Có/Không cell per
option) with its unit and a data validation, the derived indicators, prerequisites and criteria with an
ESTIMATED score computed by formulas generated from the set's rules, and a column for the enterprise's own
points. Everything but the input cells is locked; a hidden sheet records the set's id and content hash and the
cell of every value.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any, BinaryIO

from spcncl_core.catalog import Catalog
from spcncl_core.criteria.model import CriteriaSet, InputSpec
from spcncl_core.errors import Problem, SpcnclError
from spcncl_core.excel import estimate
from spcncl_core.excel.layout import (
    BODY,
    ESTIMATE_FILL,
    GROUP_FILL,
    HEADER,
    INPUT_FILL,
    INTEGER,
    NO,
    NUMBER,
    POINTS,
    UNLOCKED,
    WARNING,
    WRAP,
    YES,
    cell_value,
    fit,
    freeze,
    header_row,
    list_validation,
    lock_structure,
    new_workbook,
    number_validation,
    print_setup,
    protect,
    provenance_line,
    put,
    put_formula,
    put_text,
    read_meta,
    titles,
    widths,
    write_meta,
)
from spcncl_core.excel.safety import DEFAULT_LIMITS, Limits, read_grids
from spcncl_core.excel.values import (
    IDENTITY_FIELDS,
    CellProblem,
    DossierRecord,
    identity_value,
    input_value,
    points_value,
    set_value,
)
from spcncl_core.numbers import show

KIND = "self-assessment"
SHEET = "Tự đánh giá"
GUIDE = "Hướng dẫn"
WIDTHS = [27, 55, 10, 26, 14, 48]
TYPE_HINTS = {"number": "số", "integer": "số nguyên", "percent": "phần trăm (0–100)", "text": "chữ"}


def _hint(spec: InputSpec) -> str:
    if spec.type == "boolean":
        text = f"chọn {YES} hoặc {NO}"
    elif spec.type == "choice":
        text = "chọn: " + ", ".join(spec.options)
    elif spec.type == "set":
        text = f"{YES} / {NO} cho từng mục"
    else:
        text = TYPE_HINTS.get(spec.type, spec.type)
        bounds = []
        if spec.min is not None:
            bounds.append(f"≥ {show(spec.min)}")
        if spec.max is not None:
            bounds.append(f"≤ {show(spec.max)}")
        if bounds:
            text += " " + ", ".join(bounds)
    return text + ("" if spec.required else " (không bắt buộc)")


def _label(labels: Any, fallback: str) -> str:
    return (labels.get("vi") or labels.get("en") or fallback) if labels else fallback


def write_self_assessment(criteria_set: CriteriaSet, year: int, target: str | Path | BinaryIO) -> Any:
    """Write the self-assessment workbook of `criteria_set` for programme `year` to a path or binary stream."""
    workbook = new_workbook()
    _guide(workbook, criteria_set, year)
    ws = workbook.create_sheet(SHEET)
    widths(ws, WIDTHS)
    row = titles(ws, [
        "BẢNG TỰ ĐÁNH GIÁ SẢN PHẨM",
        f"{criteria_set.label('vi')} ({criteria_set.id}) — năm xét chọn {year}",
        provenance_line([criteria_set]),
        "ĐIỂM ƯỚC TÍNH chỉ để tham khảo: khi tiếp nhận hồ sơ, điểm được tính lại theo bộ tiêu chí.",
    ], 6)
    summary_row = row + 1
    row = summary_row + 3
    cells = estimate.Cells.of(criteria_set)
    meta: dict[str, Any] = {"identity": {}, "inputs": {}, "options": {}, "derived": {}, "prerequisites": {},
                            "self": {}, "estimate": {}}

    row = _section(ws, row, "A. THÔNG TIN DOANH NGHIỆP VÀ SẢN PHẨM", ["Mã", "Nội dung", "", "Giá trị", "", ""])
    for key, label, required, _length in IDENTITY_FIELDS:
        put_text(ws, row, 1, key)
        put_text(ws, row, 2, label + (" (*)" if required else ""))
        value = put(ws, row, 4, None, fill=INPUT_FILL)
        value.protection = UNLOCKED
        meta["identity"][key] = f"D{row}"
        row += 1

    row = _section(ws, row + 1, "B. CHỈ TIÊU CỦA HỒ SƠ (ô màu vàng)",
                   ["Mã chỉ tiêu", "Chỉ tiêu", "Đơn vị", "Giá trị", "Bắt buộc", "Cách nhập"])
    yes_no = list_validation(ws, [YES, NO])
    for spec in criteria_set.inputs:
        cells.types[spec.id] = spec.type
        label = _label(spec.label, spec.id)
        if spec.type == "set":
            for option in spec.options:
                address = _input_row(ws, row, f"{spec.id}.{option}", f"{label}: {option}", spec, yes_no)
                cells.options[(spec.id, option)] = address
                meta["options"][f"{spec.id}.{option}"] = address
                row += 1
            continue
        validation = None
        if spec.type == "boolean":
            validation = yes_no
        elif spec.type == "choice":
            validation = list_validation(ws, list(spec.options))
        elif spec.type in ("number", "integer", "percent"):
            low, high = spec.min, spec.max
            if spec.type == "percent":
                low = low if low is not None else 0
                high = high if high is not None else 100
            validation = number_validation(ws, spec.type == "integer", low, high)
        address = _input_row(ws, row, spec.id, label, spec, validation)
        if spec.type in ("number", "percent"):
            ws[address].number_format = NUMBER
        elif spec.type == "integer":
            ws[address].number_format = INTEGER
        cells.inputs[spec.id] = address
        meta["inputs"][spec.id] = address
        row += 1

    if criteria_set.derived:
        row = _section(ws, row + 1, "C. CHỈ SỐ TÍNH TỪ CHỈ TIÊU (tự động)",
                       ["Mã", "Chỉ số", "", "Giá trị", "", "Công thức"])
        for spec in criteria_set.derived:
            formula = estimate.derived_formula(spec, cells)
            put_text(ws, row, 1, spec.id)
            put_text(ws, row, 2, _label(spec.label, spec.id))
            if formula:
                put_formula(ws, row, 4, formula, NUMBER, fill=ESTIMATE_FILL)
            else:
                put_text(ws, row, 4, "không ước tính", fill=ESTIMATE_FILL)
            args = ", ".join(a if isinstance(a, str) else show(a) for a in spec.args)
            put_text(ws, row, 6, f"{spec.function}({args})")
            cells.inputs[spec.id] = f"D{row}"
            cells.types[spec.id] = "derived"
            meta["derived"][spec.id] = f"D{row}"
            row += 1

    prerequisite_cells = []
    if criteria_set.prerequisites:
        row = _section(ws, row + 1, "D. ĐIỀU KIỆN TIÊN QUYẾT (tự động)",
                       ["Mã", "Điều kiện", "", "Ước tính", "", "Quy tắc"])
        for prerequisite in criteria_set.prerequisites:
            formula = estimate.prerequisite_formula(prerequisite, cells)
            put_text(ws, row, 1, prerequisite.id)
            put_text(ws, row, 2, _label(prerequisite.title, prerequisite.id)).alignment = WRAP
            fit(ws, row, _label(prerequisite.title, prerequisite.id), WIDTHS[1])
            if formula:
                put_formula(ws, row, 4, f'IF({formula},"Đạt","Không đạt")', fill=ESTIMATE_FILL)
                prerequisite_cells.append(f"D{row}")
            else:
                put_text(ws, row, 4, "không ước tính", fill=ESTIMATE_FILL)
            put_text(ws, row, 6, prerequisite.description)
            meta["prerequisites"][prerequisite.id] = f"D{row}"
            row += 1

    row = _section(ws, row + 1, "E. TIÊU CHÍ CHẤM ĐIỂM",
                   ["Mã", "Tiêu chí", "Điểm tối đa", "Điểm ước tính", "Điểm tự chấm", "Cách tính"])
    at_criterion = criteria_set.rounding.at == "criterion"
    places = criteria_set.rounding_places
    criterion_cells: dict[str, str] = {}
    group_cells: dict[str, str] = {}

    def write_group(group: Any, depth: int) -> str:
        nonlocal row
        group_row = row
        indent = "    " * depth
        put_text(ws, row, 1, group.id, font=HEADER, fill=GROUP_FILL)
        put_text(ws, row, 2, indent + _label(group.title, group.id)
                 + (f" (tối đa {show(group.max_points)})" if group.cap else ""), font=HEADER, fill=GROUP_FILL)
        put(ws, row, 3, group.max_points, POINTS, font=HEADER, fill=GROUP_FILL)
        row += 1
        parts, own_parts = [], []
        for criterion in group.criteria:
            self_cell = f"E{row}"
            formula = estimate.criterion_formula(criterion, cells, self_cell)
            put_text(ws, row, 1, criterion.id)
            put_text(ws, row, 2, indent + _label(criterion.title, criterion.id)).alignment = WRAP
            fit(ws, row, _label(criterion.title, criterion.id), WIDTHS[1])
            put(ws, row, 3, criterion.max_points, POINTS)
            if formula:
                put_formula(ws, row, 4, formula, POINTS, fill=ESTIMATE_FILL)
            else:
                put(ws, row, 4, None, POINTS, fill=ESTIMATE_FILL)
            own = put(ws, row, 5, None, POINTS, fill=INPUT_FILL)
            own.protection = UNLOCKED
            number_validation(ws, False, 0, criterion.max_points).add(own)
            how = criterion.description if formula else f"{criterion.description} (không ước tính được bằng công thức)"
            put_text(ws, row, 6, how).alignment = WRAP
            fit(ws, row, how, WIDTHS[5])
            meta["self"][criterion.id] = self_cell
            meta["estimate"][criterion.id] = f"D{row}"
            criterion_cells[criterion.id] = f"D{row}"
            parts.append(f"ROUND(D{row},{places})" if at_criterion else f"D{row}")
            own_parts.append(f"E{row}")
            row += 1
        for sub in group.groups:
            parts.append(write_group(sub, depth + 1))
            own_parts.append(f"E{group_cells[sub.id][1:]}")
        put_formula(ws, group_row, 4, estimate.group_formula(group, parts), POINTS, font=HEADER, fill=GROUP_FILL)
        put_formula(ws, group_row, 5, "+".join(own_parts) or "0", POINTS, font=HEADER, fill=GROUP_FILL)
        put(ws, group_row, 6, None, fill=GROUP_FILL)
        group_cells[group.id] = f"D{group_row}"
        meta["groups"][group.id] = f"D{group_row}"
        return f"D{group_row}"

    meta["groups"] = {}
    tops = [write_group(group, 0) for group in criteria_set.groups]

    passed = [f'{c}="Đạt"' for c in prerequisite_cells]
    eligible = f"AND({','.join(passed)})" if passed else "TRUE"
    total_row, result_row = row + 1, row + 2
    total_exact = "+".join(tops) or "0"
    put_text(ws, total_row, 2, "TỔNG ĐIỂM ƯỚC TÍNH", font=HEADER)
    put(ws, total_row, 3, criteria_set.total_points, POINTS, font=HEADER)
    shown_total = total_exact if at_criterion else f"ROUND({total_exact},{places})"
    put_formula(ws, total_row, 4, f'IF({eligible},{shown_total},"")', POINTS, font=HEADER, fill=ESTIMATE_FILL)
    total = f"D{total_row}"
    rule = estimate.pass_formula(criteria_set, total, group_cells, criterion_cells)
    classes = estimate.class_formulas(criteria_set, total)
    checks = [c for c in (rule, classes[1] if classes else None) if c]
    verdict = f"AND({','.join(checks)})" if checks else "FALSE"
    when = [criteria_set.pass_rule.describe()] if rule else []
    when += ["hạng được công nhận"] if classes else []
    put_text(ws, result_row, 2, f"KẾT QUẢ ƯỚC TÍNH (đạt khi {'; '.join(when) or 'không có quy tắc'})", font=HEADER)
    put_formula(ws, result_row, 4, f'IF({eligible},IF({verdict},"ĐẠT","KHÔNG ĐẠT"),"KHÔNG ĐỦ ĐIỀU KIỆN")',
                font=HEADER, fill=ESTIMATE_FILL)
    ws.merge_cells(start_row=result_row, start_column=4, end_row=result_row, end_column=5)
    extra: dict[str, str] = {}
    if classes:
        class_row = result_row + 1
        put_text(ws, class_row, 2, "HẠNG ƯỚC TÍNH", font=HEADER)
        put_formula(ws, class_row, 4, f'IF({eligible},{classes[0]},"")', font=HEADER, fill=ESTIMATE_FILL)
        extra["class"] = f"D{class_row}"

    put_text(ws, summary_row, 2, "Tổng điểm ước tính", font=WARNING)
    put_formula(ws, summary_row, 4, f"D{total_row}", POINTS, font=WARNING, fill=ESTIMATE_FILL)
    put_text(ws, summary_row + 1, 2, "Kết quả ước tính", font=WARNING)
    put_formula(ws, summary_row + 1, 4, f"D{result_row}", font=WARNING, fill=ESTIMATE_FILL)
    ws.merge_cells(start_row=summary_row + 1, start_column=4, end_row=summary_row + 1, end_column=5)

    freeze(ws, "C6")
    print_setup(ws, "1:4")
    protect(ws)
    write_meta(workbook, KIND, {
        "criteria_set": criteria_set.id, "content_hash": criteria_set.content_hash,
        "jurisdiction": criteria_set.jurisdiction, "year": str(year), "sheet": SHEET,
        "cells": meta, "total": f"D{total_row}", "result": f"D{result_row}", **extra})
    lock_structure(workbook)
    workbook.active = workbook.sheetnames.index(SHEET)
    workbook.save(target)
    return target


def _section(ws: Any, row: int, title: str, headers: list[str]) -> int:
    put_text(ws, row, 1, title, font=HEADER).border = None
    header_row(ws, row + 1, headers)
    return row + 2


def _input_row(ws: Any, row: int, key: str, label: str, spec: InputSpec, validation: Any) -> str:
    put_text(ws, row, 1, key)
    put_text(ws, row, 2, label).alignment = WRAP
    fit(ws, row, label, WIDTHS[1])
    put_text(ws, row, 3, spec.unit or "")
    cell = put(ws, row, 4, None, fill=INPUT_FILL)
    cell.protection = UNLOCKED
    if validation is not None:
        validation.add(cell)
    put_text(ws, row, 5, "bắt buộc" if spec.required else "không bắt buộc")
    put_text(ws, row, 6, _hint(spec))
    return f"D{row}"


def _guide(workbook: Any, criteria_set: CriteriaSet, year: int) -> None:
    ws = workbook.create_sheet(GUIDE)
    widths(ws, [110])
    lines = [
        "HƯỚNG DẪN LẬP BẢNG TỰ ĐÁNH GIÁ",
        f"Bộ tiêu chí: {criteria_set.label('vi')} ({criteria_set.id}); năm xét chọn {year}.",
        provenance_line([criteria_set]),
        "",
        f"1. Mở trang “{SHEET}”. Chỉ nhập vào các ô màu vàng; các ô khác đã được khoá.",
        "2. Phần A: mã số doanh nghiệp (mã số thuế), tên doanh nghiệp, tên sản phẩm là bắt buộc.",
        "3. Phần B: nhập số liệu năm N-1 (năm tài chính gần nhất), tiền tính bằng tỷ đồng, tỷ lệ tính bằng %.",
        f"   Với các mục Có/Không và danh sách, chọn trong danh sách thả xuống ({YES} / {NO}).",
        "4. Phần C, D, E được tính tự động: chỉ số, điều kiện tiên quyết và ĐIỂM ƯỚC TÍNH của từng tiêu chí.",
        "   Cột “Điểm tự chấm” là điểm doanh nghiệp tự đánh giá (bắt buộc với tiêu chí do Hội đồng chấm).",
        "5. Điểm ước tính chỉ để tham khảo: khi tiếp nhận, tổ công tác tính lại điểm theo bộ tiêu chí.",
        "6. Không đổi tên trang, không chèn hoặc xoá dòng; lưu tệp dạng Excel Workbook (.xlsx).",
    ]
    for i, line in enumerate(lines, start=1):
        cell = put_text(ws, i, 1, line, font=HEADER if i == 1 else (WARNING if "TÁI DỰNG" in line else BODY))
        cell.border = None
    print_setup(ws)
    protect(ws)


def read_self_assessment(path: str | Path, catalog: Catalog, problems: list[Problem],
                         limits: Limits = DEFAULT_LIMITS) -> DossierRecord | None:
    """Read a filled self-assessment; problems (file, sheet, cell, message) are appended to `problems`."""
    path = Path(path)
    source = path.name
    grids = read_grids(path, limits)
    meta = read_meta(grids, source, KIND)
    try:
        criteria_set = catalog.get(str(meta.get("criteria_set")))
    except SpcnclError as exc:
        problems.append(Problem(source, f"made for a criteria set that is not installed: {exc}"))
        return None
    if meta.get("content_hash") != criteria_set.content_hash:
        problems.append(Problem(source, f"made for another version of {criteria_set.id} (content hash "
                                        f"{str(meta.get('content_hash'))[:12]}…, installed "
                                        f"{criteria_set.content_hash[:12]}…): download a new template"))
        return None
    grid = grids.get(SHEET)
    if grid is None:
        problems.append(Problem(source, f"the sheet “{SHEET}” is missing"))
        return None
    layout = meta.get("cells") or {}
    record = DossierRecord(source, {}, {}, {}, criteria_set=criteria_set.id)

    def read(key: str, address: str, convert: Callable[[Any], Any]) -> Any:
        record.cells[key] = f"{SHEET}!{address}"
        label_cell = "A" + address[1:]
        expected = key.split(".", 1)[1] if key.startswith(("inputs.", "self_assessment.")) else key
        if cell_value(grid, label_cell) != expected:
            problems.append(Problem(f"{source}: {SHEET}!{label_cell}", f"expected “{expected}” here: rows were "
                                    "inserted, deleted or moved; fill in a new template"))
            return None
        try:
            return convert(cell_value(grid, address))
        except CellProblem as exc:
            problems.append(Problem(f"{source}: {SHEET}!{address}", str(exc)))
            record.unreadable.add(key)
            return None

    for key, label, required, length in IDENTITY_FIELDS:
        address = layout.get("identity", {}).get(key)
        if address:
            value = read(key, address, lambda v, a=(key, label, required, length): identity_value(*a, v))
            if value is not None:
                record.identity[key] = value
    specs = {s.id: s for s in criteria_set.inputs}
    for input_id, address in layout.get("inputs", {}).items():
        spec = specs.get(input_id)
        if spec is not None:
            value = read(f"inputs.{input_id}", address, lambda v, s=spec: input_value(s, v))
            if value is not None:
                record.inputs[input_id] = value
    for spec in criteria_set.inputs:
        if spec.type != "set":
            continue
        addresses = [layout.get("options", {}).get(f"{spec.id}.{o}") for o in spec.options]
        if None in addresses:
            problems.append(Problem(source, f"the template has no cells for {spec.id}: download a new template"))
            continue
        raw = []
        for option, address in zip(spec.options, addresses):
            raw.append(read(f"{spec.id}.{option}", address, lambda v: v))
        record.cells[f"inputs.{spec.id}"] = f"{SHEET}!{addresses[0]}"
        try:
            value = set_value(spec.options, raw)
        except CellProblem as exc:
            problems.append(Problem(f"{source}: {SHEET}!{addresses[0]}", f"{spec.id}: {exc}"))
            record.unreadable.add(f"inputs.{spec.id}")
            continue
        if value is not None:
            record.inputs[spec.id] = value
    for criterion_id, address in layout.get("self", {}).items():
        value = read(f"self_assessment.{criterion_id}", address, points_value)
        if value is not None:
            record.self_assessment[criterion_id] = value
    return record
