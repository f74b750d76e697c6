"""Shared fixtures: an isolated criteria-set cache, the real catalog, helpers to write criteria sets and dossiers."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import yaml
from hypothesis import settings as hypothesis_settings

from spcncl_core import Catalog, load_catalog
from spcncl_core.plugins import PluginManager, get_plugin_manager

# CI replays the same examples every run (a red CI then means a change broke something, never chance); a developer's
# run explores new random examples, which is how the fuzz tests find new bugs.
hypothesis_settings.register_profile("ci", derandomize=True, database=None, print_blob=True)
if os.environ.get("CI"):
    hypothesis_settings.load_profile("ci")

ROOT = Path(__file__).resolve().parent.parent
EXAMPLES = ROOT / "examples" / "dossiers"


@pytest.fixture(scope="session", autouse=True)
def _isolated_cache(tmp_path_factory: pytest.TempPathFactory) -> Iterator[None]:
    """Tests never read or write the user's cache; subprocesses inherit the same folder."""
    old = os.environ.get("SPCNCL_CACHE_DIR")
    os.environ["SPCNCL_CACHE_DIR"] = str(tmp_path_factory.mktemp("cache"))
    os.environ.pop("SPCNCL_BLOCK_PLUGINS", None)
    os.environ.setdefault("SPCNCL_AUDIT_KEY", "test-audit-key-not-secret-0123456789")  # tests only
    yield
    if old is None:
        os.environ.pop("SPCNCL_CACHE_DIR", None)
    else:
        os.environ["SPCNCL_CACHE_DIR"] = old


@pytest.fixture(scope="session")
def catalog() -> Catalog:
    """The catalog as installed: built-in plugins and entry points (Huế)."""
    return load_catalog()


@pytest.fixture
def pm() -> PluginManager:
    """A fresh plugin manager with the built-in plugins only."""
    return get_plugin_manager(entry_points_too=False)


@pytest.fixture
def register(pm: PluginManager) -> Iterator[object]:
    """Register temporary plugins on `pm`; they are always unregistered afterwards."""
    added: list[object] = []

    def add(plugin: object, name: str) -> object:
        pm.register(plugin, name=name)
        added.append(plugin)
        return plugin

    try:
        yield add
    finally:
        for plugin in added:
            if pm.is_registered(plugin):
                pm.unregister(plugin)


TEST_DATABASE_ENV = "SPCNCL_TEST_DATABASE_URL"


@pytest.fixture(scope="session")
def engine(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Any]:
    """A database migrated to the newest schema: PostgreSQL when SPCNCL_TEST_DATABASE_URL names one, else an
    SQLite file. Built up, down and up again, so the migrations themselves are tested on that database both ways.
    The PostgreSQL database given is the tests' own: whatever an older checkout left in it is wiped first."""
    from sqlalchemy import text

    from spcncl_core.db.base import make_engine
    from spcncl_core.db.migrate import downgrade, upgrade

    url = os.environ.get(TEST_DATABASE_ENV) or f"sqlite:///{tmp_path_factory.mktemp('db') / 'test.sqlite'}"
    eng = make_engine(url)
    if eng.dialect.name == "postgresql":
        with eng.begin() as conn:
            conn.execute(text("DROP SCHEMA public CASCADE"))
            conn.execute(text("CREATE SCHEMA public"))
    upgrade(eng)
    downgrade(eng, "base")
    upgrade(eng)
    yield eng
    eng.dispose()


@pytest.fixture
def session(engine: Any, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Any]:
    """A session on emptied tables, with the audit log's checkpoint file of this test; the test commits as the
    services' callers do."""
    from sqlalchemy import text

    from spcncl_core.db.base import Base, make_session_factory

    monkeypatch.setenv("SPCNCL_AUDIT_CHECKPOINT", str(tmp_path / "audit-checkpoint.jsonl"))
    tables = [t.name for t in reversed(Base.metadata.sorted_tables)]
    with engine.begin() as connection:
        if engine.dialect.name == "postgresql":
            connection.execute(text("SET LOCAL session_replication_role = replica"))  # past the audit log's guard
            connection.execute(text(f"TRUNCATE {', '.join(tables)} RESTART IDENTITY CASCADE"))
        else:
            for name in tables:
                connection.execute(text(f"DELETE FROM {name}"))
    factory = make_session_factory(engine)
    with factory() as db_session:
        yield db_session


@pytest.fixture
def tamper(engine: Any) -> Any:
    """Run SQL as an attacker with full rights on the database would: on PostgreSQL past the audit log's
    append-only triggers (as a superuser can)."""
    from sqlalchemy import text

    def run(*statements: str, **params: Any) -> None:
        with engine.begin() as connection:
            if engine.dialect.name == "postgresql":
                connection.execute(text("SET LOCAL session_replication_role = replica"))
            for statement in statements:
                connection.execute(text(statement), params)

    return run


MINIMAL_SET = {
    "id": "test-set",
    "title": {"vi": "Bộ thử"},
    "jurisdiction": "testland",
    "years": {"from": 2024, "to": None},
    "product_group": "standard",
    "provenance": "reconstruction",
    "total_points": 20,
    "pass": {"operator": ">", "points": 10},
    "top": 3,
    "aggregation": "mean-of-assigned",
    "inputs": [
        {"id": "revenue", "type": "number", "min": 0, "label": {"vi": "Doanh thu"}},
        {"id": "level", "type": "choice", "options": ["high", "low"], "label": {"vi": "Mức"}},
    ],
    "groups": [
        {"id": "A", "title": {"vi": "Nhóm A"}, "criteria": [
            {"id": "A1", "title": {"vi": "Quy mô"}, "max_points": 10,
             "score": {"bands": {"of": "revenue", "levels": [{"gte": 100, "points": 10}, {"gte": 50, "points": 5}]}}},
            {"id": "A2", "title": {"vi": "Mức"}, "max_points": 10,
             "score": {"choice": {"of": "level", "points": {"high": 10, "low": 4}}}},
        ]},
    ],
}


def write_yaml(path: Path, data: object) -> Path:
    """Write `data` as YAML (UTF-8) and return the path."""
    path.write_text(yaml.safe_dump(data, allow_unicode=True, sort_keys=False), encoding="utf-8")
    return path
