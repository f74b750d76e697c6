"""The `spcncl` command line. These commands use only the library: no Flask, no database.

Exit codes: 0 done (a dossier evaluated, passed or not; every file valid), 2 bad input (every problem printed on
stderr, each naming its field or file and path), 1 anything else.
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Sequence
from decimal import Decimal
from typing import Any

from spcncl_core.catalog import Catalog, load_catalog
from spcncl_core.criteria.diff import diff_sets
from spcncl_core.criteria.model import CriteriaSet
from spcncl_core.dossier import read_dossier_file
from spcncl_core.engine.evaluate import Evaluation
from spcncl_core.errors import (
    CriteriaSetError,
    NoCriteriaSetError,
    ProblemsError,
    SpcnclError,
    UnknownCriteriaSetError,
)
from spcncl_core.numbers import show
from spcncl_core.registries import CriteriaSetRegistry
from spcncl_core.tables import table

EXIT_OK, EXIT_ERROR, EXIT_BAD_INPUT = 0, 1, 2


def _print_json(data: Any) -> None:
    print(json.dumps(data, ensure_ascii=False, indent=2, default=_json_default))


def _json_default(value: Any) -> Any:
    if isinstance(value, Decimal):
        return int(value) if value == value.to_integral_value() else float(value)
    raise TypeError(f"cannot serialise {type(value).__name__}")


def _text(label: Any, lang: str) -> str:
    return (label.get(lang) or label.get("vi") or "") if label else ""


def cmd_plugins(catalog: Catalog, args: argparse.Namespace) -> int:
    """List the loaded plugins, where they come from, their hooks and criteria sets."""
    plugins = catalog.plugins()
    if args.json:
        _print_json([{"name": p.name, "origin": p.origin, "hooks": list(p.hooks),
                      "criteria_sets": list(p.criteria_sets)} for p in plugins])
        return EXIT_OK
    print(table(["plugin", "from", "hooks", "criteria sets"],
                [[p.name, p.origin, ", ".join(p.hooks), ", ".join(p.criteria_sets)] for p in plugins]))
    return EXIT_OK


def cmd_criteria_list(catalog: Catalog, args: argparse.Namespace) -> int:
    """List the registered criteria sets."""
    sets = sorted(catalog.criteria_sets.values(), key=lambda s: (s.jurisdiction, s.year_from, s.product_group))
    if args.jurisdiction:
        sets = [s for s in sets if s.jurisdiction == args.jurisdiction]
    if args.json:
        _print_json([_set_summary(s, catalog) for s in sets])
        return EXIT_OK
    print(table(["id", "jurisdiction", "years", "group", "pass", "top", "criteria", "provenance", "plugin"],
                [[s.id, s.jurisdiction, s.years_label, s.product_group, str(s.pass_rule), s.top or "",
                  len(s.criteria), s.provenance, catalog.owner(s.id)] for s in sets], right=(5, 6)))
    return EXIT_OK


def _set_summary(s: CriteriaSet, catalog: Catalog | None) -> dict[str, Any]:
    return {"id": s.id, "title": dict(s.title), "jurisdiction": s.jurisdiction, "years": {"from": s.year_from,
            "to": s.year_to}, "product_group": s.product_group, "provenance": s.provenance,
            "pass": {"operator": s.pass_rule.operator, "points": s.pass_rule.points}, "top": s.top,
            "total_points": s.total_points, "criteria": len(s.criteria), "extends": s.extends,
            "content_hash": s.content_hash, "plugin": catalog.owner(s.id) if catalog else None}


def cmd_criteria_show(catalog: Catalog, args: argparse.Namespace) -> int:
    """Show one criteria set: settings, prerequisites and the criteria table."""
    s = catalog.get(args.id)
    lang = args.lang
    if args.json:
        data = _set_summary(s, catalog)
        data.update({
            "legal_basis": list(s.legal_basis), "aggregation": s.aggregation, "tie_breaks": [str(t) for t in
                                                                                             s.tie_breaks],
            "inputs": [{"id": i.id, "type": i.type, "label": dict(i.label), "unit": i.unit,
                        "options": list(i.options), "required": i.required} for i in s.inputs],
            "prerequisites": [{"id": p.id, "title": dict(p.title), "rule": p.description} for p in s.prerequisites],
            "groups": [{"id": g.id, "title": dict(g.title), "max_points": g.max_points,
                        "criteria": [{"id": c.id, "title": dict(c.title), "max_points": c.max_points,
                                      "kind": c.kind, "rule": c.description} for c in g.criteria]}
                       for g in s.groups],
        })
        _print_json(data)
        return EXIT_OK
    print(f"{s.id} — {s.label(lang)}")
    if s.provenance != "official":
        print(f"provenance: {s.provenance.upper()} — {_text(s.notes, lang) or 'not the official table'}")
    print(f"jurisdiction {s.jurisdiction}; years {s.years_label}; product group {s.product_group}; "
          f"pass: total {s.pass_rule}; top {s.top}; aggregation {s.aggregation}"
          + (f"; extends {s.extends}" if s.extends else ""))
    if s.legal_basis:
        print("legal basis: " + "; ".join(s.legal_basis))
    print(f"content hash: {s.content_hash}\n")
    if s.prerequisites:
        print(table(["prerequisite", "title", "rule"],
                    [[p.id, _text(p.title, lang), p.description] for p in s.prerequisites]))
        print()
    rows = []
    for g in s.groups:
        for c in g.criteria:
            rows.append([g.id, c.id, _text(c.title, lang), c.description, show(c.max_points)])
        rows.append(["", "", f"{_text(g.title, lang)} ({g.id})", "", show(g.max_points)])
    rows.append(["", "", "Tổng" if lang == "vi" else "Total", "", show(s.total_points)])
    print(table(["group", "id", "criterion", "rule", "max"], rows, right=(4,)))
    return EXIT_OK


def cmd_criteria_validate(catalog: Catalog, args: argparse.Namespace) -> int:
    """Validate criteria-set files; they may extend registered sets or each other."""
    from spcncl_core.criteria.loader import load_criteria_sets  # validation imports marshmallow

    registry = CriteriaSetRegistry()
    for name in args.files:
        registry.add_file(name)
    problems = list(registry.problems)
    loaded: dict[str, CriteriaSet] = {}
    if not problems:
        try:
            file_ids = {s.document.get("id") for s in registry.sources if isinstance(s.document, dict)}
            known = {k: v for k, v in catalog.criteria_sets.items() if k not in file_ids}
            loaded = load_criteria_sets(registry.sources, catalog.registries, known)
        except CriteriaSetError as exc:
            problems = list(exc.problems)
    if args.json:
        _print_json({"valid": not problems, "criteria_sets": sorted(loaded),
                     "problems": [{"where": p.where, "message": p.message} for p in problems]})
    elif not problems:
        for set_id, s in sorted(loaded.items()):
            print(f"ok  {s.source}: {set_id} ({len(s.criteria)} criteria, {show(s.total_points)} points)")
    if problems:
        if not args.json:
            raise CriteriaSetError(problems)
        return EXIT_BAD_INPUT
    return EXIT_OK


def cmd_criteria_diff(catalog: Catalog, args: argparse.Namespace) -> int:
    """Show what changed from one criteria set to another, criterion by criterion."""
    a, b = catalog.get(args.a), catalog.get(args.b)
    changes = diff_sets(a, b)
    if args.json:
        _print_json([{"what": c.what, "id": c.id, "change": c.change, "field": c.field, "before": c.before,
                      "after": c.after} for c in changes])
        return EXIT_OK
    print(f"{a.id} → {b.id}: {len(changes)} change{'s' if len(changes) != 1 else ''}")
    if changes:
        print(table(["what", "id", "change", "field", "before", "after"],
                    [[c.what, c.id, c.change, c.field, c.before or "", c.after or ""] for c in changes]))
    return EXIT_OK


def cmd_evaluate(catalog: Catalog, args: argparse.Namespace) -> int:
    """Evaluate a dossier file (JSON or YAML) and print the result."""
    loaded = read_dossier_file(args.dossier)
    evaluation = catalog.evaluate(loaded.dossier, args.set, loaded.council_scores)
    criteria_set = catalog.get(evaluation.criteria_set)
    if args.json:
        data = evaluation.to_dict()
        data["provenance"] = criteria_set.provenance
        _print_json(data)
        return EXIT_OK
    _print_evaluation(evaluation, criteria_set, args.lang, loaded.meta)
    return EXIT_OK


def _print_evaluation(e: Evaluation, s: CriteriaSet, lang: str, meta: dict[str, Any]) -> None:
    title = " — ".join(str(meta[k]) for k in ("product", "enterprise") if k in meta)
    print(f"{title + ': ' if title else ''}{s.id} ({s.label(lang)})")
    if s.provenance != "official":
        print(f"provenance: {s.provenance.upper()} — not the official point table")
    print()
    if e.prerequisites:
        print(table(["prerequisite", "", "check"],
                    [[p.id, "✓" if p.passed else "✗", p.message] for p in e.prerequisites]))
    if not e.eligible:
        failed = ", ".join(p.id for p in e.failed_prerequisites())
        print(f"\nNOT ELIGIBLE: prerequisite{'s' if len(e.failed_prerequisites()) > 1 else ''} {failed} not met; "
              "the dossier is not scored.")
        return
    print()
    titles = {c.id: _text(c.title, lang) for c in s.criteria}
    print(table(["id", "criterion", "points", "max", "explanation"],
                [[c.id, titles[c.id], show(c.points), show(c.max_points), c.explanation] for c in e.criteria],
                right=(2, 3)))
    print()
    assert e.total is not None
    groups = ", ".join(f"{g} {show(v)}" for g, v in e.subtotals.items())
    verdict = "PASSED" if e.passed else "NOT PASSED"
    print(f"total {show(e.total)} of {show(e.max_points)} ({groups}); pass: total {s.pass_rule} → {verdict}")


def _is_record_error(exc: Exception) -> bool:
    from spcncl_core.errors import RecordError

    return isinstance(exc, RecordError)


def build_parser() -> argparse.ArgumentParser:
    """The argument parser for `spcncl`."""
    parser = argparse.ArgumentParser(prog="spcncl", description="Criteria sets and scoring for key industrial "
                                     "product programmes (sản phẩm công nghiệp chủ lực).")
    parser.add_argument("--version", action="version", version="spcncl 0.1.0")
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    def with_json(p: argparse.ArgumentParser) -> argparse.ArgumentParser:
        p.add_argument("--json", action="store_true", help="print JSON for machines")
        return p

    with_json(sub.add_parser("plugins", help="list the loaded plugins")).set_defaults(fn=cmd_plugins)
    criteria = sub.add_parser("criteria", help="list, show, validate and compare criteria sets")
    csub = criteria.add_subparsers(dest="criteria_command", required=True, metavar="ACTION")
    p = with_json(csub.add_parser("list", help="list the registered criteria sets"))
    p.add_argument("--jurisdiction", help="only this jurisdiction")
    p.set_defaults(fn=cmd_criteria_list)
    p = with_json(csub.add_parser("show", help="show a criteria set"))
    p.add_argument("id")
    p.add_argument("--lang", default="vi", choices=("vi", "en"))
    p.set_defaults(fn=cmd_criteria_show)
    p = with_json(csub.add_parser("validate", help="validate criteria-set files"))
    p.add_argument("files", nargs="+", metavar="FILE")
    p.set_defaults(fn=cmd_criteria_validate)
    p = with_json(csub.add_parser("diff", help="what changed between two criteria sets"))
    p.add_argument("a", metavar="ID")
    p.add_argument("b", metavar="ID")
    p.set_defaults(fn=cmd_criteria_diff)
    p = with_json(sub.add_parser("evaluate", help="evaluate a dossier file (JSON or YAML)"))
    p.add_argument("dossier", metavar="DOSSIER")
    p.add_argument("--set", metavar="ID", help="criteria set to use (default: chosen by the jurisdiction's plugin)")
    p.add_argument("--lang", default="vi", choices=("vi", "en"))
    p.set_defaults(fn=cmd_evaluate)
    from spcncl_core.cli_records import add_commands  # imports no database code until a command runs

    add_commands(sub, with_json)
    from spcncl_core.cli_excel import add_commands as add_excel_commands

    add_excel_commands(sub)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Run the command line; returns the exit code."""
    args = build_parser().parse_args(argv)
    try:
        catalog = load_catalog()
        return int(args.fn(catalog, args))
    except ProblemsError as exc:
        for problem in exc.problems[:500]:
            print(f"error: {problem}", file=sys.stderr)
        if len(exc.problems) > 500:
            print(f"error: … and {len(exc.problems) - 500} more problems", file=sys.stderr)
        return EXIT_BAD_INPUT
    except (UnknownCriteriaSetError, NoCriteriaSetError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return EXIT_BAD_INPUT
    except SpcnclError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return EXIT_BAD_INPUT if _is_record_error(exc) else EXIT_ERROR
    except BrokenPipeError:  # e.g. `spcncl criteria show … | head`
        return EXIT_OK
    except Exception as exc:  # noqa: BLE001 - a traceback is no answer for an official
        print(f"error: unexpected {type(exc).__name__}: {exc} (please report this)", file=sys.stderr)
        return EXIT_ERROR


if __name__ == "__main__":  # pragma: no cover
    raise SystemExit(main())
