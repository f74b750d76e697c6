"""A council member's scoring workbook (phiếu đánh giá): only the criteria assigned to them as columns, the
dossiers open for council scoring as rows, the preliminary points beside each score cell, validation 0 to the
maximum in the set's steps, conflicted dossiers locked and greyed. Imported back through `scoring.save_scores`
(the service the web form uses), all or nothing."""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path
from typing import Any, BinaryIO

from openpyxl.utils import get_column_letter
from sqlalchemy import select
from sqlalchemy.orm import Session

from spcncl_core.catalog import Catalog
from spcncl_core.db.models import Assignment, Conflict, CouncilMember, PreliminaryScore, Round, ScoringForm, User
from spcncl_core.engine.evaluate import check_points
from spcncl_core.errors import DossierError, Problem, SpcnclError, WorkbookError
from spcncl_core.excel.dossier_import import Progress, all_or_nothing, stage
from spcncl_core.excel.layout import (
    GREY_FILL,
    HEADER,
    INPUT_FILL,
    POINTS,
    UNLOCKED,
    cell_value,
    freeze,
    header_row,
    lock_structure,
    new_workbook,
    note,
    number_validation,
    print_setup,
    protect,
    provenance_line,
    put,
    put_text,
    read_meta,
    titles,
    widths,
    write_meta,
)
from spcncl_core.excel.round_data import round_dossiers, round_sets
from spcncl_core.excel.safety import DEFAULT_LIMITS, Limits, read_grids
from spcncl_core.excel.values import CellProblem, points_value
from spcncl_core.services import scoring
from spcncl_core.services.policy import require

KIND = "council"
FIRST_ROW = 6
CONFLICT_NOTE = "Xung đột lợi ích đã khai báo: thành viên không chấm hồ sơ này"


def _assigned(session: Session, round_: Round, member: CouncilMember) -> dict[str, set[str]]:
    out: dict[str, set[str]] = {}
    for a in session.scalars(select(Assignment).where(Assignment.round_id == round_.id,
                                                      Assignment.member_id == member.id)):
        out.setdefault(a.criteria_set_id, set()).add(a.criterion_id)
    return out


def write_council_workbook(session: Session, catalog: Catalog, round_: Round, member: CouncilMember,
                           target: str | Path | BinaryIO) -> Any:
    """Write `member`'s scoring workbook for the dossiers of `round_` open for council scoring."""
    sets = round_sets(session, catalog, round_)
    assigned = _assigned(session, round_, member)
    dossiers = round_dossiers(session, round_, scoring.SCORABLE)
    ids = [d.id for d in dossiers]
    conflicts = set(session.scalars(select(Conflict.dossier_id).where(Conflict.member_id == member.id)))
    preliminary: dict[tuple[int, str], PreliminaryScore] = {
        (p.dossier_id, p.criterion_id): p for p in session.scalars(
            select(PreliminaryScore).where(PreliminaryScore.dossier_id.in_(ids)))} if ids else {}
    saved: dict[tuple[int, str], Decimal] = {}
    for form in session.scalars(select(ScoringForm).where(ScoringForm.member_id == member.id)):
        for entry in form.entries:
            saved[(form.dossier_id, entry.criterion_id)] = entry.points
    workbook = new_workbook()
    sheets: dict[str, Any] = {}
    for group, cset in sets.items():
        criteria = [c for c in cset.criteria if c.id in assigned.get(cset.id, ())]
        if not criteria:
            continue
        name = f"Phiếu {group}"[:31]
        ws = workbook.create_sheet(name)
        rows = [d for d in dossiers if d.product_group == group]
        titles(ws, [f"PHIẾU ĐÁNH GIÁ, CHẤM ĐIỂM — {round_.title}",
                    f"Thành viên: {member.name} ({member.code}); {cset.label('vi')} ({cset.id}); nhóm sản phẩm "
                    f"{group}. Chấm từ 0 đến điểm tối đa, bước {cset.score_step.normalize():f} điểm; "
                    "ô xám: không chấm.",
                    provenance_line([cset])], 4 + 2 * len(criteria))
        header_row(ws, 5, ["STT", "Số hồ sơ", "Sản phẩm", "Doanh nghiệp"])
        columns: dict[str, str] = {}
        for k, criterion in enumerate(criteria):
            j = 5 + 2 * k
            title = criterion.title.get("vi", criterion.id)
            header_row(ws, 4, [f"{criterion.id} — {title} (tối đa {criterion.max_points.normalize():f})"], start=j)
            ws.merge_cells(start_row=4, start_column=j, end_row=4, end_column=j + 1)
            header_row(ws, 5, ["Sơ bộ", "Điểm chấm"], start=j)
            columns[criterion.id] = get_column_letter(j + 1)
            ws.column_dimensions[get_column_letter(j)].width = 9
            ws.column_dimensions[get_column_letter(j + 1)].width = 11
        placed: dict[str, int] = {}
        last = FIRST_ROW + max(len(rows), 1) - 1
        for criterion in criteria:
            letter = columns[criterion.id]
            validation = number_validation(ws, False, Decimal(0), criterion.max_points, cset.score_step,
                                           f"{letter}{FIRST_ROW}")
            validation.add(f"{letter}{FIRST_ROW}:{letter}{last}")
        for r, dossier in enumerate(rows, start=FIRST_ROW):
            conflicted = dossier.id in conflicts
            fill = GREY_FILL if conflicted else None
            put(ws, r, 1, r - FIRST_ROW + 1, fill=fill)
            put_text(ws, r, 2, dossier.number, fill=fill)
            put_text(ws, r, 3, dossier.product.name, fill=fill)
            name_cell = put_text(ws, r, 4, dossier.product.enterprise.name, fill=fill)
            if conflicted:
                note(name_cell, CONFLICT_NOTE)
            for k, criterion in enumerate(criteria):
                j = 5 + 2 * k
                prelim = preliminary.get((dossier.id, criterion.id))
                cell = put(ws, r, j, prelim.points if prelim else None, POINTS, fill=GREY_FILL)
                if prelim is not None:
                    note(cell, prelim.explanation)
                score = put(ws, r, j + 1, None if conflicted else saved.get((dossier.id, criterion.id)), POINTS,
                            font=HEADER, fill=GREY_FILL if conflicted else INPUT_FILL)
                if not conflicted:
                    score.protection = UNLOCKED
            placed[dossier.number] = r
        widths(ws, [5, 14, 30, 30])
        freeze(ws, f"E{FIRST_ROW}")
        print_setup(ws, "4:5")
        protect(ws)
        sheets[name] = {"product_group": group, "criteria_set": cset.id, "content_hash": cset.content_hash,
                        "columns": columns, "rows": placed}
    if not sheets:
        raise WorkbookError([Problem(member.code, f"{member.name} is assigned no criterion in the "
                                                  f"{round_.year} round: nothing to score")])
    write_meta(workbook, KIND, {"jurisdiction": round_.jurisdiction_id, "year": str(round_.year),
                                "member": member.code, "sheets": sheets})
    lock_structure(workbook)
    workbook.save(target)
    return target


