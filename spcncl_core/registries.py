"""Typed registries that the host passes into plugins' registration hooks.

The host tells each registry which plugin is registering (`owned_by`), so a clash names both plugins.
"""

from __future__ import annotations

import os
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field
from importlib.resources.abc import Traversable
from pathlib import Path
from typing import Any, Generic, TypeVar

import yaml

from spcncl_core.engine.aggregation import COVERAGES, AggregateFn, Aggregation, adapt
from spcncl_core.engine.functions import DerivedFunction
from spcncl_core.engine.prerequisites import PrerequisiteCheck
from spcncl_core.engine.rules import RuleKind
from spcncl_core.errors import PluginError, Problem

T = TypeVar("T")

try:  # the C loader is several times faster; fall back when PyYAML was built without libyaml
    _YamlLoader: type[yaml.SafeLoader] = yaml.CSafeLoader  # type: ignore[attr-defined]
except AttributeError:  # pragma: no cover
    _YamlLoader = yaml.SafeLoader


class _Owned:
    """Knows which plugin is registering, so that clashes and errors can name it."""

    _plugin = "(registered directly)"

    @contextmanager
    def owned_by(self, plugin: str) -> Iterator[None]:
        """Attribute everything added inside the block to `plugin`."""
        previous, self._plugin = self._plugin, plugin
        try:
            yield
        finally:
            self._plugin = previous


class _NamedRegistry(_Owned, Generic[T]):
    """Named things contributed by plugins; a name registered twice is an error naming both plugins."""

    what = "item"

    def __init__(self) -> None:
        self._items: dict[str, T] = {}
        self._owners: dict[str, str] = {}

    def _add(self, name: str, item: T) -> None:
        if name in self._items:
            raise PluginError(f"{self.what} '{name}' is registered twice: by plugin '{self._owners[name]}' and by "
                              f"plugin '{self._plugin}'; rename one, or block a plugin with SPCNCL_BLOCK_PLUGINS")
        self._items[name] = item
        self._owners[name] = self._plugin

    def get(self, name: str) -> T | None:
        """The item registered under `name`, or None."""
        return self._items.get(name)

    def owner(self, name: str) -> str:
        """The plugin that registered `name`."""
        return self._owners[name]

    def __contains__(self, name: object) -> bool:
        return name in self._items

    def __iter__(self) -> Iterator[str]:
        return iter(self._items)

    def __len__(self) -> int:
        return len(self._items)

    def items(self) -> list[tuple[str, T]]:
        """(name, item) pairs in registration order."""
        return list(self._items.items())


class RuleKindRegistry(_NamedRegistry[RuleKind]):
    """Scoring rule kinds (bands, choice, …) available to criteria sets."""

    what = "rule kind"

    def add(self, kind: RuleKind) -> None:
        """Register a rule kind instance under its `name`."""
        if not kind.name:
            raise PluginError(f"plugin '{self._plugin}' registered a rule kind without a name: {kind!r}")
        self._add(kind.name, kind)


class FunctionRegistry(_NamedRegistry[DerivedFunction]):
    """Functions for derived indicators (cagr, ratio, …)."""

    what = "function"

    def add(self, function: DerivedFunction) -> None:
        """Register a derived-indicator function."""
        self._add(function.name, function)


class PrerequisiteCheckRegistry(_NamedRegistry[PrerequisiteCheck]):
    """Prerequisite check kinds; `condition` is built in."""

    what = "prerequisite check"

    def add(self, check: PrerequisiteCheck) -> None:
        """Register a prerequisite check kind under its `name`."""
        self._add(check.name, check)


class AggregationRegistry(_NamedRegistry[Aggregation]):
    """Ways of combining council members' scores (mean-of-assigned, mean-of-totals, …)."""

    what = "aggregation"

    def add(self, name: str, fn: AggregateFn, description: str, coverage: str = "criterion") -> None:
        """Register an aggregation `fn(sheet: CouncilSheet) -> Aggregated` under `name`; `coverage` is
        "criterion" (every manual criterion scored by someone) or "member" (every member scores every criterion).
        A function of the former form `fn(criteria, preliminary, scores)` is accepted too."""
        if coverage not in COVERAGES:
            raise PluginError(f"plugin '{self._plugin}' registered aggregation '{name}' with coverage {coverage!r}; "
                              f"use one of {', '.join(COVERAGES)}")
        self._add(name, Aggregation(name, adapt(fn), description, coverage))

    def add_aggregation(self, aggregation: Aggregation) -> None:
        """Register a prepared `Aggregation`."""
        self._add(aggregation.name, aggregation)


@dataclass(frozen=True)
class CriteriaSetSource:
    """A criteria-set document as a plugin contributed it, before validation."""

    document: Any
    source: str
    plugin: str


@dataclass
class CriteriaSetRegistry(_Owned):
    """Criteria-set documents contributed by plugins, read from YAML files or given as mappings."""

    sources: list[CriteriaSetSource] = field(default_factory=list)
    problems: list[Problem] = field(default_factory=list)

    def add_file(self, path: str | os.PathLike[str] | Traversable, label: str | None = None) -> None:
        """Add a YAML criteria-set file; `label` is how errors name it (default: the path)."""
        name = label or str(path)
        try:
            text = path.read_text(encoding="utf-8") if isinstance(path, Traversable) else Path(path).read_text(
                encoding="utf-8")
        except (OSError, UnicodeDecodeError) as exc:
            self.problems.append(Problem(name, f"cannot read the file: {exc}"))
            return
        self.add_text(text, name)

    def add_text(self, text: str, label: str) -> None:
        """Add a criteria set from YAML text; `label` names it in errors."""
        try:
            document = yaml.load(text, Loader=_YamlLoader)  # noqa: S506 - a safe loader
        except yaml.YAMLError as exc:
            mark = getattr(exc, "problem_mark", None)
            where = f"{label}: line {mark.line + 1}, column {mark.column + 1}" if mark else label
            self.problems.append(Problem(where, f"not valid YAML: {getattr(exc, 'problem', None) or exc}"))
            return
        self.add_document(document, label)

    def add_document(self, document: Mapping[str, Any], source: str) -> None:
        """Add a criteria set given as a mapping (as read from YAML); `source` names it in errors."""
        self.sources.append(CriteriaSetSource(document, source, self._plugin))

    def add_directory(self, folder: str | os.PathLike[str] | Traversable, label: str | None = None) -> None:
        """Add every `*.yaml` file of a folder (a path or an `importlib.resources` folder), in name order."""
        base = folder if isinstance(folder, Traversable) else Path(folder)
        prefix = label if label is not None else str(folder)
        for entry in sorted(base.iterdir(), key=lambda e: e.name):
            if entry.is_file() and entry.name.endswith((".yaml", ".yml")):
                self.add_file(entry, f"{prefix}/{entry.name}")


@dataclass
class Registries:
    """Everything plugins register, bundled for the loader and the engine."""

    criteria_sets: CriteriaSetRegistry = field(default_factory=CriteriaSetRegistry)
    rule_kinds: RuleKindRegistry = field(default_factory=RuleKindRegistry)
    functions: FunctionRegistry = field(default_factory=FunctionRegistry)
    prerequisite_checks: PrerequisiteCheckRegistry = field(default_factory=PrerequisiteCheckRegistry)
    aggregations: AggregationRegistry = field(default_factory=AggregationRegistry)
