"""The `spcncl` command line. These commands use only the library: no Flask, no database.

Exit codes (docs/errors.md): 0 done (a dossier evaluated, passed or not; every file valid), 2 bad input or settings
(every problem printed on stderr, each naming its field or file and path; a bad database URL; a database without
the schema), 1 anything else (a plugin's failure, a database out of reach, a tampered audit log, a bug), 130
interrupted. `--debug` adds the traceback.
"""

from __future__ import annotations

import argparse
import json
import logging
import os
import sys
import traceback
from collections.abc import Mapping, Sequence
from decimal import Decimal
from typing import Any

from spcncl_core.catalog import Catalog, load_catalog
from spcncl_core.criteria.diff import diff_sets
from spcncl_core.criteria.model import CriteriaSet
from spcncl_core.dossier import read_dossier_file
from spcncl_core.engine.evaluate import Evaluation
from spcncl_core.errors import (
    CriteriaSetError,
    DatabaseNotReadyError,
    DatabaseUnavailableError,
    NoCriteriaSetError,
    ProblemsError,
    SettingsError,
    SpcnclError,
    UnknownCriteriaSetError,
    cut,
)
from spcncl_core.numbers import show
from spcncl_core.registries import CriteriaSetRegistry
from spcncl_core.tables import table

EXIT_OK, EXIT_ERROR, EXIT_BAD_INPUT, EXIT_INTERRUPTED = 0, 1, 2, 130


def _print_json(data: Any) -> None:
    print(json.dumps(data, ensure_ascii=not _stdout_is_unicode(), indent=2, default=_json_default))


def _stdout_is_unicode() -> bool:
    try:
        "ệ≥".encode(getattr(sys.stdout, "encoding", None) or "ascii")
    except (UnicodeEncodeError, LookupError):
        return False  # JSON is then written with \u escapes: still exact
    return True


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
                [[s.id, s.jurisdiction, s.years_label, s.product_group, _pass_text(s), s.top or "",
                  len(s.criteria), s.provenance, catalog.owner(s.id)] for s in sets], right=(5, 6)))
    return EXIT_OK


def _set_summary(s: CriteriaSet, catalog: Catalog | None) -> dict[str, Any]:
    return {"id": s.id, "title": dict(s.title), "jurisdiction": s.jurisdiction, "years": {"from": s.year_from,
            "to": s.year_to}, "product_group": s.product_group, "provenance": s.provenance,
            "pass": {"operator": s.pass_rule.operator, "points": s.pass_rule.points,
                     "rule": s.pass_rule.describe()}, "classes": [c.id for c in s.classes], "top": s.top,
            "total_points": s.total_points, "criteria": len(s.criteria), "extends": s.extends,
            "content_hash": s.content_hash, "plugin": catalog.owner(s.id) if catalog else None}


def _input_range(i: Any) -> str:
    low = i.min if i.min is not None else (Decimal(0) if i.type == "percent" else None)
    high = i.max if i.max is not None else (Decimal(100) if i.type == "percent" else None)
    if low is None and high is None:
        return ""
    return f"{show(low) if low is not None else ''}–{show(high) if high is not None else ''}"


def _group_json(g: Any) -> dict[str, Any]:
    return {"id": g.id, "title": dict(g.title), "max_points": g.max_points, "declared_max": g.declared_max,
            "cap": g.cap,
            "criteria": [{"id": c.id, "title": dict(c.title), "max_points": c.max_points, "kind": c.kind,
                          "rule": c.description, "when_undefined": c.when_undefined} for c in g.criteria],
            "groups": [_group_json(sub) for sub in g.groups]}


