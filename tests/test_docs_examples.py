"""Every code example in docs/ runs (so the docs cannot rot), and every hook's heading in docs/plugins.md is its
exact signature.

- ```yaml blocks that start with `id:` are complete criteria sets: loaded and validated; other yaml must parse;
- ```python blocks of the plugin author's pages (criteria-sets.md, plugins.md) run in order, one namespace per page
  (their own asserts check the results they show); on the other pages, whose snippets assume a database session
  and a user, they must compile;
- ```ini blocks parse; ```sh lines that run `spcncl` parse with the real argument parser.
"""

from __future__ import annotations

import configparser
import contextlib
import inspect
import io
import re
import shlex
from pathlib import Path

import pytest
import yaml
from conftest import ROOT

from spcncl_core import Catalog, hookspecs
from spcncl_core.cli import build_parser
from spcncl_core.criteria.loader import load_criteria_sets
from spcncl_core.registries import CriteriaSetRegistry

DOCS = sorted((ROOT / "docs").glob("*.md"))
FENCE = re.compile(r"^```(\w*)\n(.*?)^```", re.S | re.M)


def blocks(page: Path, language: str) -> list[str]:
    return [body for lang, body in FENCE.findall(page.read_text(encoding="utf-8")) if lang == language]


@pytest.mark.parametrize("page", DOCS, ids=lambda p: p.name)
def test_yaml_examples(catalog: Catalog, page: Path) -> None:
    for body in blocks(page, "yaml"):
        document = yaml.safe_load(body)
        if body.startswith("id:"):
            registry = CriteriaSetRegistry()
            registry.add_text(body, f"{page.name} example")
            loaded = load_criteria_sets(registry.sources, catalog.registries, catalog.criteria_sets)
            assert list(loaded) == [document["id"]]


def test_the_criteria_sets_page_has_complete_examples() -> None:
    assert len([b for b in blocks(ROOT / "docs" / "criteria-sets.md", "yaml") if b.startswith("id:")]) >= 2


AUTHOR_PAGES = ("criteria-sets.md", "plugins.md")


@pytest.mark.parametrize("page", DOCS, ids=lambda p: p.name)
def test_python_examples_run(page: Path) -> None:
    namespace: dict[str, object] = {"__name__": "spcncl_hue"}
    for body in blocks(page, "python"):
        code = compile(body, f"{page.name} example", "exec")
        if page.name in AUTHOR_PAGES:
            with contextlib.redirect_stdout(io.StringIO()):
                exec(code, namespace)  # noqa: S102 - our own docs


def test_the_plugin_page_runs_a_complete_plugin() -> None:
    assert len(blocks(ROOT / "docs" / "plugins.md", "python")) >= 3


@pytest.mark.parametrize("page", DOCS, ids=lambda p: p.name)
def test_ini_and_shell_examples(page: Path) -> None:
    for body in blocks(page, "ini"):
        configparser.ConfigParser().read_string(body)
    parser = build_parser()
    for body in blocks(page, "sh"):
        for line in body.splitlines():
            command = line.split("#", 1)[0].strip()
            while re.search(r"\[[^][]*\]", command):  # [--json], [--reset [--yes]]: optional, as usage writes it
                command = re.sub(r"\[[^][]*\]", "", command)
            if command.startswith("spcncl "):
                parser.parse_args(shlex.split(command)[1:])


@pytest.mark.parametrize("name", [n for n, f in vars(hookspecs).items() if callable(f) and hasattr(f, "spcncl_spec")])
def test_every_hook_heading_is_its_signature(name: str) -> None:
    params = ", ".join(inspect.signature(getattr(hookspecs, name)).parameters)
    assert f"### {name}({params})\n" in (ROOT / "docs" / "plugins.md").read_text(encoding="utf-8")
