"""The results workbook of a round, from its stored results: the ranking with group subtotals and per-criterion
points, pass (and class where the results carry one), Top N, the public-disclosure list, the annex of the
recognition decision, and a summary by sector and by district. Formatted for printing."""

from __future__ import annotations

from collections.abc import Callable
from decimal import Decimal
from pathlib import Path
from typing import Any, BinaryIO

from openpyxl.utils import get_column_letter
from sqlalchemy import select
from sqlalchemy.orm import Session

from spcncl_core.catalog import Catalog
from spcncl_core.db.models import Dossier, Publication, RecognitionDecision, Result, Round
from spcncl_core.engine.outcome import classify
from spcncl_core.excel.layout import (
    GROUP_FILL,
    HEADER,
    INTEGER,
    POINTS,
    freeze,
    header_row,
    lock_structure,
    new_workbook,
    print_setup,
    provenance_line,
    put,
    put_text,
    titles,
    widths,
    write_meta,
)
from spcncl_core.excel.round_data import round_results, round_sets

KIND = "results"


def _class_of(result: Result, cset: Any) -> str | None:
    """The result class (hạng) stored with a result, by its label in the set; for a result stored without one, the
    set's classes applied to its total (the engine's `classify`); None for sets without classes."""
    if cset is None or not cset.classes:
        return None
    stored = getattr(result, "result_class", None)
    found = next((c for c in cset.classes if c.id == stored), None) if stored else (
        classify(cset.classes, result.total) if result.total is not None else None)
    return (found.label.get("vi") or found.id) if found is not None else ""


def write_results_book(session: Session, catalog: Catalog, round_: Round, target: str | Path | BinaryIO,
                       progress: Callable[[int, int], None] | None = None) -> Any:
    """Write the results workbook of `round_` (its computed results) to a path or binary stream."""
    sets = round_sets(session, catalog, round_)
    rows = round_results(session, round_)
    workbook = new_workbook()
    provenance = provenance_line(sets.values())
    top_n = max((s.top for s in sets.values()), default=0)
    _ranking(workbook, round_, sets, rows, provenance)
    if progress is not None:
        progress(1, 5)
    _top(workbook, round_, rows, provenance, top_n)
    publication = session.scalar(select(Publication).where(Publication.round_id == round_.id))
    _disclosure(workbook, round_, rows, provenance, publication)
    decision = session.scalar(select(RecognitionDecision).where(RecognitionDecision.round_id == round_.id))
    _annex(workbook, round_, rows, provenance, decision)
    _summary(workbook, round_, rows, provenance)
    if progress is not None:
        progress(5, 5)
    write_meta(workbook, KIND, {"jurisdiction": round_.jurisdiction_id, "year": str(round_.year),
                                "criteria_sets": {s.id: s.content_hash for s in sets.values()},
                                "dossiers": str(len(rows))})
    lock_structure(workbook)
    workbook.save(target)
    return target


def _verdict(result: Result) -> str:
    return ("Đạt" if result.passed else "Không đạt") if result.eligible else "Không đủ điều kiện"


