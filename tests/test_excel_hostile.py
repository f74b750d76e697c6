"""Malformed and hostile workbooks: each is refused with its exact message, and the database is left unchanged
(every table's row count and the audit log)."""

from __future__ import annotations

import random
import re
import zipfile
from collections.abc import Callable
from pathlib import Path
from typing import Any

import openpyxl
import pytest
from excel_helpers import people
from sqlalchemy import func, select

from spcncl_core import Catalog
from spcncl_core.db.base import Base
from spcncl_core.demo import synthetic_inputs
from spcncl_core.errors import WorkbookError
from spcncl_core.excel.bulk import SHEET, write_bulk
from spcncl_core.excel.dossier_import import import_bulk
from spcncl_core.excel.safety import Limits, check_upload
from spcncl_core.excel.self_assessment import write_self_assessment
from spcncl_core.services import audit, rounds

SAVE_AS = "save it in Excel as “Excel Workbook (.xlsx)” and import that file"
ROW = {"enterprise_code": "0100000001", "enterprise_name": "Công ty A (synthetic)", "product_name": "Sản phẩm A",
       "district": "Đông Anh", "sector": "cơ khí, chế tạo"}


def _valid_bulk(catalog: Catalog, path: Path) -> Path:
    inputs = synthetic_inputs(random.Random(1), True, None)
    return write_bulk(catalog, "hanoi", 2023, path, rows=[{**ROW, "inputs": inputs}], blank_rows=5)


def _rezip(source: Path, target: Path, change: Callable[[str, bytes], bytes | None],
           extra: dict[str, bytes] | None = None) -> Path:
    with zipfile.ZipFile(source) as old, zipfile.ZipFile(target, "w", zipfile.ZIP_DEFLATED) as new:
        for item in old.infolist():
            data = change(item.filename, old.read(item.filename))
            if data is not None:
                new.writestr(item.filename, data)
        for name, data in (extra or {}).items():
            new.writestr(name, data)
    return target


def _column(path: Path, key: str) -> str:
    from excel_helpers import meta_of
    from openpyxl.utils import get_column_letter

    return get_column_letter(meta_of(path)["columns"].index(key) + 1)


def _edit(path: Path, target: Path, values: dict[str, Any]) -> Path:
    workbook = openpyxl.load_workbook(path)
    for address, value in values.items():
        workbook[SHEET][address] = value
    workbook.save(target)
    return target


