"""Documents received with a dossier: recorded and struck out through the service (policy, validation, one audit
entry each), the checklist of the jurisdiction's kinds (received or missing), and the checklist file."""

from __future__ import annotations

from datetime import date, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select

from spcncl_core import Catalog, clock
from spcncl_core.db.models import AuditEntry, DossierDocument, User
from spcncl_core.demo import build_round
from spcncl_core.errors import NotFoundError, PhaseError, RecordError, SettingsError
from spcncl_core.services import audit, documents

SMALL = dict(enterprises=3, eligible=3, recognised=2, ineligible=1, members=3, high_tech=1)


def _user(session: Any, name: str) -> User:
    return session.scalar(select(User).where(User.username == name))


def _registered(session: Any, catalog: Catalog) -> Any:
    built = build_round(session, catalog, stop_after="registered", **SMALL)
    session.commit()
    return built


def _counts(session: Any) -> tuple[int, int]:
    session.expire_all()
    return (len(list(session.scalars(select(DossierDocument)))), audit.count(session))


def test_a_document_recorded_and_struck_out_is_audited_on_the_dossier(session: Any, catalog: Catalog) -> None:
    built = _registered(session, catalog)
    dossier, who = built.dossiers[0], _user(session, "secretariat")
    before = audit.count(session)
    first = documents.record_document(session, who, dossier, "financial_statements", date(2023, 3, 1), "BCTC 2022")
    documents.record_document(session, who, dossier, "financial_statements", date(2023, 3, 2), "  BCTC 2021  ")
    documents.record_document(session, who, dossier, "application_form", date(2023, 3, 1))
    session.commit()
    assert audit.count(session) == before + 3
    lines = {line.kind.kind: line for line in documents.checklist(session, dossier)}
    assert [k.kind for k in documents.document_kinds("hanoi")] == list(lines)
    assert [d.title for d in lines["financial_statements"].documents] == ["BCTC 2022", "BCTC 2021"]
    assert lines["application_form"].received and not lines["product_description"].received
    assert lines["application_form"].documents[0].recorded_by == "secretariat"
    assert lines["patent"].kind.required is False and lines["application_form"].kind.required is True
    entry = audit.entries_for(session, "dossier", dossier.number)[-3]
    assert (entry.action, entry.actor) == ("document.recorded", "secretariat")
    assert entry.after == {"document": {"id": first.id, "kind": "financial_statements", "title": "BCTC 2022",
                                        "received_on": "2023-03-01"}}

    documents.unrecord_document(session, who, documents.get_document(session, dossier, first.id), "ghi nhầm")
    session.commit()
    assert [d.title for d in documents.checklist(session, dossier)[4].documents] == ["BCTC 2021"]
    last = audit.entries_for(session, "dossier", dossier.number)[-1]
    assert (last.action, last.reason, last.after) == ("document.unrecorded", "ghi nhầm", None)
    assert last.before["document"]["title"] == "BCTC 2022"
    assert audit.verify(session, records=True).ok


@pytest.mark.parametrize(("kind", "received", "title", "says"), [
    ("passport", date(2023, 3, 1), None, "is not a kind of document of the hanoi checklist; kinds: application_form"),
    ("patent", date(2023, 3, 1), "x" * 301, "301 characters long; at most 300"),
    ("patent", date(2023, 3, 1), "a\x00b", "NUL character"),
    ("patent", datetime(2023, 3, 1, 9, 0), None, "must be a date, not datetime"),
    ("patent", "2023-03-01", None, "must be a date, not str"),
    ("patent", None, None, "must be a date"),
    ("patent", date(2023, 3, 1), 42, "must be text, not int"),
])
def test_a_bad_document_is_refused_with_the_projects_error_and_nothing_written(
        session: Any, catalog: Catalog, kind: Any, received: Any, title: Any, says: str) -> None:
    built = _registered(session, catalog)
    counts = _counts(session)
    with pytest.raises(RecordError, match=says.replace("(", r"\(")):
        documents.record_document(session, _user(session, "secretariat"), built.dossiers[0], kind, received, title)
    session.rollback()
    assert _counts(session) == counts


def test_a_day_after_today_is_refused(session: Any, catalog: Catalog) -> None:
    built = _registered(session, catalog)
    tomorrow = clock.today("hanoi") + timedelta(days=1)
    with pytest.raises(RecordError, match="is after today"):
        documents.record_document(session, _user(session, "secretariat"), built.dossiers[0], "patent", tomorrow)