def cmd_criteria_show(catalog: Catalog, args: argparse.Namespace) -> int:
    """Show one criteria set: settings, inputs, prerequisites, classes and the criteria table (nested groups)."""
    s = catalog.get(args.id)
    lang = args.lang
    if args.json:
        data = _set_summary(s, catalog)
        data.update({
            "legal_basis": list(s.legal_basis), "aggregation": s.aggregation, "tie_breaks": [str(t) for t in
                                                                                             s.tie_breaks],
            "official_parts": list(s.official_parts),
            "rounding": {"digits": s.rounding.digits, "at": s.rounding.at},
            "classes": [{"id": c.id, "label": dict(c.label), "operator": c.operator, "points": c.points,
                         "recognised": c.recognised} for c in s.classes],
            "inputs": [{"id": i.id, "type": i.type, "label": dict(i.label), "unit": i.unit, "min": i.min,
                        "max": i.max, "options": list(i.options), "required": i.required} for i in s.inputs],
            "derived": [{"id": d.id, "function": d.function, "args": [str(a) for a in d.args],
                         "label": dict(d.label)} for d in s.derived],
            "prerequisites": [{"id": p.id, "title": dict(p.title), "rule": p.description} for p in s.prerequisites],
            "groups": [_group_json(g) for g in s.groups],
        })
        _print_json(data)
        return EXIT_OK
    print(f"{s.id} — {s.label(lang)}")
    print(f"provenance: {s.provenance_text()}")
    if _text(s.notes, lang):
        print(f"note: {_text(s.notes, lang)}")
    print(f"jurisdiction {s.jurisdiction}; years {s.years_label}; product group {s.product_group}; "
          f"pass: {_pass_text(s)}; top {s.top}; aggregation {s.aggregation}; rounding {s.rounding}"
          + (f"; extends {s.extends}" if s.extends else ""))
    if s.legal_basis:
        print("legal basis: " + "; ".join(s.legal_basis))
    print(f"content hash: {s.content_hash}\n")
    if s.classes:
        print(table(["class", "label", "from total", "recognised"],
                    [[c.id, _text(c.label, lang), f"{'≥' if c.operator != '>' else '>'} {show(c.points)}",
                      "yes" if c.recognised else "no"] for c in s.classes]))
        print()
    if s.inputs or s.derived:
        rows = [[i.id, i.type, i.unit or "", _input_range(i), ", ".join(i.options),
                 _text(i.label, lang) + ("" if i.required else " (optional)")] for i in s.inputs]
        rows += [[d.id, "derived", "", "", f"{d.function}({', '.join(str(a) for a in d.args)})",
                  _text(d.label, lang)] for d in s.derived]
        print(table(["input", "type", "unit", "range", "options / function", "label"], rows))
        print()
    if s.prerequisites:
        print(table(["prerequisite", "title", "rule"],
                    [[p.id, _text(p.title, lang), p.description] for p in s.prerequisites]))
        print()
    rows = []

    def add_group(g: Any, depth: int) -> None:
        indent = "  " * depth
        for c in g.criteria:
            rule = c.description + (f"; undefined → {show(c.when_undefined)}" if c.when_undefined is not None else "")
            rows.append([g.id, indent + c.id, _text(c.title, lang), rule, show(c.max_points)])
        for sub in g.groups:
            add_group(sub, depth + 1)
        cap = f" (capped at {show(g.declared_max)})" if g.cap and g.declared_max is not None else ""
        rows.append(["", indent, f"{_text(g.title, lang)} ({g.id}){cap}", "", show(g.max_points)])

    for g in s.groups:
        add_group(g, 0)
    rows.append(["", "", "Tổng" if lang == "vi" else "Total", "", show(s.total_points)])
    print(table(["group", "id", "criterion", "rule", "max"], rows, right=(4,)))
    return EXIT_OK


def _pass_text(s: CriteriaSet) -> str:
    if s.pass_rule.condition is None:
        return "by class"
    return s.pass_rule.describe() if not s.pass_rule.simple else f"total {s.pass_rule}"


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
    """Evaluate dossier files (JSON or YAML) and print each result; several files are evaluated one by one, and
    every bad file is reported (exit 2) after the good ones are printed."""
    if len(args.dossier) == 1:
        evaluation, criteria_set, meta = _evaluate_file(catalog, args.dossier[0], args.set)
        if args.json:
            _print_json(_evaluation_json(evaluation, criteria_set))
        else:
            _print_evaluation(evaluation, criteria_set, args.lang, meta)
        return EXIT_OK
    results: list[dict[str, Any]] = []
    problems: list[str] = []
    for number, name in enumerate(args.dossier):
        try:
            evaluation, criteria_set, meta = _evaluate_file(catalog, name, args.set)
        except ProblemsError as exc:
            problems += [f"{name}: {p}" for p in exc.problems]
            continue
        except (UnknownCriteriaSetError, NoCriteriaSetError) as exc:
            problems.append(f"{name}: {exc}")
            continue
        if args.json:
            results.append({"file": name, **_evaluation_json(evaluation, criteria_set)})
        else:
            if number:
                print("\n" + "═" * 40 + "\n")
            print(f"{name}")
            _print_evaluation(evaluation, criteria_set, args.lang, meta)
    if args.json:
        _print_json(results)
    for problem in problems:
        print(f"error: {problem}", file=sys.stderr)
    return EXIT_BAD_INPUT if problems else EXIT_OK


def _evaluate_file(catalog: Catalog, name: str, set_id: str | None) -> tuple[Evaluation, CriteriaSet, Any]:
    loaded = read_dossier_file(name)
    evaluation = catalog.evaluate(loaded.dossier, set_id, loaded.council_scores)
    return evaluation, catalog.get(evaluation.criteria_set), loaded.meta


