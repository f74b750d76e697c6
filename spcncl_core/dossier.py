"""A dossier (hồ sơ đăng ký) as the engine sees it, and reading one from a JSON or YAML file."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date, datetime
from pathlib import Path
from typing import Any

from spcncl_core.errors import MAX_HINTS, DossierError, InputFileError, Problem, did_you_mean, excerpt
from spcncl_core.reading import Limits, read_document

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


YEAR_MIN = 1990  # the first programmes of this kind; criteria sets cannot start earlier either
YEAR_HORIZON = 5  # years after the current one a dossier may be for: a set's open end is not an invitation to 20233


def year_problem(year: object) -> str | None:
    """Why `year` is not a programme year (a whole number from 1990 to next few years), or None when it is."""
    if isinstance(year, bool) or not isinstance(year, int):
        return f"required: the programme year as a whole number, got {excerpt(year)}"
    last = date.today().year + YEAR_HORIZON
    if not YEAR_MIN <= year <= last:
        return f"{excerpt(year)} is not a programme year: years run from {YEAR_MIN} to {last} (this year + " \
               f"{YEAR_HORIZON})"
    return None


def dossier_from_mapping(data: Any, where: str = "dossier") -> DossierFile:
    """Build a dossier from a mapping shaped like the `spcncl evaluate` file; raise DossierError listing problems."""
    problems: list[Problem] = []
    if not isinstance(data, Mapping):
        raise DossierError([Problem(where, "must be a mapping with jurisdiction, year and inputs, got "
                                           f"{excerpt(data)}")])
    hints = 0
    for key in data:
        if key not in DOSSIER_KEYS:
            hint = did_you_mean(str(key), DOSSIER_KEYS) if hints < MAX_HINTS and isinstance(key, str) else ""
            hints += 1
            problems.append(Problem(excerpt(key) if not isinstance(key, str) else key,
                                    f"unknown key{hint}; allowed: {', '.join(DOSSIER_KEYS)}"))
    jurisdiction = data.get("jurisdiction")
    if not isinstance(jurisdiction, str) or not jurisdiction:
        problems.append(Problem("jurisdiction", "required: the jurisdiction's id, e.g. \"hanoi\""))
    year = data.get("year")
    problem = year_problem(year)
    if problem:
        problems.append(Problem("year", problem))
    inputs = data.get("inputs", {})
    if not isinstance(inputs, Mapping):
        problems.append(Problem("inputs", "must be a mapping of input id to value"))
    assessment = data.get("self_assessment")
    if assessment is None:
        assessment = {}
    elif not isinstance(assessment, Mapping):
        problems.append(Problem("self_assessment", "must be a mapping of criterion id to points, got "
                                                   f"{excerpt(assessment)}"))
    scores = data.get("council_scores")
    if scores is not None and not (isinstance(scores, Mapping)
                                   and all(isinstance(v, Mapping) for v in scores.values())):
        problems.append(Problem("council_scores", "must map each member to a mapping of criterion id to points"))
    dossier_id = data.get("id")
    if dossier_id is not None and (isinstance(dossier_id, bool) or not isinstance(dossier_id, (str, int))
                                   or not str(dossier_id).strip()):
        problems.append(Problem("id", f"must be a text or a whole number, got {excerpt(dossier_id)}"))
    submitted = data.get("submitted_at")
    submitted_at = None
    if submitted is not None:
        try:
            if isinstance(submitted, datetime):
                submitted_at = submitted
            elif isinstance(submitted, str) and len(submitted) <= 40:
                submitted_at = datetime.fromisoformat(submitted)
            else:
                raise ValueError
        except ValueError:
            problems.append(Problem("submitted_at", f"must be an ISO date and time, got {excerpt(submitted)}"))
    if problems:
        raise DossierError(problems)
    dossier = Dossier(jurisdiction=jurisdiction, year=year, inputs=dict(inputs), self_assessment=dict(assessment),
                      id=str(dossier_id) if dossier_id is not None else None, submitted_at=submitted_at)
    meta = {k: data[k] for k in ("product", "enterprise", "note") if k in data}
    return DossierFile(dossier, scores, meta)


def read_dossier_file(path: str | Path, limits: Limits | None = None) -> DossierFile:
    """Read a dossier from a .json, .yaml or .yml file through the bounded reader; raise DossierError naming the
    file (and line) on any problem."""
    try:
        data = read_document(path, str(path), limits)
    except InputFileError as exc:
        raise DossierError(exc.problems) from None
    return dossier_from_mapping(data, str(path))
