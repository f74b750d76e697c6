"""The one bounded reader for data files: dossiers, criteria sets, and (through `read_bytes`) uploads.

Every read is bounded before any work is done: regular files only (a FIFO or a device is refused without being
read), a size cap, UTF-8 only, a nesting-depth cap checked while scanning (never by recursion, so a document nested
30,000 deep is refused instead of crashing the YAML C loader), a cap on nodes *after* YAML alias expansion, computed
from the anchors' sizes before anything is expanded (a "billion laughs" is refused in microseconds), duplicate keys
refused with both line numbers, and numeric literals held to the grammar of `spcncl_core.numbers`.

The caps are settings (environment variables) with defaults, documented in docs/input-limits.md:

- SPCNCL_MAX_FILE_BYTES (default 5 MiB), SPCNCL_MAX_DEPTH (default 40), SPCNCL_MAX_NODES (default 1,000,000).

Public API for other readers (e.g. uploads): `Limits`, `check_regular_file`, `read_bytes`, `decode_text`,
`parse_json`, `parse_yaml`, `read_document`. Each raises `InputFileError` (a `ProblemsError`: bad input).
"""

from __future__ import annotations

import functools
import json
import os
import re
import stat
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from importlib.resources.abc import Traversable
from pathlib import Path
from typing import Any

from spcncl_core.errors import InputFileError, Problem, cut
from spcncl_core.numbers import MAX_INTEGER_DIGITS, MAX_NUMBER_TEXT, check_decimal, excerpt_number

MAX_BYTES_ENV, MAX_DEPTH_ENV, MAX_NODES_ENV = "SPCNCL_MAX_FILE_BYTES", "SPCNCL_MAX_DEPTH", "SPCNCL_MAX_NODES"
DEFAULT_MAX_BYTES, DEFAULT_MAX_DEPTH, DEFAULT_MAX_NODES = 5 * 1024 * 1024, 40, 1_000_000


@dataclass(frozen=True)
class Limits:
    """The caps of one read. `Limits.from_env()` reads the settings; pass your own for e.g. uploads."""

    max_bytes: int = DEFAULT_MAX_BYTES
    max_depth: int = DEFAULT_MAX_DEPTH
    max_nodes: int = DEFAULT_MAX_NODES

    @classmethod
    def from_env(cls) -> Limits:
        """The caps set by SPCNCL_MAX_FILE_BYTES, SPCNCL_MAX_DEPTH and SPCNCL_MAX_NODES, else the defaults."""
        return cls(_env_int(MAX_BYTES_ENV, DEFAULT_MAX_BYTES), _env_int(MAX_DEPTH_ENV, DEFAULT_MAX_DEPTH),
                   _env_int(MAX_NODES_ENV, DEFAULT_MAX_NODES))


def _env_int(name: str, default: int) -> int:
    raw = os.environ.get(name, "").strip()
    if not raw:
        return default
    if not raw.isdigit() or int(raw) <= 0:
        from spcncl_core.errors import SettingsError

        raise SettingsError(f"{name}={cut(raw, 30)!r} must be a positive whole number (default {default})")
    return int(raw)


def _fail(where: str, message: str) -> InputFileError:
    return InputFileError([Problem(where, message)])


def _size_text(n: int) -> str:
    return f"{n / 1024 / 1024:.1f} MiB" if n >= 1024 * 1024 else f"{n:,} bytes".replace(",", " ")


def check_regular_file(path: str | os.PathLike[str], max_bytes: int | None = None,
                       label: str | None = None) -> os.stat_result:
    """Refuse anything but a regular file of at most `max_bytes` (default: the SPCNCL_MAX_FILE_BYTES setting),
    without opening it for reading; return its stat. Raises InputFileError naming the file."""
    where = label or str(path)
    limit = max_bytes if max_bytes is not None else Limits.from_env().max_bytes
    try:
        st = os.stat(path)
    except OSError as exc:
        raise _fail(where, f"cannot read the file: {exc.strerror or exc}") from None
    _check_stat(st, where, limit)
    return st