def _evaluation_json(evaluation: Evaluation, criteria_set: CriteriaSet) -> dict[str, Any]:
    data = evaluation.to_dict()
    data["provenance"] = criteria_set.provenance
    data["official_parts"] = list(criteria_set.official_parts)
    return data


def _print_evaluation(e: Evaluation, s: CriteriaSet, lang: str, meta: Mapping[str, Any]) -> None:
    title = " — ".join(str(meta[k]) for k in ("product", "enterprise") if k in meta)
    print(f"{title + ': ' if title else ''}{s.id} ({s.label(lang)})")
    if s.provenance != "official":
        print(f"provenance: {s.provenance_text()}")
    if e.prerequisites:
        print()
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
    print(summary_line(e, s, lang))


def _subtotals_text(e: Evaluation, s: CriteriaSet) -> str:
    points = {c.id: c.points for c in e.criteria}

    def children(g: Any) -> Decimal:
        return sum((points[c.id] for c in g.criteria), Decimal(0)) + sum((e.subtotals[x.id] for x in g.groups),
                                                                         Decimal(0))

    def one(g: Any) -> str:
        text = f"{g.id} {show(e.subtotals[g.id])}"
        if g.cap and children(g) > e.subtotals[g.id]:
            text += f" (capped; its parts add up to {show(children(g))})"
        if g.groups:
            text += " [" + ", ".join(one(sub) for sub in g.groups) + "]"
        return text

    return ", ".join(one(g) for g in s.groups)


def summary_line(e: Evaluation, s: CriteriaSet, lang: str = "vi") -> str:
    """'total 86.33 of 100 (KT 33.5, …); pass: total > 70 → PASSED', with nested subtotals in brackets, the
    class reached and, for a compound pass rule, each condition and which failed."""
    assert e.total is not None
    verdict = "PASSED" if e.passed else "NOT PASSED"
    line = f"total {show(e.total)} of {show(e.max_points)} ({_subtotals_text(e, s)})"
    if s.classes:
        rc = e.result_class
        line += f"; class: {rc.describe(lang) if rc is not None else 'none (below every class)'}"
    if s.pass_rule.condition is None:
        return line + f" → {verdict}"
    if not e.pass_detail:
        return line + f"; pass: total {s.pass_rule} → {verdict}"
    checks = "; ".join(f"{'✓' if held else '✗'} {text}" for text, held in e.pass_detail)
    return line + f"; pass: {s.pass_rule.describe()} → {verdict} ({checks})"


def _is_record_error(exc: Exception) -> bool:
    from spcncl_core.errors import RecordError

    return isinstance(exc, RecordError)


def build_parser() -> argparse.ArgumentParser:
    """The argument parser for `spcncl`."""
    parser = argparse.ArgumentParser(prog="spcncl", description="Criteria sets and scoring for key industrial "
                                     "product programmes (sản phẩm công nghiệp chủ lực).")
    parser.add_argument("--version", action="version", version="spcncl 0.1.0")
    parser.add_argument("--debug", action="store_true", help="show the traceback of any error (also $SPCNCL_DEBUG)")
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
    p = with_json(sub.add_parser("evaluate", help="evaluate dossier files (JSON or YAML)"))
    p.add_argument("dossier", metavar="DOSSIER", nargs="+")
    p.add_argument("--set", metavar="ID", help="criteria set to use (default: chosen by the jurisdiction's plugin)")
    p.add_argument("--lang", default="vi", choices=("vi", "en"))
    p.set_defaults(fn=cmd_evaluate)
    from spcncl_core.cli_rank import add_command as add_rank

    add_rank(sub, with_json)
    from spcncl_core.cli_records import add_commands  # imports no database code until a command runs

    add_commands(sub, with_json)
    from spcncl_core.cli_excel import add_commands as add_excel_commands

    add_excel_commands(sub)
    return parser


DEBUG_ENV = "SPCNCL_DEBUG"
SHOWN_PROBLEMS = 500


def main(argv: Sequence[str] | None = None) -> int:
    """Run the command line; returns the exit code (docs/errors.md: 0 done, 1 failure that is not the input's fault
    or a bug, 2 bad input or settings, 130 interrupted). `--debug` (anywhere) shows the traceback of any error."""
    argv = list(sys.argv[1:] if argv is None else argv)
    debug = "--debug" in argv or os.environ.get(DEBUG_ENV, "").lower() not in ("", "0", "off", "no", "false")
    argv = [a for a in argv if a != "--debug"]
    _tolerant_stderr()
    if debug:
        logging.basicConfig(level=logging.DEBUG, format="spcncl %(levelname)s %(name)s: %(message)s")
    args = build_parser().parse_args(argv)
    try:
        catalog = load_catalog()
        return int(args.fn(catalog, args))
    except BrokenPipeError:  # e.g. `spcncl criteria show … | head`: the reader has seen enough
        _silence_stdout()
        return EXIT_OK
    except KeyboardInterrupt:
        print("error: interrupted", file=sys.stderr)
        return EXIT_INTERRUPTED
    except Exception as exc:  # noqa: BLE001 - every failure ends in a message, never a bare traceback
        if debug:
            traceback.print_exc(file=sys.stderr)
        return report_error(exc, debug)


