"""How council members' scores become a product's criterion points and total (điểm bình quân).

An aggregation receives a `CouncilSheet`: the members' points criterion by criterion, and what a real rule
needs besides — each criterion's maximum, group and whether it is manual, the group structure, the preliminary
(computed) points. It returns exact values (fractions); the engine rounds once, as the set declares.

No missing score is ever filled in. Each aggregation declares its `coverage`, which the engine checks before
aggregating and reports as bad input naming the member and the criterion:
- `criterion`: every manual criterion is scored by at least one member (a computed criterion no member scored
  keeps its computed points, shown as such);
- `member`: every member who scores the product scores every criterion (needed by totals per member).
"""

from __future__ import annotations

import inspect
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from fractions import Fraction

MemberScores = Mapping[str, Mapping[str, Decimal]]
COVERAGES = ("criterion", "member")


@dataclass(frozen=True, slots=True)
class SheetCriterion:
    """A criterion as an aggregation sees it."""

    id: str
    group: str
    path: tuple[str, ...]
    max_points: Decimal
    manual: bool


@dataclass(frozen=True, slots=True)
class SheetGroup:
    """A group as an aggregation sees it: its parent (None at the top), its maximum and its direct criteria."""

    id: str
    parent: str | None
    max_points: Decimal
    criteria: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class CouncilSheet:
    """Everything an aggregation needs: criteria (in the set's order), groups, preliminary points, scores."""

    criteria: tuple[SheetCriterion, ...]
    groups: tuple[SheetGroup, ...]
    preliminary: Mapping[str, Decimal]
    scores: MemberScores

    @property
    def criterion_ids(self) -> tuple[str, ...]:
        """The criteria's ids, in order."""
        return tuple(c.id for c in self.criteria)


@dataclass(frozen=True, slots=True)
class Aggregated:
    """Exact per-criterion points, how many members scored each criterion, and the total when it is not simply
    the sum of the points (None: the sum)."""

    points: Mapping[str, Fraction | Decimal]
    total: Fraction | Decimal | None
    scorers: Mapping[str, int]


AggregateFn = Callable[[CouncilSheet], Aggregated]


@dataclass(frozen=True, slots=True)
class Aggregation:
    """A registered aggregation: its name (used in criteria sets), the function, a description, its coverage."""

    name: str
    fn: AggregateFn
    description: str
    coverage: str = "criterion"
    builtin: bool = field(default=False, compare=False)


def adapt(fn: Callable[..., Aggregated]) -> AggregateFn:
    """Accept an aggregation written for the former three-argument form `fn(criteria, preliminary, scores)`."""
    try:
        params = inspect.signature(fn).parameters
    except (TypeError, ValueError):
        return fn
    if len(params) != 3:
        return fn

    def legacy(sheet: CouncilSheet) -> Aggregated:
        return fn(list(sheet.criterion_ids), sheet.preliminary, sheet.scores)

    legacy.__wrapped__ = fn  # type: ignore[attr-defined]
    return legacy


def _means(sheet: CouncilSheet, scores: MemberScores) -> tuple[dict[str, Fraction], dict[str, int]]:
    given: dict[str, list[Decimal]] = {c.id: [] for c in sheet.criteria}
    for member_scores in scores.values():
        for criterion, points in member_scores.items():
            given[criterion].append(points)
    points: dict[str, Fraction] = {}
    for cid, values in given.items():
        points[cid] = Fraction(sum(values, Decimal(0))) / len(values) if values \
            else Fraction(sheet.preliminary[cid])
    return points, {c: len(v) for c, v in given.items()}


def mean_of_assigned(sheet: CouncilSheet) -> Aggregated:
    """Each criterion is the mean of the members who scored it; the total is the sum (Hanoi)."""
    points, scorers = _means(sheet, sheet.scores)
    return Aggregated(points, None, scorers)


def mean_of_totals(sheet: CouncilSheet) -> Aggregated:
    """The product's total is the mean of the members' totals. Every member scores every criterion (coverage
    `member`), so each criterion's mean adds up to that total exactly."""
    points, scorers = _means(sheet, sheet.scores)
    return Aggregated(points, None, scorers)


def trimmed_mean_of_totals(sheet: CouncilSheet) -> Aggregated:
    """As mean-of-totals, but with three or more members the highest and the lowest total are dropped (the
    earlier-listed member first on equal totals)."""
    if len(sheet.scores) < 3:
        return mean_of_totals(sheet)
    order = list(sheet.scores)
    totals = sorted((sum(s.values(), Decimal(0)), order.index(m), m) for m, s in sheet.scores.items())
    kept = {member: sheet.scores[member] for _, _, member in totals[1:-1]}
    points, scorers = _means(sheet, kept)
    return Aggregated(points, None, scorers)


BUILTIN_AGGREGATIONS: tuple[Aggregation, ...] = (
    Aggregation("mean-of-assigned", mean_of_assigned,
                "each criterion: mean of the members who scored it; total: the sum", "criterion", True),
    Aggregation("mean-of-totals", mean_of_totals, "total: mean of the members' totals; every member scores "
                "every criterion", "member", True),
    Aggregation("trimmed-mean-of-totals", trimmed_mean_of_totals,
                "total: mean of the members' totals without the highest and the lowest (3+ members)", "member", True),
)


def sheet_of(criteria: Sequence[SheetCriterion], groups: Sequence[SheetGroup], preliminary: Mapping[str, Decimal],
             scores: MemberScores) -> CouncilSheet:
    """Build a sheet (for tests and plugins calling an aggregation directly)."""
    return CouncilSheet(tuple(criteria), tuple(groups), preliminary, scores)

