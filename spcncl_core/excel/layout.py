"""What every workbook spcncl writes shares: Vietnamese labels, styles and number formats, A4 landscape print
set-up, titles with the criteria sets' provenance, locked sheets, and the hidden metadata sheet that tells an
import what it reads."""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping, Sequence
from copy import copy
from datetime import datetime
from decimal import Decimal
from typing import Any

from openpyxl import Workbook
from openpyxl.comments import Comment
from openpyxl.styles import Alignment, Border, Font, PatternFill, Protection, Side
from openpyxl.utils import get_column_letter
from openpyxl.workbook.protection import WorkbookProtection
from openpyxl.worksheet.datavalidation import DataValidation
from openpyxl.worksheet.worksheet import Worksheet

from spcncl_core import __version__
from spcncl_core.criteria.model import CriteriaSet
from spcncl_core.errors import Problem
from spcncl_core.excel.safety import Grid, safe_text

META_SHEET = "_spcncl"
META_FORMAT = "spcncl-workbook"
YES, NO = "Có", "Không"

# Vietnamese display (1.234.567,89) whatever the reader's locale where the application honours the format's
# locale (LibreOffice does; Excel uses the separators of Windows' regional settings, Vietnamese ones in Vietnam)
NUMBER = "[$-42A]#,##0.00"
INTEGER = "[$-42A]#,##0"
POINTS = "[$-42A]0.00"

TITLE = Font(name="Times New Roman", size=14, bold=True)
SUBTITLE = Font(name="Times New Roman", size=11, italic=True)
HEADER = Font(name="Times New Roman", size=11, bold=True)
BODY = Font(name="Times New Roman", size=11)
WARNING = Font(name="Times New Roman", size=11, bold=True, color="9C0006")
HEADER_FILL = PatternFill("solid", fgColor="DDEBF7")
INPUT_FILL = PatternFill("solid", fgColor="FFF2CC")
GROUP_FILL = PatternFill("solid", fgColor="E2EFDA")
GREY_FILL = PatternFill("solid", fgColor="D9D9D9")
ESTIMATE_FILL = PatternFill("solid", fgColor="FCE4D6")
THIN = Side(style="thin", color="808080")
BOX = Border(left=THIN, right=THIN, top=THIN, bottom=THIN)
WRAP = Alignment(wrap_text=True, vertical="center")
MIDDLE = Alignment(vertical="center")
CENTER = Alignment(horizontal="center", vertical="center", wrap_text=True)
UNLOCKED = Protection(locked=False)

PROVENANCE_VI = {"official": "Bảng điểm chính thức",
                 "partly-official": "Bảng điểm MỘT PHẦN chính thức (partly official) — phần còn lại TÁI DỰNG",
                 "reconstruction": "Bảng điểm TÁI DỰNG (reconstruction) — chưa phải phụ lục chính thức",
                 "draft": "Bảng điểm DỰ THẢO (draft) — chưa có hiệu lực"}


def provenance_line(sets: Iterable[CriteriaSet]) -> str:
    """One line naming each criteria set with its provenance, shown under every title."""
    return "; ".join(f"{s.id}: {PROVENANCE_VI.get(s.provenance, s.provenance)}" for s in sets)


def new_workbook() -> Workbook:
    """An empty workbook (its default sheet removed)."""
    workbook = Workbook()
    workbook.remove(workbook.active)
    return workbook


def titles(ws: Worksheet, lines: Sequence[str], width: int) -> int:
    """Write the title lines (the first bold, the others italic) merged across `width` columns; returns the next
    free row."""
    for i, line in enumerate(lines, start=1):
        cell = safe_text(ws.cell(i, 1), line)
        warn = any(word in line for word in ("TÁI DỰNG", "ƯỚC TÍNH", "DỰ THẢO", "MỘT PHẦN"))
        cell.font = TITLE if i == 1 else (WARNING if warn else SUBTITLE)
        cell.alignment = Alignment(horizontal="left", vertical="center")
        if width > 1:
            ws.merge_cells(start_row=i, start_column=1, end_row=i, end_column=width)
    return len(lines) + 1


def header_row(ws: Worksheet, row: int, labels: Sequence[str], start: int = 1) -> None:
    """A row of bold, filled, boxed column headers."""
    for j, label in enumerate(labels, start=start):
        cell = safe_text(ws.cell(row, j), label)
        cell.font, cell.fill, cell.border, cell.alignment = HEADER, HEADER_FILL, BOX, CENTER


