"""Importing dossiers read from self-assessment workbooks or a bulk sheet, through the dossier services.

All or nothing: every record is checked first (identity, duplicates, the state of a dossier already registered,
and the engine's checks of the inputs against the set its product group is scored on), every problem is reported
with file, sheet and cell, and nothing is written when there is one. A dossier registered before is updated
(with the services' audit entries) while it is a draft or submitted and not yet screened; past screening it is
refused.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

from sqlalchemy.orm import Session

from spcncl_core.catalog import Catalog
from spcncl_core.db.models import Round, User
from spcncl_core.errors import Problem, WorkbookError
from spcncl_core.excel.safety import DEFAULT_LIMITS, Limits
from spcncl_core.excel.values import DossierRecord
from spcncl_core.services import registration

Progress = Callable[[str, int, int], None]
"""An import's progress callback, `progress(stage, done, total)`: stage "read" (rows of the workbook read; the
total is what the sheets declare, an estimate until the last call), "check" (records checked against the criteria
sets) and "write" (records written), in that order; each stage ends with `done == total`. A web page or a
command line shows it; nothing is saved until the whole import has succeeded."""


def stage(progress: Progress | None, name: str) -> Callable[[int, int], None] | None:
    """`progress` for one stage, as the (done, total) callback the readers and services take."""
    if progress is None:
        return None
    return lambda done, total: progress(name, done, total)


@dataclass
class ImportReport:
    """What an import did: dossier numbers registered and updated."""

    registered: list[str] = field(default_factory=list)
    updated: list[str] = field(default_factory=list)

    @property
    def count(self) -> int:
        """Dossiers written."""
        return len(self.registered) + len(self.updated)


@contextmanager
def all_or_nothing(session: Session) -> Iterator[None]:
    """Writes that happen whole or not at all: on any error the session is rolled back before the error goes on.

    Not a savepoint: with SQLite's Python driver, releasing a savepoint opened before any write commits it, which
    would take the transaction out of the caller's hands on success. Everything is checked before the writes
    begin, so this only ever undoes a race with another writer.
    """
    try:
        yield
    except BaseException:
        session.rollback()
        raise


def import_dossiers(session: Session, actor: User, catalog: Catalog, round_: Round,
                    records: Sequence[DossierRecord], *, submit: bool = True,
                    problems: list[Problem] | None = None, progress: Progress | None = None) -> ImportReport:
    """Register or update the dossiers of `records` in `round_` (and submit them) through
    `registration.register_many`, or raise WorkbookError listing every problem (with those the readers found,
    `problems`) by file, sheet and cell, and write nothing."""
    registration.authorize(session, actor, round_, submit)
    problems = list(problems or [])
    complete = [r for r in records if all(k in r.identity for k in ("enterprise_code", "enterprise_name",
                                                                     "product_name"))]
    entries = [registration.Entry(
        enterprise_code=r.identity["enterprise_code"], enterprise_name=r.identity["enterprise_name"],
        product_name=r.identity["product_name"], inputs=r.inputs, self_assessment=r.self_assessment,
        district=r.identity.get("district"), sector=r.identity.get("sector"), number=r.number) for r in complete]
    plan = registration.check(session, catalog, round_, entries, progress=stage(progress, "check"))
    for problem in plan.problems:
        match = re.fullmatch(r"entries\[(\d+)\](?:\.(.*))?", problem.where)
        if match is None:
            problems.append(problem)
            continue
        record, field_ = complete[int(match.group(1))], match.group(2) or ""
        if field_ in record.unreadable:
            continue  # its cell was reported already
        message = problem.message
        also = re.search(r"\(also entries\[(\d+)\]\)", message)
        if also:
            message = message.replace(also.group(0), f"(also {complete[int(also.group(1))].where(field_)})")
        problems.append(Problem(record.where(field_) if field_ else record.source, message))
    if problems:
        raise WorkbookError(problems)
    with all_or_nothing(session):
        done = registration.register_many(session, actor, catalog, round_, entries, submit=submit, checked=plan,
                                          progress=stage(progress, "write"))
    return ImportReport(done.registered, done.updated)


def excel_files(paths: Sequence[str | Path]) -> list[Path]:
    """The .xlsx files named, or found in the folders named (not recursing; hidden and lock files skipped)."""
    found: list[Path] = []
    for name in paths:
        path = Path(name)
        if path.is_dir():
            found += sorted(p for p in path.iterdir() if p.is_file() and p.suffix.lower() in (".xlsx", ".xlsm", ".xls")
                            and not p.name.startswith((".", "~$")))
        else:
            found.append(path)
    return found


def import_self_assessments(session: Session, actor: User, catalog: Catalog, round_: Round,
                            paths: Sequence[str | Path], *, submit: bool = True,
                            progress: Progress | None = None, limits: Limits = DEFAULT_LIMITS) -> ImportReport:
    """Import filled self-assessment workbooks (files, or folders of them): all of them, or none."""
    from spcncl_core.excel.self_assessment import read_self_assessment

    problems: list[Problem] = []
    records = []
    used = {c.criteria_set_id for c in round_.criteria_sets}
    files = excel_files(paths)
    if not files:
        raise WorkbookError([Problem(", ".join(map(str, paths)), "no .xlsx file found")])
    for n, path in enumerate(files):
        if progress is not None:
            progress("read", n, len(files))
        found: list[Problem] = []
        try:
            record = read_self_assessment(path, catalog, found, limits)
        except WorkbookError as exc:
            problems.extend(exc.problems)
            continue
        if record is not None and record.criteria_set not in used:
            problems.append(Problem(record.source, f"made for {record.criteria_set}, which the {round_.year} round "
                                                   f"does not use ({', '.join(sorted(used))}): fill in the round's "
                                                   "template"))
            continue
        problems.extend(found)
        if record is not None:
            records.append(record)
    if progress is not None:
        progress("read", len(files), len(files))
    return import_dossiers(session, actor, catalog, round_, records, submit=submit, problems=problems,
                           progress=progress)


def import_bulk(session: Session, actor: User, catalog: Catalog, round_: Round, path: str | Path, *,
                submit: bool = True, progress: Progress | None = None,
                limits: Limits = DEFAULT_LIMITS) -> ImportReport:
    """Import a filled bulk sheet (one row per product): every row, or none."""
    from spcncl_core.excel.bulk import read_bulk

    problems: list[Problem] = []
    meta, records = read_bulk(path, catalog, problems, limits, progress=stage(progress, "read"))
    if (meta.get("jurisdiction"), str(meta.get("year"))) != (round_.jurisdiction_id, str(round_.year)):
        problems.append(Problem(Path(path).name, f"made for {meta.get('jurisdiction')} {meta.get('year')}, not for "
                                                 f"the {round_.jurisdiction_id} {round_.year} round"))
    return import_dossiers(session, actor, catalog, round_, records, submit=submit, problems=problems,
                           progress=progress)
