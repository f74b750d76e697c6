"""The catalog: what the installed plugins registered (criteria sets, rule kinds, functions, checks,
aggregations), and choosing and evaluating the right criteria set for a dossier."""

from __future__ import annotations

import logging
from collections.abc import Mapping
from dataclasses import dataclass, replace
from types import MappingProxyType
from typing import Any

from spcncl_core.criteria import cache
from spcncl_core.criteria.model import CriteriaSet
from spcncl_core.dossier import Dossier, year_problem
from spcncl_core.engine.compile import compile_set
from spcncl_core.engine.evaluate import Evaluation, evaluate
from spcncl_core.errors import (
    CriteriaSetError,
    DossierError,
    NoCriteriaSetError,
    Problem,
    UnknownCriteriaSetError,
    did_you_mean,
)
from spcncl_core.plugins import PluginManager, call_hook, get_plugin_manager
from spcncl_core.registries import CriteriaSetSource, Registries

log = logging.getLogger("spcncl.plugins")

# registration hook → the Registries attribute passed to it
REGISTRATION_HOOKS = (
    ("register_rule_kinds", "rule_kinds"),
    ("register_functions", "functions"),
    ("register_prerequisite_checks", "prerequisite_checks"),
    ("register_aggregations", "aggregations"),
    ("register_criteria_sets", "criteria_sets"),
)


@dataclass(frozen=True)
class PluginInfo:
    """A loaded plugin: its name, where it came from, the hooks it implements, the criteria sets it added."""

    name: str
    origin: str
    hooks: tuple[str, ...]
    criteria_sets: tuple[str, ...]