def put(ws: Worksheet, row: int, column: int, value: Any, number_format: str | None = None,
        font: Font = BODY, fill: PatternFill | None = None) -> Any:
    """Write a value (text always as text, never a formula; Decimals as numbers) with the body font and a box."""
    if isinstance(value, Decimal):
        value = int(value) if value == value.to_integral_value() else float(value)
    cell = ws.cell(row, column)
    if isinstance(value, str):
        safe_text(cell, value)
    else:
        cell.value = value
    _style(cell, number_format, font, fill)
    return cell


def _style(cell: Any, number_format: str | None, font: Font, fill: PatternFill | None) -> None:
    # Setting font, border, fill and format hashes each style object: most of the time of a 1,000-row workbook.
    # The combination is set once per workbook and its style array copied after that, as openpyxl's own
    # copy_worksheet does.
    cache = cell.parent.parent.__dict__.setdefault("_spcncl_styles", {})
    key = (number_format, id(font), id(fill), cell.quotePrefix)
    styled = cache.get(key)
    if styled is not None:
        cell._style = copy(styled)  # noqa: SLF001
        return
    cell.font, cell.border, cell.alignment = font, BOX, MIDDLE
    if number_format:
        cell.number_format = number_format
    if fill is not None:
        cell.fill = fill
    cache[key] = copy(cell._style)  # noqa: SLF001


def put_formula(ws: Worksheet, row: int, column: int, formula: str, number_format: str | None = None,
                font: Font = BODY, fill: PatternFill | None = None) -> Any:
    """Write a formula spcncl generated (`formula` without its leading =)."""
    cell = put(ws, row, column, None, number_format, font, fill)
    cell.value = "=" + formula
    return cell


def put_text(ws: Worksheet, row: int, column: int, value: str | None, **kwargs: Any) -> Any:
    """Write text that must stay text even when it begins with = + - @ (names, notes, messages)."""
    cell = put(ws, row, column, None, **kwargs)
    safe_text(cell, value)
    return cell