def _check_stat(st: os.stat_result, where: str, limit: int) -> None:
    if stat.S_ISDIR(st.st_mode):
        raise _fail(where, "is a folder, not a file")
    if not stat.S_ISREG(st.st_mode):
        raise _fail(where, "is not a regular file (a device, pipe or socket is never read)")
    if st.st_size > limit:
        raise _fail(where, f"is too large: {_size_text(st.st_size)}, the limit is {_size_text(limit)} "
                           f"(setting {MAX_BYTES_ENV})")


def read_bytes(source: str | os.PathLike[str] | Traversable, max_bytes: int | None = None,
               label: str | None = None) -> bytes:
    """The bytes of a regular file, at most `max_bytes` of them (default: the SPCNCL_MAX_FILE_BYTES setting).

    A FIFO, a device (/dev/zero) or a folder is refused without reading; a file that grows past the cap while being
    read is refused too. Raises InputFileError naming the file.
    """
    where = label or str(source)
    limit = max_bytes if max_bytes is not None else Limits.from_env().max_bytes
    if isinstance(source, Traversable) and not isinstance(source, (Path, os.PathLike)):
        try:  # a resource inside a zip file or similar: no stat, but the read is still bounded
            with source.open("rb") as fh:
                data = fh.read(limit + 1)
        except OSError as exc:
            raise _fail(where, f"cannot read the file: {exc.strerror or exc}") from None
    else:
        try:  # O_NONBLOCK: opening a FIFO must not wait for a writer; fstat then refuses it
            fd = os.open(source, os.O_RDONLY | os.O_NONBLOCK | getattr(os, "O_NOCTTY", 0))
        except OSError as exc:
            raise _fail(where, f"cannot read the file: {exc.strerror or exc}") from None
        try:
            _check_stat(os.fstat(fd), where, limit)
            chunks, size = [], 0
            while size <= limit:
                chunk = os.read(fd, min(1 << 20, limit + 1 - size))
                if not chunk:
                    break
                chunks.append(chunk)
                size += len(chunk)
            data = b"".join(chunks)
        except OSError as exc:
            raise _fail(where, f"cannot read the file: {exc.strerror or exc}") from None
        finally:
            os.close(fd)
    if len(data) > limit:
        raise _fail(where, f"is too large: more than {_size_text(limit)} (setting {MAX_BYTES_ENV})")
    return data


def decode_text(data: bytes, label: str) -> str:
    """UTF-8 text (a leading byte-order mark is dropped); anything else is refused with the place of the bad byte."""
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as exc:
        line = data.count(b"\n", 0, exc.start) + 1
        raise _fail(f"{label}: line {line}", f"is not UTF-8 text (byte 0x{data[exc.start]:02x}); save the file as "
                                             "UTF-8") from None
    return text[1:] if text.startswith("\ufeff") else text


def read_document(source: str | os.PathLike[str] | Traversable, label: str | None = None,
                  limits: Limits | None = None, fmt: str | None = None) -> Any:
    """Read a JSON (`.json`) or YAML (anything else) file within the limits; `fmt` ("json"/"yaml") overrides the
    suffix. Raises InputFileError naming the file, and the line where known."""
    limits = limits or Limits.from_env()
    where = label or str(source)
    name = getattr(source, "name", None) or str(source)
    kind = fmt or ("json" if str(name).lower().endswith(".json") else "yaml")
    text = decode_text(read_bytes(source, limits.max_bytes, where), where)
    return parse_json(text, where, limits) if kind == "json" else parse_yaml(text, where, limits)


