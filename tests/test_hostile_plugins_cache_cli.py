"""Hostile plugins, cache files and settings through the command line, each run capped in memory and time
(tests/hostile.py): a broken plugin is named, a planted cache file never runs code, every expected failure is one
line with its documented exit code."""

from __future__ import annotations

import json
import pickle
from pathlib import Path

import yaml
from conftest import EXAMPLES, MINIMAL_SET
from hostile import billion_laughs, make_plugin, spcncl

VNSTEEL = str(EXAMPLES / "hanoi-2023-vnsteel-council.json")
REGISTER_SETS = """
from importlib.resources import files
from spcncl_core import hookimpl

@hookimpl
def register_criteria_sets(registry):
    registry.add_directory(files(__name__) / "criteria_sets", label="spcncl_{name}/criteria_sets")
"""


def one_line(run: object, code: int, *fragments: str) -> None:
    lines = run.err.splitlines()  # type: ignore[attr-defined]
    assert run.code == code and len(lines) == 1, (run.code, run.err)  # type: ignore[attr-defined]
    assert lines[0].startswith("error: ") and all(f in lines[0] for f in fragments), lines[0]


# --- plugins ---------------------------------------------------------------------------------------------------

def test_a_plugins_bomb_file_is_refused_quickly_naming_plugin_and_file(tmp_path: Path) -> None:
    env = make_plugin(tmp_path / "site", "bomb", REGISTER_SETS.format(name="bomb"),
                      {"bomb.yaml": billion_laughs(key="id")})
    for args in (["criteria", "list"], ["evaluate", VNSTEEL]):
        one_line(spcncl(*args, env=env), 2, "plugin 'bomb': spcncl_bomb/criteria_sets/bomb.yaml: line",
                 "too many values once aliases are expanded")


def test_a_plugins_bomb_under_an_unknown_key_names_plugin_and_file(tmp_path: Path) -> None:
    text = yaml.safe_dump({**MINIMAL_SET, "id": "bomb-set"}, allow_unicode=True) + billion_laughs(
        levels=5, key="surprise")
    env = make_plugin(tmp_path / "site", "sneaky", REGISTER_SETS.format(name="sneaky"), {"set.yaml": text})
    run = spcncl("criteria", "list", env=env)
    assert run.code == 2
    assert any(line.startswith("error: plugin 'sneaky': spcncl_sneaky/criteria_sets/set.yaml") and "surprise" in line
               for line in run.err.splitlines()), run.err


def test_a_plugin_whose_classify_product_raises_is_named(tmp_path: Path) -> None:
    env = make_plugin(tmp_path / "site", "crashy", """
        from spcncl_core import hookimpl

        @hookimpl
        def classify_product(catalog, jurisdiction, year, inputs):
            return 1 / 0
    """)
    one_line(spcncl("evaluate", VNSTEEL, env=env), 1,
             "plugin 'crashy' failed in classify_product: ZeroDivisionError", "SPCNCL_BLOCK_PLUGINS=crashy")
    assert spcncl("evaluate", VNSTEEL, env={**env, "SPCNCL_BLOCK_PLUGINS": "crashy"}).code == 0


def test_a_plugin_whose_dossier_evaluated_raises_is_named(tmp_path: Path) -> None:
    env = make_plugin(tmp_path / "site", "noisy", """
        from spcncl_core import hookimpl

        @hookimpl
        def dossier_evaluated(catalog, dossier, evaluation):
            raise RuntimeError("the portal is down")
    """)
    one_line(spcncl("evaluate", VNSTEEL, env=env), 1,
             "plugin 'noisy' failed in dossier_evaluated: RuntimeError: the portal is down",
             "SPCNCL_BLOCK_PLUGINS=noisy")


def test_a_plugin_cannot_pass_a_dossier_that_failed(tmp_path: Path) -> None:
    env = make_plugin(tmp_path / "site", "cheat", """
        from spcncl_core import hookimpl

        @hookimpl
        def dossier_evaluated(catalog, dossier, evaluation):
            evaluation.passed = True
    """)
    ineligible = str(EXAMPLES / "hanoi-2019-ineligible.yaml")
    one_line(spcncl("evaluate", ineligible, env=env), 1, "plugin 'cheat' failed in dossier_evaluated",
             "the evaluation is read-only: cannot set 'passed'")


# --- the cache -------------------------------------------------------------------------------------------------

class _Payload:
    def __init__(self, marker: Path) -> None:
        self.marker = marker

    def __reduce__(self) -> tuple[object, tuple[str]]:
        import os

        return (os.system, (f"touch {self.marker}",))


