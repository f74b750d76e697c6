"""The bounded reader's public API (also used for uploads) and the number grammar, in process."""

from __future__ import annotations

import os
from decimal import Decimal
from pathlib import Path

import pytest

from spcncl_core.errors import InputFileError, SettingsError
from spcncl_core.numbers import to_decimal
from spcncl_core.reading import Limits, check_regular_file, parse_json, parse_yaml, read_bytes, read_document


def message(exc: pytest.ExceptionInfo[InputFileError]) -> str:
    return str(exc.value.problems[0])


def test_read_bytes_reads_a_regular_file_within_its_cap(tmp_path: Path) -> None:
    path = tmp_path / "upload.xlsx"
    path.write_bytes(b"x" * 100)
    assert read_bytes(path, max_bytes=100) == b"x" * 100
    assert check_regular_file(path, max_bytes=100).st_size == 100
    with pytest.raises(InputFileError) as info:
        read_bytes(path, max_bytes=99, label="upload.xlsx")
    assert message(info) == ("upload.xlsx: is too large: 100 bytes, the limit is 99 bytes "
                             "(setting SPCNCL_MAX_FILE_BYTES)")
    with pytest.raises(InputFileError):
        check_regular_file(path, max_bytes=99)


def test_devices_pipes_and_folders_are_refused_without_reading(tmp_path: Path) -> None:
    fifo = tmp_path / "pipe"
    os.mkfifo(fifo)
    for path, what in ((Path("/dev/zero"), "is not a regular file"), (fifo, "is not a regular file"),
                       (tmp_path, "is a folder, not a file")):
        for check in (read_bytes, check_regular_file):
            with pytest.raises(InputFileError) as info:
                check(path)
            assert what in message(info)


def test_limits_come_from_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    assert Limits.from_env() == Limits(5 * 1024 * 1024, 40, 1_000_000)
    monkeypatch.setenv("SPCNCL_MAX_NODES", "12")
    assert Limits.from_env().max_nodes == 12
    monkeypatch.setenv("SPCNCL_MAX_NODES", "-1")
    with pytest.raises(SettingsError, match="SPCNCL_MAX_NODES='-1' must be a positive whole number"):
        Limits.from_env()


def test_yaml_aliases_and_merge_keys_within_the_caps() -> None:
    text = "base: &b {x: 1, y: [1, 2]}\nchild:\n  <<: *b\n  x: 3\ncopy: *b\n"
    assert parse_yaml(text, "t") == {"base": {"x": 1, "y": [1, 2]}, "child": {"x": 3, "y": [1, 2]},
                                     "copy": {"x": 1, "y": [1, 2]}}
    with pytest.raises(InputFileError) as info:
        parse_yaml(text, "t", Limits(max_nodes=12))
    assert "too many values once aliases are expanded (more than 12" in message(info)
    with pytest.raises(InputFileError) as info:
        parse_yaml("a: &a [[[1]]]\nb: [[*a]]\n", "t", Limits(max_depth=4))
    assert message(info).startswith("t: line 2: nested too deeply once aliases are expanded")


def test_json_keys_are_compared_as_json_reads_them() -> None:
    with pytest.raises(InputFileError) as info:
        parse_json('{"a": 1,\n"\\u0061": 2}', "t.json")
    assert message(info) == "t.json: line 2: key 'a' is given twice (lines 1 and 2); keep one"
    assert parse_json('{"a": {"a": 1}, "b": [{"a": 1}, {"a": 2}]}', "t.json")["b"][1] == {"a": 2}


def test_read_document_by_suffix(tmp_path: Path) -> None:
    (tmp_path / "d.json").write_text('{"x": 1.5}', encoding="utf-8")
    (tmp_path / "d.yml").write_text("\ufeffx: 1.5\n", encoding="utf-8")
    assert read_document(tmp_path / "d.json") == read_document(tmp_path / "d.yml") == {"x": 1.5}


@pytest.mark.parametrize(("raw", "value"), [
    (" 2400 ", Decimal(2400)), ("-3.75", Decimal("-3.75")), ("1.5e3", Decimal(1500)), ("0.125", Decimal("0.125")),
    (0.1, Decimal("0.1")), (10**14, Decimal(10**14)), ("999999999999999", Decimal("999999999999999")),
    ("1.50000000000000000000", Decimal("1.5")), (Decimal("-0"), Decimal(0)),
])
def test_numbers_people_write(raw: object, value: Decimal) -> None:
    assert to_decimal(raw) == value


@pytest.mark.parametrize(("raw", "reason"), [
    ("1.000", "ambiguous"), ("12.500", "ambiguous"), ("2.400.000", "no thousands separators"),
    ("1,500", "no thousands separators"), ("1,5", "decimal comma"), ("1e-999999", "decimal places"),
    ("1e999999", "too large"), ("1" * 5000, "too long"), (10**5000, "5001-digit number is too large"),
    (10**15, "too large"), (1e-11, "decimal places"), ("1234567890.1234567", "too many digits"),
    (True, "a boolean"), ([1], "list is not a number"), ("NaN", "not a number"), (float("inf"), "not a finite"),
    ("1_000", "not a number"), ("", "not a number"),
], ids=lambda v: "huge" if isinstance(v, int) and v.bit_length() > 1000 else (v[:12] if isinstance(v, str) else None))
def test_numbers_refused(raw: object, reason: str) -> None:
    with pytest.raises(ValueError, match=reason):
        to_decimal(raw)
