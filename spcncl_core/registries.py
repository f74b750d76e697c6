"""Typed registries that the host passes into plugins' registration hooks.

The host tells each registry which plugin is registering (`owned_by`), so a clash names both plugins.
"""

from __future__ import annotations

import hashlib
import json
import os
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field
from importlib.resources.abc import Traversable
from pathlib import Path
from typing import Any, Generic, TypeVar

from spcncl_core.engine.aggregation import COVERAGES, AggregateFn, Aggregation, adapt
from spcncl_core.engine.functions import DerivedFunction
from spcncl_core.engine.prerequisites import PrerequisiteCheck
from spcncl_core.engine.rules import RuleKind
from spcncl_core.errors import InputFileError, PluginError, Problem
from spcncl_core.reading import check_structure, decode_text, parse_yaml, read_bytes

T = TypeVar("T")


class _Owned:
    """Knows which plugin is registering, so that clashes and errors can name it."""

    _plugin_name = "(registered directly)"
    _resolver: Callable[[], str | None] | None = None
    _order: Mapping[str, int] = {}  # plugin → its place in registration order

    def settle(self, order: Mapping[str, int]) -> None:
        """Put what was added in the plugins' registration order (pluggy calls the last-registered plugin first)."""
        self._order = order

    @property
    def _plugin(self) -> str:
        if self._resolver is not None:
            name = self._resolver()
            if name:
                return name
        return self._plugin_name

    @contextmanager
    def owned_by(self, plugin: str | Callable[[], str | None]) -> Iterator[None]:
        """Attribute everything added inside the block to `plugin`: a name, or a function that finds the plugin
        calling (the catalog passes one while pluggy runs every plugin's implementation of a hook)."""
        previous = self._plugin_name, self._resolver
        if callable(plugin):
            self._resolver = plugin
        else:
            self._plugin_name, self._resolver = plugin, None
        try:
            yield
        finally:
            self._plugin_name, self._resolver = previous


class _NamedRegistry(_Owned, Generic[T]):
    """Named things contributed by plugins; a name registered twice is an error naming both plugins."""

    what = "item"

    def __init__(self) -> None:
        self._items: dict[str, T] = {}
        self._owners: dict[str, str] = {}

    def settle(self, order: Mapping[str, int]) -> None:
        """Put the items in the plugins' registration order (pluggy calls the last-registered plugin first)."""
        super().settle(order)
        ranked = sorted(self._items, key=lambda n: order.get(self._owners[n], len(order)))
        self._items = {n: self._items[n] for n in ranked}

    def _add(self, name: str, item: T) -> None:
        if name in self._items:
            first, second = self._owners[name], self._plugin
            if self._order.get(second, len(self._order)) < self._order.get(first, len(self._order)):
                first, second = second, first
            raise PluginError(f"{self.what} '{name}' is registered twice: by plugin '{first}' and by "
                              f"plugin '{second}'; rename one, or block a plugin with SPCNCL_BLOCK_PLUGINS")
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
    """A criteria-set document as a plugin contributed it, before validation; `digest` is the sha256 of the file's
    bytes (or of the document's canonical JSON), what the catalog cache is keyed on."""

    document: Any
    source: str
    plugin: str
    digest: str | None = None


