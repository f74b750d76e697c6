"""`spcncl excel template|import|export …`: the workbooks of spcncl_core.excel from the command line.

Kept apart from cli.py; openpyxl and the database are imported only when an excel command runs. Long work
prints its progress on stderr. A refused workbook prints every problem (file: sheet!cell: message), exit 2.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import date
from pathlib import Path
from typing import Any

from spcncl_core.catalog import Catalog

DEFAULT_ACTOR = "secretariat"


def add_commands(sub: Any) -> None:
    """Register `spcncl excel …` on the top-level subparsers."""
    excel = sub.add_parser("excel", help="Excel workbooks: templates, imports, exports")
    kinds = excel.add_subparsers(dest="excel_command", required=True, metavar="ACTION")

    def common(p: argparse.ArgumentParser, db: bool = True, year: bool = True) -> argparse.ArgumentParser:
        if db:
            p.add_argument("--database-url", help="database URL (default: $SPCNCL_DATABASE_URL, else "
                                                  "sqlite:///spcncl.sqlite)")
            p.add_argument("--actor", default=DEFAULT_ACTOR, metavar="USERNAME",
                           help=f"the acting back-office user (default: {DEFAULT_ACTOR})")
        if year:
            p.add_argument("--year", type=int, required=True, help="programme year of the round")
            p.add_argument("--jurisdiction", default="hanoi")
        return p

    template = kinds.add_parser("template", help="write a template to fill in")
    tsub = template.add_subparsers(dest="template_kind", required=True, metavar="KIND")
    p = tsub.add_parser("self-assessment", help="self-assessment workbook of a criteria set, with estimated score")
    p.add_argument("--set", required=True, metavar="ID")
    p.add_argument("--year", type=int, help="programme year (default: this year, within the set's years)")
    p.add_argument("-o", "--output", required=True, type=Path)
    p.set_defaults(fn=cmd_template_self_assessment)
    p = common(tsub.add_parser("bulk", help="bulk sheet: one row per product"), db=False)
    p.add_argument("-o", "--output", required=True, type=Path)
    p.set_defaults(fn=cmd_template_bulk)
    p = common(tsub.add_parser("council", help="scoring workbook of a council member (or of every member)"))
    who = p.add_mutually_exclusive_group(required=True)
    who.add_argument("--member", help="member code, e.g. M01")
    who.add_argument("--all-members", action="store_true", help="one workbook per member into the folder -o")
    p.add_argument("-o", "--output", required=True, type=Path)
    p.set_defaults(fn=cmd_template_council)

    imp = kinds.add_parser("import", help="import a filled workbook (all or nothing)")
    isub = imp.add_subparsers(dest="import_kind", required=True, metavar="KIND")
    p = common(isub.add_parser("self-assessment", help="filled self-assessments: files or folders"))
    p.add_argument("paths", nargs="+", metavar="PATH")
    p.add_argument("--no-submit", action="store_true", help="register as drafts, do not submit")
    p.set_defaults(fn=cmd_import_self_assessment)
    p = common(isub.add_parser("bulk", help="a filled bulk sheet"))
    p.add_argument("path", metavar="FILE")
    p.add_argument("--no-submit", action="store_true", help="register as drafts, do not submit")
    p.set_defaults(fn=cmd_import_bulk)
    p = common(isub.add_parser("council", help="a council member's filled scoring workbook"))
    p.add_argument("path", metavar="FILE")
    p.add_argument("--submit", action="store_true", help="submit (lock) each form saved")
    p.set_defaults(fn=cmd_import_council)
    p = isub.add_parser("criteria", help="a criteria set authored in Excel: validate and write its YAML")
    p.add_argument("path", metavar="FILE")
    p.add_argument("-o", "--output", type=Path, help="YAML file to write (default: print it)")
    p.set_defaults(fn=cmd_import_criteria)

    exp = kinds.add_parser("export", help="write a workbook from the records or a criteria set")
    esub = exp.add_subparsers(dest="export_kind", required=True, metavar="KIND")
    p = common(esub.add_parser("working-sheet", help="the working group's sheet of a round (preliminary scores)"))
    p.add_argument("-o", "--output", required=True, type=Path)
    p.set_defaults(fn=cmd_export_working_sheet)
    p = common(esub.add_parser("results", help="the results workbook of a round"))
    p.add_argument("-o", "--output", required=True, type=Path)
    p.set_defaults(fn=cmd_export_results)
    p = esub.add_parser("criteria", help="a criteria set as a workbook")
    p.add_argument("id", metavar="ID")
    p.add_argument("-o", "--output", required=True, type=Path)
    p.set_defaults(fn=cmd_export_criteria)


def progress_printer(what: str) -> Callable[[int, int], None]:
    """Print `what: done/total` on stderr at every tenth of the work."""
    shown = {-1}

    def report(done: int, total: int) -> None:
        step = done * 10 // max(total, 1)
        if step not in shown:
            shown.add(step)
            print(f"  {what}: {done:,}/{total:,}", file=sys.stderr, flush=True)

    return report


STAGE_WORDS = {"read": "rows read", "check": "{what} checked", "write": "{what} written"}


def stages_printer(what: str) -> Callable[[str, int, int], None]:
    """An import's progress (`stage, done, total`: rows read, `what` checked, `what` written) on stderr, each
    stage at every tenth of its work."""
    printers: dict[str, Callable[[int, int], None]] = {}

    def report(stage: str, done: int, total: int) -> None:
        if stage not in printers:
            printers[stage] = progress_printer(STAGE_WORDS.get(stage, stage).format(what=what))
        printers[stage](done, total)

    return report


@contextmanager
def _session(args: argparse.Namespace) -> Iterator[Any]:
    from spcncl_core.db.base import make_engine, make_session_factory

    engine = make_engine(args.database_url)
    try:
        with make_session_factory(engine)() as session:
            yield session
    finally:
        engine.dispose()


def _round(session: Any, args: argparse.Namespace) -> Any:
    from spcncl_core.services import rounds

    return rounds.get_round(session, args.jurisdiction, args.year)


def _actor(session: Any, args: argparse.Namespace) -> Any:
    from sqlalchemy import select

    from spcncl_core.db.models import User
    from spcncl_core.errors import NotFoundError

    user = session.scalar(select(User).where(User.username == args.actor))
    if user is None:
        raise NotFoundError(f"no user {args.actor}: give an existing back-office user with --actor")
    return user


def _done(path: Path) -> int:
    print(f"written {path}")
    return 0


def cmd_template_self_assessment(catalog: Catalog, args: argparse.Namespace) -> int:
    """Write the self-assessment workbook of a criteria set."""
    from spcncl_core.excel.self_assessment import write_self_assessment

    cset = catalog.get(args.set)
    year = args.year or (date.today().year if cset.applies_to(date.today().year) else cset.year_from)
    write_self_assessment(cset, year, args.output)
    return _done(args.output)


def cmd_template_bulk(catalog: Catalog, args: argparse.Namespace) -> int:
    """Write an empty bulk sheet for a jurisdiction's year."""
    from spcncl_core.excel.bulk import write_bulk

    if not catalog.sets_for(args.jurisdiction, args.year):
        raise SystemExit(f"error: no {args.jurisdiction} criteria set covers {args.year}")
    write_bulk(catalog, args.jurisdiction, args.year, args.output)
    return _done(args.output)