def check_structure(value: Any, label: str, limits: Limits | None = None) -> None:
    """Hold a document built in Python (e.g. a plugin's `add_document`) to the same depth and size caps, walking it
    without recursion (a self-referencing mapping is refused as too deep). Raises InputFileError."""
    limits = limits or Limits.from_env()
    stack: list[tuple[Any, int]] = [(value, 0)]
    nodes = 0
    while stack:
        item, depth = stack.pop()
        nodes += 1
        if nodes > limits.max_nodes:
            raise _fail(label, f"has too many values (more than {limits.max_nodes:,}; setting {MAX_NODES_ENV})")
        if isinstance(item, dict):
            children: Any = item.values()
        elif isinstance(item, (list, tuple)):
            children = item
        else:
            continue
        if depth >= limits.max_depth:
            raise _fail(label, f"nested too deeply (more than {limits.max_depth} levels; setting {MAX_DEPTH_ENV})")
        stack.extend((child, depth + 1) for child in children)


# --- JSON -----------------------------------------------------------------------------------------------------

_JSON_TOKEN = re.compile(r'"((?:[^"\\]++|\\.)*+)"(\s*:)?|([{\[])|([}\]])|(-?\d[\d.eE+\-]*)')


def parse_json(text: str, label: str, limits: Limits | None = None) -> Any:
    """Parse JSON text within the limits: depth, node count, duplicate keys and numbers are checked in one linear
    scan before the standard parser runs. Raises InputFileError."""
    limits = limits or Limits.from_env()
    _scan_json(text, label, limits)
    try:
        return json.loads(text, parse_int=_json_int, parse_float=_json_float, parse_constant=_json_constant)
    except json.JSONDecodeError as exc:
        raise _fail(f"{label}: line {exc.lineno}, column {exc.colno}", f"not valid JSON: {exc.msg}") from None
    except _NumberError as exc:  # pragma: no cover - the scan reports these first, with their line
        raise _fail(label, str(exc)) from None
    except RecursionError:  # pragma: no cover - the scan's depth cap comes first
        raise _fail(label, f"nested too deeply (more than {limits.max_depth} levels)") from None


def _line(text: str, pos: int) -> int:
    return text.count("\n", 0, pos) + 1


def _scan_json(text: str, label: str, limits: Limits) -> None:
    stack: list[dict[str, int] | None] = []  # per open container: an object's keys → position, or None for a list
    nodes = 0
    for match in _JSON_TOKEN.finditer(text):
        key_text, colon, opening, closing, number = match.groups()
        if opening:
            nodes += 1
            if len(stack) >= limits.max_depth:
                raise _fail(f"{label}: line {_line(text, match.start())}",
                            f"nested too deeply (more than {limits.max_depth} levels; setting {MAX_DEPTH_ENV})")
            stack.append({} if opening == "{" else None)
        elif closing:
            if stack:
                stack.pop()
        elif number is not None:
            nodes += 1
            if len(number) < MAX_INTEGER_DIGITS and number.lstrip("-").isdigit():
                pass  # the common case, within every cap
            else:
                try:
                    _check_literal(number)
                except ValueError as exc:
                    raise _fail(f"{label}: line {_line(text, match.start())}", str(exc)) from None
        else:
            nodes += 1
            keys = stack[-1] if stack else None
            if colon and keys is not None:
                if "\\" in key_text:  # escapes: compare keys as JSON reads them ("\u0061" is "a")
                    try:
                        key = json.loads(f'"{key_text}"')
                    except ValueError:
                        continue  # the parser reports it
                else:
                    key = key_text
                if key in keys:
                    first, second = _line(text, keys[key]), _line(text, match.start())
                    raise _fail(f"{label}: line {second}", f"key {_key(key)} is given twice (lines {first} and "
                                                           f"{second}); keep one")
                keys[key] = match.start()
        if nodes > limits.max_nodes:
            raise _fail(label, f"has too many values (more than {limits.max_nodes:,}; setting {MAX_NODES_ENV})")


def _key(key: object) -> str:
    text = repr(key)
    return text if len(text) <= 60 else text[:50] + "…"


