"""Exact decimal helpers: the grammar of numbers people write, rounding half up, and short display of numbers.

The grammar (docs/input-limits.md):

- JSON and YAML numbers are read as those formats define them (`1.000` is one);
- a number given as text must be unambiguous: an optional sign, digits, optionally a dot and digits, optionally an
  exponent (`2400`, `-3.75`, `1.5e3`). Thousands separators (`2.400.000`, `1,500`), a decimal comma (`1,5`) and
  text that reads as Vietnamese thousands notation (`"1.000"`, `"12.500"`: one to three digits, a dot, exactly
  three digits) are refused with a hint;
- every number has at most 15 significant digits, an absolute value below 10^15 and at most 10 decimal places
  (trailing zeros do not count): enough for money in VND, and small enough that exact decimal arithmetic can never
  overflow the decimal context.
"""

from __future__ import annotations

import decimal
import re
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation

ZERO = Decimal(0)
_SHOW = Decimal("0.0001")
_INF = float("inf")
_QUANTA = {places: Decimal(1).scaleb(-places) for places in range(0, 10)}

MAX_SIGNIFICANT_DIGITS = 15
MAX_INTEGER_DIGITS = 15
MAX_DECIMAL_PLACES = 10
MAX_NUMBER_TEXT = 40  # characters of a number written as text, before it is even parsed
_LIMIT = 10 ** MAX_INTEGER_DIGITS
_WIDE = decimal.Context(prec=80, Emax=999, Emin=-999)  # room for any product of two capped numbers

_PLAIN = re.compile(r"[+-]?(?:\d+(?:\.\d*)?|\.\d+)(?:[eE][+-]?\d+)?")
_VI_THOUSANDS = re.compile(r"[+-]?[1-9]\d{0,2}\.\d{3}")
_GROUPED = re.compile(r"[+-]?\d{1,3}(?:[.,]\d{3})+(?:[.,]\d+)?")
GRAMMAR_HINT = "write digits with a dot for decimals and no thousands separators, e.g. 2400 or 1.5"


def excerpt_number(text: str) -> str:
    """A short, quoted excerpt of a would-be number for messages."""
    return repr(text if len(text) <= 24 else text[:20] + "…")


def check_decimal(value: Decimal, shown: str | None = None) -> Decimal:
    """Return `value` if it is finite and within the caps of the grammar; raise ValueError saying which cap."""
    if not value.is_finite():
        raise ValueError(f"{shown or value} is not a finite number")
    if not value:
        return value.copy_abs() if value.is_signed() else value
    sign, digits, exponent = value.as_tuple()
    assert isinstance(exponent, int)
    adjusted = len(digits) + exponent - 1  # position of the leading digit: 0 for units, 14 for 10^14
    what = shown if shown is not None else _plain(value)
    if adjusted >= MAX_INTEGER_DIGITS:
        raise ValueError(f"{what} is too large: numbers must be below 10^{MAX_INTEGER_DIGITS} "
                         f"(at most {MAX_INTEGER_DIGITS} digits before the decimal point)")
    text = "".join(map(str, digits))
    trailing = len(text) - len(text.rstrip("0"))
    places = max(0, -(exponent + trailing))  # decimal places without trailing zeros
    if places > MAX_DECIMAL_PLACES:
        raise ValueError(f"{what} has too many decimal places (at most {MAX_DECIMAL_PLACES})")
    if len(digits) - trailing > MAX_SIGNIFICANT_DIGITS:
        raise ValueError(f"{what} has too many digits (at most {MAX_SIGNIFICANT_DIGITS} significant digits)")
    return value


def _plain(value: Decimal) -> str:
    text = str(value)
    return text if len(text) <= 24 else text[:20] + "…"


