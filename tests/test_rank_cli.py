"""`spcncl rank FILE|DIR…` and `spcncl evaluate` with several files: no database, every problem reported."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest
from conftest import EXAMPLES, ROOT

from spcncl_core.cli import main

NATIONAL = ROOT / "examples" / "spcncl-national" / "dossiers"


def run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


def test_rank_a_folder(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    for name in ("ocop-2024-honey-council.yaml", "ocop-2024-rice-cake-self.yaml"):
        shutil.copy(NATIONAL / name, tmp_path / name)
    code, out, err = run(capsys, "rank", str(tmp_path))
    assert (code, err) == (0, "")
    lines = out.splitlines()
    assert lines[0] == "ocop-2024 — 2 ranked, 2 passed, Top 3; tie-breaks: subtotal C, subtotal A, earlier submission"
    assert lines[1] == "provenance: RECONSTRUCTION — not the official point table"
    assert lines[4].split() == ["1", "OCOP-2024-007", "Mật", "ong", "bạc", "hà", "(synthetic)", "93.42", "sao-5", "✓",
                                "★"]
    assert lines[5].split() == ["2", "OCOP-2024-015", "Bánh", "đa", "nem", "(synthetic)", "50", "sao-3", "✓", "★"]


def test_rank_json_ties_and_sets(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    # the same award dossier twice, once submitted earlier: tied on total, broken by the earlier submission
    text = (NATIONAL / "vnaward-2024-passed.yaml").read_text(encoding="utf-8")
    (tmp_path / "a.yaml").write_text(text.replace("AW-2024-002", "AW-A") + 'submitted_at: "2024-05-02T08:00:00"\n',
                                     encoding="utf-8")
    (tmp_path / "b.yaml").write_text(text.replace("AW-2024-002", "AW-B") + 'submitted_at: "2024-05-01T08:00:00"\n',
                                     encoding="utf-8")
    shutil.copy(NATIONAL / "vnaward-2024-one-criterion-short.yaml", tmp_path / "c.yaml")
    code, out, _ = run(capsys, "rank", str(tmp_path), "--json")
    assert code == 0
    [report] = json.loads(out)
    assert report["criteria_set"] == "vnaward-2024" and report["top"] == 3
    assert [(r["position"], r["dossier"], r["total"], r["passed"], r["top"]) for r in report["ranking"]] == [
        (1, "AW-2024-005", 835, False, False), (2, "AW-B", 700.3, True, True), (3, "AW-A", 700.3, True, True)]
    assert report["ranking"][2]["tie_break"] == ("tie on total 700.3: earlier submission (2024-05-01 08:00 vs "
                                                 "2024-05-02 08:00)")


def test_rank_refuses_bad_files_and_names_every_problem(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    shutil.copy(NATIONAL / "vnaward-2024-passed.yaml", tmp_path / "good.yaml")
    (tmp_path / "bad.yaml").write_text("jurisdiction: vnaward\nyear: 2024\ninputs: {}\ncouncil_scores:\n"
                                       "  m1: {T1: 500, T2: 100}\n", encoding="utf-8")
    code, out, err = run(capsys, "rank", str(tmp_path))
    assert (code, out) == (2, "")
    assert err.splitlines() == [
        f"error: {tmp_path / 'bad.yaml'}: council_scores.m1.T1: must be between 0 and 400, got 500",
        f"error: {tmp_path / 'bad.yaml'}: council_scores.m1.T3: not scored; with trimmed-mean-of-totals every "
        "member scores every criterion"]
    code, _, err = run(capsys, "rank", str(tmp_path / "nothing"))
    assert code == 2 and "cannot read the file" in err


def test_rank_with_an_explicit_set(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run(capsys, "rank", str(EXAMPLES / "hue-2023-pass-council.yaml"),
                       str(EXAMPLES / "hue-2023-boundary.json"), "--set", "hue-2021")
    assert code == 0 and out.splitlines()[0] == "hue-2021 — 2 ranked, 2 passed; tie-breaks: none"
    assert "class" not in out.splitlines()[2]  # no class column for a set without classes


def test_evaluate_several_files(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    files = [str(NATIONAL / "vnaward-2024-passed.yaml"), str(NATIONAL / "ocop-2024-rice-cake-self.yaml")]
    code, out, _ = run(capsys, "evaluate", *files, "--json")
    assert code == 0
    data = json.loads(out)
    assert [(d["file"], d["criteria_set"], d["total"], d["class"]) for d in data] == [
        (files[0], "vnaward-2024", 700.3, None), (files[1], "ocop-2024", 50, "sao-3")]
    bad = tmp_path / "bad.json"
    bad.write_text('{"jurisdiction": "ocop", "year": 2024, "inputs": {"workers": -1}}', encoding="utf-8")
    code, out, err = run(capsys, "evaluate", files[0], str(bad))
    assert code == 2
    assert "total 700.3 of 1000" in out
    assert f"error: {bad}: inputs.workers: must be ≥ 0, got -1" in err.splitlines()