class Catalog:
    """Everything the plugins registered, loaded and validated once. Build with `load_catalog()`."""

    def __init__(self, pm: PluginManager) -> None:
        self.pm = pm
        self.registries = Registries()
        for hook_name, attribute in REGISTRATION_HOOKS:
            registry = getattr(self.registries, attribute)
            call_hook(pm, hook_name, owner_of=registry, registry=registry)
        sources = self.registries.criteria_sets
        self.criteria_sets: dict[str, CriteriaSet] = self._load_sets()
        plugin_of = {s.source: s.plugin for s in sources.sources} if sources.fingerprint() is None else {
            source: plugin for plugin, source, _ in sources.fingerprint() or ()}
        self._owners = {k: plugin_of.get(s.source, "(unknown)") for k, s in self.criteria_sets.items()}
        self._known_inputs: dict[str, frozenset[str]] = {}
        self._sets_for: dict[tuple[str, int | None, str | None], list[CriteriaSet]] = {}
        for cset in self.criteria_sets.values():
            self._known_inputs[cset.jurisdiction] = self._known_inputs.get(cset.jurisdiction, frozenset()) | {
                i.id for i in cset.inputs}

    def _load_sets(self) -> dict[str, CriteriaSet]:
        key = cache.cache_key(self.registries)
        cached = cache.read(key, self.registries)
        if cached is not None:
            try:
                return {k: replace(v, compiled=compile_set(v, self.registries)) for k, v in cached.items()}
            except Exception:  # noqa: BLE001, S110 - a cache entry of the wrong shape: validate afresh
                pass
        from spcncl_core.criteria.loader import load_criteria_sets  # validation imports marshmallow

        registry = self.registries.criteria_sets
        try:
            if registry.problems:
                raise CriteriaSetError(registry.problems)
            loaded = load_criteria_sets(registry.sources, self.registries)
        except CriteriaSetError as exc:
            raise CriteriaSetError(_name_plugins(exc.problems, registry.sources, registry.fingerprint())) from None
        cache.write(key, loaded, self.registries)
        return loaded

    def get(self, set_id: str) -> CriteriaSet:
        """The criteria set registered under `set_id`; UnknownCriteriaSetError (with a hint) if none."""
        try:
            return self.criteria_sets[set_id]
        except KeyError:
            raise UnknownCriteriaSetError(f"no criteria set '{set_id}'{did_you_mean(set_id, self.criteria_sets)}; "
                                          "`spcncl criteria list` shows the registered ones") from None

    def owner(self, set_id: str) -> str:
        """The plugin that registered a criteria set."""
        return self._owners[set_id]

    def jurisdictions(self) -> list[str]:
        """Jurisdictions with at least one criteria set, sorted."""
        return sorted(self._known_inputs)

    def known_inputs(self, jurisdiction: str) -> frozenset[str]:
        """Every input id declared by any criteria set of `jurisdiction`."""
        return self._known_inputs.get(jurisdiction, frozenset())

    def sets_for(self, jurisdiction: str, year: int | None = None, product_group: str | None = None
                 ) -> list[CriteriaSet]:
        """Criteria sets of a jurisdiction, optionally only those covering `year` and of `product_group`."""
        key = (jurisdiction, year, product_group)
        found = self._sets_for.get(key)
        if found is None:
            found = self._sets_for[key] = [
                s for s in self.criteria_sets.values()
                if s.jurisdiction == jurisdiction and (year is None or s.applies_to(year))
                and (product_group is None or s.product_group == product_group)]
        return list(found)

    def classify(self, jurisdiction: str, year: int, inputs: Mapping[str, Any]) -> str:
        """The product group of a dossier: asked of the plugins, or the only group the year has."""
        group = call_hook(self.pm, "classify_product", catalog=self, jurisdiction=jurisdiction, year=year,
                          inputs=MappingProxyType(dict(inputs)))
        if group is not None:
            return str(group)
        groups = sorted({s.product_group for s in self.sets_for(jurisdiction, year)})
        if len(groups) == 1:
            return groups[0]
        if not groups:
            raise self._no_set(jurisdiction, year)
        candidates = ", ".join(f"{s.id} ({s.product_group})" for s in sorted(self.sets_for(jurisdiction, year),
                                                                                key=lambda s: s.id))
        raise NoCriteriaSetError(f"{jurisdiction} {year} has product groups {', '.join(groups)} and no plugin "
                                 f"classified this dossier; give the criteria set with --set: {candidates}")

    def select(self, dossier: Dossier) -> CriteriaSet:
        """The criteria set that applies to a dossier, by jurisdiction, year and product group; a year outside the
        programme's horizon is a DossierError."""
        _check_year(dossier.year)
        if not self.sets_for(dossier.jurisdiction):
            raise NoCriteriaSetError(f"no criteria set for jurisdiction '{dossier.jurisdiction}'"
                                     f"{did_you_mean(dossier.jurisdiction, self.jurisdictions())}; installed: "
                                     f"{', '.join(self.jurisdictions()) or 'none'}")
        group = self.classify(dossier.jurisdiction, dossier.year, dossier.inputs)
        matches = self.sets_for(dossier.jurisdiction, dossier.year, group)
        if not matches:
            raise self._no_set(dossier.jurisdiction, dossier.year, group)
        if len(matches) > 1:
            raise NoCriteriaSetError(f"{len(matches)} criteria sets apply to {dossier.jurisdiction} {dossier.year} "
                                     f"{group}: {', '.join(s.id for s in matches)}; give one with --set")
        return matches[0]

    def _no_set(self, jurisdiction: str, year: int, group: str | None = None) -> NoCriteriaSetError:
        periods = ", ".join(f"{s.id} ({s.years_label})" for s in self.sets_for(jurisdiction, None, group))
        return NoCriteriaSetError(f"no {jurisdiction} criteria set{' for ' + group if group else ''} covers "
                                  f"{year}; available: {periods or 'none'}")

    def evaluate(self, dossier: Dossier, set_id: str | None = None,
                 scores: Mapping[str, Mapping[str, Any]] | None = None) -> Evaluation:
        """Evaluate a dossier with the set it names or the one that applies; announce it to the plugins."""
        _check_year(dossier.year)
        criteria_set = self.get(set_id) if set_id else self.select(dossier)
        problems = []
        if criteria_set.jurisdiction != dossier.jurisdiction:
            problems.append(Problem("jurisdiction", f"'{dossier.jurisdiction}' does not match {criteria_set.id} "
                                                    f"({criteria_set.jurisdiction})"))
        elif not criteria_set.applies_to(dossier.year):
            problems.append(Problem("year", f"{dossier.year} is outside the years of {criteria_set.id} "
                                            f"({criteria_set.years_label})"))
        if problems:
            raise DossierError(problems)
        evaluation = evaluate(criteria_set, dossier, scores, known_inputs=self.known_inputs(dossier.jurisdiction))
        frozen = replace(dossier, inputs=MappingProxyType(dict(dossier.inputs)),
                         self_assessment=MappingProxyType(dict(dossier.self_assessment)))
        self.announce("dossier_evaluated", dossier=frozen, evaluation=ReadOnlyEvaluation.of(evaluation))
        return evaluation

    def announce(self, event: str, **kwargs: Any) -> None:
        """Call an event hook (`dossier_evaluated`, `results_published`, …) with `catalog=self` and `kwargs`, through
        pluggy; an exception from a plugin is a PluginError naming plugin and hook."""
        log.debug("event %s", event)
        call_hook(self.pm, event, catalog=self, **kwargs)

    def plugins(self) -> list[PluginInfo]:
        """The loaded plugins in registration order."""
        out = []
        for name, plugin in self.pm.list_name_plugin():
            if plugin is None:  # a blocked name
                continue
            callers = self.pm.get_hookcallers(plugin) or []
            sets = tuple(sorted(s for s, owner in self._owners.items() if owner == name))
            out.append(PluginInfo(name, self.pm.origins.get(name, "registered directly"),
                                  tuple(sorted(c.name for c in callers)), sets))
        return out