def test_a_planted_pickle_never_runs(tmp_path: Path) -> None:
    cache, marker = tmp_path / "cache", tmp_path / "pwned"
    cache.mkdir()
    env = {"SPCNCL_CACHE_DIR": str(cache)}
    assert spcncl("criteria", "list", env=env).code == 0
    for entry in cache.glob("catalog-*.json"):  # every name a cache file has ever had
        payload = pickle.dumps(_Payload(marker))
        entry.write_bytes(payload)
        entry.with_suffix(".pickle").write_bytes(payload)
    run = spcncl("evaluate", VNSTEEL, "--json", env=env)
    assert run.code == 0 and json.loads(run.out)["total"] == 86.33
    assert not marker.exists()


def test_a_cache_file_of_the_wrong_shape_is_ignored_and_rebuilt(tmp_path: Path) -> None:
    cache = tmp_path / "cache"
    env = {"SPCNCL_CACHE_DIR": str(cache)}
    assert spcncl("criteria", "list", env=env).code == 0
    entry, = cache.glob("catalog-*.json")
    key = json.loads(entry.read_text(encoding="utf-8"))["key"]
    for foreign in ({"format": 2, "key": key, "sets": {"x": {"$dc": "os:system", "f": {"command": "true"}}}},
                    {"format": 2, "key": key, "sets": [1, 2, 3]},
                    {"format": 2, "key": key, "sets": {"hanoi-2023-standard": {"$d": "1"}}}):
        entry.write_text(json.dumps(foreign), encoding="utf-8")
        run = spcncl("evaluate", VNSTEEL, "--json", env=env)
        assert run.code == 0 and json.loads(run.out)["total"] == 86.33
    assert json.loads(entry.read_text(encoding="utf-8"))["sets"]["hanoi-2023-standard"]["$dc"].endswith(
        ":CriteriaSet")


def test_entries_for_different_plugin_sets_coexist(tmp_path: Path) -> None:
    cache = tmp_path / "cache"
    env = {"SPCNCL_CACHE_DIR": str(cache)}
    assert spcncl("criteria", "list", env=env).code == 0
    assert spcncl("criteria", "list", env={**env, "SPCNCL_BLOCK_PLUGINS": "hue"}).code == 0
    assert spcncl("criteria", "list", env=env).code == 0
    assert len(list(cache.glob("catalog-*.json"))) == 2


# --- settings and the terminal ---------------------------------------------------------------------------------

def test_a_malformed_database_url(tmp_path: Path) -> None:
    for url in ("nonsense", "foo://x/y"):
        one_line(spcncl("round", "report", "--year", "2023", "--database-url", url), 2,
                 "the database URL is not valid", "--database-url or SPCNCL_DATABASE_URL")


def test_a_database_without_the_schema(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'empty.sqlite'}"
    for args in (["round", "report", "--year", "2023"], ["audit", "verify"], ["certificate", "check", "X-1"]):
        one_line(spcncl(*args, "--database-url", url), 2, "the database has no spcncl schema",
                 "run `spcncl db upgrade` first")


def test_a_database_out_of_reach() -> None:
    one_line(spcncl("audit", "verify", "--database-url", "postgresql://nobody@127.0.0.1:1/none"), 1,
             "cannot use the database:", "127.0.0.1")


def test_an_ascii_terminal(tmp_path: Path) -> None:
    env = {"PYTHONIOENCODING": "ascii"}
    one_line(spcncl("criteria", "show", "hanoi-2023-standard", env=env), 2,
             "the output encoding (ascii) cannot write this text", "PYTHONIOENCODING=utf-8")
    run = spcncl("criteria", "show", "hanoi-2023-standard", "--json", env=env)
    assert run.code == 0 and json.loads(run.out)["title"]["vi"].startswith("Bộ tiêu chí")
    one_line(spcncl("evaluate", str(tmp_path / "nowhere.json"), env=env), 2, "nowhere.json: cannot read the file")


def test_debug_shows_the_traceback() -> None:
    run = spcncl("round", "report", "--year", "2023", "--database-url", "nonsense", "--debug")
    assert run.code == 2 and "Traceback (most recent call last)" in run.err
    assert run.err.rstrip().splitlines()[-1].startswith("error: the database URL is not valid")


def test_a_database_at_an_unknown_schema_revision(tmp_path: Path) -> None:
    import sqlite3

    url = f"sqlite:///{tmp_path / 'other.sqlite'}"
    assert spcncl("db", "upgrade", "--database-url", url).code == 0
    with sqlite3.connect(tmp_path / "other.sqlite") as connection:
        connection.execute("UPDATE alembic_version SET version_num = '9999'")
    one_line(spcncl("db", "upgrade", "--database-url", url), 2, "the database schema is not one this spcncl knows",
             "'9999'")
