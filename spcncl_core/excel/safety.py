"""Reading uploaded workbooks safely: refuse what is not a plain .xlsx, check the zip before openpyxl parses it,
cap rows and cells, bound the parse time; and writing text so that it can never become a formula.

openpyxl parses XML through defusedxml when it is installed (a dependency of spcncl): entity declarations are
refused. `read_grids` also refuses a DOCTYPE before openpyxl sees the XML, so the message is clear.
"""

from __future__ import annotations

import signal
import sys
import threading
import time
import zipfile
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from spcncl_core.errors import InputFileError, Problem, WorkbookError
from spcncl_core.reading import check_regular_file

MAX_FILE_BYTES = 20 * 1024 * 1024
MAX_MEMBERS = 500
MAX_UNCOMPRESSED = 100 * 1024 * 1024
MAX_RATIO = 100  # uncompressed ÷ compressed, per zip member (sheet XML of real workbooks stays under ~30)
MAX_ROWS = 20_000
MAX_CELLS = 2_000_000
MAX_SECONDS = 30.0
# parts openpyxl parses whole before the first row (shared strings, styles): the time limit cannot cut them where
# it cannot fire (a web worker's thread), so their size is capped instead (16 MB parse in about 9 s)
MAX_PARSED_WHOLE = 16 * 1024 * 1024
PARSED_WHOLE = ("xl/sharedStrings.xml", "xl/styles.xml")

XLSX_MAIN = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml"
MACRO_MAIN = "application/vnd.ms-excel.sheet.macroEnabled.main+xml"
OLE_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
ENCRYPTED_MARK = "EncryptionInfo".encode("utf-16-le")
SAVE_AS = "save it in Excel as “Excel Workbook (.xlsx)” and import that file"
FORMULA_STARTS = ("=", "+", "-", "@")


@dataclass(frozen=True)
class Limits:
    """Caps on an uploaded workbook; the defaults suit a round of a few thousand dossiers."""

    file_bytes: int = MAX_FILE_BYTES
    members: int = MAX_MEMBERS
    uncompressed: int = MAX_UNCOMPRESSED
    ratio: int = MAX_RATIO
    rows: int = MAX_ROWS
    cells: int = MAX_CELLS
    seconds: float = MAX_SECONDS
    parsed_whole: int = MAX_PARSED_WHOLE


DEFAULT_LIMITS = Limits()


def _refuse(path: Path, message: str) -> WorkbookError:
    return WorkbookError([Problem(path.name, message)])


def check_upload(path: str | Path, limits: Limits = DEFAULT_LIMITS) -> None:
    """Refuse a file that is not a plain, reasonably sized .xlsx, before any XML is parsed (WorkbookError)."""
    path = Path(path)
    try:  # the project's bounded reader: a folder, FIFO, device or socket is refused without being opened
        size = check_regular_file(path, max_bytes=sys.maxsize, label=path.name).st_size
    except InputFileError as exc:
        raise WorkbookError(exc.problems) from None
    if size > limits.file_bytes:
        raise _refuse(path, f"the file is {size / 1048576:.1f} MB; the limit is {limits.file_bytes // 1048576} MB")
    try:
        with path.open("rb") as handle:
            head = handle.read(8)
            ole_body = handle.read(min(size, 1024 * 1024)) if head == OLE_MAGIC else b""
    except OSError as exc:
        raise _refuse(path, f"cannot read the file: {exc.strerror or exc}") from None
    if head == OLE_MAGIC:
        if ENCRYPTED_MARK in ole_body:
            raise _refuse(path, "the workbook is encrypted (password-protected): remove the password, then "
                                f"{SAVE_AS}")
        raise _refuse(path, f"an old Excel 97–2003 workbook (.xls) is not accepted: {SAVE_AS}")
    if not head.startswith(b"PK\x03\x04"):
        kind = "a CSV or text file, not" if _looks_textual(head) else "not"
        raise _refuse(path, f"{kind} an Excel workbook (.xlsx): {SAVE_AS}")
    try:
        with zipfile.ZipFile(path) as archive:
            members = archive.infolist()
            if len(members) > limits.members:
                raise _refuse(path, f"the workbook holds {len(members)} parts; the limit is {limits.members}")
            names = {m.filename for m in members}
            if "[Content_Types].xml" not in names or "xl/workbook.xml" not in names:
                raise _refuse(path, f"a zip archive, not an Excel workbook (.xlsx): {SAVE_AS}")
            total = 0
            for member in members:
                total += member.file_size
                if member.filename in PARSED_WHOLE and member.file_size > limits.parsed_whole:
                    raise _refuse(path, f"part {member.filename} is {member.file_size / 1048576:.0f} MB (limit "
                                        f"{limits.parsed_whole // 1048576} MB): too much text or formatting for an "
                                        "import; remove unused sheets and formatting")
                ratio = member.file_size // max(member.compress_size, 1)
                if member.file_size > 1024 * 1024 and ratio > limits.ratio:
                    raise _refuse(path, f"part {member.filename} expands {ratio}× (limit {limits.ratio}×): refused "
                                        "as a possible zip bomb")
            if total > limits.uncompressed:
                raise _refuse(path, f"the workbook expands to {total / 1048576:.0f} MB (limit "
                                    f"{limits.uncompressed // 1048576} MB): refused")
            types = archive.read("[Content_Types].xml")
            if MACRO_MAIN.encode() in types or "xl/vbaProject.bin" in names:
                raise _refuse(path, f"a macro-enabled workbook (.xlsm) is not accepted: {SAVE_AS} without macros")
            if XLSX_MAIN.encode() not in types:
                raise _refuse(path, f"not an Excel workbook (.xlsx) (a template or another Office format): {SAVE_AS}")
            for member in members:  # a clear message first; defusedxml refuses entities wherever they hide
                if member.filename.endswith((".xml", ".rels", ".vml")):
                    with archive.open(member) as part:
                        start = part.read(2048)
                    if b"<!DOCTYPE" in start or b"<!ENTITY" in start:
                        raise _refuse(path, f"part {member.filename} declares a DOCTYPE or entities (an XML attack): "
                                            "refused")
    except zipfile.BadZipFile as exc:
        raise _refuse(path, f"a damaged zip archive ({exc}): {SAVE_AS}") from None