def _check_year(year: object) -> None:
    problem = year_problem(year)
    if problem:
        raise DossierError([Problem("year", problem)])


class ReadOnlyEvaluation(Evaluation):
    """The evaluation as event hooks see it: the same values, but nothing can be changed (a plugin cannot turn a
    failed dossier into a passed one)."""

    __slots__ = ()

    @classmethod
    def of(cls, evaluation: Evaluation) -> ReadOnlyEvaluation:
        """A read-only copy of `evaluation`."""
        view = cls.__new__(cls)
        for name in Evaluation.__slots__:
            value = getattr(evaluation, name)
            object.__setattr__(view, name, MappingProxyType(dict(value)) if isinstance(value, dict) else value)
        return view

    def _key(self) -> tuple[Any, ...]:
        return tuple(getattr(self, name) for name in Evaluation.__slots__)

    def __setattr__(self, name: str, value: Any) -> None:
        raise AttributeError(f"the evaluation is read-only: cannot set '{name}'")

    def __delattr__(self, name: str) -> None:
        raise AttributeError(f"the evaluation is read-only: cannot delete '{name}'")


def _name_plugins(problems: tuple[Problem, ...] | list[Problem], sources: list[CriteriaSetSource],
                  fingerprint: list[list[Any]] | None) -> list[Problem]:
    """Prefix each problem in a plugin's file with the plugin's name, so that the message says whom to blame."""
    plugin_of = {s.source: s.plugin for s in sources}
    for plugin, source, _ in fingerprint or ():
        plugin_of.setdefault(source, plugin)
    labelled = sorted(plugin_of, key=len, reverse=True)
    out = []
    for p in problems:
        source = next((s for s in labelled if p.where == s or p.where.startswith(s + ":")
                       or p.where.startswith(s + " (")), None)
        plugin = plugin_of.get(source or "")
        if plugin and not plugin.startswith("("):
            out.append(Problem(f"plugin '{plugin}': {p.where}", p.message))
        else:
            out.append(p)
    return out


def load_catalog(pm: PluginManager | None = None) -> Catalog:
    """Build the catalog from a plugin manager (by default `get_plugin_manager()`, with entry points)."""
    return Catalog(pm if pm is not None else get_plugin_manager())
