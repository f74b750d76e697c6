"""spcncl plugin for Thừa Thiên Huế (Huế city): the `hue-2021` criteria set.

Huế scores six criteria, each by the council from the dossier, and averages the members' totals; a product
passes with a total of at least 65. All of that is data in criteria_sets/hue-2021.yaml: this module only tells
spcncl where the file is.
"""

from importlib.resources import files
from typing import Any

from spcncl_core import hookimpl
from spcncl_core.registries import CriteriaSetRegistry


@hookimpl
def register_criteria_sets(registry: CriteriaSetRegistry) -> None:
    """Register Huế's criteria sets, shipped as package data."""
    registry.add_directory(files(__name__) / "criteria_sets", label="spcncl_hue/criteria_sets")


@hookimpl
def register_admin_views(admin: Any, db: Any) -> None:
    """Add a "Huế" screen to the back office: the Huế rounds and their criteria sets (read-only)."""
    from spcncl_hue.admin import HueView  # Flask is imported only when a back office asks for the screens

    admin.add_view(HueView(name="Huế", endpoint="hue", url="/admin/hue"))
