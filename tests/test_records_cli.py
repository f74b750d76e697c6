"""The records commands end to end on a database file (or PostgreSQL): db upgrade, demo, round report, audit
verify, certificate check — and the demo round matching DOMAIN.md's figures for 2023."""

from __future__ import annotations

import json
from typing import Any

import pytest

from spcncl_core.cli import main


@pytest.fixture
def db_url(engine: Any, session: Any) -> str:
    """The test database (emptied by `session`), as a URL the commands accept."""
    session.close()
    return engine.url.render_as_string(hide_password=False)


def run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


def test_demo_round_report_audit_and_certificates(capsys: pytest.CaptureFixture[str], db_url: str,
                                                   engine: Any, tamper: Any) -> None:
    code, out, _ = run(capsys, "db", "upgrade", "--database-url", db_url)
    assert code == 0 and "at revision 0" in out
    code, out, _ = run(capsys, "demo", "--database-url", db_url)
    assert code == 0 and "demo loaded: 41 dossiers" in out and "password: demo-password;" in out
    code, out, _ = run(capsys, "round", "report", "--year", "2023", "--database-url", db_url, "--json")
    assert code == 0
    report = json.loads(out)
    rows = report["results"]
    eligible = [r for r in rows if r["eligible"]]
    assert (len(rows), len(eligible), len({r["enterprise"] for r in eligible})) == (41, 37, 26)  # DOMAIN.md §4
    assert sum(r["passed"] for r in rows) == 33
    top = [r for r in rows if r["top"]]
    assert len(top) == 10 and [r["position"] for r in top] == list(range(1, 11))
    assert report["open_comments"] == 0 and len(report["certificates"]) == 33
    assert all(r["certificate"] for r in rows if r["passed"])
    assert "số liệu giả định" in report["round"]["title"]  # demo figures say what they are (in Vietnamese)
    code, out, _ = run(capsys, "round", "report", "--year", "2023", "--database-url", db_url)
    assert code == 0 and "Top 10" in out and "open comments 0; certificates 33" in out
    code, out, _ = run(capsys, "certificate", "check", "hanoi-2023-001", "--database-url", db_url)
    assert code == 0 and out.startswith("HANOI-2023-001: ") and "valid 26/11/2023–26/11/2026" in out
    code, out, _ = run(capsys, "audit", "verify", "--database-url", db_url)
    assert code == 0 and out.startswith("audit log intact: ")
    tamper("UPDATE audit_entry SET reason = 'changed' WHERE seq = 5")
    code, out, _ = run(capsys, "audit", "verify", "--database-url", db_url, "--json")
    assert code == 1 and json.loads(out)["problems"][0].startswith("entry 5 ")


def test_record_errors_exit_2(capsys: pytest.CaptureFixture[str], db_url: str) -> None:
    run(capsys, "db", "upgrade", "--database-url", db_url)
    code, _, err = run(capsys, "round", "report", "--year", "2031", "--database-url", db_url)
    assert (code, err) == (2, "error: no hanoi round for 2031; create it first\n")
    code, _, err = run(capsys, "certificate", "check", "X-1", "--database-url", db_url)
    assert (code, err) == (2, "error: no certificate numbered X-1\n")
