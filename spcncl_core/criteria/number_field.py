"""A marshmallow field for numbers in criteria sets, read by the grammar of `spcncl_core.numbers` (caps included),
so that `score_step: 1e-30` or a 5,000-digit threshold is a clear problem at its path, never a decimal error later."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from marshmallow import fields

from spcncl_core.numbers import to_decimal


class Number(fields.Field):
    """An exact Decimal from a YAML number or unambiguous numeric text; booleans are refused."""

    default_error_messages = {"invalid": "Not a valid number.", "grammar": "Not a valid number: {reason}."}

    def _deserialize(self, value: Any, attr: str | None, data: Any, **kwargs: Any) -> Decimal:
        try:
            return to_decimal(value)
        except ValueError as exc:
            reason = str(exc)
            if reason.endswith("is not a number"):
                raise self.make_error("invalid") from None
            raise self.make_error("grammar", reason=reason) from None

    def _serialize(self, value: Any, attr: str | None, obj: Any, **kwargs: Any) -> Any:
        return None if value is None else str(value)
