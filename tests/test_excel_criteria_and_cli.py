"""Criteria sets to and from Excel (every installed set round-trips; an authored set's problems name their cells),
and the `spcncl excel` commands."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path
from typing import Any

import openpyxl
import pytest
import yaml
from excel_helpers import meta_of

from spcncl_core import Catalog
from spcncl_core.errors import WorkbookError
from spcncl_core.excel.criteria_book import import_criteria_book, write_criteria_book


def _column(ws: Any, key: str) -> str:
    from openpyxl.utils import get_column_letter

    return get_column_letter([c.value for c in ws[3]].index(key) + 1)


@pytest.mark.parametrize("set_id", ["hanoi-2018-standard", "hanoi-2023-high-tech", "hue-2021", "ocop-2024",
                                    "vnaward-2024"])
def test_every_set_round_trips_through_excel(set_id: str, catalog: Catalog, tmp_path: Path) -> None:
    cset = catalog.get(set_id)
    path = write_criteria_book(cset, tmp_path / f"{set_id}.xlsx")
    assert meta_of(path)["content_hash"] == cset.content_hash
    workbook = openpyxl.load_workbook(path)
    assert workbook.sheetnames == ["Thông tin", "Chỉ tiêu", "Chỉ số", "Điều kiện", "Nhóm", "Tiêu chí", "_spcncl"]
    criteria = workbook["Tiêu chí"]
    assert [c.value for c in criteria[3]][:6] == ["group", "id", "title.vi", "title.en", "max_points", "score{}"]
    assert criteria["B4"].value == cset.criteria[0].id
    assert criteria[f"{_column(criteria, '(mô tả)')}4"].value == cset.criteria[0].description
    assert [r[0] for r in workbook["Nhóm"].iter_rows(min_row=4, values_only=True)] == [
        g.id for g in cset.all_groups()]
    imported, text = import_criteria_book(path, catalog)
    expected = {k: v for k, v in cset.document.items() if k not in ("extends", "remove")}
    assert imported.document == expected and yaml.safe_load(text) == expected
    assert [c.description for c in imported.criteria] == [c.description for c in cset.criteria]


def test_workbooks_are_written_to_a_stream_as_well(catalog: Catalog) -> None:
    import io

    stream = write_criteria_book(catalog.get("hue-2021"), io.BytesIO())
    assert openpyxl.load_workbook(io.BytesIO(stream.getvalue())).sheetnames[0] == "Thông tin"


def test_an_authored_set_is_validated_with_cell_references(catalog: Catalog, tmp_path: Path) -> None:
    path = write_criteria_book(catalog.get("hanoi-2018-standard"), tmp_path / "set.xlsx")
    workbook = openpyxl.load_workbook(path)
    settings = workbook["Thông tin"]
    id_row = next(r for r in range(5, 40) if settings[f"A{r}"].value == "id")
    settings[f"B{id_row}"] = "hanoi-2026-standard"
    criteria = workbook["Tiêu chí"]
    score, maximum = _column(criteria, "score{}"), _column(criteria, "max_points")
    criteria[f"{score}4"] = "{bands: {of: product_revenue, levels: [{gte: 1000, points: 16}]}}"  # above max 15
    criteria[f"{score}6"] = "{bands: {of: productivty, levels: [{gte: 3, points: 8}]}}"  # misspelt input
    criteria[f"{maximum}8"] = "sáu"
    workbook["Chỉ tiêu"]["B13"] = "money"
    workbook.save(tmp_path / "draft.xlsx")
    with pytest.raises(WorkbookError) as raised:
        import_criteria_book(tmp_path / "draft.xlsx", catalog)
    problems = [str(p) for p in raised.value.problems]
    assert "draft.xlsx: Chỉ tiêu!B13 (inputs[9].type): Must be one of: number, integer, percent, boolean, choice, " \
           "set, text." in problems
    assert f"draft.xlsx: Tiêu chí!{maximum}8 (groups[0].criteria[4].max_points): Not a valid number." in problems
    assert all(p.startswith("draft.xlsx: ") and "!" in p.split(" (")[0] for p in problems)  # each names its cell
    workbook["Chỉ tiêu"]["B13"] = "number"
    criteria[f"{maximum}8"] = 5
    workbook.save(tmp_path / "draft.xlsx")
    with pytest.raises(WorkbookError) as raised:
        import_criteria_book(tmp_path / "draft.xlsx", catalog)
    problems = [str(p) for p in raised.value.problems]
    assert f"draft.xlsx: Tiêu chí!{score}4 (groups[0].criteria[0].score.bands.levels[0].points): must be ≤ " \
           "max_points (15)" in problems
    assert any(p.startswith(f"draft.xlsx: Tiêu chí!{score}6 (groups[0].criteria[2].score.bands.of): unknown input "
                            "'productivty' (did you mean 'productivity'?)") for p in problems)


def _spcncl(*args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "spcncl_core.cli", *args], capture_output=True, text=True,
                          cwd=cwd, check=False)


def test_cli_template_export_import(session: Any, catalog: Catalog, engine: Any, tmp_path: Path) -> None:
    from spcncl_core.demo import build_round

    build_round(session, catalog, stop_after="scoring", enterprises=4, eligible=5, recognised=4, ineligible=1,
                members=4, high_tech=1)
    session.commit()
    url = engine.url.render_as_string(hide_password=False)
    done = _spcncl("excel", "template", "self-assessment", "--set", "hanoi-2023-standard", "--year", "2024",
                   "-o", "sa.xlsx", cwd=tmp_path)
    assert done.returncode == 0 and meta_of(tmp_path / "sa.xlsx")["year"] == "2024"
    done = _spcncl("excel", "export", "working-sheet", "--year", "2023", "--database-url", url, "-o", "ws.xlsx",
                   cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    assert "dossiers evaluated: 6/6" in done.stderr  # progress
    done = _spcncl("excel", "template", "council", "--year", "2023", "--all-members", "--database-url", url,
                   "-o", "council", cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    assert sorted(p.name for p in (tmp_path / "council").iterdir()) == [
        f"phieu-danh-gia-2023-M0{i}.xlsx" for i in range(1, 5)]
    done = _spcncl("excel", "import", "bulk", "sa.xlsx", "--year", "2023", "--database-url", url, cwd=tmp_path)
    assert done.returncode == 2
    assert done.stderr == ("  rows read: 127/127\n"  # progress, then the refusal
                           "error: sa.xlsx: this is a self-assessment workbook, not a bulk workbook\n")
    done = _spcncl("excel", "export", "criteria", "hue-2021", "-o", "hue.xlsx", cwd=tmp_path)
    assert done.returncode == 0
    done = _spcncl("excel", "import", "criteria", "hue.xlsx", "-o", "hue.yaml", cwd=tmp_path)
    assert done.returncode == 0 and done.stdout.startswith("ok  hue-2021: 6 criteria, 100 points")
    assert yaml.safe_load((tmp_path / "hue.yaml").read_text(encoding="utf-8"))["id"] == "hue-2021"
