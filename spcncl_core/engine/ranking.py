"""Ranking the evaluations of a round: by total, then the criteria set's tie-breaks; Top N among those that pass."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, tzinfo
from decimal import Decimal

from spcncl_core import clock
from spcncl_core.criteria.model import CriteriaSet, TieBreak
from spcncl_core.engine.evaluate import Evaluation
from spcncl_core.numbers import show


@dataclass(frozen=True, slots=True)
class RankedEntry:
    """A place in the ranking. `tie_break` says how a tie on total with the entry above was settled."""

    position: int
    evaluation: Evaluation
    top: bool
    tie_break: str | None


def _compare(a: Evaluation, b: Evaluation, tie_breaks: Sequence[TieBreak], zone: tzinfo | None = None
             ) -> tuple[int, str | None]:
    """Negative when `a` ranks above `b`; with the reason when totals are equal."""
    assert a.total is not None and b.total is not None
    if a.total != b.total:
        return (-1 if a.total > b.total else 1), None
    for tie in tie_breaks:
        if tie.by == "subtotal":
            x, y = a.subtotals.get(tie.group or "", Decimal(0)), b.subtotals.get(tie.group or "", Decimal(0))
            if x != y:
                return (-1 if x > y else 1), f"tie on total {show(a.total)}: higher {tie.group} subtotal " \
                                             f"({show(max(x, y))} vs {show(min(x, y))})"
        else:
            s, t = a.submitted_at, b.submitted_at
            if s is not None and t is not None and s != t:
                first = min(s, t)
                return (-1 if s < t else 1), f"tie on total {show(a.total)}: earlier submission " \
                                             f"({_when(first, zone)} vs {_when(max(s, t), zone)})"
    return 0, f"tie on total {show(a.total)} not broken by {', '.join(map(str, tie_breaks)) or 'any tie-break'}"


def _sort_key(evaluation: Evaluation, tie_breaks: Sequence[TieBreak]) -> tuple[object, ...]:
    """The order `_compare` defines, as a key: higher total first, then each tie-break (a missing submission time
    after the known ones)."""
    assert evaluation.total is not None
    key: list[object] = [-evaluation.total]
    for tie in tie_breaks:
        if tie.by == "subtotal":
            key.append(-evaluation.subtotals.get(tie.group or "", Decimal(0)))
        else:
            key.append((0, evaluation.submitted_at) if evaluation.submitted_at is not None else (1, 0))
    return tuple(key)


def _when(moment: datetime, zone: tzinfo | None) -> str:
    # an aware (stored, UTC) time is shown as the jurisdiction's officials read it
    if moment.tzinfo is not None and zone is not None:
        moment = moment.astimezone(zone).replace(tzinfo=None)
    return moment.isoformat(sep=" ", timespec="minutes")


def rank(evaluations: Sequence[Evaluation], criteria_set: CriteriaSet, *, all_sets: bool = False
         ) -> list[RankedEntry]:
    """Rank the eligible evaluations of one criteria set; Top N (the set's `top`) is drawn from those that pass.

    With `all_sets`, evaluations of every set are ranked together under `criteria_set`'s Top N and tie-breaks (a
    round whose product groups share one Top 10, as Hanoi's does). Evaluations still tied after every tie-break
    share a position; if such a tie straddles the Nth place, all of them are in the Top N and their `tie_break`
    says so, for the council to settle.
    """
    ties = criteria_set.tie_breaks
    zone = clock.zone(criteria_set.jurisdiction)
    eligible = [e for e in evaluations if e.eligible and (all_sets or e.criteria_set == criteria_set.id)]
    # one sort key per evaluation (no text built while sorting); `_compare`, which says why, runs once per
    # neighbouring pair below
    ordered = sorted(eligible, key=lambda e: _sort_key(e, ties))
    entries: list[RankedEntry] = []
    position = 0
    top_taken = 0
    last_top_position = None
    for index, evaluation in enumerate(ordered):
        reason = None
        if index == 0:
            position = 1
        else:
            order, reason = _compare(ordered[index - 1], evaluation, ties, zone)
            if order != 0:
                position = index + 1
        in_top = False
        if evaluation.passed and criteria_set.top:
            if top_taken < criteria_set.top or position == last_top_position:
                in_top = True
                top_taken += 1
                last_top_position = position
        entries.append(RankedEntry(position, evaluation, in_top, reason))
    return entries
