"""How council members' scores become a product's criterion points and total (điểm bình quân).

`scores` maps each member to the points they gave, criterion by criterion. Criteria nobody scored keep their
preliminary points. Rounding is the engine's job, after aggregation.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from decimal import Decimal

from spcncl_core.numbers import ZERO

MemberScores = Mapping[str, Mapping[str, Decimal]]


@dataclass(frozen=True, slots=True)
class Aggregated:
    """Per-criterion points, the total, and how many members scored each criterion."""

    points: dict[str, Decimal]
    total: Decimal
    scorers: dict[str, int]


AggregateFn = Callable[[Sequence[str], Mapping[str, Decimal], MemberScores], Aggregated]


@dataclass(frozen=True, slots=True)
class Aggregation:
    """A registered aggregation: its name (used in criteria sets), the function, and a description."""

    name: str
    fn: AggregateFn
    description: str


def _per_criterion(criteria: Sequence[str], scores: MemberScores) -> dict[str, list[Decimal]]:
    given: dict[str, list[Decimal]] = {c: [] for c in criteria}
    for member_scores in scores.values():
        for criterion, points in member_scores.items():
            given[criterion].append(points)
    return given


def mean_of_assigned(criteria: Sequence[str], preliminary: Mapping[str, Decimal], scores: MemberScores) -> Aggregated:
    """Each criterion is the mean of the members who scored it; the total is the sum (Hanoi)."""
    given = _per_criterion(criteria, scores)
    points = {c: (sum(v, ZERO) / len(v) if v else preliminary[c]) for c, v in given.items()}
    return Aggregated(points, sum(points.values(), ZERO), {c: len(v) for c, v in given.items()})


def mean_of_totals(criteria: Sequence[str], preliminary: Mapping[str, Decimal], scores: MemberScores) -> Aggregated:
    """Each member's total is the sum of their points; the product's total is the mean of those totals.

    A member's unscored criteria count at their preliminary points, so a partial form is not a zero.
    """
    if not scores:
        return Aggregated(dict(preliminary), sum(preliminary.values(), ZERO), {c: 0 for c in criteria})
    given = _per_criterion(criteria, scores)
    totals = [sum((s.get(c, preliminary[c]) for c in criteria), ZERO) for s in scores.values()]
    points = {c: (sum(v, ZERO) / len(v) if v else preliminary[c]) for c, v in given.items()}
    return Aggregated(points, sum(totals, ZERO) / len(totals), {c: len(v) for c, v in given.items()})


def trimmed_mean_of_totals(criteria: Sequence[str], preliminary: Mapping[str, Decimal],
                           scores: MemberScores) -> Aggregated:
    """As mean-of-totals, but with three or more members the highest and the lowest total are dropped."""
    if len(scores) < 3:
        return mean_of_totals(criteria, preliminary, scores)
    totals = sorted(
        (sum((s.get(c, preliminary[c]) for c in criteria), ZERO), member) for member, s in scores.items()
    )
    kept = {member: scores[member] for _, member in totals[1:-1]}
    return mean_of_totals(criteria, preliminary, kept)


BUILTIN_AGGREGATIONS: tuple[Aggregation, ...] = (
    Aggregation("mean-of-assigned", mean_of_assigned,
                "each criterion: mean of the members who scored it; total: the sum"),
    Aggregation("mean-of-totals", mean_of_totals, "total: mean of the members' totals"),
    Aggregation("trimmed-mean-of-totals", trimmed_mean_of_totals,
                "total: mean of the members' totals without the highest and the lowest (3+ members)"),
)