def cmd_template_council(catalog: Catalog, args: argparse.Namespace) -> int:
    """Write a council member's scoring workbook (or every member's)."""
    from sqlalchemy import select

    from spcncl_core.db.models import CouncilMember
    from spcncl_core.errors import WorkbookError
    from spcncl_core.excel.council import write_council_workbook
    from spcncl_core.services import scoring

    with _session(args) as session:
        round_ = _round(session, args)
        if args.member:
            write_council_workbook(session, catalog, round_, scoring.get_member(session, round_, args.member),
                                   args.output)
            return _done(args.output)
        args.output.mkdir(parents=True, exist_ok=True)
        members = list(session.scalars(select(CouncilMember).where(CouncilMember.round_id == round_.id,
                                                                   CouncilMember.voting.is_(True))
                                       .order_by(CouncilMember.code)))
        report = progress_printer("scoring workbooks")
        for i, member in enumerate(members, start=1):
            target = args.output / f"phieu-danh-gia-{round_.year}-{member.code}.xlsx"
            try:
                write_council_workbook(session, catalog, round_, member, target)
            except WorkbookError as exc:  # a member with nothing to score is reported, not fatal
                print(f"  {member.code}: skipped: {exc.problems[0].message}", file=sys.stderr)
            report(i, len(members))
        print(f"written {len(members)} workbooks into {args.output}")
    return 0


