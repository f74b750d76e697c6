"""The built-in Hanoi plugin: Hanoi's criteria sets and its classification of products into high-tech and standard.

A dossier is high-tech when its `high_tech_list_item` passes the high-tech set's list prerequisite (PH) for the
year — the list in force and its size are data in the criteria sets, not here.
"""

from __future__ import annotations

from collections.abc import Mapping
from importlib.resources import files
from typing import TYPE_CHECKING, Any

from spcncl_core import hookimpl

if TYPE_CHECKING:
    from spcncl_core.catalog import Catalog
    from spcncl_core.registries import CriteriaSetRegistry

JURISDICTION = "hanoi"
HIGH_TECH = "high-tech"
STANDARD = "standard"
LIST_PREREQUISITE = "PH"
LIST_INPUT = "high_tech_list_item"


@hookimpl
def register_criteria_sets(registry: CriteriaSetRegistry) -> None:
    """hanoi-2018-*, hanoi-2021-* and hanoi-2023-*, each for high-tech and standard products."""
    registry.add_directory(files("spcncl_criteria_sets") / "hanoi", label="criteria_sets/hanoi")


@hookimpl
def classify_product(catalog: Catalog, jurisdiction: str, year: int, inputs: Mapping[str, Any]) -> str | None:
    """High-tech when the dossier names a valid item of the high-tech list in force for `year`, else standard."""
    if jurisdiction != JURISDICTION:
        return None
    high_tech_sets = catalog.sets_for(JURISDICTION, year, HIGH_TECH)
    if len(high_tech_sets) != 1 or inputs.get(LIST_INPUT) is None:
        return STANDARD
    compiled = high_tech_sets[0].compiled
    try:
        spec = next(i for i in compiled.inputs if i.id == LIST_INPUT)
        value = spec.convert(inputs[LIST_INPUT])
    except (StopIteration, ValueError):
        return STANDARD  # the standard set validates the input and reports a bad value
    for prerequisite in compiled.prerequisites:
        if prerequisite.id == LIST_PREREQUISITE:
            holds, _ = prerequisite.check({LIST_INPUT: value})
            return HIGH_TECH if holds else STANDARD
    return STANDARD
