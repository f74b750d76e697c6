"""Turning what an official typed into a cell into the raw values a dossier carries (the engine then checks
types and ranges), and the identity of the enterprise and product a row or workbook is about."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

from spcncl_core.criteria.model import InputSpec
from spcncl_core.excel.layout import NO, YES

IDENTITY_FIELDS: tuple[tuple[str, str, bool, int], ...] = (  # key, label, required, maximum length
    ("enterprise_code", "Mã số doanh nghiệp (mã số thuế)", True, 20),
    ("enterprise_name", "Tên doanh nghiệp", True, 300),
    ("district", "Quận, huyện, thị xã", False, 100),
    ("sector", "Ngành sản xuất", False, 100),
    ("product_name", "Tên sản phẩm", True, 300),
)


class CellProblem(ValueError):
    """A cell's value cannot be read; the message is for the official who typed it."""


@dataclass
class DossierRecord:
    """A dossier read from a workbook: who, which product, the raw inputs and self-assessment, and the cell each
    came from (`cells` maps 'inputs.x', 'self_assessment.K1', 'enterprise_code', … to 'Sheet!D12')."""

    source: str
    identity: dict[str, str]
    inputs: dict[str, Any]
    self_assessment: dict[str, Any]
    cells: dict[str, str] = field(default_factory=dict)
    number: str | None = None
    criteria_set: str | None = None
    unreadable: set[str] = field(default_factory=set)  # fields whose cell was reported already
    row: tuple[str, int, Mapping[str, str]] | None = None  # a sheet row: (sheet, row, field → column letter)

    def where(self, key: str) -> str:
        """`file: Sheet!D12` for a field, or the file when the field has no cell."""
        cell = self.cells.get(key)
        if cell is None and self.row is not None:
            sheet, row, letters = self.row
            letter = letters.get(key)
            cell = f"{sheet}!{letter}{row}" if letter else None
        return f"{self.source}: {cell}" if cell else self.source


def is_blank(value: Any) -> bool:
    """An empty cell, or only spaces."""
    return value is None or (isinstance(value, str) and not value.strip())


def _no_formula(value: Any) -> None:
    if isinstance(value, str) and value.startswith("="):
        raise CellProblem("holds a formula; type the value itself")


def yes_no(value: Any) -> bool:
    """Có / Không (or an Excel TRUE/FALSE) as a boolean."""
    if value is True or value is False:
        return value
    if isinstance(value, str):
        text = value.strip().casefold()
        if text in (YES.casefold(), "co", "x", "true"):
            return True
        if text in (NO.casefold(), "khong", "false"):
            return False
    raise CellProblem(f"must be {YES} or {NO}, got {value!r}")


def input_value(spec: InputSpec, value: Any) -> Any:
    """The raw dossier value of one cell for a non-set input (None when blank); CellProblem when unreadable."""
    if is_blank(value):
        return None
    _no_formula(value)
    if isinstance(value, (datetime, date)):
        raise CellProblem(f"must be {'a number' if spec.type != 'text' else 'a text'}, got the date {value}")
    if spec.type == "boolean":
        return yes_no(value)
    if spec.type in ("choice", "text"):
        return value.strip() if isinstance(value, str) else (str(value) if spec.type == "text" else value)
    if isinstance(value, str):
        return value.strip()  # the engine's converter reads numbers written as text, or says what is wrong
    return value


def set_value(options: Sequence[str], values: Sequence[Any]) -> list[str] | None:
    """A set input from one Có/Không cell per option; None when every cell is blank."""
    if all(is_blank(v) for v in values):
        return None
    present = []
    for option, value in zip(options, values):
        if not is_blank(value):
            _no_formula(value)
            if yes_no(value):
                present.append(option)
    return present


def identity_value(key: str, label: str, required: bool, length: int, value: Any) -> str | None:
    """An identity field as text: an enterprise code typed as a number stays its digits."""
    if is_blank(value):
        if required:
            raise CellProblem(f"{label} is required")
        return None
    _no_formula(value)
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    text = str(value).strip()
    if len(text) > length:
        raise CellProblem(f"{label} is longer than {length} characters")
    return text


def points_value(value: Any) -> Any:
    """Self-assessed or council points as typed (None when blank); the services check the range and steps."""
    if is_blank(value):
        return None
    _no_formula(value)
    if isinstance(value, bool) or isinstance(value, (datetime, date)):
        raise CellProblem(f"must be a number of points, got {value!r}")
    return value.strip() if isinstance(value, str) else value
