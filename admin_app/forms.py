"""Dossier inputs as HTML fields generated from a criteria set's declared inputs, and read back from a POST."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from spcncl_core.criteria.model import CriteriaSet, InputSpec

NUMERIC = ("number", "integer", "percent")


def round_inputs(sets: Iterable[CriteriaSet]) -> list[InputSpec]:
    """The inputs of a round's criteria sets, each once, in the order the sets declare them."""
    seen: dict[str, InputSpec] = {}
    for cset in sets:
        for spec in cset.inputs:
            seen.setdefault(spec.id, spec)
    return list(seen.values())


def _number(text: str) -> Any:
    # people type 1.234,5 (Vietnamese) or 1234.5; a lone comma is the decimal mark
    cleaned = text.strip().replace(" ", "").replace("\u00a0", "")
    if "," in cleaned:
        cleaned = cleaned.replace(".", "").replace(",", ".")
    return cleaned


def read_inputs(specs: Iterable[InputSpec], form: Mapping[str, Any]) -> dict[str, Any]:
    """The values posted for `specs` (`form` is request.form); empty fields are left out so that the service
    reports a missing required input by name. Numbers stay text: the services parse them exactly."""
    values: dict[str, Any] = {}
    for spec in specs:
        name = f"in_{spec.id}"
        if spec.type == "boolean":
            values[spec.id] = form.get(name) == "on"
        elif spec.type == "set":
            values[spec.id] = [o for o in spec.options if form.get(f"{name}__{o}") == "on"]
        else:
            raw = (form.get(name) or "").strip()
            if not raw:
                continue
            values[spec.id] = _number(raw) if spec.type in NUMERIC else raw
    return values