class _NumberError(ValueError):
    pass


def _check_literal(text: str) -> Decimal:
    """Check a number literal of JSON or YAML against the grammar's caps (before Python converts it)."""
    if len(text) > MAX_NUMBER_TEXT:
        raise _NumberError(f"number {excerpt_number(text)} is too long")
    try:
        value = Decimal(text.replace("_", ""))
    except InvalidOperation:
        raise _NumberError(f"{excerpt_number(text)} is not a number") from None
    try:
        return check_decimal(value, f"number {excerpt_number(text)}")
    except ValueError as exc:
        raise _NumberError(str(exc)) from None


def _json_int(text: str) -> int:
    if len(text) >= MAX_INTEGER_DIGITS:  # the scan checked every literal; this is a second guard
        _check_literal(text)
    return int(text)


def _json_float(text: str) -> float:
    _check_literal(text)
    return float(text)


def _json_constant(text: str) -> Any:
    raise _NumberError(f"{text} is not a number JSON allows")


# --- YAML (imported on first use: a JSON dossier with a cached catalog never needs PyYAML) ---------------------

_MERGE_TAG = "tag:yaml.org,2002:merge"


class _YamlProblem(Exception):
    def __init__(self, node: Any, message: str) -> None:
        super().__init__(message)
        self.line = node.start_mark.line + 1


@functools.cache
def _loaders() -> tuple[Any, Any]:
    """(the safe base loader, the bounded loader) classes, built on first use."""
    import yaml

    try:  # the C parser is several times faster; fall back when PyYAML was built without libyaml
        base: Any = yaml.CSafeLoader
    except AttributeError:  # pragma: no cover
        base = yaml.SafeLoader

    class BoundedLoader(base):  # type: ignore[misc, valid-type]
        """The safe loader, refusing duplicate keys (with both lines) and numbers outside the grammar's caps."""

        def construct_mapping(self, node: Any, deep: bool = False) -> dict[Any, Any]:
            seen: dict[Any, int] = {}
            for key_node, _ in node.value:
                if key_node.tag == _MERGE_TAG:
                    continue
                if not isinstance(key_node, yaml.ScalarNode):
                    raise _YamlProblem(key_node, "a key must be a plain text or number, not a list or mapping")
                key = self.construct_object(key_node, deep=True)
                line = key_node.start_mark.line + 1
                try:
                    first = seen.get(key)
                except TypeError:  # pragma: no cover - scalars are hashable
                    continue
                if first is not None:
                    raise _YamlProblem(key_node, f"key {_key(key)} is given twice (lines {first} and {line}); "
                                                 "keep one")
                seen[key] = line
            return super().construct_mapping(node, deep=deep)  # type: ignore[no-any-return]

        def construct_yaml_int(self, node: Any) -> int:
            text = str(node.value)
            if len(text) > MAX_NUMBER_TEXT:
                raise _YamlProblem(node, f"number {excerpt_number(text)} is too long")
            value = super().construct_yaml_int(node)
            try:
                check_decimal(Decimal(value), f"number {excerpt_number(text)}")
            except ValueError as exc:
                raise _YamlProblem(node, str(exc)) from None
            return value  # type: ignore[no-any-return]

        def construct_yaml_float(self, node: Any) -> float:
            text = str(node.value)
            if len(text) > MAX_NUMBER_TEXT:
                raise _YamlProblem(node, f"number {excerpt_number(text)} is too long")
            value = super().construct_yaml_float(node)
            if value != value or value in (float("inf"), float("-inf")):
                raise _YamlProblem(node, f"{text} is not a finite number")
            try:  # the caps apply to the digits as written, so that what is read is exactly what was meant
                exact = Decimal(text.replace("_", ""))
            except InvalidOperation:
                exact = Decimal(repr(value))  # sexagesimal (1:30.5)
            try:
                check_decimal(exact, f"number {excerpt_number(text)}")
            except ValueError as exc:
                raise _YamlProblem(node, str(exc)) from None
            return value  # type: ignore[no-any-return]

    BoundedLoader.add_constructor("tag:yaml.org,2002:int", BoundedLoader.construct_yaml_int)
    BoundedLoader.add_constructor("tag:yaml.org,2002:float", BoundedLoader.construct_yaml_float)
    return base, BoundedLoader


