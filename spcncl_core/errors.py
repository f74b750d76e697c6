"""The project's errors: one base class, a few kinds, each message saying what, where and what to do."""

from __future__ import annotations

import difflib
from collections.abc import Iterable, Sequence
from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class Problem:
    """One thing wrong with some input, located by `where` (a file, a path inside it, a field)."""

    where: str
    message: str

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


class PluginError(SpcnclError):
    """A plugin failed to load, or two plugins clash; the message names the plugin(s)."""


class UnknownCriteriaSetError(SpcnclError):
    """No criteria set is registered under the id asked for."""


class NoCriteriaSetError(SpcnclError):
    """No registered criteria set applies to a dossier's jurisdiction, year and product group."""


def did_you_mean(word: str, choices: Iterable[str]) -> str:
    """Return ' (did you mean 'x'?)' for the closest choice, or '' when none is close."""
    close = difflib.get_close_matches(word, list(choices), n=1, cutoff=0.6)
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