def _ranking(workbook: Any, round_: Round, sets: dict[str, Any], rows: list[tuple[Dossier, Result]],
             provenance: str) -> None:
    ws = workbook.create_sheet("Xếp hạng")
    group_ids: list[str] = []
    criterion_ids: list[str] = []
    for cset in sets.values():
        for g in cset.groups:
            if g.id not in group_ids:
                group_ids.append(g.id)
            criterion_ids += [c.id for c in g.all_criteria() if c.id not in criterion_ids]
    classes = {d.id: _class_of(r, sets.get(d.product_group or "")) for d, r in rows}
    has_class = any(c is not None for c in classes.values())
    fixed = ["Hạng", "Số hồ sơ", "Sản phẩm", "Doanh nghiệp", "Nhóm sản phẩm", "Ngành", "Quận, huyện"]
    tail = ["Tổng điểm", "Kết quả"] + (["Phân hạng"] if has_class else []) + ["Top", "Ghi chú"]
    headers = fixed + [f"Cộng {g}" for g in group_ids] + criterion_ids + tail
    titles(ws, [f"KẾT QUẢ ĐÁNH GIÁ, XẾP HẠNG — {round_.title}",
                "Điểm là điểm của Hội đồng (trung bình theo quy tắc của bộ tiêu chí), làm tròn 2 chữ số thập phân",
                provenance], 14)
    header_row(ws, 4, headers)
    for r, (dossier, result) in enumerate(rows, start=5):
        product = dossier.product
        values: list[Any] = [result.position, dossier.number, product.name, product.enterprise.name,
                             dossier.product_group, product.sector or product.enterprise.sector,
                             product.enterprise.district]
        for j, value in enumerate(values, start=1):
            put(ws, r, j, value) if j == 1 else put_text(ws, r, j, value)
        j = len(fixed) + 1
        for g in group_ids:
            value = result.subtotals.get(g)
            put(ws, r, j, Decimal(value) if value is not None else None, POINTS, fill=GROUP_FILL)
            j += 1
        points = {c["id"]: c["points"] for c in result.criteria}
        for cid in criterion_ids:
            put(ws, r, j, Decimal(points[cid]) if points.get(cid) is not None else None, POINTS)
            j += 1
        put(ws, r, j, result.total, POINTS, font=HEADER)
        put_text(ws, r, j + 1, _verdict(result))
        k = j + 2
        if has_class:
            put_text(ws, r, k, classes[dossier.id] or "")
            k += 1
        put_text(ws, r, k, "TOP" if result.top else "")
        put_text(ws, r, k + 1, result.tie_break or "")
    widths(ws, [6, 14, 28, 28, 10, 14, 12] + [7] * (len(group_ids) + len(criterion_ids)) + [9, 14]
           + ([10] if has_class else []) + [5, 60])
    freeze(ws, "E5")
    if rows:
        ws.auto_filter.ref = f"A4:{get_column_letter(len(headers))}{len(rows) + 4}"
    print_setup(ws, "4:4")


def _simple_sheet(workbook: Any, name: str, lines: list[str], headers: list[str], data: list[list[Any]],
                  column_widths: list[float]) -> Any:
    ws = workbook.create_sheet(name)
    titles(ws, lines, len(headers))
    start = len(lines) + 2
    header_row(ws, start, headers)
    for r, values in enumerate(data, start=start + 1):
        for j, value in enumerate(values, start=1):
            if isinstance(value, str) or value is None:
                put_text(ws, r, j, value)
            else:
                put(ws, r, j, value, POINTS if isinstance(value, Decimal) else INTEGER)
    widths(ws, column_widths)
    freeze(ws, f"A{start + 1}")
    print_setup(ws, f"{start}:{start}")
    return ws


def _top(workbook: Any, round_: Round, rows: list[tuple[Dossier, Result]], provenance: str, top_n: int) -> None:
    top = [(d, r) for d, r in rows if r.top]
    _simple_sheet(workbook, f"Top {top_n}" if top_n else "Top", [
        f"{top_n or ''} SẢN PHẨM CÓ ĐIỂM CAO NHẤT — {round_.title}".strip(), provenance],
        ["Hạng", "Sản phẩm", "Doanh nghiệp", "Tổng điểm", "Ghi chú"],
        [[r.position, d.product.name, d.product.enterprise.name, r.total, r.tie_break or ""] for d, r in top],
        [7, 40, 40, 11, 50])


