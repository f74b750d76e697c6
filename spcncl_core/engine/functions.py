"""Built-in functions for derived indicators (cagr, ratio, share, difference). A divisor of 0 gives 0."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from decimal import Decimal

from spcncl_core.numbers import ZERO

HUNDRED = Decimal(100)


@dataclass(frozen=True, slots=True)
class DerivedFunction:
    """A function a criteria set may use under `derived`: its name, arity and what it computes."""

    name: str
    arity: int
    fn: Callable[..., Decimal]
    description: str


def cagr(start: Decimal, end: Decimal, years: Decimal) -> Decimal:
    """Compound annual growth in percent: ((end ÷ start)^(1/years) − 1) × 100; 0 when start or years is 0."""
    if start <= 0 or years <= 0 or end < 0:
        return ZERO
    growth = end / start
    # sqrt is correctly rounded like ** but some 30 times faster; two years is the common case
    root = growth.sqrt() if years == 2 else growth ** (1 / years)
    return (root - 1) * HUNDRED


def ratio(numerator: Decimal, divisor: Decimal) -> Decimal:
    """numerator ÷ divisor; 0 when the divisor is 0."""
    return ZERO if divisor == 0 else numerator / divisor


def share(part: Decimal, whole: Decimal) -> Decimal:
    """part ÷ whole × 100 (a percentage); 0 when whole is 0."""
    return ZERO if whole == 0 else part / whole * HUNDRED


def difference(a: Decimal, b: Decimal) -> Decimal:
    """a − b."""
    return a - b


BUILTIN_FUNCTIONS: tuple[DerivedFunction, ...] = (
    DerivedFunction("cagr", 3, cagr, "cagr(start, end, years): ((end ÷ start)^(1/years) − 1) × 100"),
    DerivedFunction("ratio", 2, ratio, "ratio(a, b): a ÷ b, 0 when b is 0"),
    DerivedFunction("share", 2, share, "share(part, whole): part ÷ whole × 100, 0 when whole is 0"),
    DerivedFunction("difference", 2, difference, "difference(a, b): a − b"),
)
