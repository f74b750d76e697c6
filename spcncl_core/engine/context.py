"""What a rule kind sees while its part of a criteria set is validated: declared inputs, limits, and a problem list."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from decimal import Decimal
from typing import TYPE_CHECKING, Any

from spcncl_core.errors import Problem, did_you_mean

if TYPE_CHECKING:
    from marshmallow import Schema

    from spcncl_core.registries import Registries

NUMERIC_TYPES = frozenset({"number", "integer", "percent", "derived"})

# A score function takes the dossier's values (inputs and derived indicators) and returns the points and a short
# account of how they were reached; the engine adds "→ points of max".
ScoreFn = Callable[[Mapping[str, Any]], tuple[Decimal, str]]
# A check takes the values and returns whether it holds and a short message.
CheckFn = Callable[[Mapping[str, Any]], tuple[bool, str]]


def join_path(base: str, key: str | int) -> str:
    """Extend a path such as 'groups[0].criteria' with a key or a list index."""
    if isinstance(key, int):
        return f"{base}[{key}]"
    return f"{base}.{key}" if base else key


def flatten_messages(messages: Any, path: str) -> list[tuple[str, str]]:
    """Turn marshmallow's nested error messages into (path, message) pairs."""
    out: list[tuple[str, str]] = []
    if isinstance(messages, Mapping):
        for key, sub in messages.items():
            sub_path = path if key == "_schema" else join_path(path, key)
            out += flatten_messages(sub, sub_path)
    elif isinstance(messages, (list, tuple)):
        for item in messages:
            out += flatten_messages(item, path)
    else:
        text = str(messages)
        if text == "Unknown field.":
            text = "unknown key (not part of the criteria-set format)"
        elif text == "Missing data for required field.":
            text = "required key is missing"
        out.append((path, text))
    return out


@dataclass
class RuleContext:
    """Collects problems while a criteria set's rules are parsed; knows the set's inputs and derived indicators."""

    source: str
    inputs: Mapping[str, str]  # id → type ("derived" for derived indicators)
    options: Mapping[str, tuple[str, ...]]
    registries: Registries
    problems: list[Problem] = field(default_factory=list)
    max_points: Decimal | None = None
    dropped: int = 0  # criteria left out for their problems: sums over the set are then not checked

    def problem(self, path: str, message: str) -> None:
        """Record a problem at `path` inside the current file."""
        self.problems.append(Problem(f"{self.source}: {path}" if path else self.source, message))

    def load(self, schema: Schema, data: Any, path: str) -> Any | None:
        """Load `data` with a marshmallow schema, recording every error with its path; None when invalid."""
        from marshmallow import ValidationError  # imported here: only validation needs marshmallow

        try:
            return schema.load(data)
        except ValidationError as exc:
            for sub_path, message in flatten_messages(exc.messages, path):
                self.problem(sub_path, message)
            return None

    def ref_input(self, path: str, input_id: str, types: frozenset[str] | None = None) -> str | None:
        """Check that a rule refers to a declared input (or derived indicator) of a suitable type."""
        kind = self.inputs.get(input_id)
        if kind is None:
            self.problem(path, f"unknown input '{input_id}'{did_you_mean(input_id, self.inputs)}; "
                               "declare it under inputs or derived")
            return None
        if types is not None and kind not in types:
            wanted = " or ".join(sorted(types - {"derived"}))
            self.problem(path, f"input '{input_id}' is of type {kind}; this rule needs {wanted}")
            return None
        return kind

    def check_points(self, path: str, points: Decimal) -> None:
        """Refuse points that are negative or above the criterion's maximum."""
        if points < 0:
            self.problem(path, "must be ≥ 0")
        elif self.max_points is not None and points > self.max_points:
            self.problem(path, f"must be ≤ max_points ({self.max_points.normalize():f})")
