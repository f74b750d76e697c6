"""A cache of validated criteria sets, so a command that evaluates one dossier does not parse and validate every set.

The key covers everything validation depends on: the sha256 of each criteria-set file's bytes (or of a document's
canonical JSON), its label and the plugin that registered it, every registered rule kind, check, function and
aggregation with the file that defines it, and the files of the loader and engine. Any change gives a new key; no
file is parsed to compute it. Only a catalog that validated is stored, so a broken file is reported every time
(quickly: the bounded reader refuses a bomb before expanding it) and never hides behind a cache entry.

The cache is plain data (JSON with a few tags for decimals, tuples and the library's dataclasses), never pickle:
a file planted in a shared SPCNCL_CACHE_DIR cannot run code. A dataclass is rebuilt only when its class is in a
module already imported by the library or a registered plugin. A corrupt, foreign or wrong-shaped file is
ignored (and replaced on the next write). Entries for different checkouts and plugin sets coexist; the oldest are
pruned beyond MAX_ENTRIES. Set SPCNCL_CACHE=off to disable it, SPCNCL_CACHE_DIR to move it (default:
$XDG_CACHE_HOME/spcncl or ~/.cache/spcncl). A cache that cannot be read or written is ignored: it only saves time.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import hashlib
import json
import os
import sys
import tempfile
from collections.abc import Iterable
from decimal import Decimal
from pathlib import Path
from typing import Any

from spcncl_core.criteria.model import CriteriaSet
from spcncl_core.registries import Registries

FORMAT = 2
MAX_ENTRIES = 32
_PACKAGE = Path(__file__).resolve().parent.parent
_PREFIX, _SUFFIX = "catalog-", ".json"


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


def cache_key(registries: Registries) -> str | None:
    """A hash of everything the validated sets depend on, computed without parsing any file; None when something
    cannot be fingerprinted (then the catalog is validated every time)."""
    documents = registries.criteria_sets.fingerprint()
    if documents is None:
        return None
    parts: list[Any] = [FORMAT, sys.version_info[:2], documents]
    for folder in ("criteria", "engine"):
        for path in sorted((_PACKAGE / folder).glob("*.py")):
            parts.append(_file_stamp(str(path)))
    parts.append(_file_stamp(str(_PACKAGE / "numbers.py")))
    for reg in (registries.rule_kinds, registries.prerequisite_checks):
        parts += [[name, reg.owner(name), *_defined_in(item)] for name, item in reg.items()]
    parts += [[name, registries.functions.owner(name), *_defined_in(f.fn)] for name, f in registries.functions.items()]
    parts += [[name, registries.aggregations.owner(name), *_defined_in(a.fn)]
              for name, a in registries.aggregations.items()]
    text = json.dumps(parts, sort_keys=True, ensure_ascii=False, default=str)
    return hashlib.sha256(text.encode("utf-8")).hexdigest()[:32]


def trusted_modules(registries: Registries) -> frozenset[str]:
    """Modules whose dataclasses a cache entry may rebuild: the criteria-set model and the engine, and the modules of
    registered plugin objects."""
    names = {m for m in sys.modules if m.startswith(("spcncl_core.criteria.", "spcncl_core.engine."))}
    objects: Iterable[Any] = [
        *(k for _, k in registries.rule_kinds.items()), *(c for _, c in registries.prerequisite_checks.items()),
        *(f.fn for _, f in registries.functions.items()), *(a.fn for _, a in registries.aggregations.items())]
    for obj in objects:
        names.add(getattr(obj, "__module__", None) or type(obj).__module__)
    return frozenset(names)


class _NotPlainData(Exception):
    pass


_REGISTRIES = ("rule_kinds", "prerequisite_checks", "functions", "aggregations")


def registered_objects(registries: Registries) -> dict[int, list[str]]:
    """id of each registered rule kind, check, function and aggregation → [registry, name]: a parsed rule may hold
    them, and the cache names them instead of storing them."""
    return {id(item): [attribute, name] for attribute in _REGISTRIES
            for name, item in getattr(registries, attribute).items()}


def encode(value: Any, registered: dict[int, list[str]] | None = None) -> Any:
    """Plain JSON for a value made of None, bools, numbers, text, Decimals, dates, lists, tuples, sets, dicts,
    dataclasses and registered objects (by name); raise _NotPlainData for anything else."""
    registered = registered or {}
    if id(value) in registered:
        return {"$reg": registered[id(value)]}
    return _encode(value, registered)


def _encode(value: Any, registered: dict[int, list[str]]) -> Any:
    encode_ = encode
    if value is None or isinstance(value, (bool, str)):
        return value
    if isinstance(value, int):
        return value
    if isinstance(value, float):
        return value if value == value and value not in (float("inf"), float("-inf")) else {"$f": repr(value)}
    if isinstance(value, Decimal):
        return {"$d": str(value)}
    if isinstance(value, list):
        return [encode_(v, registered) for v in value]
    if isinstance(value, tuple):
        return {"$t": [encode_(v, registered) for v in value]}
    if isinstance(value, (set, frozenset)):
        return {"$s" if isinstance(value, set) else "$fs": [encode_(v, registered) for v in value]}
    if isinstance(value, dt.datetime):
        return {"$dt": value.isoformat()}
    if isinstance(value, dt.date):
        return {"$date": value.isoformat()}
    if isinstance(value, dict):
        if all(isinstance(k, str) and not k.startswith("$") for k in value):
            return {k: encode_(v, registered) for k, v in value.items()}
        return {"$m": [[encode_(k, registered), encode_(v, registered)] for k, v in value.items()]}
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        cls = type(value)
        fields = {f.name: encode_(getattr(value, f.name), registered) for f in dataclasses.fields(value) if f.init}
        return {"$dc": f"{cls.__module__}:{cls.__qualname__}", "f": fields}
    raise _NotPlainData(type(value).__qualname__)


def decode(value: Any, trusted: frozenset[str], registries: Registries | None = None) -> Any:
    """The inverse of `encode`; a dataclass is rebuilt only from a class of a `trusted` module already imported, a
    registered object is looked up by name."""
    if isinstance(value, list):
        return [decode(v, trusted, registries) for v in value]
    if not isinstance(value, dict):
        return value
    if len(value) == 1:
        (tag, inner), = value.items()
        if tag == "$reg" and registries is not None:
            attribute, name = inner
            if attribute not in _REGISTRIES:
                raise ValueError(f"not a registry: {attribute}")
            found = getattr(registries, attribute).get(name)
            if found is None:
                raise ValueError(f"nothing registered as {name}")
            return found
        if tag == "$d":
            return Decimal(inner)
        if tag == "$t":
            return tuple(decode(v, trusted, registries) for v in inner)
        if tag == "$s":
            return {decode(v, trusted, registries) for v in inner}
        if tag == "$fs":
            return frozenset(decode(v, trusted, registries) for v in inner)
        if tag == "$f":
            return float(inner)
        if tag == "$dt":
            return dt.datetime.fromisoformat(inner)
        if tag == "$date":
            return dt.date.fromisoformat(inner)
        if tag == "$m":
            return {decode(k, trusted, registries): decode(v, trusted, registries) for k, v in inner}
    if set(value) == {"$dc", "f"}:
        module_name, _, qualname = str(value["$dc"]).partition(":")
        module = sys.modules.get(module_name) if module_name in trusted else None
        cls: Any = module
        for part in qualname.split("."):
            cls = getattr(cls, part, None)
        if not (isinstance(cls, type) and dataclasses.is_dataclass(cls)):
            raise ValueError(f"not a trusted dataclass: {value['$dc']}")
        return cls(**{k: decode(v, trusted, registries) for k, v in value["f"].items()})
    return {k: decode(v, trusted, registries) for k, v in value.items()}


def _path(folder: Path, key: str) -> Path:
    return folder / f"{_PREFIX}{key}{_SUFFIX}"


def read(key: str | None, registries: Registries) -> dict[str, CriteriaSet] | None:
    """The cached sets for `key` (not compiled), or None when absent, unreadable, corrupt or of the wrong shape."""
    folder = cache_dir()
    if folder is None or key is None:
        return None
    try:
        with open(_path(folder, key), encoding="utf-8") as fh:
            data = json.load(fh)
        if not (isinstance(data, dict) and data.get("format") == FORMAT and data.get("key") == key):
            return None
        sets = decode(data["sets"], trusted_modules(registries), registries)
        if not (isinstance(sets, dict) and all(isinstance(k, str) and isinstance(v, CriteriaSet) and v.id == k
                                               for k, v in sets.items())):
            return None
        return sets
    except Exception:  # noqa: BLE001 - whatever is wrong with a cache file, the cure is to rebuild it
        return None


def write(key: str | None, sets: dict[str, CriteriaSet], registries: Registries) -> None:
    """Store validated sets under `key` (atomically, readable by the owner only); other entries are kept, the oldest
    beyond MAX_ENTRIES removed. Errors are ignored."""
    folder = cache_dir()
    if folder is None or key is None:
        return
    try:
        plain = {k: dataclasses.replace(v, compiled=None) for k, v in sets.items()}
        text = json.dumps({"format": FORMAT, "key": key, "sets": encode(plain, registered_objects(registries))},
                          ensure_ascii=False)
    except (_NotPlainData, TypeError, ValueError, RecursionError):
        return  # a plugin's rule holds something that is not plain data: validated every time instead
    try:
        folder.mkdir(mode=0o700, parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(dir=folder, prefix=".catalog-", suffix=".tmp")
        try:
            with os.fdopen(fd, "w", encoding="utf-8") as fh:
                fh.write(text)
            os.replace(tmp, _path(folder, key))
        except OSError:
            Path(tmp).unlink(missing_ok=True)
            raise
        entries = sorted(folder.glob(f"{_PREFIX}*{_SUFFIX}"), key=lambda p: p.stat().st_mtime, reverse=True)
        for old in entries[MAX_ENTRIES:]:
            old.unlink(missing_ok=True)
    except OSError:
        return
