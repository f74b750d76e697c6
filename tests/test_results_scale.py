"""The shortcuts that make a national round's score import and results fast write exactly what the plain code
writes (issue 6, Scale): the results' criteria JSON, the audit chain's hashes, the points' text in the log, the
stored decimals; and on both databases the results and the log still agree (`audit verify` with record checks)."""

from __future__ import annotations

import hmac
import json
import random
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

from records_support import small_round, user
from sqlalchemy import select

from spcncl_core import Catalog, Dossier, evaluate
from spcncl_core.db.bulk import insert_rows
from spcncl_core.db.models import AuditEntry, Result, ScoringEntry, ScoringForm
from spcncl_core.db.models import Dossier as StoredDossier
from spcncl_core.demo import synthetic_inputs
from spcncl_core.services import audit, results, scoring


def _reference_hash(key: bytes, seq: int, at: datetime | str, actor: str, action: str, entity: str, entity_id: str,
                    before_text: str | None, after_text: str | None, reason: str | None, prev_hash: str) -> str:
    """The entry hash as docs/records.md defines it: HMAC-SHA256 over json.dumps of the entry's fields."""
    when = at if isinstance(at, str) else at.astimezone(UTC).isoformat(timespec="microseconds")
    payload = json.dumps([audit.SCHEME, seq, when, actor, action, entity, entity_id, before_text, after_text, reason,
                          prev_hash], ensure_ascii=False, separators=(",", ":"))
    return hmac.digest(key, payload.encode("utf-8"), "sha256").hex()


def test_entry_hash_is_the_documented_hmac_over_any_text() -> None:
    rng = random.Random(6)
    alphabet = "abcXYZ019 .,:{}[]\"\\/\n\t\x00\x1f\u2028\u2029ĐđổờáTổ công tác→≥≈é😀"

    def text(empty: bool = True) -> str | None:
        if empty and rng.random() < 0.2:
            return None
        return "".join(rng.choice(alphabet) for _ in range(rng.randint(0, 40)))

    for n in range(3000):
        args = (b"k" * 32, rng.randint(1, 10**12), datetime(2024, 1, 2, 3, 4, 5, n, tzinfo=UTC) if n % 2 else
                "2024-01-02T03:04:05.000000+00:00", text(False), text(False), text(False), text(False), text(),
                text(), text(), text(False))
        assert audit.entry_hash(*args) == _reference_hash(*args)  # type: ignore[arg-type]


def test_bulk_entries_hash_as_single_ones_and_verify(session: Any, catalog: Catalog) -> None:
    """record_many builds each payload from parts made once; its entries must be what entry_hash says."""
    small_round(session, catalog, stop_after="screened")
    changes = [("dossier", f"X-{n}", None if n % 2 else {"state": "đã nộp \"q\" \\ →"},
                {"member": "M01", "points": {"KT1": "7.5"}, "note": "≥\u2028"}) for n in range(50)]
    assert audit.record_many(session, "Tổ công tác \"A\"", "test.bulk", changes, reason="lý do\n≈") == 50
    session.commit()
    key = audit.audit_key()
    for entry in session.scalars(select(AuditEntry).where(AuditEntry.action == "test.bulk")):
        assert entry.hash == _reference_hash(key, entry.seq, entry.at, entry.actor, entry.action, entry.entity,
                                             entry.entity_id, entry.before_text, entry.after_text, entry.reason,
                                             entry.prev_hash)
    report = audit.verify(session, records=False)
    assert report.ok, report.problems


def test_criteria_text_is_json_dumps_of_the_criteria(catalog: Catalog) -> None:
    """The results' criteria JSON is written straight from the evaluation; it must be json.dumps' text."""
    rng = random.Random(3)
    cset = catalog.get("hanoi-2023-standard")
    scored = 0
    for n in range(300):
        inputs = synthetic_inputs(rng, n % 3 != 0, rng.randint(1, 107) if n % 5 == 0 else None)
        scores = None
        if n % 2:
            scores = {f"M{m}": {c.id: Decimal(rng.randint(0, int(c.max_points) * 2)) / 2 for c in cset.criteria
                                if m < 2 or rng.random() < 0.5} for m in range(4)}
        evaluation = evaluate(cset, Dossier("hanoi", 2023, inputs, id=f"D{n}"), scores,
                              known_inputs=catalog.known_inputs("hanoi"))
        scored += evaluation.council_scored
        assert results._criteria_text(evaluation, {}) == json.dumps(results._criteria_json(evaluation))
    assert scored > 50