def _disclosure(workbook: Any, round_: Round, rows: list[tuple[Dossier, Result]], provenance: str,
                publication: Publication | None) -> None:
    window = ""
    if publication is not None:
        window = (f"Công khai từ {publication.published_at:%d/%m/%Y} đến hết ngày "
                  f"{publication.comments_until:%d/%m/%Y} để lấy ý kiến góp ý")
    proposed = [(d, r) for d, r in rows if r.passed]
    _simple_sheet(workbook, "Công khai", [
        f"DANH SÁCH SẢN PHẨM ĐỀ XUẤT CÔNG NHẬN — {round_.title}", window or "Dự thảo công khai lấy ý kiến",
        provenance], ["STT", "Sản phẩm", "Doanh nghiệp", "Quận, huyện", "Tổng điểm", "Top"],
        [[i, d.product.name, d.product.enterprise.name, d.product.enterprise.district or "", r.total,
          "TOP" if r.top else ""] for i, (d, r) in enumerate(proposed, start=1)], [6, 40, 40, 16, 11, 6])


def _annex(workbook: Any, round_: Round, rows: list[tuple[Dossier, Result]], provenance: str,
           decision: RecognitionDecision | None) -> None:
    if decision is not None:
        chosen = [(d, r) for d, r in rows if d.state in ("recognised", "expired", "revoked")]
        basis = f"(Kèm theo Quyết định số {decision.number} ngày {decision.decided_on:%d/%m/%Y})"
    else:
        chosen = [(d, r) for d, r in rows if r.passed]
        basis = "(DỰ THẢO — chưa có quyết định công nhận)"
    _simple_sheet(workbook, "Phụ lục quyết định", [
        "PHỤ LỤC", f"DANH SÁCH SẢN PHẨM ĐƯỢC CÔNG NHẬN — {round_.title}", basis, provenance],
        ["STT", "Tên sản phẩm", "Doanh nghiệp", "Địa chỉ", "Top"],
        [[i, d.product.name, d.product.enterprise.name, d.product.enterprise.address or
          d.product.enterprise.district or "", "TOP" if r.top else ""] for i, (d, r) in enumerate(chosen, start=1)],
        [6, 40, 40, 40, 6])


def _summary(workbook: Any, round_: Round, rows: list[tuple[Dossier, Result]], provenance: str) -> None:
    ws = workbook.create_sheet("Tổng hợp")
    headers = ["", "Số hồ sơ", "Đủ điều kiện", "Đạt", "Top", "Điểm bình quân"]
    titles(ws, [f"TỔNG HỢP KẾT QUẢ THEO NGÀNH VÀ THEO ĐỊA BÀN — {round_.title}", provenance], len(headers))
    r = 4
    for label, key in (("Ngành", lambda d: d.product.sector or d.product.enterprise.sector or "(không rõ)"),
                       ("Quận, huyện", lambda d: d.product.enterprise.district or "(không rõ)")):
        header_row(ws, r, [label, *headers[1:]])
        r += 1
        buckets: dict[str, list[Result]] = {}
        for dossier, result in rows:
            buckets.setdefault(key(dossier), []).append(result)
        for name in sorted(buckets):
            results = buckets[name]
            totals = [x.total for x in results if x.total is not None]
            mean = (sum(totals, Decimal(0)) / len(totals)).quantize(Decimal("0.01")) if totals else None
            put_text(ws, r, 1, name)
            for j, value in enumerate([len(results), sum(x.eligible for x in results),
                                       sum(x.passed for x in results), sum(x.top for x in results)], start=2):
                put(ws, r, j, value, INTEGER)
            put(ws, r, 6, mean, POINTS)
            r += 1
        put_text(ws, r, 1, "Cộng", font=HEADER)
        for j, value in enumerate([len(rows), sum(x.eligible for _, x in rows), sum(x.passed for _, x in rows),
                                   sum(x.top for _, x in rows)], start=2):
            put(ws, r, j, value, INTEGER, font=HEADER)
        r += 2
    widths(ws, [34, 10, 13, 8, 8, 14])
    print_setup(ws)
    for j in range(1, 7):
        ws.column_dimensions[get_column_letter(j)].bestFit = True