def parse_yaml(text: str, label: str, limits: Limits | None = None) -> Any:
    """Parse one YAML document within the limits. Depth and the size after alias expansion are computed from the
    parser's events (no recursion, nothing expanded) before the document is composed. Raises InputFileError."""
    import yaml

    limits = limits or Limits.from_env()
    _scan_yaml(text, label, limits)
    try:
        return yaml.load(text, Loader=_loaders()[1])  # noqa: S506 - a safe loader
    except _YamlProblem as exc:
        raise _fail(f"{label}: line {exc.line}", str(exc)) from None
    except yaml.YAMLError as exc:
        raise _yaml_error(exc, label) from None
    except RecursionError:  # pragma: no cover - the scan's depth cap comes first
        raise _fail(label, f"nested too deeply (more than {limits.max_depth} levels)") from None


def _yaml_error(exc: Exception, label: str) -> InputFileError:
    mark = getattr(exc, "problem_mark", None)
    where = f"{label}: line {mark.line + 1}, column {mark.column + 1}" if mark else label
    return _fail(where, f"not valid YAML: {getattr(exc, 'problem', None) or exc}")


def _scan_yaml(text: str, label: str, limits: Limits) -> None:
    import yaml

    loader = _loaders()[0](text)
    # per open container: [expanded size so far, height below it, its anchor]
    stack: list[list[Any]] = []
    anchors: dict[str, tuple[int, int]] = {}  # anchor → (expanded size, height)
    total = documents = 0

    def fail(event: Any, message: str) -> InputFileError:
        return _fail(f"{label}: line {event.start_mark.line + 1}", message)

    def add(event: Any, size: int, height: int, anchor: str | None) -> None:
        if anchor:
            anchors[anchor] = (size, height)
        if stack:
            frame = stack[-1]
            frame[0] += size
            frame[1] = max(frame[1], height + 1)
            if len(stack) + height > limits.max_depth:
                raise fail(event, f"nested too deeply once aliases are expanded (more than {limits.max_depth} "
                                  f"levels; setting {MAX_DEPTH_ENV})")

    try:
        while loader.check_event():
            event = loader.get_event()
            if isinstance(event, (yaml.MappingStartEvent, yaml.SequenceStartEvent)):
                total += 1
                if len(stack) >= limits.max_depth:
                    raise fail(event, f"nested too deeply (more than {limits.max_depth} levels; setting "
                                      f"{MAX_DEPTH_ENV})")
                stack.append([1, 0, event.anchor])
            elif isinstance(event, (yaml.MappingEndEvent, yaml.SequenceEndEvent)):
                size, height, anchor = stack.pop()
                add(event, size, height, anchor)
            elif isinstance(event, yaml.ScalarEvent):
                total += 1
                add(event, 1, 0, event.anchor)
            elif isinstance(event, yaml.AliasEvent):
                size, height = anchors.get(event.anchor, (1, 0))  # an unknown anchor: the composer reports it
                total += size
                add(event, size, height, None)
            elif isinstance(event, yaml.DocumentStartEvent):
                documents += 1
                if documents > 1:
                    raise fail(event, "holds more than one YAML document (---); give one per file")
            if total > limits.max_nodes:
                raise fail(event, f"has too many values once aliases are expanded (more than "
                                  f"{limits.max_nodes:,}; setting {MAX_NODES_ENV})")
    except yaml.YAMLError as exc:
        raise _yaml_error(exc, label) from None
    finally:
        loader.dispose()