def _looks_textual(head: bytes) -> bool:
    try:
        head.decode("utf-8")
    except UnicodeDecodeError:
        return head.startswith((b"\xef\xbb\xbf", b"\xff\xfe", b"\xfe\xff"))
    return True


class _Timeout(Exception):
    pass


class Alarm:
    """Whether the time limit fired: the interrupt can surface from inside a parser as another exception."""

    fired = False


@contextmanager
def time_limit(seconds: float) -> Iterator[Alarm]:
    """Interrupt the block after `seconds` (an alarm signal in the main thread; elsewhere a no-op, and the
    callers' per-row checks bound the time)."""
    state = Alarm()
    if threading.current_thread() is not threading.main_thread() or not hasattr(signal, "setitimer"):
        yield state
        return

    def alarm(_signum: int, _frame: Any) -> None:
        state.fired = True
        raise _Timeout()

    previous = signal.signal(signal.SIGALRM, alarm)
    signal.setitimer(signal.ITIMER_REAL, seconds)
    try:
        yield state
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, previous)


Grid = list[tuple[Any, ...]]


PROGRESS_ROWS = 256  # rows read between two progress reports (and time checks)


def read_grids(path: str | Path, limits: Limits = DEFAULT_LIMITS,
               sheets: Callable[[str], bool] | None = None,
               progress: Callable[[int, int], None] | None = None) -> dict[str, Grid]:
    """Every sheet's cell values (rows of tuples; formulas as their text), after `check_upload`, in read-only mode,
    with the row, cell and time caps. `sheets` picks which sheets to read (all by default). `progress(done, total)`
    hears the rows read every few hundred rows; `total` is what the sheets declare (an estimate, never trusted for
    reading), and the last call says every row read (`done == total`)."""
    path = Path(path)
    check_upload(path, limits)
    from defusedxml.common import DefusedXmlException
    from openpyxl import load_workbook

    grids: dict[str, Grid] = {}
    started = time.monotonic()
    cells = 0
    alarm = Alarm()
    try:
        with time_limit(limits.seconds) as alarm:
            workbook = load_workbook(path, read_only=True, data_only=False, keep_links=False)
            try:
                chosen = [s for s in workbook.worksheets if sheets is None or sheets(s.title)]
                declared = sum(min(s.max_row or 0, limits.rows) for s in chosen)  # for progress only
                done = 0
                for sheet in chosen:
                    rows: Grid = []
                    sheet.reset_dimensions()  # a crafted dimension (A1:XFD1048576) would pad every row
                    for row in sheet.iter_rows(values_only=True):
                        rows.append(row)
                        cells += len(row)
                        if len(rows) > limits.rows:
                            raise _refuse(path, f"sheet {sheet.title} has more than {limits.rows:,} rows: refused")
                        if cells > limits.cells:
                            raise _refuse(path, f"the workbook has more than {limits.cells:,} cells: refused")
                        if len(rows) % PROGRESS_ROWS == 0:
                            if time.monotonic() - started > limits.seconds:
                                raise _Timeout()
                            if progress is not None:
                                progress(done + len(rows), max(declared, done + len(rows)))
                    done += len(rows)
                    while rows and not any(v is not None for v in rows[-1]):
                        rows.pop()
                    grids[sheet.title] = rows
                if progress is not None:
                    progress(done, done)
            finally:
                workbook.close()
    except _Timeout:
        raise _refuse(path, f"reading the workbook took longer than {limits.seconds:g} s: refused") from None
    except DefusedXmlException:
        raise _refuse(path, "the workbook's XML declares entities (an XML attack): refused") from None
    except WorkbookError:
        raise
    except (KeyError, ValueError, TypeError, zipfile.BadZipFile, OSError) as exc:
        if alarm.fired:  # the interrupt came out of the parser as another error
            raise _refuse(path, f"reading the workbook took longer than {limits.seconds:g} s: refused") from None
        if isinstance(exc.__cause__ or exc.__context__, DefusedXmlException):
            raise _refuse(path, "the workbook's XML declares entities (an XML attack): refused") from None
        raise _refuse(path, f"cannot read the workbook ({type(exc).__name__}: {exc}): {SAVE_AS}") from None
    return grids


def safe_text(cell: Any, value: str | None) -> Any:
    """Put text in a cell as text: a value beginning with = + - @ is stored as a string with a quote prefix,
    never as a formula (CSV/formula injection)."""
    cell.value = value
    if isinstance(value, str) and value.startswith(FORMULA_STARTS):
        cell.data_type = "s"
        cell.quotePrefix = True
    return cell
