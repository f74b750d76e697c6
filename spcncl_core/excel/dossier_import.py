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

from sqlalchemy import select
from sqlalchemy.orm import Session

from spcncl_core.catalog import Catalog
from spcncl_core.db.models import Dossier, Enterprise, Product, Round
from spcncl_core.dossier import Dossier as EngineDossier
from spcncl_core.engine.evaluate import evaluate_checked
from spcncl_core.errors import DossierError, Problem, SpcnclError, WorkbookError
from spcncl_core.excel.safety import DEFAULT_LIMITS, Limits
from spcncl_core.excel.values import DossierRecord
from spcncl_core.services import dossiers
from spcncl_core.services.rounds import criteria_set_for

UPDATABLE = ("draft", "submitted")
Progress = Callable[[int, int], None]


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


def _next_numbers(session: Session, round_: Round) -> Iterator[str]:
    existing = list(session.scalars(select(Dossier.number).where(Dossier.round_id == round_.id)))
    prefix, last = f"{round_.jurisdiction_id.upper()}-{round_.year}-", 0
    for number in existing:
        match = re.fullmatch(r"(.*?)(\d+)", number)
        if match:
            if int(match.group(2)) >= last:
                prefix, last = match.group(1), int(match.group(2))
    taken = set(existing)
    while True:
        last += 1
        candidate = f"{prefix}{last:04d}"
        if candidate not in taken:
            yield candidate


def import_dossiers(session: Session, catalog: Catalog, actor: str, round_: Round,
                    records: Sequence[DossierRecord], *, submit: bool = True,
                    problems: list[Problem] | None = None, progress: Progress | None = None) -> ImportReport:
    """Register or update the dossiers of `records` in `round_` (and submit them), or raise WorkbookError listing
    every problem (those already found by the readers in `problems` as well) and write nothing."""
    problems = list(problems or [])
    jurisdiction, year = round_.jurisdiction_id, round_.year
    known = catalog.known_inputs(jurisdiction)
    enterprises = {e.code: e for e in session.scalars(select(Enterprise))}
    products = {(p.enterprise_id, p.name): p for p in session.scalars(select(Product))}
    registered = {d.product_id: d for d in session.scalars(select(Dossier).where(Dossier.round_id == round_.id))}
    numbers = {d.number: d for d in registered.values()}
    seen: dict[tuple[str, str], DossierRecord] = {}
    existing: dict[int, Dossier] = {}
    for index, record in enumerate(records):
        code, name = record.identity.get("enterprise_code"), record.identity.get("product_name")
        if code is None or name is None or "enterprise_name" not in record.identity:
            continue  # the reader reported the missing field
        key = (code, name)
        if key in seen:
            problems.append(Problem(record.where("product_name"), f"{name} of enterprise {code} is listed twice "
                                    f"(also {seen[key].where('product_name')})"))
            continue
        seen[key] = record
        enterprise_ = enterprises.get(code)
        product_ = products.get((enterprise_.id, name)) if enterprise_ else None
        dossier = registered.get(product_.id) if product_ else None
        if record.number is not None and record.number in numbers and numbers[record.number] is not dossier:
            problems.append(Problem(record.where("number"), f"dossier number {record.number} belongs to another "
                                                            "product in this round"))
        if dossier is not None:
            if dossier.state not in UPDATABLE:
                problems.append(Problem(record.where("product_name"), f"{name} is registered already as dossier "
                                        f"{dossier.number}, which is {dossier.state} (past screening): a re-import "
                                        "cannot change it"))
                continue
            existing[index] = dossier
        try:
            group = catalog.classify(jurisdiction, year, record.inputs)
            cset = criteria_set_for(session, catalog, round_, group)
            evaluate_checked(cset, EngineDossier(jurisdiction, year, record.inputs, record.self_assessment),
                             known_inputs=known)
        except DossierError as exc:
            problems.extend(Problem(record.where(p.where), p.message) for p in exc.problems
                            if p.where not in record.unreadable)
        except SpcnclError as exc:
            problems.append(Problem(record.source, str(exc)))
    if problems:
        raise WorkbookError(problems)

    report = ImportReport()
    new_numbers = _next_numbers(session, round_)
    with all_or_nothing(session):
        for index, record in enumerate(records):
            identity = record.identity
            enterprise_ = enterprises.get(identity["enterprise_code"])
            details = {k: identity.get(k) for k in ("district", "sector") if identity.get(k) is not None}
            if enterprise_ is None or enterprise_.name != identity["enterprise_name"] or any(
                    getattr(enterprise_, k) != v for k, v in details.items()):
                enterprise_ = dossiers.enterprise(session, identity["enterprise_code"], identity["enterprise_name"],
                                                  **details)
                enterprises[enterprise_.code] = enterprise_
            product_ = products.get((enterprise_.id, identity["product_name"]))
            if product_ is None:
                product_ = dossiers.product(session, enterprise_, identity["product_name"], identity.get("sector"))
                products[(enterprise_.id, product_.name)] = product_
            dossier = existing.get(index)
            if dossier is None:
                dossier = dossiers.register(session, actor, round_, product_, record.number or next(new_numbers),
                                            record.inputs, record.self_assessment)
                report.registered.append(dossier.number)
            else:
                if dossier.state == "submitted":
                    dossiers.move(session, actor, dossier, "draft", reason=f"re-imported from {record.source}")
                dossiers.update(session, actor, dossier, dossier.version, record.inputs, record.self_assessment)
                report.updated.append(dossier.number)
            if submit:
                dossiers.submit(session, catalog, actor, dossier)
            if progress is not None:
                progress(index + 1, len(records))
    return report


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


def import_self_assessments(session: Session, catalog: Catalog, actor: str, round_: Round,
                            paths: Sequence[str | Path], *, submit: bool = True,
                            progress: Progress | None = None, limits: Limits = DEFAULT_LIMITS) -> ImportReport:
    """Import filled self-assessment workbooks (files, or folders of them): all of them, or none."""
    from spcncl_core.excel.self_assessment import read_self_assessment

    problems: list[Problem] = []
    records = []
    files = excel_files(paths)
    if not files:
        raise WorkbookError([Problem(", ".join(map(str, paths)), "no .xlsx file found")])
    for path in files:
        try:
            record = read_self_assessment(path, catalog, problems, limits)
        except WorkbookError as exc:
            problems.extend(exc.problems)
            continue
        if record is not None:
            records.append(record)
    return import_dossiers(session, catalog, actor, round_, records, submit=submit, problems=problems,
                           progress=progress)


def import_bulk(session: Session, catalog: Catalog, actor: str, round_: Round, path: str | Path, *,
                submit: bool = True, progress: Progress | None = None,
                limits: Limits = DEFAULT_LIMITS) -> ImportReport:
    """Import a filled bulk sheet (one row per product): every row, or none."""
    from spcncl_core.excel.bulk import read_bulk

    problems: list[Problem] = []
    meta, records = read_bulk(path, catalog, problems, limits)
    if (meta.get("jurisdiction"), str(meta.get("year"))) != (round_.jurisdiction_id, str(round_.year)):
        problems.append(Problem(Path(path).name, f"made for {meta.get('jurisdiction')} {meta.get('year')}, not for "
                                                 f"the {round_.jurisdiction_id} {round_.year} round"))
    return import_dossiers(session, catalog, actor, round_, records, submit=submit, problems=problems,
                           progress=progress)