def parse_number_text(text: str) -> Decimal:
    """Read a number written as text by the grammar above; raise ValueError with a hint for people."""
    stripped = text.strip()
    if len(stripped) > MAX_NUMBER_TEXT:
        raise ValueError(f"{excerpt_number(stripped)} is too long to be a number")
    if _VI_THOUSANDS.fullmatch(stripped):
        whole = stripped.replace(".", "").lstrip("+")
        small = format(Decimal(stripped).normalize(), "f").lstrip("+")
        raise ValueError(f"{stripped!r} is ambiguous: in Vietnamese notation the dot separates thousands "
                         f"({whole}), in English it is a decimal point ({small}); write {whole} or {small}")
    if not _PLAIN.fullmatch(stripped):
        if re.fullmatch(r"[+-]?\d+,\d{1,2}|[+-]?\d+,\d{4,}", stripped):
            raise ValueError(f"{excerpt_number(stripped)} has a decimal comma: write {stripped.replace(',', '.')} "
                             "(a dot for decimals, no thousands separators)")
        if _GROUPED.fullmatch(stripped) or "," in stripped:
            raise ValueError(f"{excerpt_number(stripped)} is not a plain number: {GRAMMAR_HINT}")
        raise ValueError(f"{excerpt_number(stripped)} is not a number")
    try:
        value = Decimal(stripped)
    except InvalidOperation:  # pragma: no cover - the pattern admits only what Decimal reads
        raise ValueError(f"{excerpt_number(stripped)} is not a number") from None
    return check_decimal(value, excerpt_number(stripped))


def to_decimal(value: object) -> Decimal:
    """Convert an int, float, Decimal or numeric text to an exact Decimal within the caps; raise ValueError otherwise.

    Floats go through their shortest repr, so 0.1 becomes Decimal('0.1'), not its binary expansion.
    """
    kind = type(value)
    if kind is int:
        if -_LIMIT < value < _LIMIT:  # type: ignore[operator]
            return Decimal(value)  # type: ignore[arg-type]
        raise ValueError(f"{_int_excerpt(value)} is too large: numbers must be below 10^{MAX_INTEGER_DIGITS}")  # type: ignore[arg-type]
    if kind is float:
        if value != value or value in (_INF, -_INF):
            raise ValueError(f"{value!r} is not a finite number")
        return check_decimal(Decimal(repr(value)))
    if isinstance(value, bool):
        raise ValueError("a boolean is not a number")
    if isinstance(value, Decimal):
        return check_decimal(value)
    if isinstance(value, int):
        return to_decimal(int(value))
    if isinstance(value, float):
        return to_decimal(float(value))
    if isinstance(value, str):
        return parse_number_text(value)
    raise ValueError(f"{type(value).__name__} is not a number")


def _int_excerpt(value: int) -> str:
    if value.bit_length() < 100:
        return str(value)
    return f"a {int(value.bit_length() * 0.30103) + 1}-digit number"


def round_half_up(value: Decimal, places: int) -> Decimal:
    """Round to `places` decimals, halves away from zero (2.675 → 2.68)."""
    return value.quantize(_QUANTA.get(places) or Decimal(1).scaleb(-places), rounding=ROUND_HALF_UP, context=_WIDE)


def show(value: Decimal | int) -> str:
    """A number as an explanation shows it: no exponent, no trailing zeros, ≈ when cut to 4 decimals (half up)."""
    text = str(value)
    dot = text.find(".")
    if dot < 0 or "E" in text:
        return text if "E" not in text else _show_exponent(value)  # type: ignore[arg-type]
    text = text.rstrip("0")
    cut = dot + 5
    if len(text) <= cut:  # at most 4 decimals: shown exactly
        text = text.rstrip(".")
        return "0" if text == "-0" else text
    if text[cut] < "5":  # the fifth decimal rounds toward zero: the first four are the answer, no arithmetic
        shown = text[:cut].rstrip("0").rstrip(".")
    else:
        shown = str(value.quantize(_SHOW, rounding=ROUND_HALF_UP, context=_WIDE)  # type: ignore[union-attr]
                    ).rstrip("0").rstrip(".")
    return "≈" + ("0" if shown == "-0" else shown)


def _show_exponent(value: Decimal) -> str:
    if abs(value.adjusted()) > 40:  # never spell out a huge exponent: the caps keep our own numbers far below
        return f"≈{value:.4e}"
    shown = value.quantize(_SHOW, rounding=ROUND_HALF_UP, context=_WIDE) if value.as_tuple().exponent < -4 \
        else value  # type: ignore[operator]
    text = format(shown, "f")
    if "." in text:
        text = text.rstrip("0").rstrip(".")
    if text == "-0":
        text = "0"
    return text if shown == value else f"≈{text}"
