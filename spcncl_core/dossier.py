"""A dossier (hồ sơ đăng ký) as the engine sees it, and reading one from a JSON or YAML file."""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

import yaml

from spcncl_core.errors import DossierError, Problem, did_you_mean

DOSSIER_KEYS = ("jurisdiction", "year", "inputs", "self_assessment", "council_scores", "id", "product",
                "enterprise", "submitted_at", "note")


@dataclass(frozen=True)
class Dossier:
    """What an enterprise submitted for one product: its inputs and its self-assessment (bảng tự đánh giá)."""

    jurisdiction: str
    year: int
    inputs: Mapping[str, Any]
    self_assessment: Mapping[str, Any] = field(default_factory=dict)
    id: str | None = None
    submitted_at: datetime | None = None


@dataclass(frozen=True)
class DossierFile:
    """A dossier read from a file, with the council scores it may carry (member → criterion → points)."""

    dossier: Dossier
    council_scores: Mapping[str, Mapping[str, Any]] | None
    meta: Mapping[str, Any]


def dossier_from_mapping(data: Any, where: str = "dossier") -> DossierFile:
    """Build a dossier from a mapping shaped like the `spcncl evaluate` file; raise DossierError listing problems."""
    problems: list[Problem] = []
    if not isinstance(data, Mapping):
        raise DossierError([Problem(where, "must be a mapping with jurisdiction, year and inputs")])
    for key in data:
        if key not in DOSSIER_KEYS:
            problems.append(Problem(str(key), f"unknown key{did_you_mean(str(key), DOSSIER_KEYS)}; "
                                              f"allowed: {', '.join(DOSSIER_KEYS)}"))
    jurisdiction = data.get("jurisdiction")
    if not isinstance(jurisdiction, str) or not jurisdiction:
        problems.append(Problem("jurisdiction", "required: the jurisdiction's id, e.g. \"hanoi\""))
    year = data.get("year")
    if isinstance(year, bool) or not isinstance(year, int):
        problems.append(Problem("year", f"required: the programme year as a whole number, got {year!r}"))
    inputs = data.get("inputs", {})
    if not isinstance(inputs, Mapping):
        problems.append(Problem("inputs", "must be a mapping of input id to value"))
    assessment = data.get("self_assessment") or {}
    if not isinstance(assessment, Mapping):
        problems.append(Problem("self_assessment", "must be a mapping of criterion id to points"))
    scores = data.get("council_scores")
    if scores is not None and not (isinstance(scores, Mapping)
                                   and all(isinstance(v, Mapping) for v in scores.values())):
        problems.append(Problem("council_scores", "must map each member to a mapping of criterion id to points"))
    submitted = data.get("submitted_at")
    submitted_at = None
    if submitted is not None:
        try:
            submitted_at = submitted if isinstance(submitted, datetime) else datetime.fromisoformat(str(submitted))
        except ValueError:
            problems.append(Problem("submitted_at", f"must be an ISO date and time, got {submitted!r}"))
    if problems:
        raise DossierError(problems)
    dossier = Dossier(jurisdiction=jurisdiction, year=year, inputs=dict(inputs), self_assessment=dict(assessment),
                      id=str(data["id"]) if data.get("id") is not None else None, submitted_at=submitted_at)
    meta = {k: data[k] for k in ("product", "enterprise", "note") if k in data}
    return DossierFile(dossier, scores, meta)


def read_dossier_file(path: str | Path) -> DossierFile:
    """Read a dossier from a .json, .yaml or .yml file; raise DossierError naming the file on any problem."""
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise DossierError([Problem(str(path), f"cannot read the file: {exc}")]) from None
    try:
        if path.suffix.lower() == ".json":
            data = json.loads(text)
        else:
            data = yaml.safe_load(text)
    except (json.JSONDecodeError, yaml.YAMLError) as exc:
        raise DossierError([Problem(str(path), f"not valid {'JSON' if path.suffix == '.json' else 'YAML'}: {exc}")]
                           ) from None
    return dossier_from_mapping(data, str(path))