def test_the_policy_refuses_a_viewer_and_a_round_past_screening(session: Any, catalog: Catalog) -> None:
    built = _registered(session, catalog)
    dossier = built.dossiers[0]
    counts = _counts(session)
    with pytest.raises(RecordError, match="needs the role admin or secretariat; viewer is viewer"):
        documents.record_document(session, _user(session, "viewer"), dossier, "patent", date(2023, 3, 1))
    dossier.round.phase = "scoring"  # as if the round had moved on (the phase is all the policy reads)
    with pytest.raises(PhaseError, match="registration or screening phase"):
        documents.record_document(session, _user(session, "secretariat"), dossier, "patent", date(2023, 3, 1))
    session.rollback()
    assert _counts(session) == counts


def test_a_document_of_another_dossier_is_not_found(session: Any, catalog: Catalog) -> None:
    built = _registered(session, catalog)
    document = documents.record_document(session, _user(session, "secretariat"), built.dossiers[0], "patent",
                                         date(2023, 3, 1))
    with pytest.raises(NotFoundError, match=f"dossier {built.dossiers[1].number} has no recorded document"):
        documents.get_document(session, built.dossiers[1], document.id)
    with pytest.raises(NotFoundError):
        documents.get_document(session, built.dossiers[0], "1")


def test_a_province_replaces_the_checklist_from_its_own_file(session: Any, catalog: Catalog, tmp_path: Path,
                                                             monkeypatch: pytest.MonkeyPatch) -> None:
    own = tmp_path / "kinds.yaml"
    own.write_text("default:\n  - {kind: application_form, vi: Đơn, en: Form}\n"
                   "jurisdictions:\n  hanoi:\n    - {kind: product_sample, vi: Mẫu sản phẩm, en: Sample}\n"
                   "    - {kind: other, vi: Khác, required: false}\n", encoding="utf-8")
    monkeypatch.setenv(documents.KINDS_ENV, str(own))
    assert [(k.kind, k.label("vi"), k.label("en")) for k in documents.document_kinds("hanoi")] == [
        ("product_sample", "Mẫu sản phẩm", "Sample"), ("other", "Khác", "Khác")]
    assert [k.kind for k in documents.document_kinds("hue")] == ["application_form"]
    built = _registered(session, catalog)
    dossier = built.dossiers[0]
    documents.record_document(session, _user(session, "secretariat"), dossier, "product_sample", date(2023, 3, 1))
    with pytest.raises(RecordError, match="kinds: product_sample, other"):
        documents.record_document(session, _user(session, "secretariat"), dossier, "patent", date(2023, 3, 1))
    session.rollback()
    # a document of a kind the checklist no longer lists still shows, under its code
    session.add(DossierDocument(dossier_id=dossier.id, kind="patent", received_on=date(2023, 3, 1),
                                recorded_by="secretariat"))
    session.flush()
    assert [line.kind.kind for line in documents.checklist(session, dossier)] == ["product_sample", "other", "patent"]


@pytest.mark.parametrize(("text", "says"), [
    ("jurisdictions: {}\n", "expected a mapping with `default:`"),
    ("default: []\n", "default: expected a non-empty list"),
    ("default:\n  - {kind: Bad-Code, vi: x}\n", r"default\[0\].kind: 'Bad-Code' is not a code"),
    ("default:\n  - {kind: a, vi: x}\n  - {kind: a, vi: y}\n", r"default\[1\].kind: a is listed twice"),
    ("default:\n  - {kind: a}\n", "the Vietnamese name of a is required"),
    ("default:\n  - {kind: a, vi: x, colour: red}\n", "unknown key colour"),
    ("default:\n  - {kind: a, vi: x, required: maybe}\n", "true or false"),
    ("default: [\n", "not valid YAML"),
])
def test_a_malformed_checklist_file_is_a_settings_error_naming_the_place(tmp_path: Path, text: str, says: str,
                                                                         monkeypatch: pytest.MonkeyPatch) -> None:
    bad = tmp_path / "kinds.yaml"
    bad.write_text(text, encoding="utf-8")
    monkeypatch.setenv(documents.KINDS_ENV, str(bad))
    with pytest.raises(SettingsError, match=says):
        documents.document_kinds("hanoi")
    monkeypatch.setenv(documents.KINDS_ENV, str(tmp_path / "missing.yaml"))
    with pytest.raises(SettingsError, match="cannot read the document checklist"):
        documents.document_kinds("hanoi")


def test_the_packaged_checklist_lists_the_documents_of_domain_md() -> None:
    kinds = {k.kind: k for k in documents.document_kinds("hanoi")}
    assert {"application_form", "self_assessment", "product_description", "business_registration",
            "financial_statements", "iso_certificate", "conformity_certificate", "trademark_certificate", "patent",
            "compliance_confirmation"} == set(kinds)
    assert all(k.vi and k.en for k in kinds.values())


def test_no_document_entries_on_a_fresh_round(session: Any, catalog: Catalog) -> None:
    _registered(session, catalog)
    assert not session.scalars(select(AuditEntry).where(AuditEntry.action.like("document.%"))).all()
