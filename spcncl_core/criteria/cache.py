"""A cache of validated criteria sets, so a command that evaluates one dossier does not validate every set again.

The key covers everything validation depends on: each document's content and source, which plugin registered
it, every registered rule kind, check, function and aggregation with the file that defines it, and the files of
the loader itself. Any change gives a new key, and the cache is simply rebuilt. Set SPCNCL_CACHE=off to disable
it, SPCNCL_CACHE_DIR to move it (default: $XDG_CACHE_HOME/spcncl or ~/.cache/spcncl). A cache that cannot be
read or written is ignored: it only ever saves time.
"""

from __future__ import annotations

import hashlib
import json
import os
import pickle
import sys
import tempfile
from dataclasses import replace
from pathlib import Path
from typing import Any

from spcncl_core.criteria.model import CriteriaSet
from spcncl_core.registries import Registries

FORMAT = 1
_PACKAGE = Path(__file__).resolve().parent.parent


def cache_dir() -> Path | None:
    """Where the cache lives, or None when it is switched off."""
    if os.environ.get("SPCNCL_CACHE", "").lower() in ("off", "0", "no", "false"):
        return None
    if os.environ.get("SPCNCL_CACHE_DIR"):
        return Path(os.environ["SPCNCL_CACHE_DIR"])
    base = os.environ.get("XDG_CACHE_HOME") or os.path.join(os.path.expanduser("~"), ".cache")
    return Path(base) / "spcncl"


def _file_stamp(path: str | None) -> list[Any]:
    if not path:
        return [None]
    try:
        st = os.stat(path)
    except OSError:
        return [path, None]
    return [path, st.st_mtime_ns, st.st_size]


def _defined_in(obj: object) -> list[Any]:
    module = sys.modules.get(getattr(obj, "__module__", "") or type(obj).__module__)
    return [getattr(obj, "__qualname__", type(obj).__qualname__), *_file_stamp(getattr(module, "__file__", None))]


def cache_key(registries: Registries) -> str:
    """A hash of everything the validated sets depend on."""
    parts: list[Any] = [FORMAT, sys.version_info[:2]]
    for folder in ("criteria", "engine"):
        for path in sorted((_PACKAGE / folder).glob("*.py")):
            parts.append(_file_stamp(str(path)))
    for src in registries.criteria_sets.sources:
        parts.append([src.plugin, src.source, src.document])
    for reg in (registries.rule_kinds, registries.prerequisite_checks):
        parts += [[name, reg.owner(name), *_defined_in(item)] for name, item in reg.items()]
    parts += [[name, registries.functions.owner(name), *_defined_in(f.fn)] for name, f in registries.functions.items()]
    parts += [[name, registries.aggregations.owner(name), *_defined_in(a.fn)]
              for name, a in registries.aggregations.items()]
    text = json.dumps(parts, sort_keys=True, ensure_ascii=False, default=str)
    return hashlib.sha256(text.encode("utf-8")).hexdigest()[:32]


def read(key: str) -> dict[str, CriteriaSet] | None:
    """The cached sets for `key` (not compiled), or None."""
    folder = cache_dir()
    if folder is None:
        return None
    try:
        with open(folder / f"catalog-{key}.pickle", "rb") as fh:
            data = pickle.load(fh)  # noqa: S301 - the user's own cache directory
    except (OSError, pickle.PickleError, EOFError, AttributeError, ImportError, TypeError, ValueError):
        return None
    return data if isinstance(data, dict) else None


def write(key: str, sets: dict[str, CriteriaSet]) -> None:
    """Store validated sets under `key` (atomically), removing older catalogs; errors are ignored."""
    folder = cache_dir()
    if folder is None:
        return
    try:
        folder.mkdir(parents=True, exist_ok=True)
        plain = {k: replace(v, compiled=None) for k, v in sets.items()}
        fd, tmp = tempfile.mkstemp(dir=folder, prefix=".catalog-", suffix=".tmp")
        with os.fdopen(fd, "wb") as fh:
            pickle.dump(plain, fh, protocol=pickle.HIGHEST_PROTOCOL)
        target = folder / f"catalog-{key}.pickle"
        os.replace(tmp, target)
        for old in folder.glob("catalog-*.pickle"):
            if old != target:
                old.unlink(missing_ok=True)
    except (OSError, pickle.PickleError, TypeError, AttributeError):
        return