@dataclass
class CouncilImportReport:
    """What a council workbook import saved: forms written (and submitted) and scores saved."""

    member: str
    forms: list[str] = field(default_factory=list)
    submitted: list[str] = field(default_factory=list)
    scores: int = 0


def import_council_workbook(session: Session, actor: User, catalog: Catalog, round_: Round, path: str | Path, *,
                            submit: bool = False, limits: Limits = DEFAULT_LIMITS,
                            progress: Progress | None = None) -> CouncilImportReport:
    """Save the scores of a filled council workbook, or raise WorkbookError naming every problem's cell and write
    nothing.

    The member's own account saves through `scoring.save_scores`, the service of the web form (and submits each
    form with `submit`); the secretariat enters a member's workbook on their behalf through
    `scoring.import_scores`, as submitted forms, each with every criterion assigned. The policy decides who may.
    `progress(stage, done, total)` hears the rows read, the dossiers checked and the forms saved (dossier_import's
    `Progress`)."""
    path = Path(path)
    source = path.name
    grids = read_grids(path, limits, progress=stage(progress, "read"))
    meta = read_meta(grids, source, KIND)
    problems: list[Problem] = []
    if (meta.get("jurisdiction"), str(meta.get("year"))) != (round_.jurisdiction_id, str(round_.year)):
        raise WorkbookError([Problem(source, f"made for the {meta.get('jurisdiction')} {meta.get('year')} round, "
                                             f"not {round_.jurisdiction_id} {round_.year}")])
    try:
        member = scoring.get_member(session, round_, str(meta.get("member")))
    except SpcnclError as exc:
        raise WorkbookError([Problem(source, str(exc))]) from None
    own = member.user_id is not None and member.user_id == actor.id
    require(session, actor, "form.save" if own else "scores.import", round_)
    sets = round_sets(session, catalog, round_)
    assigned = _assigned(session, round_, member)
    dossiers = {d.number: d for d in round_dossiers(session, round_)}
    conflicts = set(session.scalars(select(Conflict.dossier_id).where(Conflict.member_id == member.id)))
    to_save: list[tuple[Any, dict[str, Decimal], str, dict[str, str]]] = []
    layouts = meta.get("sheets") or {}
    rows_to_check = sum(len(layout.get("rows", {})) for layout in layouts.values() if isinstance(layout, dict))
    checked, rows_checked = stage(progress, "check"), 0
    for sheet, layout in layouts.items():
        grid = grids.get(sheet)
        cset = sets.get(layout.get("product_group"))
        if grid is None or cset is None:
            problems.append(Problem(source, f"sheet “{sheet}” is missing or its product group is not in the round"))
            continue
        if cset.id != layout.get("criteria_set") or cset.content_hash != layout.get("content_hash"):
            problems.append(Problem(f"{source}: {sheet}", f"made for another criteria set ({layout.get('criteria_set')}"
                                                          f"): download a new scoring workbook"))
            continue
        maxima = {c.id: c.max_points for c in cset.criteria}
        for number, row in layout.get("rows", {}).items():
            rows_checked += 1
            if cell_value(grid, f"B{row}") != number:
                problems.append(Problem(f"{source}: {sheet}!B{row}", f"expected dossier {number} here: rows were "
                                                                     "moved or deleted; download a new workbook"))
                continue
            dossier = dossiers.get(number)
            points: dict[str, Decimal] = {}
            cells: dict[str, str] = {}
            for criterion_id, letter in layout.get("columns", {}).items():
                address = f"{letter}{row}"
                at = f"{source}: {sheet}!{address}"
                try:
                    value = points_value(cell_value(grid, address))
                except CellProblem as exc:
                    problems.append(Problem(at, str(exc)))
                    continue
                if value is None:
                    continue
                if dossier is None:
                    problems.append(Problem(at, f"dossier {number} is no longer in the round"))
                elif dossier.id in conflicts:
                    problems.append(Problem(at, f"{member.name} declared a conflict with dossier {number}: this "
                                                "cell must stay empty"))
                elif criterion_id not in assigned.get(cset.id, ()) or criterion_id not in maxima:
                    problems.append(Problem(at, f"{criterion_id} is not assigned to {member.name}"))
                else:
                    try:
                        points[criterion_id] = check_points(value, maxima[criterion_id], cset.score_step)
                        cells[criterion_id] = at
                    except ValueError as exc:
                        problems.append(Problem(at, f"{criterion_id}: {exc}"))
            if points and dossier is not None:
                to_save.append((dossier, points, f"{source}: {sheet}!B{row}", cells))
        if checked is not None:
            checked(min(rows_checked, rows_to_check), rows_to_check)
    if checked is not None:
        checked(rows_to_check, rows_to_check)
    if problems:
        raise WorkbookError(problems)
    report = CouncilImportReport(member.code)
    saved = stage(progress, "write")
    with all_or_nothing(session):
        if own:
            _save_own(session, actor, catalog, member, to_save, submit, report, problems, saved)
        else:
            if saved is not None:
                saved(0, len(to_save))
            _enter_on_behalf(session, actor, catalog, round_, member, to_save, report, problems)
            if saved is not None:
                saved(len(to_save), len(to_save))
        if problems:
            raise WorkbookError(problems)
    return report