def fit(ws: Worksheet, row: int, text: str | None, width: float) -> None:
    """Make a row tall enough for `text` wrapped in a column `width` characters wide (applications do not all
    fit row heights to wrapped text when they open a file)."""
    if not text:
        return
    lines = max(1, -(-len(text) // max(int(width * 1.4), 1)))
    if lines > 1:
        current = ws.row_dimensions[row].height or 15
        ws.row_dimensions[row].height = max(current, 15 * lines)


def note(cell: Any, text: str) -> None:
    """A cell note (comment) such as the explanation of a criterion's points."""
    cell.comment = Comment(text, "spcncl", width=320, height=90)


def widths(ws: Worksheet, values: Sequence[float]) -> None:
    """Column widths in characters, from column A."""
    for j, width in enumerate(values, start=1):
        ws.column_dimensions[get_column_letter(j)].width = width


def print_setup(ws: Worksheet, title_rows: str | None = None) -> None:
    """A4 landscape, fit to the page width, title rows repeated on every printed page."""
    ws.page_setup.orientation = "landscape"
    ws.page_setup.paperSize = ws.PAPERSIZE_A4
    ws.page_setup.fitToWidth = 1
    ws.page_setup.fitToHeight = 0
    ws.sheet_properties.pageSetUpPr.fitToPage = True
    ws.print_options.horizontalCentered = True
    ws.page_margins.left = ws.page_margins.right = 0.4
    if title_rows:
        ws.print_title_rows = title_rows
    ws.oddFooter.center.text = "Trang &P / &N"


def protect(ws: Worksheet) -> None:
    """Lock every cell not explicitly unlocked; formatting columns and sorting stay allowed."""
    ws.protection.sheet = True
    ws.protection.formatColumns = False
    ws.protection.formatRows = False


def lock_structure(workbook: Workbook) -> None:
    """Sheets cannot be added, removed or unhidden (the metadata sheet stays hidden)."""
    workbook.security = WorkbookProtection(lockStructure=True)


def list_validation(ws: Worksheet, options: Sequence[str], prompt: str | None = None) -> DataValidation:
    """A drop-down list; the import re-checks every value anyway (Excel does not enforce validations)."""
    validation = DataValidation(type="list", formula1='"' + ",".join(options) + '"', allow_blank=True,
                                showErrorMessage=True, errorTitle="Giá trị không hợp lệ",
                                error="Chọn một giá trị trong danh sách: " + ", ".join(options))
    if prompt:
        validation.prompt, validation.showInputMessage = prompt, True
    ws.add_data_validation(validation)
    return validation


def number_validation(ws: Worksheet, whole: bool, low: Decimal | None, high: Decimal | None,
                      step: Decimal | None = None, first_cell: str | None = None) -> DataValidation:
    """A numeric range (whole or decimal); with `step` a custom rule `MOD(value, step) = 0` as well."""
    lo = _literal(low) if low is not None else "-1E+15"
    hi = _literal(high) if high is not None else "1E+15"
    text = f"từ {lo if low is not None else '…'} đến {hi if high is not None else '…'}"
    if step is not None and first_cell:
        validation = DataValidation(type="custom", allow_blank=True, showErrorMessage=True,
                                    formula1=f"AND(ISNUMBER({first_cell}),{first_cell}>={lo},{first_cell}<={hi},"
                                             f"MOD({first_cell},{_literal(step)})=0)",
                                    errorTitle="Điểm không hợp lệ",
                                    error=f"Nhập điểm {text}, theo bước {_literal(step)}")
    else:
        validation = DataValidation(type="whole" if whole else "decimal", operator="between", formula1=lo,
                                    formula2=hi, allow_blank=True, showErrorMessage=True,
                                    errorTitle="Giá trị không hợp lệ",
                                    error=f"Nhập {'số nguyên' if whole else 'số'} {text}")
    ws.add_data_validation(validation)
    return validation


def _literal(value: Decimal) -> str:
    text = format(value.normalize(), "f") if isinstance(value, Decimal) else str(value)
    return text


def literal(value: Decimal | int) -> str:
    """A number as a formula literal (no exponent)."""
    return _literal(Decimal(value))


def write_meta(workbook: Workbook, kind: str, values: Mapping[str, Any]) -> None:
    """The hidden metadata sheet: what the workbook is, for which set (id, content hash), round, member, and the
    cells or columns an import reads."""
    ws = workbook.create_sheet(META_SHEET)
    rows = {"format": META_FORMAT, "kind": kind, "spcncl": __version__,
            "generated_at": datetime.now().isoformat(timespec="seconds"), **values}
    for i, (key, value) in enumerate(rows.items(), start=1):
        ws.cell(i, 1, key)
        text = value if isinstance(value, str) else json.dumps(value, ensure_ascii=False, default=str)
        safe_text(ws.cell(i, 2), text)
    ws.sheet_state = "veryHidden"
    protect(ws)


def read_meta(grids: Mapping[str, Grid], source: str, kind: str) -> dict[str, Any]:
    """The metadata of a workbook spcncl wrote, checked to be of `kind`; WorkbookError-ready problems otherwise."""
    from spcncl_core.errors import WorkbookError

    rows = grids.get(META_SHEET)
    if not rows:
        raise WorkbookError([Problem(source, f"not a workbook generated by spcncl (no {META_SHEET} sheet): "
                                             "download the template again and fill that one in")])
    meta: dict[str, Any] = {}
    for row in rows:
        if len(row) >= 2 and isinstance(row[0], str):
            value = row[1]
            if isinstance(value, str) and value[:1] in "{[":
                try:
                    value = json.loads(value)
                except ValueError:
                    pass
            meta[row[0]] = value
    if meta.get("format") != META_FORMAT:
        raise WorkbookError([Problem(source, "not a workbook generated by spcncl: download the template again")])
    if meta.get("kind") != kind:
        raise WorkbookError([Problem(source, f"this is a {meta.get('kind')} workbook, not a {kind} workbook")])
    return meta


def cell_value(grid: Grid, address: str) -> Any:
    """The value at an A1 address of a grid read by `read_grids` (None beyond its edges)."""
    from openpyxl.utils.cell import column_index_from_string, coordinate_from_string

    letters, row = coordinate_from_string(address)
    column = column_index_from_string(letters)
    if row > len(grid):
        return None
    values = grid[row - 1]
    return values[column - 1] if column <= len(values) else None


def where(source: str, sheet: str, address: str) -> str:
    """How a problem names its place: `file.xlsx: Sheet!D12`."""
    return f"{source}: {sheet}!{address}"


def yes_no(value: bool | None) -> str:
    """Có / Không for a boolean, empty for None."""
    return "" if value is None else (YES if value else NO)


def freeze(ws: Worksheet, address: str) -> None:
    """Freeze the header rows and leading columns above and left of `address`."""
    ws.freeze_panes = address


def saved(workbook: Workbook, target: Any) -> Any:
    """Save to a path or a binary stream and return the target."""
    workbook.save(target)
    return target
