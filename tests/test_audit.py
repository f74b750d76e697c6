"""The audit log on a real database (SQLite file, or PostgreSQL with SPCNCL_TEST_DATABASE_URL): canonical hashing,
savepoints, the key, the anchor outside the database, the records tied to the log, and `spcncl audit show`."""

from __future__ import annotations

import hashlib
import json
from datetime import date
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select, text
from sqlalchemy.exc import DBAPIError

from spcncl_core import Catalog
from spcncl_core.cli import main
from spcncl_core.db.models import AuditEntry, Certificate, Dossier, Result, ScoringEntry
from spcncl_core.demo import build_round
from spcncl_core.services import audit

SMALL = dict(enterprises=6, eligible=8, recognised=6, ineligible=2, members=5, high_tech=2)


def small_round(session: Any, catalog: Catalog, stop_after: str = "recognised") -> Any:
    built = build_round(session, catalog, stop_after=stop_after, **SMALL)
    session.commit()
    return built


def problems(session: Any) -> tuple[str, ...]:
    session.expire_all()
    return audit.verify(session).problems


def test_an_honest_entry_holding_large_numbers_verifies(session: Any) -> None:
    # JSONB rewrites 1e16 as 10000000000000000: the hash must be over the text as stored, not re-read values
    audit.record(session, "tester", "test.numbers", "thing", 1,
                 after={"big": 1e16, "small": 1e-7, "float": 0.1, "int": 10**20, "text": "Hà Nội", "nested": [1.5]})
    session.commit()
    assert problems(session) == ()
    entry = session.scalar(select(AuditEntry))
    assert entry.after["big"] == 1e16 and entry.after["int"] == 10**20


def test_a_rolled_back_savepoint_leaves_no_gap(session: Any) -> None:
    audit.record(session, "tester", "test.first", "thing", 1)
    session.flush()
    nested = session.begin_nested()
    audit.record(session, "tester", "test.rolled_back", "thing", 2)
    session.flush()
    nested.rollback()
    audit.record(session, "tester", "test.after", "thing", 3)
    session.commit()
    assert problems(session) == ()
    assert [e.action for e in session.scalars(select(AuditEntry).order_by(AuditEntry.seq))] == [
        "test.first", "test.after"]


def test_bulk_state_changes_write_one_entry_per_dossier(session: Any, catalog: Catalog) -> None:
    built = small_round(session, catalog)
    recognised = next(d for d in built.dossiers if d.state == "recognised")
    states = [e.after["state"] for e in audit.entries_for(session, "dossier", recognised.number)
              if e.after and "state" in e.after]
    assert states == ["draft", "submitted", "eligible", "preliminarily_scored", "council_scored", "published",
                      "recognised"]
    assert problems(session) == ()


def test_verify_detects_an_edited_deleted_or_reordered_entry(session: Any, catalog: Catalog, tamper: Any) -> None:
    small_round(session, catalog, stop_after="screened")
    assert problems(session) == ()
    tamper("UPDATE audit_entry SET after = '{\"state\":\"eligible\"}' WHERE seq = 20")
    assert any(p.startswith("entry 20 ") and "edited" in p for p in problems(session))
    tamper("DELETE FROM audit_entry WHERE seq = 30")
    assert "entries 30–30 are missing (deleted?)" in problems(session)


def test_verify_detects_reordered_entries(session: Any, catalog: Catalog, tamper: Any) -> None:
    small_round(session, catalog, stop_after="screened")
    # swap the contents of entries 11 and 12, keeping each its hash: the order of events is rewritten
    tamper("UPDATE audit_entry SET seq = -1 WHERE seq = 11", "UPDATE audit_entry SET seq = 11 WHERE seq = 12",
           "UPDATE audit_entry SET seq = 12 WHERE seq = -1")
    found = problems(session)
    assert any(p.startswith("entry 11") for p in found) and any(p.startswith("entry 12") for p in found)


def test_verify_detects_a_truncated_log(session: Any, catalog: Catalog, tamper: Any) -> None:
    small_round(session, catalog, stop_after="screened")
    last = audit.count(session)
    tamper("DELETE FROM audit_entry WHERE seq > :keep", keep=last - 3)
    found = problems(session)
    assert any(f"the log ends at entry {last - 3} but the checkpoint file" in p for p in found), found


def test_verify_detects_an_emptied_log(session: Any, catalog: Catalog, tamper: Any) -> None:
    small_round(session, catalog, stop_after="screened")
    last = audit.count(session)
    tamper("DELETE FROM audit_entry")
    found = problems(session)
    assert any("the log ends at entry 0 but the checkpoint file" in p and f"records entry {last}" in p
               for p in found), found


