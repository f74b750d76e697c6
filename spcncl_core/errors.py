"""The project's errors: one base class, a few kinds, each message saying what, where and what to do."""

from __future__ import annotations

import difflib
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

MAX_WHERE, MAX_MESSAGE = 160, 400  # characters of a problem's location and message
MAX_EXCERPT = 40  # characters of a bad value quoted in a message
MAX_HINTS = 20  # did-you-mean searches per reading; further unknown keys get none


def cut(text: str, limit: int) -> str:
    """`text`, shortened in the middle to at most `limit` characters."""
    if len(text) <= limit:
        return text
    head = limit * 3 // 4
    return f"{text[:head]}…{text[len(text) - (limit - head - 1):]}"


def excerpt(value: object, limit: int = MAX_EXCERPT) -> str:
    """A short repr of a value for messages: at most `limit` characters of it, never its whole bulk."""
    if isinstance(value, (dict, list, tuple, set, frozenset)):
        kind = {dict: "a mapping", list: "a list", tuple: "a list", set: "a set", frozenset: "a set"}[type(value)] \
            if type(value) in (dict, list, tuple, set, frozenset) else type(value).__name__
        return f"{kind} of {len(value)} item{'s' if len(value) != 1 else ''}"
    if isinstance(value, int) and not isinstance(value, bool) and value.bit_length() > 128:
        return f"a {int(value.bit_length() * 0.30103) + 1}-digit number"
    if isinstance(value, str) and len(value) > limit:
        return repr(value[:limit]) + f"… ({len(value)} characters)"
    text = repr(value)
    return cut(text, limit)


@dataclass(frozen=True, slots=True)
class Problem:
    """One thing wrong with some input, located by `where` (a file, a path inside it, a field)."""

    where: str
    message: str

    def __post_init__(self) -> None:
        # a hostile value or key must not turn one problem into megabytes of text
        object.__setattr__(self, "where", cut(self.where, MAX_WHERE))
        object.__setattr__(self, "message", cut(self.message, MAX_MESSAGE))

    def __str__(self) -> str:
        return f"{self.where}: {self.message}" if self.where else self.message


class SpcnclError(Exception):
    """Base of every error this library raises on purpose."""


SHOWN_PROBLEMS = 50  # in the message; `problems` holds every one


class ProblemsError(SpcnclError):
    """An error that carries every problem found, not only the first."""

    summary = "invalid input"

    def __init__(self, problems: Sequence[Problem], summary: str | None = None) -> None:
        self.problems: tuple[Problem, ...] = tuple(problems)
        if summary is not None:
            self.summary = summary
        lines = [f"{self.summary} ({len(self.problems)} problem{'s' if len(self.problems) != 1 else ''}):"]
        lines += [f"  {p}" for p in self.problems[:SHOWN_PROBLEMS]]
        if len(self.problems) > SHOWN_PROBLEMS:
            lines.append(f"  … and {len(self.problems) - SHOWN_PROBLEMS} more")
        super().__init__("\n".join(lines))


class CriteriaSetError(ProblemsError):
    """A criteria-set file is malformed; every problem names the file and the path inside it."""

    summary = "invalid criteria set"


class DossierError(ProblemsError):
    """A dossier (its inputs, self-assessment or council scores) is invalid; each problem names its field."""

    summary = "invalid dossier"


class WorkbookError(ProblemsError):
    """An Excel workbook was refused (not a safe .xlsx, or wrong content); each problem names file, sheet and cell."""

    summary = "workbook refused; nothing was written"


class PluginError(SpcnclError):
    """A plugin failed to load, or two plugins clash; the message names the plugin(s)."""


class InputFileError(ProblemsError):
    """A file cannot be read as data: not a regular file, too large, not UTF-8, malformed, too deep, duplicate keys,
    a number out of the grammar's caps. Each problem names the file (and line where known)."""

    summary = "unreadable file"


class SettingsError(SpcnclError):
    """A setting is wrong (a database URL, an environment variable); the message says which and what to do."""


class DatabaseNotReadyError(SpcnclError):
    """The database has no spcncl schema (or an old one): run `spcncl db upgrade`."""


class DatabaseUnavailableError(SpcnclError):
    """The database cannot be reached or opened; the message gives the driver's reason."""


class UnknownCriteriaSetError(SpcnclError):
    """No criteria set is registered under the id asked for."""


class NoCriteriaSetError(SpcnclError):
    """No registered criteria set applies to a dossier's jurisdiction, year and product group."""


def did_you_mean(word: str, choices: Iterable[str]) -> str:
    """Return ' (did you mean 'x'?)' for the closest choice, or '' when none is close (or the word is too long to be
    a slip of the keyboard). Callers hinting at many words stop after MAX_HINTS of them."""
    candidates = [c for c in choices if len(c) <= 64]
    if len(word) > 64 or not candidates:
        return ""
    close = difflib.get_close_matches(word, candidates, n=1, cutoff=0.6)
    return f" (did you mean '{close[0]}'?)" if close else ""


class RecordError(SpcnclError):
    """A request on the records of a round that the rules of the programme refuse; the message says why."""


class NotFoundError(RecordError):
    """No such record (round, dossier, member, certificate, …)."""


class IllegalTransitionError(RecordError):
    """A dossier cannot go from its state to the one asked for; the message lists the allowed transitions."""


class LockedError(RecordError):
    """The record is locked: a round's criteria sets once scoring started, a submitted scoring form, …"""


class StaleEditError(RecordError):
    """Someone else changed the record since it was read (optimistic locking); reload and apply again."""


class PermissionDeniedError(RecordError):
    """The person acting may not do this (a conflicted member, a form that is not theirs, …)."""


class PhaseError(LockedError):
    """The round is not in the phase this needs; the message names the phase needed and what must happen first."""


class DuplicateError(RecordError):
    """The record exists already (a dossier number, a user name, a certificate, …), perhaps added concurrently."""