def report_error(exc: BaseException, debug: bool = False) -> int:
    """Print an error the way the command line does (one line, or one per problem) and return its exit code."""
    known = exc if isinstance(exc, SpcnclError) else translate_error(exc)
    if isinstance(known, ProblemsError):
        for problem in known.problems[:SHOWN_PROBLEMS]:
            _error_line(str(problem))
        if len(known.problems) > SHOWN_PROBLEMS:
            _error_line(f"… and {len(known.problems) - SHOWN_PROBLEMS} more problems")
        return EXIT_BAD_INPUT
    if known is not None:
        _error_line(str(known))
        return exit_code(known)
    hint = "" if debug else "; run again with --debug for the traceback"
    _error_line(f"unexpected {type(exc).__name__}: {cut(str(exc), 300)} (please report this{hint})")
    return EXIT_ERROR


def exit_code(exc: SpcnclError) -> int:
    """The documented exit code of one of the project's errors: 2 when the input or a setting is at fault."""
    bad_input = (ProblemsError, UnknownCriteriaSetError, NoCriteriaSetError, SettingsError, DatabaseNotReadyError)
    if isinstance(exc, bad_input) or _is_record_error(exc):
        return EXIT_BAD_INPUT
    return EXIT_ERROR


def translate_error(exc: BaseException) -> SpcnclError | None:
    """The project's error for an expected failure raised by a library: output encoding, database URL, a database
    without the schema or out of reach. None for anything else (a bug)."""
    if isinstance(exc, UnicodeEncodeError):
        encoding = getattr(sys.stdout, "encoding", None) or "?"
        return SettingsError(f"the output encoding ({encoding}) cannot write this text (Vietnamese); set "
                             "PYTHONIOENCODING=utf-8, or use --json")
    sa_exc = sys.modules.get("sqlalchemy.exc")  # imported only when a records command ran
    if sa_exc is not None:
        if isinstance(exc, (sa_exc.ArgumentError, sa_exc.NoSuchModuleError)):
            return SettingsError(f"the database URL is not valid ({cut(_first_line(exc), 160)}); give e.g. "
                                 "sqlite:///spcncl.sqlite or postgresql://user@host/name with --database-url or "
                                 "SPCNCL_DATABASE_URL")
        if isinstance(exc, sa_exc.DBAPIError):
            text = _first_line(getattr(exc, "orig", None) or exc)
            lowered = text.lower()
            if "no such table" in lowered or ("relation" in lowered and "does not exist" in lowered):
                return DatabaseNotReadyError(f"the database has no spcncl schema ({cut(text, 120)}); run "
                                             "`spcncl db upgrade` first")
            if isinstance(exc, (sa_exc.OperationalError, sa_exc.InterfaceError)):
                return DatabaseUnavailableError(f"cannot use the database: {cut(text, 200)}")
    alembic_exc = sys.modules.get("alembic.util.exc")
    if alembic_exc is not None and isinstance(exc, alembic_exc.CommandError):
        return DatabaseNotReadyError(f"the database schema is not one this spcncl knows ({cut(_first_line(exc), 160)})"
                                     "; was it made by another version? run `spcncl db current`")
    if isinstance(exc, ModuleNotFoundError) and exc.name in ("psycopg", "psycopg2"):
        return SettingsError("a postgresql:// URL needs psycopg 3: pip install 'spcncl[postgresql]'")
    return None


def _first_line(exc: object) -> str:
    text = str(exc).strip()
    return text.splitlines()[0] if text else type(exc).__name__


def _error_line(text: str) -> None:
    print(f"error: {text}", file=sys.stderr)


def _tolerant_stderr() -> None:
    # an error message must get out whatever the terminal's encoding: characters it lacks are escaped
    try:
        sys.stderr.reconfigure(errors="backslashreplace")  # type: ignore[union-attr]
    except (AttributeError, ValueError):  # pragma: no cover - a replaced stderr
        pass


def _silence_stdout() -> None:
    try:  # the interpreter's final flush must not fail again on the closed pipe
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
    except (OSError, ValueError, AttributeError):  # pragma: no cover - a replaced stdout
        pass


if __name__ == "__main__":  # pragma: no cover
    raise SystemExit(main())
