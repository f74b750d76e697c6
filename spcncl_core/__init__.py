"""spcncl: criteria sets as plugins and a scoring engine for key-industrial-product selection programmes.

    from spcncl_core import load_catalog, Dossier
    catalog = load_catalog()
    evaluation = catalog.evaluate(Dossier("hanoi", 2023, {...}))
"""

import logging

from spcncl_core.catalog import Catalog, PluginInfo, load_catalog
from spcncl_core.criteria.model import CriteriaSet, Criterion, Group, InputSpec
from spcncl_core.dossier import Dossier, read_dossier_file
from spcncl_core.engine.aggregation import Aggregated, Aggregation, CouncilSheet, SheetCriterion, SheetGroup
from spcncl_core.engine.conditions import Condition
from spcncl_core.engine.context import RuleContext
from spcncl_core.engine.evaluate import CriterionResult, Evaluation, PrerequisiteResult, evaluate
from spcncl_core.engine.functions import DerivedFunction, UndefinedValue
from spcncl_core.engine.prerequisites import PrerequisiteCheck
from spcncl_core.engine.ranking import RankedEntry, rank
from spcncl_core.engine.rules import RuleKind
from spcncl_core.errors import (
    CriteriaSetError,
    DossierError,
    InputFileError,
    NoCriteriaSetError,
    PluginError,
    Problem,
    SpcnclError,
    UnknownCriteriaSetError,
)
from spcncl_core.hookspecs import hookimpl
from spcncl_core.plugins import get_plugin_manager

__version__ = "0.1.0"
logging.getLogger("spcncl").addHandler(logging.NullHandler())  # a library logs; the application decides where to

__all__ = [
    "Aggregated", "Aggregation", "Catalog", "Condition", "CouncilSheet", "SheetCriterion", "SheetGroup",
    "UndefinedValue", "CriteriaSet", "CriteriaSetError", "Criterion",
    "CriterionResult", "DerivedFunction", "Dossier", "DossierError", "Evaluation", "Group", "InputFileError",
    "InputSpec",
    "NoCriteriaSetError", "PluginError", "PluginInfo", "PrerequisiteCheck", "PrerequisiteResult", "Problem",
    "RankedEntry", "RuleContext", "RuleKind", "SpcnclError", "UnknownCriteriaSetError", "evaluate",
    "get_plugin_manager", "hookimpl", "load_catalog", "rank", "read_dossier_file",
]