class CriteriaSetRegistry(_Owned):
    """Criteria-set documents contributed by plugins, read from YAML files or given as mappings.

    Files are read (bounded) when added but parsed only when `sources` or `problems` is first asked for, so that a
    catalog found in the cache never parses YAML.
    """

    def __init__(self) -> None:
        self._entries: list[CriteriaSetSource | tuple[bytes, str, str, str]] = []
        self._problems: list[Problem] = []
        self._read_problems = 0

    @property
    def sources(self) -> list[CriteriaSetSource]:
        """Every contributed document, in registration order (files parsed on first access)."""
        self._parse_pending()
        return [e for e in self._entries if isinstance(e, CriteriaSetSource)]

    @property
    def problems(self) -> list[Problem]:
        """Every problem met reading or parsing the files (parsed on first access)."""
        self._parse_pending()
        return self._problems

    def fingerprint(self) -> list[list[Any]] | None:
        """(plugin, source, digest) of every contribution without parsing anything; None when one cannot be
        fingerprinted or a file could not be read (then nothing is cached)."""
        if self._read_problems:
            return None
        out: list[list[Any]] = []
        for entry in self._entries:
            if isinstance(entry, CriteriaSetSource):
                if entry.digest is None:
                    return None
                out.append([entry.plugin, entry.source, entry.digest])
            else:
                out.append([entry[2], entry[1], entry[3]])
        return out

    def settle(self, order: Mapping[str, int]) -> None:
        """Put the documents in the plugins' registration order (pluggy calls the last-registered plugin first)."""
        super().settle(order)

        def plugin(entry: CriteriaSetSource | tuple[bytes, str, str, str]) -> str:
            return entry.plugin if isinstance(entry, CriteriaSetSource) else entry[2]

        self._entries.sort(key=lambda e: order.get(plugin(e), len(order)))

    def _refused(self, exc: InputFileError, plugin: str, unread: bool = False) -> None:
        # a plugin's file is named with its plugin, so that the message says whom to ask
        prefix = "" if plugin.startswith("(") else f"plugin '{plugin}': "
        self._problems.extend(Problem(prefix + p.where, p.message) for p in exc.problems)
        self._read_problems += unread

    def _parse_pending(self) -> None:
        for i, entry in enumerate(self._entries):
            if isinstance(entry, CriteriaSetSource):
                continue
            data, label, plugin, digest = entry
            try:
                document = parse_yaml(decode_text(data, label), label)
            except InputFileError as exc:
                self._refused(exc, plugin)
                document = None
            self._entries[i] = CriteriaSetSource(document, label, plugin, digest)
        self._entries = [e for e in self._entries if not (isinstance(e, CriteriaSetSource) and e.document is None)]

    def add_file(self, path: str | os.PathLike[str] | Traversable, label: str | None = None) -> None:
        """Add a YAML criteria-set file; `label` is how errors name it (default: the path). The file is read through
        the bounded reader (regular files only, size cap)."""
        name = label or str(path)
        try:
            data = read_bytes(path, label=name)
        except InputFileError as exc:
            self._refused(exc, self._plugin, unread=True)
            return
        self._entries.append((data, name, self._plugin, hashlib.sha256(data).hexdigest()))

    def add_text(self, text: str, label: str) -> None:
        """Add a criteria set from YAML text; `label` names it in errors."""
        data = text.encode("utf-8")
        self._entries.append((data, label, self._plugin, hashlib.sha256(data).hexdigest()))

    def add_document(self, document: Mapping[str, Any], source: str) -> None:
        """Add a criteria set given as a mapping (as read from YAML); `source` names it in errors. It is held to the
        reader's depth and size caps."""
        try:
            check_structure(document, source)
        except InputFileError as exc:
            self._refused(exc, self._plugin, unread=True)
            return
        try:
            canonical = json.dumps(document, sort_keys=True, ensure_ascii=False, separators=(",", ":"))
            digest: str | None = hashlib.sha256(canonical.encode("utf-8")).hexdigest()
        except (TypeError, ValueError, RecursionError):
            digest = None  # not plain JSON data (dates, Decimals, …): validated every time, never cached
        self._entries.append(CriteriaSetSource(document, source, self._plugin, digest))

    def add_directory(self, folder: str | os.PathLike[str] | Traversable, label: str | None = None) -> None:
        """Add every `*.yaml` file of a folder (a path or an `importlib.resources` folder), in name order."""
        base = folder if isinstance(folder, Traversable) else Path(folder)
        prefix = label if label is not None else str(folder)
        for entry in sorted(base.iterdir(), key=lambda e: e.name):
            if entry.name.endswith((".yaml", ".yml")) and not entry.is_dir():
                self.add_file(entry, f"{prefix}/{entry.name}")


@dataclass
class Registries:
    """Everything plugins register, bundled for the loader and the engine."""

    criteria_sets: CriteriaSetRegistry = field(default_factory=CriteriaSetRegistry)
    rule_kinds: RuleKindRegistry = field(default_factory=RuleKindRegistry)
    functions: FunctionRegistry = field(default_factory=FunctionRegistry)
    prerequisite_checks: PrerequisiteCheckRegistry = field(default_factory=PrerequisiteCheckRegistry)
    aggregations: AggregationRegistry = field(default_factory=AggregationRegistry)
