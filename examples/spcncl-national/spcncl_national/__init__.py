"""spcncl plugin (example): two national programmes written in YAML only.

- `ocop-2024`: an OCOP-style star rating: three parts, part A with sub-groups of its own (nested groups), part B
  capped at 25 points, five star classes by total (90, 70, 50, 30) of which three stars and more are recognised;
- `vnaward-2024`: a national award out of 1,000 points passed only with a total of at least 650 **and** each of its
  three criteria at 60 % of its maximum or more (a compound pass rule), council totals trimmed of the highest and
  the lowest, each criterion rounded to one decimal before adding.

Everything is data in criteria_sets/: this module only tells spcncl where the files are.
"""

from importlib.resources import files

from spcncl_core import hookimpl
from spcncl_core.registries import CriteriaSetRegistry


@hookimpl
def register_criteria_sets(registry: CriteriaSetRegistry) -> None:
    """Register the national example sets, shipped as package data."""
    registry.add_directory(files(__name__) / "criteria_sets", label="spcncl_national/criteria_sets")
