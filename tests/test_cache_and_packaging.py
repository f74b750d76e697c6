"""The criteria-set cache gives the same sets as a fresh validation; the built wheel carries the data files and
finds them from any working directory."""

from __future__ import annotations

import os
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest
from conftest import EXAMPLES, ROOT

from spcncl_core import load_catalog, read_dossier_file
from spcncl_core.criteria import cache
from spcncl_core.registries import Registries


def evaluate_examples(catalog: object) -> list[dict[str, object]]:
    out = []
    for path in sorted(EXAMPLES.iterdir()):
        loaded = read_dossier_file(path)
        out.append(catalog.evaluate(loaded.dossier, scores=loaded.council_scores).to_dict())  # type: ignore[attr-defined]
    return out


def test_cached_catalog_equals_a_fresh_one(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv("SPCNCL_CACHE_DIR", str(tmp_path))
    fresh = load_catalog()
    files = list(tmp_path.glob("catalog-*.json"))
    assert len(files) == 1
    cached = load_catalog()
    assert {k: v.content_hash for k, v in fresh.criteria_sets.items()} == \
        {k: v.content_hash for k, v in cached.criteria_sets.items()}
    assert evaluate_examples(fresh) == evaluate_examples(cached)
    files[0].write_bytes(b"not json")
    assert evaluate_examples(load_catalog()) == evaluate_examples(fresh)  # a broken cache is only a miss


def test_cache_key_follows_the_files_bytes_without_parsing_them() -> None:
    def key(*texts: str) -> str | None:
        registries = Registries()
        for i, text in enumerate(texts):
            registries.criteria_sets.add_text(text, f"set{i}.yaml")
        return cache.cache_key(registries)

    assert key("id: a\ntop: 10\n") == key("id: a\ntop: 10\n")
    assert key("id: a\ntop: 10\n") != key("id: a\ntop: 11\n")
    assert key("id: a\n", "id: b\n") != key("id: b\n", "id: a\n")
    assert key("{{{ not yaml") is not None  # computed from the bytes: nothing is parsed


def test_cache_can_be_switched_off(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv("SPCNCL_CACHE_DIR", str(tmp_path))
    monkeypatch.setenv("SPCNCL_CACHE", "off")
    load_catalog()
    assert list(tmp_path.iterdir()) == []


def test_a_warm_cache_does_not_import_marshmallow(tmp_path: Path) -> None:
    env = {**os.environ, "SPCNCL_CACHE_DIR": str(tmp_path)}
    probe = ("import sys; from spcncl_core import load_catalog; load_catalog(); "
             "print('marshmallow' in sys.modules)")
    first = subprocess.run([sys.executable, "-c", probe], env=env, capture_output=True, text=True, check=True)
    second = subprocess.run([sys.executable, "-c", probe], env=env, capture_output=True, text=True, check=True)
    assert (first.stdout.strip(), second.stdout.strip()) == ("True", "False")


@pytest.mark.packaging
def test_wheel_carries_the_criteria_sets_and_works_from_any_directory(tmp_path: Path) -> None:
    subprocess.run([sys.executable, "-m", "pip", "wheel", "--quiet", "--no-deps", "--no-build-isolation",
                    "--wheel-dir", str(tmp_path / "dist"), str(ROOT)], check=True, capture_output=True)
    wheel = next((tmp_path / "dist").glob("spcncl-*.whl"))
    names = zipfile.ZipFile(wheel).namelist()
    yaml_files = sorted(n for n in names if n.endswith(".yaml") and n.startswith("spcncl_criteria_sets/"))
    assert "spcncl_admin/option_labels.yaml" in names  # the back office's words for input options
    assert "spcncl_core/document_kinds.yaml" in names  # the checklist of documents a dossier holds
    assert yaml_files == [f"spcncl_criteria_sets/hanoi/{y}-{g}.yaml" for y in (2018, 2021, 2023)
                          for g in ("high-tech", "standard")]
    assert "spcncl_plugins/hanoi.py" in names and "spcncl_core/cli.py" in names
    assert not [n for n in names if n.startswith(("tests/", "plugins/", "criteria_sets/", "benchmarks/"))]
    target = tmp_path / "installed"
    subprocess.run([sys.executable, "-m", "pip", "install", "--quiet", "--no-deps", "--target", str(target),
                    str(wheel)], check=True, capture_output=True)
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    probe = ("import spcncl_core, sys; from spcncl_core import load_catalog; c = load_catalog(); "
             "print(spcncl_core.__file__); print(len(c.sets_for('hanoi')))")
    env = {**os.environ, "PYTHONPATH": str(target), "SPCNCL_CACHE": "off"}
    result = subprocess.run([sys.executable, "-c", probe], cwd=elsewhere, env=env, capture_output=True, text=True,
                            check=True)
    location, count = result.stdout.split()
    assert location.startswith(str(target)) and count == "6"
