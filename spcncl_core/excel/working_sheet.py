"""The working group's sheet (bảng tính sơ bộ): every dossier of a round × every criterion, the preliminary
points computed by the engine with the rule's explanation as a cell note, group subtotals, total, pass, rank and
the prerequisites failed — what the council receives before it meets. One sheet per product group."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any, BinaryIO

from openpyxl.utils import get_column_letter
from sqlalchemy.orm import Session

from spcncl_core.catalog import Catalog
from spcncl_core.db.models import Round
from spcncl_core.excel.layout import (
    GREY_FILL,
    GROUP_FILL,
    HEADER,
    POINTS,
    WRAP,
    fit,
    freeze,
    header_row,
    lock_structure,
    new_workbook,
    note,
    print_setup,
    provenance_line,
    put,
    put_text,
    titles,
    widths,
    write_meta,
)
from spcncl_core.excel.round_data import rank_round, round_dossiers, round_sets
from spcncl_core.services.dossiers import STATE_LABELS_VI
from spcncl_core.services.screening import engine_evaluation

KIND = "working-sheet"
FIXED = ["Hạng", "Số hồ sơ", "Sản phẩm", "Doanh nghiệp", "Ngành", "Quận, huyện"]


def write_working_sheet(session: Session, catalog: Catalog, round_: Round, target: str | Path | BinaryIO,
                        progress: Callable[[int, int], None] | None = None) -> Any:
    """Write the working group's sheet of `round_` (every dossier submitted or further) to a path or stream."""
    sets = round_sets(session, catalog, round_)
    dossiers = [d for d in round_dossiers(session, round_) if d.product_group is not None]
    evaluations = {}
    for i, dossier in enumerate(dossiers, start=1):
        evaluations[dossier.id] = engine_evaluation(session, catalog, dossier)
        if progress is not None and (i % 100 == 0 or i == len(dossiers)):
            progress(i, len(dossiers))
    places = rank_round(list(evaluations.values()), sets)
    workbook = new_workbook()
    for group, cset in sets.items():
        ws = workbook.create_sheet(f"Sơ bộ {group}"[:31])
        columns: list[tuple[str, Any]] = []  # ("criterion", Criterion) | ("subtotal", Group)
        starts: dict[str, int] = {}
        for g in cset.groups:  # top-level groups; a sub-group's criteria in their group's block
            starts[g.id] = len(columns)
            columns += [("criterion", c) for c in g.all_criteria()] + [("subtotal", g)]
        tail = ["Tổng điểm", "Kết quả", "Top", "Trạng thái", "Điều kiện tiên quyết không đạt"]
        if cset.classes:
            tail.insert(2, "Phân hạng")
        width = len(FIXED) + len(columns) + len(tail)
        titles(ws, [f"BẢNG TÍNH ĐIỂM SƠ BỘ CỦA TỔ CÔNG TÁC — {round_.title}",
                    f"{cset.label('vi')} ({cset.id}); nhóm sản phẩm {group}; đạt khi tổng {cset.pass_rule}; "
                    "điểm sơ bộ do phần mềm tính từ số liệu hồ sơ (ghi chú ở từng ô: cách tính)",
                    provenance_line([cset])], min(width, 16))
        header_row(ws, 5, FIXED)
        first = len(FIXED) + 1
        for j, (what, item) in enumerate(columns, start=first):
            if what == "criterion":
                label = f"{item.id}\n{item.title.get('vi', item.id)}\n(tối đa {item.max_points.normalize():f})"
            else:
                label = f"Cộng {item.id}\n(tối đa {item.max_points.normalize():f})"
            header_row(ws, 5, [label], start=j)
            if what == "subtotal":
                ws.cell(5, j).fill = GROUP_FILL
        header_row(ws, 5, tail, start=first + len(columns))
        for g in cset.groups:
            put_text(ws, 4, first + starts[g.id], f"{g.id} – {g.title.get('vi', g.id)}", font=HEADER,
                     fill=GROUP_FILL)
        ws.row_dimensions[5].height = 75
        rows = sorted((d for d in dossiers if d.product_group == group),
                      key=lambda d: (places[d.number].position if d.number in places else 10**9, d.number))
        for r, dossier in enumerate(rows, start=6):
            evaluation = evaluations[dossier.id]
            place = places.get(dossier.number)
            product = dossier.product
            put(ws, r, 1, place.position if place else None)
            put_text(ws, r, 2, dossier.number)
            put_text(ws, r, 3, product.name)
            put_text(ws, r, 4, product.enterprise.name)
            put_text(ws, r, 5, product.sector or product.enterprise.sector)
            put_text(ws, r, 6, product.enterprise.district)
            results = {c.id: c for c in evaluation.criteria}
            for j, (what, item) in enumerate(columns, start=first):
                if not evaluation.eligible:
                    put(ws, r, j, None, fill=GREY_FILL)
                elif what == "criterion":
                    result = results[item.id]
                    note(put(ws, r, j, result.preliminary, POINTS), result.explanation)
                else:
                    put(ws, r, j, evaluation.subtotals.get(item.id), POINTS, font=HEADER, fill=GROUP_FILL)
            j = first + len(columns)
            put(ws, r, j, evaluation.total, POINTS, font=HEADER)
            verdict = ("Đạt" if evaluation.passed else "Không đạt") if evaluation.eligible else "Không đủ điều kiện"
            put_text(ws, r, j + 1, verdict)
            if cset.classes:
                found = evaluation.result_class
                put_text(ws, r, j + 2, (found.label.get("vi") or found.id) if found is not None else "")
                j += 1
            put_text(ws, r, j + 2, "TOP" if place and place.top else "")
            put_text(ws, r, j + 3, STATE_LABELS_VI.get(dossier.state, dossier.state))
            failed = "; ".join(f"{p.id}: {p.message}" for p in evaluation.failed_prerequisites())
            put_text(ws, r, j + 4, failed).alignment = WRAP
            fit(ws, r, failed, 36)
        summary = len(rows) + 7
        passed = sum(1 for d in rows if evaluations[d.id].passed)
        eligible = sum(1 for d in rows if evaluations[d.id].eligible)
        put_text(ws, summary, 2, f"Số hồ sơ: {len(rows)}; đủ điều kiện: {eligible}; đạt: {passed}",
                 font=HEADER).border = None
        widths(ws, [6, 14, 26, 26, 14, 11])
        for j in range(first, first + len(columns)):
            ws.column_dimensions[get_column_letter(j)].width = 8
        for j, w in enumerate([8, 12] + ([9] if cset.classes else []) + [5, 14, 36], start=first + len(columns)):
            ws.column_dimensions[get_column_letter(j)].width = w
        freeze(ws, f"{get_column_letter(first)}6")
        if rows:
            ws.auto_filter.ref = f"A5:{get_column_letter(width)}{len(rows) + 5}"
        print_setup(ws, "4:5")
    write_meta(workbook, KIND, {"jurisdiction": round_.jurisdiction_id, "year": str(round_.year),
                                "criteria_sets": {s.id: s.content_hash for s in sets.values()},
                                "dossiers": str(len(dossiers))})
    lock_structure(workbook)
    workbook.save(target)
    return target
