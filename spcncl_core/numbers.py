"""Exact decimal helpers: parsing, rounding half up, and short display of numbers in explanations."""

from __future__ import annotations

from decimal import ROUND_HALF_UP, Decimal, InvalidOperation

ZERO = Decimal(0)
_SHOW = Decimal("0.0001")
_INF = float("inf")
_QUANTA = {places: Decimal(1).scaleb(-places) for places in range(0, 10)}


def to_decimal(value: object) -> Decimal:
    """Convert an int, float, Decimal or numeric string to an exact Decimal; raise ValueError otherwise.

    Floats go through their shortest repr, so 0.1 becomes Decimal('0.1'), not its binary expansion.
    """
    kind = type(value)
    if kind is int:
        return Decimal(value)  # type: ignore[arg-type]
    if kind is float and value == value and value not in (_INF, -_INF):
        return Decimal(repr(value))
    if isinstance(value, bool):
        raise ValueError("a boolean is not a number")
    if isinstance(value, Decimal):
        result = value
    elif isinstance(value, int):
        return Decimal(value)
    elif isinstance(value, float):
        result = Decimal(repr(value))
    elif isinstance(value, str):
        try:
            result = Decimal(value.strip().replace("_", ""))
        except InvalidOperation:
            raise ValueError(f"{value!r} is not a number") from None
    else:
        raise ValueError(f"{type(value).__name__} {value!r} is not a number")
    if not result.is_finite():
        raise ValueError(f"{value!r} is not a finite number")
    return result


def round_half_up(value: Decimal, places: int) -> Decimal:
    """Round to `places` decimals, halves away from zero (2.675 → 2.68)."""
    return value.quantize(_QUANTA.get(places) or Decimal(1).scaleb(-places), rounding=ROUND_HALF_UP)


def show(value: Decimal | int) -> str:
    """A number as an explanation shows it: no exponent, no trailing zeros, ≈ when cut to 4 decimals."""
    text = str(value)
    if "E" in text:
        return _show_exponent(value)  # type: ignore[arg-type]
    dot = text.find(".")
    if dot < 0:
        return text
    text = text.rstrip("0")
    if len(text) - dot <= 5:  # at most 4 decimals: shown exactly
        text = text.rstrip(".")
        return "0" if text == "-0" else text
    shown = str(value.quantize(_SHOW, rounding=ROUND_HALF_UP)).rstrip("0").rstrip(".")  # type: ignore[union-attr]
    return "≈" + ("0" if shown == "-0" else shown)


def _show_exponent(value: Decimal) -> str:
    shown = value.quantize(_SHOW, rounding=ROUND_HALF_UP) if value.as_tuple().exponent < -4 else value  # type: ignore[operator]
    text = format(shown, "f")
    if "." in text:
        text = text.rstrip("0").rstrip(".")
    if text == "-0":
        text = "0"
    return text if shown == value else f"≈{text}"
