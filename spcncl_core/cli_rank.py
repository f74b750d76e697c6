"""`spcncl rank FILE|DIR… [--set ID] [--json]`: evaluate many dossier files and print the ranking of each
criteria set — positions, totals, classes, pass, Top N and tie-break reasons — with no database, so a set's
author can try it on last year's dossiers."""

from __future__ import annotations

import argparse
import sys
from dataclasses import replace
from pathlib import Path
from typing import Any

from spcncl_core.catalog import Catalog
from spcncl_core.dossier import read_dossier_file
from spcncl_core.engine.evaluate import Evaluation
from spcncl_core.engine.ranking import rank
from spcncl_core.errors import NoCriteriaSetError, ProblemsError, UnknownCriteriaSetError
from spcncl_core.numbers import show
from spcncl_core.tables import table

DOSSIER_SUFFIXES = (".json", ".yaml", ".yml")


def dossier_files(names: list[str]) -> list[Path]:
    """The files named, and the dossier files (.json, .yaml, .yml) of the folders named, in name order."""
    out: list[Path] = []
    for name in names:
        path = Path(name)
        if path.is_dir():
            out += sorted(p for p in path.iterdir() if p.is_file() and p.suffix.lower() in DOSSIER_SUFFIXES)
        else:
            out.append(path)
    return out


def cmd_rank(catalog: Catalog, args: argparse.Namespace) -> int:
    """Evaluate every dossier file and rank them per criteria set; exit 2 (nothing ranked) if any file is bad."""
    files = dossier_files(args.paths)
    problems: list[str] = []
    evaluations: list[tuple[Evaluation, Path, dict[str, Any]]] = []
    for path in files:
        try:
            loaded = read_dossier_file(path)
            dossier = loaded.dossier if loaded.dossier.id else replace(loaded.dossier, id=path.stem)
            evaluation = catalog.evaluate(dossier, args.set, loaded.council_scores)
        except ProblemsError as exc:
            problems += [f"{path}: {p}" for p in exc.problems]
            continue
        except (UnknownCriteriaSetError, NoCriteriaSetError) as exc:
            problems.append(f"{path}: {exc}")
            continue
        evaluations.append((evaluation, path, dict(loaded.meta)))
    if not files:
        problems.append("no dossier files (.json, .yaml, .yml) found in " + ", ".join(args.paths))
    if problems:
        for problem in problems:
            print(f"error: {problem}", file=sys.stderr)
        return 2
    by_set: dict[str, list[Evaluation]] = {}
    origin: dict[int, tuple[Path, dict[str, Any]]] = {}
    for evaluation, path, meta in evaluations:
        by_set.setdefault(evaluation.criteria_set, []).append(evaluation)
        origin[id(evaluation)] = (path, meta)
    reports = []
    for set_id, group in by_set.items():
        cset = catalog.get(set_id)
        ranking = rank(group, cset)
        rows = [{"position": r.position, "dossier": r.evaluation.dossier_id,
                 "file": str(origin[id(r.evaluation)][0]), "product": origin[id(r.evaluation)][1].get("product"),
                 "total": r.evaluation.total, "class": r.evaluation.class_id, "passed": r.evaluation.passed,
                 "top": r.top, "tie_break": r.tie_break} for r in ranking]
        ineligible = [{"dossier": e.dossier_id, "file": str(origin[id(e)][0]),
                       "failed": [p.id for p in e.failed_prerequisites()]} for e in group if not e.eligible]
        reports.append((cset, rows, ineligible))
    if args.json:
        from spcncl_core.cli import _print_json

        _print_json([{"criteria_set": cset.id, "provenance": cset.provenance, "top": cset.top,
                      "tie_breaks": [str(t) for t in cset.tie_breaks], "ranking": rows, "ineligible": ineligible}
                     for cset, rows, ineligible in reports])
        return 0
    for n, (cset, rows, ineligible) in enumerate(reports):
        if n:
            print()
        print(f"{cset.id} — {len(rows)} ranked, {sum(r['passed'] for r in rows)} passed"
              + (f", Top {cset.top}" if cset.top else "") + f"; tie-breaks: "
              f"{', '.join(map(str, cset.tie_breaks)) or 'none'}")
        if cset.provenance != "official":
            print(f"provenance: {cset.provenance_text()}")
        headers = ["#", "dossier", "product", "total", "class", "pass", "top", "tie-break"]
        cells = [[r["position"], r["dossier"], r["product"] or "", show(r["total"]), r["class"] or "",
                  "✓" if r["passed"] else "✗", "★" if r["top"] else "", r["tie_break"] or ""] for r in rows]
        if not cset.classes:  # no class column for a set without classes
            headers.pop(4)
            cells = [row[:4] + row[5:] for row in cells]
        print(table(headers, cells, right=(0, 3)))
        for item in ineligible:
            print(f"not eligible: {item['dossier']} ({item['file']}): prerequisites {', '.join(item['failed'])} "
                  "not met")
    return 0


def add_command(sub: Any, with_json: Any) -> None:
    """Register `spcncl rank`."""
    p = with_json(sub.add_parser("rank", help="evaluate dossier files and rank them (no database)"))
    p.add_argument("paths", nargs="+", metavar="FILE|DIR")
    p.add_argument("--set", metavar="ID", help="criteria set for every dossier (default: chosen per dossier)")
    p.set_defaults(fn=cmd_rank)