def test_verify_detects_a_recomputed_chain(session: Any, catalog: Catalog, tamper: Any) -> None:
    """An attacker who edits an entry and recomputes every hash after it, without the audit key."""
    small_round(session, catalog, stop_after="screened")
    rows = session.execute(select(AuditEntry).order_by(AuditEntry.seq)).scalars().all()
    prev, statements, params = audit.GENESIS, [], {}
    for entry in rows:
        after = '{"state":"eligible"}' if entry.seq == 20 else entry.after_text
        payload = json.dumps([audit.SCHEME, entry.seq, entry.at.isoformat(timespec="microseconds"), entry.actor,
                              entry.action, entry.entity, entry.entity_id, entry.before_text, after, entry.reason,
                              prev], ensure_ascii=False, separators=(",", ":"))
        digest = hashlib.sha256(payload.encode()).hexdigest()  # a chain anyone can compute
        statements.append(f"UPDATE audit_entry SET prev_hash = :p{entry.seq}, hash = :h{entry.seq}"
                          + (f", after = :a{entry.seq}" if entry.seq == 20 else "") + f" WHERE seq = {entry.seq}")
        params |= {f"p{entry.seq}": prev, f"h{entry.seq}": digest, f"a{entry.seq}": after}
        prev = digest
    session.commit()
    tamper("UPDATE audit_entry SET hash = 'x' || seq", *statements, **params)
    found = problems(session)
    assert any("forged without the audit key" in p for p in found)
    assert any("not the one checkpointed" in p for p in found)


def test_verify_detects_a_chain_recomputed_with_the_key_by_its_checkpoint(session: Any, catalog: Catalog,
                                                                          tamper: Any) -> None:
    """Even a thief of the key cannot rewrite history before the last checkpoint unnoticed."""
    small_round(session, catalog, stop_after="screened")
    key = audit.audit_key()
    rows = session.execute(select(AuditEntry).order_by(AuditEntry.seq)).scalars().all()
    prev, statements, params = audit.GENESIS, ["UPDATE audit_entry SET hash = 'x' || seq"], {}
    for entry in rows:
        reason = "rewritten" if entry.seq == 5 else entry.reason
        digest = audit.entry_hash(key, entry.seq, entry.at, entry.actor, entry.action, entry.entity,
                                  entry.entity_id, entry.before_text, entry.after_text, reason, prev)
        statements.append(f"UPDATE audit_entry SET prev_hash = :p{entry.seq}, hash = :h{entry.seq}, "
                          f"reason = :r{entry.seq} WHERE seq = {entry.seq}")
        params |= {f"p{entry.seq}": prev, f"h{entry.seq}": digest, f"r{entry.seq}": reason}
        prev = digest
    session.commit()
    tamper(*statements, **params)
    assert any("not the one checkpointed" in p for p in problems(session))


@pytest.mark.parametrize("edit", ["state", "score", "result", "certificate"])
def test_verify_detects_an_edited_record(session: Any, catalog: Catalog, tamper: Any, edit: str) -> None:
    small_round(session, catalog)
    assert problems(session) == ()
    dossier = session.scalar(select(Dossier).where(Dossier.state == "recognised").order_by(Dossier.number))
    if edit == "state":
        tamper("UPDATE dossier SET state = 'revoked' WHERE id = :id", id=dossier.id)
        expected = f"dossier {dossier.number}: its state is revoked, the audit log says recognised"
    elif edit == "score":
        entry = session.scalar(select(ScoringEntry).order_by(ScoringEntry.form_id).limit(1))
        tamper("UPDATE scoring_entry SET points = :p WHERE form_id = :f AND criterion_id = :c",
               p="0" if entry.points else "1", f=entry.form_id, c=entry.criterion_id)
        expected = "points are {"
    elif edit == "result":
        tamper("UPDATE result SET total = 99 WHERE dossier_id = :id", id=dossier.id)
        expected = f"dossier {dossier.number}: its result is {{'total': '99'"
    else:
        tamper("UPDATE certificate SET valid_until = :d WHERE dossier_id = :id", d=date(2099, 1, 1), id=dossier.id)
        expected = f"dossier {dossier.number}: its certificate is"
    found = problems(session)
    assert len(found) == 1 and expected in found[0], found


def test_postgresql_refuses_changes_to_the_log(session: Any, engine: Any) -> None:
    if engine.dialect.name != "postgresql":
        pytest.skip("the append-only triggers are PostgreSQL's")
    audit.record(session, "tester", "test.entry", "thing", 1)
    session.commit()
    for statement in ("UPDATE audit_entry SET actor = 'x'", "DELETE FROM audit_entry", "TRUNCATE audit_entry"):
        with pytest.raises(DBAPIError, match="audit_entry is append-only"):
            with engine.begin() as connection:
                connection.execute(text(statement))
    assert audit.count(session) == 1


