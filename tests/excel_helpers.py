"""Helpers of the Excel tests: reading a workbook's metadata and filling a generated template as an official would."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import openpyxl

from spcncl_core.criteria.model import CriteriaSet


def meta_of(path: Path) -> dict[str, Any]:
    """The hidden metadata sheet of a workbook spcncl wrote, JSON values decoded."""
    workbook = openpyxl.load_workbook(path)
    sheet = workbook["_spcncl"]
    assert sheet.sheet_state == "veryHidden"
    out = {}
    for key, value in sheet.iter_rows(values_only=True):
        out[key] = json.loads(value) if isinstance(value, str) and value[:1] in "{[" else value
    return out


def self_assessment_values(cset: CriteriaSet, cells: dict[str, Any], inputs: dict[str, Any],
                           self_assessment: dict[str, Any] | None = None) -> dict[str, Any]:
    """Cell address → value for a dossier's inputs typed into a self-assessment template."""
    values: dict[str, Any] = {}
    for spec in cset.inputs:
        value = inputs.get(spec.id)
        if value is None:
            continue
        if spec.type == "set":
            for option in spec.options:
                values[cells["options"][f"{spec.id}.{option}"]] = "Có" if option in value else "Không"
        elif spec.type == "boolean":
            values[cells["inputs"][spec.id]] = "Có" if value else "Không"
        else:
            values[cells["inputs"][spec.id]] = value
    for criterion_id, points in (self_assessment or {}).items():
        values[cells["self"][criterion_id]] = points
    return values


def fill(path: Path, target: Path, sheet: str, values: dict[str, Any],
         identity: dict[str, Any] | None = None, cells: dict[str, Any] | None = None) -> Path:
    """Type `values` (address → value) and the identity fields into a copy of a template."""
    workbook = openpyxl.load_workbook(path)
    ws = workbook[sheet]
    for address, value in values.items():
        ws[address] = value
    for key, value in (identity or {}).items():
        assert cells is not None
        ws[cells["identity"][key]] = value
    workbook.save(target)
    return target


IDENTITY = {"enterprise_code": "0101234567", "enterprise_name": "Công ty CP Thử nghiệm (synthetic)",
            "district": "Cầu Giấy", "sector": "điện, điện tử", "product_name": "Sản phẩm thử (synthetic)"}


def people(session: Any) -> dict[str, Any]:
    """The demo users (admin, secretariat, viewer, member01…), created if the database has none."""
    from spcncl_core.demo import create_demo_users

    return {u.username: u for u in create_demo_users(session)}
