"""The bulk sheet (danh sách hồ sơ): one row per product, for the secretariat to register a round's dossiers at
once. Columns are the enterprise and product, then every input the jurisdiction's sets for the year declare
(a set input: one Có/Không column per option). Row 4 holds the input ids the import reads by."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from pathlib import Path
from typing import Any, BinaryIO

from openpyxl.utils import get_column_letter

from spcncl_core.catalog import Catalog
from spcncl_core.criteria.model import InputSpec
from spcncl_core.errors import Problem
from spcncl_core.excel.layout import (
    GREY_FILL,
    INPUT_FILL,
    INTEGER,
    NO,
    NUMBER,
    UNLOCKED,
    YES,
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
    put_text,
    read_meta,
    titles,
    write_meta,
)
from spcncl_core.excel.safety import DEFAULT_LIMITS, Limits, read_grids
from spcncl_core.excel.values import (
    IDENTITY_FIELDS,
    CellProblem,
    DossierRecord,
    identity_value,
    input_value,
    is_blank,
    set_value,
)

KIND = "bulk"
SHEET = "Danh sách hồ sơ"
ID_ROW, FIRST_ROW = 5, 6
NUMBER_COLUMN = "number"


def bulk_columns(catalog: Catalog, jurisdiction: str, year: int) -> list[tuple[str, InputSpec | None, str | None]]:
    """(column key, input spec, set option) for every column: the dossier number, the identity fields, then the
    inputs of every set of the jurisdiction for the year, each once."""
    columns: list[tuple[str, InputSpec | None, str | None]] = [(NUMBER_COLUMN, None, None)]
    columns += [(key, None, None) for key, *_ in IDENTITY_FIELDS]
    seen: set[str] = set()
    for cset in sorted(catalog.sets_for(jurisdiction, year), key=lambda s: s.product_group):
        for spec in cset.inputs:
            if spec.id in seen:
                continue
            seen.add(spec.id)
            if spec.type == "set":
                columns += [(f"{spec.id}.{option}", spec, option) for option in spec.options]
            else:
                columns.append((spec.id, spec, None))
    return columns


def write_bulk(catalog: Catalog, jurisdiction: str, year: int, target: str | Path | BinaryIO,
               rows: Iterable[Mapping[str, Any]] = (), blank_rows: int = 200) -> Any:
    """Write the bulk sheet for a jurisdiction's year, optionally filled with `rows` (identity keys, `number`,
    and `inputs`), followed by `blank_rows` empty validated rows."""
    sets = sorted(catalog.sets_for(jurisdiction, year), key=lambda s: s.product_group)
    columns = bulk_columns(catalog, jurisdiction, year)
    identity_labels = {key: label + (" (*)" if required else "") for key, label, required, _ in IDENTITY_FIELDS}
    workbook = new_workbook()
    ws = workbook.create_sheet(SHEET)
    titles(ws, [f"DANH SÁCH HỒ SƠ ĐĂNG KÝ — {jurisdiction.upper()} NĂM {year}",
                "Mỗi dòng một sản phẩm; dòng 5 là mã chỉ tiêu (không sửa). Tiền: tỷ đồng; tỷ lệ: %.",
                provenance_line(sets)], min(len(columns), 12))
    labels = []
    for key, spec, option in columns:
        if spec is None:
            labels.append("Số hồ sơ (để trống: tự cấp)" if key == NUMBER_COLUMN else identity_labels[key])
        else:
            label = (spec.label.get("vi") or spec.id) + (f": {option}" if option else "")
            labels.append(label + (f" ({spec.unit})" if spec.unit else ""))
    header_row(ws, 4, labels)
    for j, (key, _spec, _option) in enumerate(columns, start=1):
        cell = put_text(ws, ID_ROW, j, key, fill=GREY_FILL)
        ws.column_dimensions[get_column_letter(j)].width = 30 if j <= 6 else 16
        del cell
    ws.row_dimensions[4].height = 60
    filled = list(rows)
    last = FIRST_ROW + len(filled) + blank_rows - 1
    yes_no = list_validation(ws, [YES, NO])
    for j, (_key, spec, option) in enumerate(columns, start=1):
        if spec is None:
            continue
        letter = get_column_letter(j)
        span = f"{letter}{FIRST_ROW}:{letter}{last}"
        if spec.type == "boolean" or option is not None:
            yes_no.add(span)
        elif spec.type == "choice":
            list_validation(ws, list(spec.options)).add(span)
        elif spec.type in ("number", "integer", "percent"):
            low, high = spec.min, spec.max
            if spec.type == "percent":
                low, high = (0 if low is None else low), (100 if high is None else high)
            number_validation(ws, spec.type == "integer", low, high).add(span)
    for i, data in enumerate(filled):
        r = FIRST_ROW + i
        inputs = data.get("inputs", {})
        for j, (key, spec, option) in enumerate(columns, start=1):
            if spec is None:
                value: Any = data.get(key)
            elif option is not None:
                present = inputs.get(spec.id)
                value = None if present is None else (YES if option in present else NO)
            else:
                value = inputs.get(spec.id)
                if isinstance(value, bool):
                    value = YES if value else NO
            fmt = None if spec is None else (INTEGER if spec.type == "integer" else
                                             NUMBER if spec.type in ("number", "percent") else None)
            put(ws, r, j, value, fmt, fill=INPUT_FILL).protection = UNLOCKED
    for r in range(FIRST_ROW + len(filled), last + 1):
        for j in range(1, len(columns) + 1):
            cell = ws.cell(r, j)
            cell.protection = UNLOCKED
    freeze(ws, f"{get_column_letter(7)}{FIRST_ROW}")
    print_setup(ws, f"4:{ID_ROW}")
    protect(ws)
    write_meta(workbook, KIND, {"jurisdiction": jurisdiction, "year": str(year), "sheet": SHEET,
                                "columns": [key for key, _, _ in columns],
                                "criteria_sets": {s.id: s.content_hash for s in sets}})
    lock_structure(workbook)
    workbook.save(target)
    return target


def read_bulk(path: str | Path, catalog: Catalog, problems: list[Problem], limits: Limits = DEFAULT_LIMITS,
              progress: Callable[[int, int], None] | None = None) -> tuple[dict[str, Any], list[DossierRecord]]:
    """Read a filled bulk sheet: its metadata and one record per non-empty row; problems are appended.
    `progress(done, total)` hears the rows read (`read_grids`)."""
    path = Path(path)
    source = path.name
    grids = read_grids(path, limits, progress=progress)
    meta = read_meta(grids, source, KIND)
    grid = grids.get(SHEET)
    if grid is None:
        problems.append(Problem(source, f"the sheet “{SHEET}” is missing"))
        return meta, []
    jurisdiction, year = str(meta.get("jurisdiction")), int(str(meta.get("year")))
    expected = meta.get("columns") or []
    header = list(grid[ID_ROW - 1]) if len(grid) >= ID_ROW else []
    if [str(v) if v is not None else None for v in header[:len(expected)]] != expected:
        problems.append(Problem(f"{source}: {SHEET}!A{ID_ROW}", "the id row was changed (columns inserted, deleted "
                                                                 "or moved): fill in a new template"))
        return meta, []
    columns = {key: (spec, option) for key, spec, option in bulk_columns(catalog, jurisdiction, year)}
    missing = [key for key in expected if key not in columns]
    if missing:
        problems.append(Problem(source, f"made for other criteria sets (unknown columns {', '.join(missing[:5])}): "
                                        "download a new template"))
        return meta, []
    identity = {key: (key, label, required, length) for key, label, required, length in IDENTITY_FIELDS}
    letters = [get_column_letter(j) for j in range(1, len(expected) + 1)]
    fields = {(key if columns[key][0] is None else f"inputs.{key}"): letters[j] for j, key in enumerate(expected)}
    set_columns: dict[str, list[int]] = {}
    plain: list[tuple[int, str, InputSpec | None]] = []
    for j, key in enumerate(expected):
        spec, option = columns[key]
        if option is not None and spec is not None:
            set_columns.setdefault(spec.id, []).append(j)
            fields.setdefault(f"inputs.{spec.id}", letters[j])
        else:
            plain.append((j, key, spec))
    records = []
    for r in range(FIRST_ROW - 1, len(grid)):
        values = grid[r]
        if all(is_blank(v) for v in values):
            continue
        row_number = r + 1
        record = DossierRecord(source, {}, {}, {}, row=(SHEET, row_number, fields))
        width = len(values)
        for j, key, spec in plain:
            value = values[j] if j < width else None
            if value is None and spec is not None:
                continue
            try:
                if key == NUMBER_COLUMN:
                    record.number = identity_value(key, "Số hồ sơ", False, 40, value)
                elif spec is None:
                    text = identity_value(*identity[key], value)
                    if text is not None:
                        record.identity[key] = text
                else:
                    converted = input_value(spec, value)
                    if converted is not None:
                        record.inputs[key] = converted
            except CellProblem as exc:
                problems.append(Problem(f"{source}: {SHEET}!{letters[j]}{row_number}", str(exc)))
                if spec is not None:
                    record.unreadable.add(f"inputs.{key}")
        for input_id, indexes in set_columns.items():
            spec = columns[expected[indexes[0]]][0]
            assert spec is not None
            raw = [values[j] if j < width else None for j in indexes]
            try:
                present = set_value([columns[expected[j]][1] or "" for j in indexes], raw)
            except CellProblem as exc:
                problems.append(Problem(f"{source}: {SHEET}!{letters[indexes[0]]}{row_number}", f"{input_id}: {exc}"))
                record.unreadable.add(f"inputs.{input_id}")
                continue
            if present is not None:
                record.inputs[input_id] = present
        records.append(record)
    return meta, records