def _save_own(session: Session, actor: User, catalog: Catalog, member: CouncilMember,
              to_save: list[tuple[Any, dict[str, Decimal], str, dict[str, str]]], submit: bool,
              report: CouncilImportReport, problems: list[Problem],
              progress: Callable[[int, int], None] | None) -> None:
    for i, (dossier, points, at, _cells) in enumerate(to_save, start=1):
        try:
            form = scoring.form_for(session, actor, catalog, member, dossier)
            scoring.save_scores(session, actor, catalog, member, dossier, points, form.version)
            report.forms.append(dossier.number)
            report.scores += len(points)
            if submit:
                scoring.submit_form(session, actor, catalog, member, dossier)
                report.submitted.append(dossier.number)
        except SpcnclError as exc:
            problems.append(Problem(at, str(exc).replace("\n", " ")))
        if progress is not None:
            progress(i, len(to_save))


def _enter_on_behalf(session: Session, actor: User, catalog: Catalog, round_: Round, member: CouncilMember,
                     to_save: list[tuple[Any, dict[str, Decimal], str, dict[str, str]]],
                     report: CouncilImportReport, problems: list[Problem]) -> None:
    rows, places, by_form = [], [], {}
    for dossier, points, at, cells in to_save:
        by_form[f"{member.code} {dossier.number}"] = at
        for criterion_id, value in points.items():
            rows.append((member.code, dossier.number, criterion_id, value))
            places.append(cells[criterion_id])
    try:
        scoring.import_scores(session, actor, catalog, round_, rows)
    except DossierError as exc:
        for problem in exc.problems:
            match = re.fullmatch(r"row (\d+)", problem.where)
            where = places[int(match.group(1)) - 1] if match else by_form.get(problem.where, problem.where)
            problems.append(Problem(where, problem.message))
        return
    report.forms = report.submitted = [d.number for d, *_ in to_save]
    report.scores = len(rows)