def test_no_key_is_a_clear_error(session: Any, monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    for name in (audit.KEY_ENV, audit.KEY_FILE_ENV, audit.DEV_KEY_ENV):
        monkeypatch.delenv(name, raising=False)
    with pytest.raises(audit.AuditKeyError, match="no audit key: set SPCNCL_AUDIT_KEY_FILE"):
        audit.record(session, "tester", "test.entry", "thing", 1)
    monkeypatch.setenv(audit.KEY_FILE_ENV, str(tmp_path / "missing.key"))
    with pytest.raises(audit.AuditKeyError, match="cannot read the audit key file .*missing.key"):
        audit.verify(session)
    (tmp_path / "short.key").write_text("short")
    monkeypatch.setenv(audit.KEY_FILE_ENV, str(tmp_path / "short.key"))
    with pytest.raises(audit.AuditKeyError, match="fewer than 16 bytes"):
        audit.audit_key()
    (tmp_path / "good.key").write_text("0123456789abcdef0123456789abcdef\n")
    monkeypatch.setenv(audit.KEY_FILE_ENV, str(tmp_path / "good.key"))
    assert audit.audit_key() == b"0123456789abcdef0123456789abcdef"


def test_the_development_key_is_said_loudly(monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
                                            ) -> None:
    for name in (audit.KEY_ENV, audit.KEY_FILE_ENV):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv(audit.DEV_KEY_ENV, "1")
    monkeypatch.setattr(audit, "_warned_dev_key", False)
    assert audit.audit_key() == audit.DEV_KEY
    assert "PUBLIC DEVELOPMENT KEY" in capsys.readouterr().err


def test_a_different_key_does_not_verify(session: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    audit.record(session, "tester", "test.entry", "thing", 1)
    session.commit()
    monkeypatch.setenv(audit.KEY_ENV, "another-key-of-enough-length")
    assert any("forged without the audit key" in p for p in problems(session))


def test_checkpoint_is_written_on_commit_only(session: Any) -> None:
    path = audit.checkpoint_path()
    audit.record(session, "tester", "test.rolled_back", "thing", 1)
    session.rollback()
    assert audit.read_checkpoints(path) == []
    entry = audit.record(session, "tester", "test.kept", "thing", 1)
    session.commit()
    assert audit.read_checkpoints(path) == [(1, entry.hash)]


@pytest.fixture
def db_url(engine: Any, session: Any) -> str:
    session.close()
    return engine.url.render_as_string(hide_password=False)


def test_audit_show_prints_a_dossiers_whole_history(session: Any, catalog: Catalog, capsys: Any) -> None:
    built = small_round(session, catalog)
    number = next(d.number for d in built.dossiers if d.state == "recognised")
    url = session.get_bind().url.render_as_string(hide_password=False)
    assert main(["audit", "show", "--dossier", number, "--database-url", url, "--json"]) == 0
    data = json.loads(capsys.readouterr().out)
    assert data["dossier"] == number
    actions = [e["action"] for e in data["entries"]]
    for action in ("dossier.registered", "form.submitted", "result.computed", "certificate.issued"):
        assert action in actions
    assert [e["after"]["state"] for e in data["entries"] if e["after"] and "state" in e["after"]][-1] == "recognised"
    assert main(["audit", "show", "--dossier", number, "--database-url", url]) == 0
    out = capsys.readouterr().out
    assert f"dossier {number}" in out and "recognised" in out and "certificate.issued" in out
    assert main(["audit", "show", "--dossier", "NO-SUCH", "--database-url", url]) == 2
    assert "no dossier NO-SUCH" in capsys.readouterr().err


def test_audit_verify_command_reports_records_and_anchor(session: Any, catalog: Catalog, tamper: Any,
                                                         capsys: Any) -> None:
    built = small_round(session, catalog)
    url = session.get_bind().url.render_as_string(hide_password=False)
    assert main(["audit", "verify", "--database-url", url]) == 0
    assert "audit log intact" in capsys.readouterr().out
    result = session.scalar(select(Result).join(Dossier).where(Dossier.number == built.dossiers[0].number))
    tamper("UPDATE result SET passed = :p WHERE dossier_id = :id", p=not result.passed, id=result.dossier_id)
    assert main(["audit", "verify", "--database-url", url, "--json"]) == 1
    report = json.loads(capsys.readouterr().out)
    assert not report["ok"] and any(built.dossiers[0].number in p for p in report["problems"])
    assert session.scalar(select(Certificate).limit(1)) is not None
