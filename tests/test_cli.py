"""The `spcncl` command line: every command, tables and --json, exit codes 0/1/2, errors on stderr."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from conftest import EXAMPLES, MINIMAL_SET, write_yaml

from spcncl_core.cli import main

VNSTEEL = str(EXAMPLES / "hanoi-2023-vnsteel-council.json")


def run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


def test_evaluate_json_contract(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, err = run(capsys, "evaluate", VNSTEEL, "--json")
    assert (code, err) == (0, "")
    data = json.loads(out)
    for key, kind in {"criteria_set": str, "eligible": bool, "passed": bool, "total": float, "max_points": int,
                      "prerequisites": list, "criteria": list}.items():
        assert isinstance(data[key], kind), key
    assert (data["criteria_set"], data["total"], data["max_points"]) == ("hanoi-2023-standard", 86.33, 100)
    assert data["provenance"] == "reconstruction"
    assert set(data["prerequisites"][0]) >= {"id", "passed", "message"}
    kt1 = data["criteria"][0]
    assert {k: kt1[k] for k in ("id", "group", "points", "max_points")} == {
        "id": "KT1", "group": "KT", "points": 9.5, "max_points": 10}
    assert kt1["explanation"] == ("council: mean of 2 members → 9.5 of 10; preliminary: product_revenue 2400 ≥ 1000 "
                                  "→ 10 of 10")


def test_evaluate_ineligible_has_null_total_and_exit_0(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run(capsys, "evaluate", str(EXAMPLES / "hanoi-2019-ineligible.yaml"), "--json")
    data = json.loads(out)
    assert (code, data["eligible"], data["passed"], data["total"], data["criteria"]) == (0, False, False, None, [])
    code, out, _ = run(capsys, "evaluate", str(EXAMPLES / "hanoi-2019-ineligible.yaml"))
    assert "NOT ELIGIBLE: prerequisites P3, P9 not met; the dossier is not scored." in out


def test_evaluate_table(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run(capsys, "evaluate", str(EXAMPLES / "hanoi-2022-cadisun-cable.yaml"))
    assert code == 0
    assert "provenance: RECONSTRUCTION — not the official point table" in out
    assert "KT1  Quy mô sản xuất" in out
    assert out.rstrip().endswith("total 70 of 100 (KT 32, CN 18, MT 8, XH 4, LT 8); pass: total > 70 → NOT PASSED")


def test_evaluate_with_explicit_set(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run(capsys, "evaluate", str(EXAMPLES / "hanoi-2023-misa-amis.yaml"), "--set",
                       "hanoi-2023-standard", "--json")
    assert (code, json.loads(out)["criteria_set"]) == (0, "hanoi-2023-standard")


def test_evaluate_bad_input_exit_2_every_problem_named(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    path = tmp_path / "bad.yaml"
    write_yaml(path, {"jurisdiction": "hanoi", "year": 2022,
                      "inputs": {"product_revenue": "much", "tax_arears": True}})
    code, out, err = run(capsys, "evaluate", str(path))
    assert code == 2 and out == ""
    lines = err.splitlines()
    assert "error: inputs.product_revenue: must be a number, got 'much'" in lines
    assert ("error: inputs.tax_arears: unknown input (did you mean 'tax_arrears'?); no criteria set of this "
            "jurisdiction declares it") in lines
    assert "error: inputs.equity: required input is missing" in lines
    assert all(line.startswith("error: inputs.") for line in lines)
    code, _, err = run(capsys, "evaluate", str(tmp_path / "missing.json"))
    assert code == 2 and "missing.json: cannot read the file" in err
    code, _, err = run(capsys, "evaluate", VNSTEEL, "--set", "hanoi-2023-standrd")
    assert (code, err) == (2, "error: no criteria set 'hanoi-2023-standrd' (did you mean 'hanoi-2023-standard'?); "
                              "`spcncl criteria list` shows the registered ones\n")


def test_other_failures_exit_1(capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch,
                               tmp_path: Path) -> None:
    site = tmp_path / "site"
    (site / "spcncl_bad-0.1.dist-info").mkdir(parents=True)
    (site / "spcncl_bad-0.1.dist-info" / "METADATA").write_text("Metadata-Version: 2.1\nName: spcncl_bad\n"
                                                                "Version: 0.1\n")
    (site / "spcncl_bad-0.1.dist-info" / "entry_points.txt").write_text("[spcncl]\nbad = spcncl_no_such_module\n")
    monkeypatch.syspath_prepend(str(site))
    code, _, err = run(capsys, "criteria", "list")
    assert code == 1
    assert err.startswith("error: plugin 'bad' (spcncl_no_such_module, from spcncl_bad 0.1) failed to load: "
                          "ModuleNotFoundError")


def test_plugins_and_criteria_list(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run(capsys, "plugins", "--json")
    assert code == 0
    assert [p["name"] for p in json.loads(out)][:3] == ["core", "hanoi", "hue"]
    code, out, _ = run(capsys, "criteria", "list")
    assert code == 0 and "hanoi-2023-high-tech  hanoi         2023–" in out and "hue-2021" in out
    code, out, _ = run(capsys, "criteria", "list", "--jurisdiction", "hue", "--json")
    assert [s["id"] for s in json.loads(out)] == ["hue-2021"]


def test_criteria_show(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run(capsys, "criteria", "show", "hanoi-2018-standard")
    assert code == 0
    assert "provenance: RECONSTRUCTION" in out
    assert "KT1  Quy mô sản xuất" in out and "product_revenue ≥ 1000 → 15; ≥ 500 → 12" in out
    assert out.rstrip().splitlines()[-1].split() == ["Tổng", "100"]
    code, out, _ = run(capsys, "criteria", "show", "hanoi-2018-standard", "--lang", "en")
    assert "Production scale" in out and out.rstrip().splitlines()[-1].split() == ["Total", "100"]
    code, out, _ = run(capsys, "criteria", "show", "hue-2021", "--json")
    data = json.loads(out)
    assert [c["max_points"] for c in data["groups"][0]["criteria"]] == [10, 20, 12, 18, 15, 25]


def test_criteria_diff(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run(capsys, "criteria", "diff", "hanoi-2021-standard", "hanoi-2023-standard")
    assert code == 0 and out.startswith("hanoi-2021-standard → hanoi-2023-standard: ")
    code, out, _ = run(capsys, "criteria", "diff", "hanoi-2021-standard", "hanoi-2023-standard", "--json")
    changes = json.loads(out)
    assert {"what": "criterion", "id": "KT3", "change": "changed", "field": "max_points", "before": "8",
            "after": "3"} in changes
    assert any(c["id"] == "CĐ1" and c["change"] == "added" for c in changes)


def test_criteria_validate(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    good = write_yaml(tmp_path / "good.yaml", MINIMAL_SET)
    child = write_yaml(tmp_path / "child.yaml", {"id": "test-child", "extends": "test-set", "top": 5})
    code, out, _ = run(capsys, "criteria", "validate", str(good), str(child))
    assert code == 0
    assert f"ok  {child}: test-child (2 criteria, 20 points)" in out
    bad = write_yaml(tmp_path / "bad.yaml", {**MINIMAL_SET, "id": "bad-one", "total_points": 21})
    code, out, err = run(capsys, "criteria", "validate", str(bad))
    assert code == 2 and out == ""
    assert err == (f"error: {bad}: total_points: the criteria's max_points add up to 20 (A 20), not the declared "
                   "21\n")
    code, out, _ = run(capsys, "criteria", "validate", str(bad), "--json")
    assert code == 2 and json.loads(out)["valid"] is False
    code, out, _ = run(capsys, "criteria", "validate", str(Path(__file__).parent.parent / "criteria_sets" / "hanoi"
                                                           / "2023-standard.yaml"))
    assert code == 0 and "hanoi-2023-standard" in out


def test_console_script_is_installed_and_imports_neither_flask_nor_the_database() -> None:
    exe = shutil.which("spcncl", path=os.path.dirname(sys.executable))
    assert exe, "the spcncl console script is not installed"
    result = subprocess.run([exe, "evaluate", VNSTEEL, "--json"], capture_output=True, text=True, check=False)
    assert result.returncode == 0 and json.loads(result.stdout)["total"] == 86.33
    probe = ("import sys; from spcncl_core.cli import main; "
             "[main(a) for a in (['plugins'], ['criteria', 'list'], ['criteria', 'show', 'hanoi-2018-standard'], "
             "['criteria', 'diff', 'hanoi-2018-standard', 'hanoi-2023-standard'], ['evaluate', sys.argv[1]])]; "
             "print(sorted({m.split('.')[0] for m in sys.modules} & {'flask', 'sqlalchemy', 'alembic', 'openpyxl'}))")
    result = subprocess.run([sys.executable, "-c", probe, VNSTEEL], capture_output=True, text=True, check=True)
    assert result.stdout.splitlines()[-1] == "[]"
