"""The hanoi-2023-standard table hand-written in plain Python (exact decimals, no explanations): the yardstick
the engine is measured against, and a cross-check of its totals."""

from __future__ import annotations

from decimal import ROUND_HALF_UP, Decimal
from typing import Any

Z = Decimal(0)
H = Decimal(100)
C = Decimal("0.01")


def _d(value: Any) -> Decimal:
    return Decimal(repr(value)) if isinstance(value, float) else Decimal(value)


def _bands(value: Decimal, levels: tuple[tuple[str, int, int], ...]) -> int:
    for op, threshold, points in levels:
        if (value >= threshold) if op == ">=" else (value > threshold):
            return points
    return 0


def hanoi_2023_standard(i: dict[str, Any]) -> dict[str, Any] | None:
    """The scored table of a dossier on hanoi-2023-standard (criterion points, group subtotals, total, pass), or
    None when a prerequisite fails."""
    revenue = _d(i["product_revenue"])
    if not (i["hanoi_site"] and i["own_production"] and i["years_in_production"] >= 3 and i["no_violations_24m"]
            and i["standards_conformity"] and i["no_ip_infringement"] and _d(i["equity"]) > 0
            and i["dossier_complete"] and revenue >= 100):
        return None
    n3, workers = _d(i["product_revenue_n3"]), _d(i["product_workers"])
    cagr = ((revenue / n3).sqrt() - 1) * H if n3 > 0 else Z
    productivity = revenue / workers if workers else Z
    export_share = _d(i["export_revenue"]) / revenue * H if revenue else Z
    rd_share = _d(i["rd_spend"]) / revenue * H if revenue else Z
    tax_growth = _d(i["tax_paid"]) - _d(i["tax_paid_prev"])
    wage = _d(i["avg_wage_ratio"])
    points = {
        "KT1": _bands(revenue, ((">=", 1000, 10), (">=", 500, 8), (">=", 300, 6), (">=", 200, 4), (">=", 100, 2))),
        "KT2": _bands(cagr, ((">=", 20, 12), (">=", 12, 9), (">=", 7, 6), (">", 0, 3))),
        "KT3": _bands(productivity, ((">=", 3, 3), (">=", 2, 2), (">=", 1, 1))),
        "KT4": _bands(export_share, ((">=", 50, 10), (">=", 30, 8), (">=", 10, 5), (">", 0, 2))),
        "KT5": min(5, (2 if _d(i["profit_before_tax"]) > 0 else 0) + (2 if tax_growth >= 0 else 0)
                   + (0 if i["tax_arrears"] else 1)),
        "CN1": {"automated": 8, "semi_automated": 5, "manual": 2}[i["automation_level"]],
        "CN2": _bands(rd_share, ((">=", 1, 6), (">=", Decimal("0.5"), 4), (">", 0, 2))),
        "CN3": min(8, sum({"iso9001": 3, "conformity": 3, "other_qms": 2}[q] for q in i["quality"])),
        "CN4": min(5, sum({"trademark": 2, "patent_or_design": 2, "award": 1}[q] for q in i["ip"])),
        "MT1": min(8, sum({"permit_compliance": 3, "cleaner_production": 3, "energy_audit": 2}[q]
                          for q in i["environment"])),
        "XH1": min(5, (2 if i["jobs_created"] > 0 else 0)
                   + (2 if wage >= Decimal("1.5") else 1 if wage >= Decimal("1.2") else 0)
                   + (1 if i["social_insurance_full"] else 0)),
        "LT1": min(10, _bands(_d(i["local_content"]), ((">=", 60, 6), (">=", 40, 4), (">=", 20, 2)))
                   + (4 if i["global_supplier"] else 0)),
        "CĐ1": min(5, sum({"erp": 2, "mes": 2, "traceability": 1}[q] for q in i["digital"])),
        "XA1": min(5, sum({"energy_efficiency": 2, "renewable": 2, "emissions_accounting": 1}[q] for q in i["green"])),
    }
    groups: dict[str, int] = {}
    for criterion, value in points.items():
        group = criterion[:2] if criterion not in ("XA1",) else "CĐ"
        groups[group] = groups.get(group, 0) + value
    total = Decimal(sum(points.values())).quantize(C, rounding=ROUND_HALF_UP)
    return {"criteria": points, "subtotals": {g: Decimal(v).quantize(C, rounding=ROUND_HALF_UP)
                                              for g, v in groups.items()},
            "total": total, "passed": total > 70}


GROUPS = {"KT": ("KT1", "KT2", "KT3", "KT4", "KT5"), "CN": ("CN1", "CN2", "CN3", "CN4"), "MT": ("MT1",),
          "XH": ("XH1",), "LT": ("LT1",), "CĐ": ("CĐ1", "XA1")}
COMMON = 2 * 2520  # half points, and any count of members up to 9: every mean is a whole number of 1/COMMON


def _apportion(numerators: dict[str, int], target: int) -> dict[str, int]:
    """Hundredths for each part, adding up to `target`: floors, then one more for the largest remainders."""
    floors = {k: v // COMMON for k, v in numerators.items()}
    extra = target - sum(floors.values())
    for k in sorted(numerators, key=lambda k: -(numerators[k] % COMMON))[:extra]:
        floors[k] += 1
    return floors


def hanoi_2023_council(i: dict[str, Any], scores: dict[str, dict[str, Any]]) -> dict[str, Any] | None:
    """The same table with council scores (criterion points, group subtotals, total, pass), exact: each criterion
    the mean of the members who scored it (half points summed as whole numbers), the total the exact sum rounded
    once half up, the parts shown apportioned so that they add up to it. No explanations."""
    table = hanoi_2023_standard(i)
    if table is None:
        return None
    halves: dict[str, int] = {}
    counts: dict[str, int] = {}
    for given in scores.values():
        for criterion, p in given.items():
            halves[criterion] = halves.get(criterion, 0) + int(p * 2)
            counts[criterion] = counts.get(criterion, 0) + 1
    hundredths = {c: 100 * (halves[c] * (2520 // counts[c]) if c in counts else p * COMMON)
                  for c, p in table["criteria"].items()}
    total = (2 * sum(hundredths.values()) + COMMON) // (2 * COMMON)  # rounded once, half up
    groups = _apportion({g: sum(hundredths[c] for c in members) for g, members in GROUPS.items()}, total)
    shown: dict[str, int] = {}
    for g, members in GROUPS.items():
        shown.update(_apportion({c: hundredths[c] for c in members}, groups[g]))
    total_points = Decimal(total) / 100
    return {"criteria": {c: Decimal(v) / 100 for c, v in shown.items()},
            "subtotals": {g: Decimal(v) / 100 for g, v in groups.items()},
            "total": total_points, "passed": total_points > 70}
