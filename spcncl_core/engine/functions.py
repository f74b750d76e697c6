"""Built-in functions for derived indicators (cagr, ratio, share, difference).

A function whose result is undefined (a zero or negative base) raises `UndefinedValue`; the engine then holds an
`Undefined` value for the indicator, and a rule that reads it gives its criterion's `when_undefined` points or,
when the set declares none, a bad-input error. Never a silent 0 that reads as 0 % growth.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from decimal import Decimal

HUNDRED = Decimal(100)


class UndefinedValue(ValueError):
    """Raised by a derived-indicator function whose result is undefined for these arguments; says why."""


class UndefinedIndicator(ArithmeticError):
    """Raised when a rule or check reads an undefined indicator; carries the `Undefined` value."""

    def __init__(self, value: Undefined) -> None:
        super().__init__(f"{value.id} is undefined: {value.reason}")
        self.value = value


class Undefined:
    """The value of a derived indicator whose function is undefined for the dossier's figures. Comparing it or
    computing with it raises `UndefinedIndicator`, so no rule can read it as a number by mistake."""

    __slots__ = ("id", "reason")

    def __init__(self, indicator: str, reason: str) -> None:
        self.id = indicator
        self.reason = reason

    def _refuse(self, *_: object) -> bool:
        raise UndefinedIndicator(self)

    __lt__ = __le__ = __gt__ = __ge__ = _refuse
    __add__ = __radd__ = __sub__ = __rsub__ = __mul__ = __rmul__ = _refuse
    __truediv__ = __rtruediv__ = __floordiv__ = __rfloordiv__ = __mod__ = __neg__ = __abs__ = _refuse
    __float__ = __int__ = __bool__ = _refuse  # type: ignore[assignment]

    def __repr__(self) -> str:
        return f"Undefined({self.id!r}, {self.reason!r})"


@dataclass(frozen=True, slots=True)
class DerivedFunction:
    """A function a criteria set may use under `derived`: its name, arity and what it computes."""

    name: str
    arity: int
    fn: Callable[..., Decimal]
    description: str
    # optional, for a self-assessment workbook's estimate: from the arguments' cells or literals, (the condition
    # under which the function is undefined, or None; the value's formula), e.g. ("B2=0", "B1/B2")
    excel_formula: Callable[[list[str]], tuple[str | None, str]] | None = None


def cagr(start: Decimal, end: Decimal, years: Decimal) -> Decimal:
    """Compound annual growth in percent: ((end ÷ start)^(1/years) − 1) × 100; undefined unless start > 0,
    years > 0 and end ≥ 0."""
    if start <= 0:
        raise UndefinedValue(f"the start value is {start}, growth needs a positive start")
    if years <= 0 or end < 0:
        raise UndefinedValue("the years must be positive and the end value not negative")
    growth = end / start
    # sqrt is correctly rounded like ** but some 30 times faster; two years is the common case
    root = growth.sqrt() if years == 2 else growth ** (1 / years)
    return (root - 1) * HUNDRED


def ratio(numerator: Decimal, divisor: Decimal) -> Decimal:
    """numerator ÷ divisor; undefined when the divisor is 0."""
    if divisor == 0:
        raise UndefinedValue("the divisor is 0")
    return numerator / divisor


def share(part: Decimal, whole: Decimal) -> Decimal:
    """part ÷ whole × 100 (a percentage); undefined when whole is 0."""
    if whole == 0:
        raise UndefinedValue("the whole is 0")
    return part / whole * HUNDRED


def difference(a: Decimal, b: Decimal) -> Decimal:
    """a − b."""
    return a - b


BUILTIN_FUNCTIONS: tuple[DerivedFunction, ...] = (
    DerivedFunction("cagr", 3, cagr,
                    "cagr(start, end, years): ((end ÷ start)^(1/years) − 1) × 100, undefined unless start > 0"),
    DerivedFunction("ratio", 2, ratio, "ratio(a, b): a ÷ b, undefined when b is 0"),
    DerivedFunction("share", 2, share, "share(part, whole): part ÷ whole × 100, undefined when whole is 0"),
    DerivedFunction("difference", 2, difference, "difference(a, b): a − b"),
)
