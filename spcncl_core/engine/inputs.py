"""Checking a dossier's raw inputs against the inputs a criteria set declares, and converting them to values."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from decimal import Decimal
from typing import Any

from spcncl_core.criteria.model import InputSpec
from spcncl_core.errors import did_you_mean, excerpt
from spcncl_core.numbers import show, to_decimal

Converter = Callable[[Any], Any]  # raises ValueError with a message for people


def number_message(what: str, raw: Any, exc: ValueError) -> str:
    """'must be a number, got …', with the grammar's reason when there is more to say than "not a number"."""
    detail = str(exc)
    head = f"{what}, got {excerpt(raw)}"
    return head if detail.endswith("is not a number") else f"{head}: {detail}"


def make_converter(spec: InputSpec) -> Converter:
    """Build the function that checks and converts one raw input value for `spec`."""
    low, high = spec.min, spec.max
    if spec.type == "percent":
        low = Decimal(0) if low is None else low
        high = Decimal(100) if high is None else high

    def in_range(value: Decimal) -> Decimal:
        if low is not None and value < low:
            raise ValueError(f"must be ≥ {show(low)}, got {show(value)}")
        if high is not None and value > high:
            raise ValueError(f"must be ≤ {show(high)}, got {show(value)}")
        return value

    if spec.type in ("number", "percent"):

        def number(raw: Any) -> Decimal:
            kind = type(raw)
            if kind is int:  # the common cases first, without a call: this runs for every number of every dossier
                value = Decimal(raw)
            elif kind is float and raw - raw == 0:  # finite
                value = Decimal(repr(raw))
            else:
                try:
                    value = to_decimal(raw)
                except ValueError as exc:
                    raise ValueError(number_message("must be a number", raw, exc)) from None
            if (low is not None and value < low) or (high is not None and value > high):
                return in_range(value)
            return value

        return number
    if spec.type == "integer":

        def integer(raw: Any) -> Decimal:
            try:
                value = to_decimal(raw)
            except ValueError as exc:
                raise ValueError(number_message("must be a whole number", raw, exc)) from None
            if value != value.to_integral_value():
                raise ValueError(f"must be a whole number, got {show(value)}")
            return in_range(value)

        return integer
    if spec.type == "boolean":

        def boolean(raw: Any) -> bool:
            if raw is True or raw is False:
                return raw
            raise ValueError(f"must be true or false, got {excerpt(raw)}")

        return boolean
    options = spec.options
    if spec.type == "choice":

        def choice(raw: Any) -> str:
            if raw not in options:
                hint = did_you_mean(raw, options) if isinstance(raw, str) else ""
                raise ValueError(f"{excerpt(raw)} is not an option{hint}; options: {', '.join(options)}")
            return raw

        return choice
    if spec.type == "set":
        allowed = frozenset(options)

        def members(raw: Any) -> frozenset[str]:
            if type(raw) not in (list, tuple, set, frozenset):
                raise ValueError(f"must be a list of options ({', '.join(options)}), got {excerpt(raw)}")
            try:
                present = frozenset(raw)
            except TypeError:
                raise ValueError(f"must be a list of options ({', '.join(options)}), got {excerpt(raw)}") from None
            if present <= allowed and len(present) == len(raw):
                return present
            for item in raw:
                if item not in allowed:
                    hint = did_you_mean(item, options) if isinstance(item, str) else ""
                    raise ValueError(f"{excerpt(item)} is not an option{hint}; options: {', '.join(options)}")
            raise ValueError("lists an option twice")

        return members

    def text(raw: Any) -> str:
        if not isinstance(raw, str):
            raise ValueError(f"must be a text, got {excerpt(raw)}")
        return raw

    return text


def unknown_input_message(name: str, known: Mapping[str, Any] | set[str] | frozenset[str]) -> str:
    """The message for an input that no criteria set of the jurisdiction declares."""
    return f"unknown input{did_you_mean(name, known)}; no criteria set of this jurisdiction declares it"