def test_stored_results_read_back_as_the_criteria_json(session: Any, catalog: Catalog) -> None:
    built = small_round(session, catalog, stop_after="results")
    stored = session.execute(select(StoredDossier, Result).join(Result, Result.dossier_id == StoredDossier.id)
                             .where(StoredDossier.round_id == built.round.id)).all()
    assert any(r.eligible for _, r in stored)
    for dossier, result in stored:
        if not result.eligible:
            assert result.criteria == []
            continue
        from spcncl_core.services.scoring import member_scores
        from spcncl_core.services.screening import engine_evaluation
        evaluation = engine_evaluation(session, catalog, dossier, member_scores(session, dossier) or None)
        assert result.criteria == results._criteria_json(evaluation)
    report = audit.verify(session)
    assert report.ok, report.problems


def test_imported_points_keep_their_written_form_in_the_log(session: Any, catalog: Catalog) -> None:
    """The import checks equal points once: 7.5 and 7.50 (equal Decimals) must still be logged as written, and ints,
    floats and text as check_points reads them."""
    built = small_round(session, catalog, stop_after="scoring")
    m02 = scoring.get_member(session, built.round, "M02")
    open_dossiers = [d for d in built.dossiers if d.state == "preliminarily_scored"
                     and scoring.assigned_criteria(session, catalog, m02, d)]
    assert len(open_dossiers) >= 4
    written = [Decimal("1.5"), Decimal("1.50"), 1.5, "1.5", 1, Decimal("1")]
    rows = []
    for dossier, value in zip(open_dossiers, written, strict=False):
        rows += [("M02", dossier.number, c, value) for c in scoring.assigned_criteria(session, catalog, m02, dossier)]
    scoring.import_scores(session, user(session, "secretariat"), catalog, built.round, rows)
    for dossier, value in zip(open_dossiers, written, strict=False):
        expected = format(scoring.check_points(value, Decimal(100), None), "f")
        logged = audit.entries_for(session, "dossier", dossier.number)[-1].after["points"]
        assert set(logged.values()) == {expected}, (value, logged)
    stored = session.scalars(select(ScoringEntry.points).join(ScoringForm, ScoringForm.id == ScoringEntry.form_id)
                             .where(ScoringForm.dossier_id == open_dossiers[0].id)).all()
    assert stored and all(p == Decimal("1.5") for p in stored)
    session.commit()
    report = audit.verify(session)
    assert report.ok, report.problems


def test_bulk_decimals_keep_the_sign_of_zero_and_refuse_each_bad_value(session: Any, catalog: Catalog) -> None:
    """Decimals converted once per distinct text: -0 and 0 (equal) are each stored as the plain insert would, and
    a value that cannot be stored is refused every time it comes."""
    built = small_round(session, catalog, stop_after="scoring")
    m01 = scoring.get_member(session, built.round, "M01")
    dossier = next(d for d in built.dossiers if d.state == "preliminarily_scored")
    form = ScoringForm(member_id=m01.id, dossier_id=dossier.id, submitted_at=None)
    session.add(form)
    session.flush()
    insert_rows(session, ScoringEntry.__table__, [{"form_id": form.id, "criterion_id": "A", "points": Decimal("0")},
                                                  {"form_id": form.id, "criterion_id": "B", "points": Decimal("-0")},
                                                  {"form_id": form.id, "criterion_id": "C", "points": Decimal("0")}])
    plain = ScoringEntry(form_id=form.id, criterion_id="D", points=Decimal("-0"))
    session.add(plain)
    session.flush()
    raw = {c: p for c, p in session.execute(select(ScoringEntry.criterion_id, ScoringEntry.points)
                                             .where(ScoringEntry.form_id == form.id))}
    assert str(raw["B"]) == str(raw["D"]) and str(raw["A"]) == str(raw["C"])
    session.rollback()
    for _ in range(2):
        try:
            insert_rows(session, ScoringEntry.__table__, [{"form_id": 1, "criterion_id": "X",
                                                           "points": Decimal("0.00001")}])
        except ValueError as exc:
            assert "more than 4 decimals" in str(exc)
        else:  # pragma: no cover
            raise AssertionError("a value with 5 decimals was stored")
        session.rollback()