def old_xls(catalog: Catalog, tmp: Path) -> Path:
    path = tmp / "old.xls"
    path.write_bytes(b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\0" * 4096)
    return path


def encrypted(catalog: Catalog, tmp: Path) -> Path:
    path = tmp / "protected.xlsx"  # Office writes a password-protected .xlsx as an OLE file with EncryptionInfo
    path.write_bytes(b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\0" * 1000 + "EncryptionInfo".encode("utf-16-le")
                     + b"\0" * 1000)
    return path


def csv_renamed(catalog: Catalog, tmp: Path) -> Path:
    path = tmp / "danh-sach.xlsx"
    path.write_text("enterprise_code,product_name\n0100000001,Sản phẩm A\n", encoding="utf-8")
    return path


def macro_enabled(catalog: Catalog, tmp: Path) -> Path:
    def change(name: str, data: bytes) -> bytes:
        if name == "[Content_Types].xml":
            return data.replace(b"application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml",
                                b"application/vnd.ms-excel.sheet.macroEnabled.main+xml")
        return data

    return _rezip(_valid_bulk(catalog, tmp / "base.xlsx"), tmp / "macro.xlsm", change,
                  {"xl/vbaProject.bin": b"\0" * 512})


def zip_bomb(catalog: Catalog, tmp: Path) -> Path:
    return _rezip(_valid_bulk(catalog, tmp / "base.xlsx"), tmp / "bomb.xlsx", lambda n, d: d,
                  {"xl/media/padding.xml": b"\0" * (8 * 1024 * 1024)})


def many_parts(catalog: Catalog, tmp: Path) -> Path:
    return _rezip(_valid_bulk(catalog, tmp / "base.xlsx"), tmp / "parts.xlsx", lambda n, d: d,
                  {f"xl/media/p{i}.bin": b"x" for i in range(600)})


def xml_entities(catalog: Catalog, tmp: Path) -> Path:
    laughs = (b'<?xml version="1.0"?><!DOCTYPE lolz [<!ENTITY lol "lol"><!ENTITY lol2 "&lol;&lol;&lol;&lol;">]>'
              b'<worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"><sheetData><row r="1">'
              b'<c r="A1" t="inlineStr"><is><t>&lol2;</t></is></c></row></sheetData></worksheet>')
    return _rezip(_valid_bulk(catalog, tmp / "base.xlsx"), tmp / "laughs.xlsx",
                  lambda n, d: laughs if n == "xl/worksheets/sheet1.xml" else d)


def not_a_workbook_zip(catalog: Catalog, tmp: Path) -> Path:
    path = tmp / "archive.xlsx"
    with zipfile.ZipFile(path, "w") as archive:
        archive.writestr("readme.txt", "hello")
    return path


def damaged_zip(catalog: Catalog, tmp: Path) -> Path:
    data = _valid_bulk(catalog, tmp / "base.xlsx").read_bytes()
    path = tmp / "damaged.xlsx"
    path.write_bytes(data[: len(data) // 2])
    return path


def foreign_workbook(catalog: Catalog, tmp: Path) -> Path:
    workbook = openpyxl.Workbook()
    workbook.active["A1"] = "Danh sách"
    workbook.save(tmp / "foreign.xlsx")
    return tmp / "foreign.xlsx"


def wrong_kind(catalog: Catalog, tmp: Path) -> Path:
    return write_self_assessment(catalog.get("hanoi-2023-standard"), 2023, tmp / "tu-danh-gia.xlsx")


def moved_columns(catalog: Catalog, tmp: Path) -> Path:
    return _edit(_valid_bulk(catalog, tmp / "base.xlsx"), tmp / "moved.xlsx", {"G5": "equity", "H5": "hanoi_site"})


CASES: list[tuple[str, Callable[[Catalog, Path], Path], str]] = [
    ("old-xls", old_xls, f"old.xls: an old Excel 97–2003 workbook (.xls) is not accepted: {SAVE_AS}"),
    ("encrypted", encrypted, "protected.xlsx: the workbook is encrypted (password-protected): remove the password, "
                             f"then {SAVE_AS}"),
    ("csv", csv_renamed, f"danh-sach.xlsx: a CSV or text file, not an Excel workbook (.xlsx): {SAVE_AS}"),
    ("xlsm", macro_enabled, f"macro.xlsm: a macro-enabled workbook (.xlsm) is not accepted: {SAVE_AS} without macros"),
    ("zip-bomb", zip_bomb, r"re:bomb\.xlsx: part xl/media/padding\.xml expands 10\d\d× \(limit 100×\): refused as a "
                           "possible zip bomb"),
    ("parts", many_parts, "parts.xlsx: the workbook holds 610 parts; the limit is 500"),
    ("entities", xml_entities, "laughs.xlsx: part xl/worksheets/sheet1.xml declares a DOCTYPE or entities (an XML "
                               "attack): refused"),
    ("zip", not_a_workbook_zip, f"archive.xlsx: a zip archive, not an Excel workbook (.xlsx): {SAVE_AS}"),
    ("damaged", damaged_zip, "damaged.xlsx: a damaged zip archive (File is not a zip file): " + SAVE_AS),
    ("foreign", foreign_workbook, "foreign.xlsx: not a workbook generated by spcncl (no _spcncl sheet): download the "
                                  "template again and fill that one in"),
    ("kind", wrong_kind, "tu-danh-gia.xlsx: this is a self-assessment workbook, not a bulk workbook"),
    ("moved", moved_columns, "moved.xlsx: Danh sách hồ sơ!A5: the id row was changed (columns inserted, deleted or "
                             "moved): fill in a new template"),
]


def _counts(session: Any) -> dict[str, int]:
    counts = {t.name: session.scalar(select(func.count()).select_from(t)) for t in Base.metadata.sorted_tables}
    counts["audit chain"] = audit.count(session)
    return counts


@pytest.fixture
def round_2023(session: Any, catalog: Catalog, tmp_path: Path) -> Any:
    users = people(session)
    round_ = rounds.create_round(session, users["admin"], catalog, "hanoi", 2023, "Xét chọn 2023 (thử)")
    import_bulk(session, users["secretariat"], catalog, round_, _valid_bulk(catalog, tmp_path / "first.xlsx"))
    session.commit()
    return round_


@pytest.mark.parametrize(("name", "build", "message"), CASES, ids=[c[0] for c in CASES])
def test_hostile_workbook_refused_with_its_message_and_nothing_written(
        name: str, build: Callable[[Catalog, Path], Path], message: str, session: Any, catalog: Catalog,
        round_2023: Any, tmp_path: Path) -> None:
    path = build(catalog, tmp_path)
    before = _counts(session)
    with pytest.raises(WorkbookError) as raised:
        import_bulk(session, people(session)["secretariat"], catalog, round_2023, path)
    assert len(raised.value.problems) == 1
    text = str(raised.value.problems[0])
    assert re.fullmatch(message[3:], text) if message.startswith("re:") else text == message
    session.rollback()
    assert _counts(session) == before and audit.verify(session).ok


def test_every_cell_problem_of_a_bulk_sheet_is_reported_and_nothing_written(
        session: Any, catalog: Catalog, round_2023: Any, tmp_path: Path) -> None:
    base = write_bulk(catalog, "hanoi", 2023, tmp_path / "base.xlsx", blank_rows=5, rows=[
        {**ROW, "product_name": "Sản phẩm B", "inputs": synthetic_inputs(random.Random(2), True, None)},
        {**ROW, "product_name": "Sản phẩm C", "inputs": synthetic_inputs(random.Random(3), True, None)},
        {**ROW, "product_name": "Sản phẩm B", "inputs": synthetic_inputs(random.Random(4), True, None)},
    ])
    revenue, arrears, iso = (_column(base, k) for k in ("product_revenue", "tax_arrears", "quality.iso9001"))
    workers = _column(base, "product_workers")
    path = _edit(base, tmp_path / "bad.xlsx", {f"{revenue}6": "abc", f"{arrears}6": "có lẽ", "B7": None,
                                              f"{iso}7": "=1+1", f"{workers}7": 12.5})
    before = _counts(session)
    with pytest.raises(WorkbookError) as raised:
        import_bulk(session, people(session)["secretariat"], catalog, round_2023, path)
    assert sorted(str(p) for p in raised.value.problems) == sorted([
        f"bad.xlsx: Danh sách hồ sơ!{arrears}6: must be Có or Không, got 'có lẽ'",
        "bad.xlsx: Danh sách hồ sơ!B7: Mã số doanh nghiệp (mã số thuế) is required",
        f"bad.xlsx: Danh sách hồ sơ!{iso}7: quality: holds a formula; type the value itself",
        f"bad.xlsx: Danh sách hồ sơ!{revenue}6: must be a number, got 'abc'",
        "bad.xlsx: Danh sách hồ sơ!F8: Sản phẩm B of enterprise 0100000001 is listed twice (also bad.xlsx: "
        "Danh sách hồ sơ!F6)",
    ])
    assert _counts(session) == before


def test_limits_on_rows_and_parse_time(catalog: Catalog, tmp_path: Path) -> None:
    from spcncl_core.excel.safety import read_grids

    path = _valid_bulk(catalog, tmp_path / "base.xlsx")
    with pytest.raises(WorkbookError, match="sheet Danh sách hồ sơ has more than 3 rows: refused"):
        read_grids(path, Limits(rows=3))
    with pytest.raises(WorkbookError, match="the workbook has more than 50 cells: refused"):
        read_grids(path, Limits(cells=50))
    with pytest.raises(WorkbookError, match=r"reading the workbook took longer than 0.001 s: refused"):
        read_grids(path, Limits(seconds=0.001))
    with pytest.raises(WorkbookError, match=r"the file is 0.0 MB; the limit is 0 MB"):
        check_upload(path, Limits(file_bytes=10))
    # parsed whole before the first row, where the time limit cannot fire (a web worker's thread): capped by size
    with pytest.raises(WorkbookError, match=r"part xl/styles.xml is 0 MB \(limit 0 MB\): too much text or "
                                            "formatting for an import"):
        check_upload(path, Limits(parsed_whole=100))
    (tmp_path / "folder").mkdir()
    with pytest.raises(WorkbookError, match=r"^workbook refused; nothing was written \(1 problem\):\n  "
                                            r"folder: is a folder, not a file$"):
        check_upload(tmp_path / "folder")  # the project's bounded reader answers for anything but a regular file


def test_openpyxl_parses_through_defusedxml(catalog: Catalog, tmp_path: Path) -> None:
    """Even without our DOCTYPE check, openpyxl itself refuses entity declarations (defusedxml is installed)."""
    from defusedxml.common import DefusedXmlException
    from openpyxl.xml import DEFUSEDXML

    assert DEFUSEDXML
    with pytest.raises(ValueError, match="Unable to read workbook") as raised:
        openpyxl.load_workbook(xml_entities(catalog, tmp_path))
    assert isinstance(raised.value.__cause__ or raised.value.__context__, DefusedXmlException)


def test_text_that_looks_like_a_formula_is_written_as_text(catalog: Catalog, tmp_path: Path) -> None:
    row = {**ROW, "enterprise_name": "=HYPERLINK(\"http://evil\",\"x\")", "product_name": "@SUM(A1)",
           "district": "+1", "sector": "-2", "inputs": {}}
    path = write_bulk(catalog, "hanoi", 2023, tmp_path / "names.xlsx", rows=[row], blank_rows=0)
    ws = openpyxl.load_workbook(path)[SHEET]
    for address, text in (("C6", row["enterprise_name"]), ("F6", "@SUM(A1)"), ("D6", "+1"), ("E6", "-2")):
        assert ws[address].value == text and ws[address].data_type == "s" and ws[address].quotePrefix
    with zipfile.ZipFile(path) as archive:
        assert b"<f>" not in archive.read("xl/worksheets/sheet1.xml")


def test_a_lying_sheet_dimension_does_not_pad_the_rows(catalog: Catalog, tmp_path: Path) -> None:
    from spcncl_core.excel.safety import read_grids

    def change(name: str, data: bytes) -> bytes:
        if name == "xl/worksheets/sheet1.xml":
            return re.sub(rb'<dimension ref="[^"]*" ?/>', b'<dimension ref="A1:XFD1048576"/>', data)
        return data

    path = _rezip(_valid_bulk(catalog, tmp_path / "base.xlsx"), tmp_path / "wide.xlsx", change)
    with zipfile.ZipFile(path) as archive:
        assert b"A1:XFD1048576" in archive.read("xl/worksheets/sheet1.xml")
    grid = read_grids(path)[SHEET]
    assert len(grid) == 6 and max(len(r) for r in grid) < 100
