"""The hooks a spcncl plugin can implement. Plugins write `from spcncl_core import hookimpl`.

Registration hooks receive a typed registry and add to it; they return nothing. Hooks are called with keyword
arguments only, and no hook parameter has a default value.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import pluggy

if TYPE_CHECKING:
    from collections.abc import Mapping

    from spcncl_core.catalog import Catalog
    from spcncl_core.dossier import Dossier
    from spcncl_core.engine.evaluate import Evaluation
    from spcncl_core.registries import (
        AggregationRegistry,
        CriteriaSetRegistry,
        FunctionRegistry,
        PrerequisiteCheckRegistry,
        RuleKindRegistry,
    )

PROJECT = "spcncl"
hookspec = pluggy.HookspecMarker(PROJECT)
hookimpl = pluggy.HookimplMarker(PROJECT)


@hookspec
def register_criteria_sets(registry: CriteriaSetRegistry) -> None:
    """Add the plugin's criteria sets: `registry.add_directory(files(pkg) / "criteria_sets", label=…)`,
    `registry.add_file(path)` or `registry.add_document(mapping, source)`."""


@hookspec
def register_rule_kinds(registry: RuleKindRegistry) -> None:
    """Add scoring rule kinds (subclasses of `spcncl_core.RuleKind`) with `registry.add(kind)`."""


@hookspec
def register_functions(registry: FunctionRegistry) -> None:
    """Add functions for derived indicators with `registry.add(DerivedFunction(name, arity, fn, description))`."""


@hookspec
def register_prerequisite_checks(registry: PrerequisiteCheckRegistry) -> None:
    """Add prerequisite check kinds (subclasses of `spcncl_core.PrerequisiteCheck`) with `registry.add(check)`."""


@hookspec
def register_aggregations(registry: AggregationRegistry) -> None:
    """Add ways of combining council scores with `registry.add(name, fn, description, coverage)`: `fn(sheet)`
    receives a `CouncilSheet` (criteria with maxima, groups, preliminary points, members' scores) and returns an
    `Aggregated` of exact values; `coverage` ("criterion" or "member") says which missing scores are bad input."""


@hookspec(firstresult=True)
def classify_product(catalog: Catalog, jurisdiction: str, year: int, inputs: Mapping[str, Any]) -> str | None:
    """Return the product group (e.g. "high-tech") a dossier of `jurisdiction` belongs to in programme `year`,
    or None to leave it to another plugin. The first non-None answer wins."""


@hookspec
def dossier_evaluated(catalog: Catalog, dossier: Dossier, evaluation: Evaluation) -> None:
    """Called after the catalog evaluated a dossier; for logging, statistics or notifications. `evaluation` is a
    read-only copy (setting an attribute raises); an exception becomes a PluginError naming the plugin."""


@hookspec
def results_published(catalog: Catalog, round: Any, publication: Any) -> None:
    """Called when a round's results were published (`round` and `publication` are the stored records), inside
    the publishing transaction: e.g. to post them on a portal once it commits. Must not raise."""


@hookspec
def register_admin_views(admin: Any, db: Any) -> None:
    """Add back-office screens: `admin` is the application's `flask_admin.Admin`, `db` its Flask-SQLAlchemy object
    (`db.session` for queries). Called once per application by `spcncl_admin.create_app`, after the built-in views.
    Views should subclass `spcncl_admin.views.base.StaffView` (or `StaffModelView`) so that sign-in and roles are
    checked, and change records only through `spcncl_core.services`."""