def cmd_import_self_assessment(catalog: Catalog, args: argparse.Namespace) -> int:
    """Import filled self-assessments (files or folders), all or nothing."""
    from spcncl_core.excel.dossier_import import import_self_assessments

    with _session(args) as session:
        report = import_self_assessments(session, _actor(session, args), catalog, _round(session, args), args.paths,
                                         submit=not args.no_submit, progress=stages_printer("dossiers"))
        session.commit()
    print(f"imported {report.count} dossiers: {len(report.registered)} registered, {len(report.updated)} updated")
    return 0


def cmd_import_bulk(catalog: Catalog, args: argparse.Namespace) -> int:
    """Import a filled bulk sheet, all or nothing."""
    from spcncl_core.excel.dossier_import import import_bulk

    with _session(args) as session:
        report = import_bulk(session, _actor(session, args), catalog, _round(session, args), args.path,
                             submit=not args.no_submit, progress=stages_printer("dossiers"))
        session.commit()
    print(f"imported {report.count} dossiers: {len(report.registered)} registered, {len(report.updated)} updated")
    return 0


def cmd_import_council(catalog: Catalog, args: argparse.Namespace) -> int:
    """Import a council member's filled scoring workbook, all or nothing."""
    from spcncl_core.excel.council import import_council_workbook

    with _session(args) as session:
        report = import_council_workbook(session, _actor(session, args), catalog, _round(session, args), args.path,
                                         submit=args.submit, progress=stages_printer("forms"))
        session.commit()
    print(f"member {report.member}: {report.scores} scores saved on {len(report.forms)} forms"
          + (f", {len(report.submitted)} submitted" if args.submit else ""))
    return 0


def cmd_import_criteria(catalog: Catalog, args: argparse.Namespace) -> int:
    """Validate a criteria set authored in Excel and write it as YAML."""
    from spcncl_core.excel.criteria_book import import_criteria_book

    cset, text = import_criteria_book(args.path, catalog)
    if args.output:
        args.output.write_text(text, encoding="utf-8")
        print(f"ok  {cset.id}: {len(cset.criteria)} criteria, {cset.total_points.normalize():f} points → "
              f"{args.output}")
    else:
        print(text, end="")
    return 0


def cmd_export_working_sheet(catalog: Catalog, args: argparse.Namespace) -> int:
    """Write the working group's sheet of a round."""
    from spcncl_core.excel.working_sheet import write_working_sheet

    with _session(args) as session:
        write_working_sheet(session, catalog, _round(session, args), args.output,
                            progress=progress_printer("dossiers evaluated"))
    return _done(args.output)


def cmd_export_results(catalog: Catalog, args: argparse.Namespace) -> int:
    """Write the results workbook of a round."""
    from spcncl_core.excel.results_book import write_results_book

    with _session(args) as session:
        write_results_book(session, catalog, _round(session, args), args.output)
    return _done(args.output)


def cmd_export_criteria(catalog: Catalog, args: argparse.Namespace) -> int:
    """Write a criteria set as a workbook."""
    from spcncl_core.excel.criteria_book import write_criteria_book

    write_criteria_book(catalog.get(args.id), args.output)
    return _done(args.output)
