"""The example dossiers in examples/dossiers, with totals worked out by hand from DOMAIN.md's tables.

Each expected line restates the table: e.g. KT1 "product_revenue 1250 ≥ 1000 → 15". None of these numbers comes
from the engine.
"""

from __future__ import annotations

from decimal import Decimal

import pytest
from conftest import EXAMPLES

from spcncl_core import Catalog, read_dossier_file

# file → (criteria set, eligible, passed, total, {criterion: points} worked by hand)
EXPECTED = {
    "hanoi-2019-rang-dong-led.json": ("hanoi-2018-standard", True, True, "84", {
        "KT1": 15,  # revenue 1250 ≥ 1000
        "KT2": 12,  # cagr (1250/800)^(1/2) = 1.25 → 25 % ≥ 20
        "KT3": 6,   # 1250 / 500 = 2.5 ≥ 2
        "KT4": 5,   # 200 / 1250 = 16 % ≥ 10
        "KT5": 5,   # profit 80 > 0: 2; tax 60 − 55 ≥ 0: 2; no arrears: 1
        "CN1": 8,   # automated
        "CN2": 6,   # 15 / 1250 = 1.2 % ≥ 1
        "CN3": 6,   # iso9001 3 + conformity 3
        "CN4": 4,   # trademark 2 + patent 2
        "MT1": 6,   # permit 3 + cleaner production 3
        "XH1": 5,   # jobs 40 > 0: 2; wage 1.6 ≥ 1.5: 2; insurance: 1
        "LT1": 6,   # local content 70 ≥ 60: 6; not a global supplier
    }),
    "hanoi-2019-ineligible.yaml": ("hanoi-2018-standard", False, False, None, {}),
    "hanoi-2020-innoviti-smart-lock.json": ("hanoi-2018-high-tech", True, False, "68", {
        "KT1": 6,   # 64 ≥ 50
        "KT2": 10,  # (64/40)^(1/2) = 1.2649 → 26.5 % ≥ 20
        "KT3": 3,   # 64 / 40 = 1.6 ≥ 1.5
        "KT4": 0,   # no exports
        "KT5": 3,   # profit: 2; taxes fell 4 → 3: 0; no arrears: 1
        "CN1": 5,   # semi-automated
        "CN2": 12,  # 3.2 / 64 = 5 % ≥ 5
        "CN3": 3,   # iso9001
        "CN4": 8,   # patent 4 + trademark 2 + award 2
        "MT1": 2,   # permit
        "XH1": 2,   # no jobs: 0; wage 1.3 ≥ 1.2: 1; insurance: 1
        "LT1": 8,   # local content 45 ≥ 40: 4; global supplier: 4
        "CN5": 6,   # S&T staff 35 ≥ 30
    }),
    "hanoi-2020-high-tech-boundaries.yaml": ("hanoi-2018-high-tech", True, True, "94", {
        "KT1": 8,   # 288 ≥ 100 (not ≥ 300)
        "KT2": 10,  # (288/200)^(1/2) = 1.2 → exactly 20 % ≥ 20
        "KT3": 6,   # 288 / 64 = 4.5 ≥ 4.5
        "KT4": 8,   # 144 / 288 = exactly 50 % ≥ 50
        "KT5": 4,   # profit: 2; tax 10 − 8 ≥ 0: 1; no arrears: 1
        "CN1": 8,
        "CN2": 12,  # 14.4 / 288 = exactly 5 % ≥ 5
        "CN3": 8,   # 3 + 3 + 2
        "CN4": 4,   # patent 4
        "MT1": 6,   # 2 + 2 + 2
        "XH1": 4,   # jobs: 1; wage 1.5 ≥ 1.5: 2; insurance: 1
        "LT1": 10,  # 60 ≥ 60: 6; global: 4
        "CN5": 6,   # 30 ≥ 30
    }),
    "hanoi-2021-delisted-item.json": ("hanoi-2021-standard", True, False, "26", {
        "KT1": 3,   # 150 ≥ 100
        "KT2": 0,   # 150 → 150: growth 0, not > 0
        "KT3": 4,   # 150 / 100 = 1.5 ≥ 1
        "KT4": 10,  # 75 / 150 = 50 %
        "KT5": 2,   # loss: 0; taxes flat 2 → 2 ≥ 0: 2; arrears: 0
        "CN1": 2,   # manual
        "CN2": 0,   # no R&D
        "CN3": 0,
        "CN4": 1,   # award
        "MT1": 0,
        "XH1": 2,   # jobs 5: 2; wage 1.19 < 1.2: 0; no full insurance: 0
        "LT1": 2,   # 20 ≥ 20: 2
    }),
    "hanoi-2022-cadisun-cable.yaml": ("hanoi-2021-standard", True, False, "70", {
        "KT1": 12,  # 500 ≥ 500
        "KT2": 6,   # (500/400)^(1/2) = 1.118 → 11.8 % ≥ 7
        "KT3": 6,   # 500 / 250 = 2 ≥ 2
        "KT4": 5,   # 50 / 500 = 10 % ≥ 10
        "KT5": 3,   # profit: 2; taxes fell 6 → 5: 0; no arrears: 1
        "CN1": 5,   # semi-automated
        "CN2": 4,   # 2.5 / 500 = 0.5 % ≥ 0.5
        "CN3": 6,   # 3 + 3
        "CN4": 3,   # trademark 2 + award 1
        "MT1": 8,   # 3 + 3 + 2
        "XH1": 4,   # jobs: 2; wage 1.2 ≥ 1.2: 1; insurance: 1
        "LT1": 8,   # 40 ≥ 40: 4; global: 4
    }),
    "hanoi-2023-vnsteel-council.json": ("hanoi-2023-standard", True, True, "86.33", {
        "KT1": Decimal("9.5"),   # council: (10 + 9) / 2; preliminary 2400 ≥ 1000 → 10
        "KT2": 6,                # (2400/2000)^(1/2) = 1.0954 → 9.5 % ≥ 7
        "KT3": 3,                # 2400 / 600 = 4 ≥ 3
        "KT4": 10,               # 1200 / 2400 = 50 %
        "KT5": 5,
        "CN1": Decimal("7.33"),  # council: (7.5 + 8 + 6.5) / 3 = 7.333…; preliminary automated 8
        "CN2": 6,                # 30 / 2400 = 1.25 % ≥ 1
        "CN3": 8,                # 3 + 3 + 2
        "CN4": Decimal("3.5"),   # council: one member 3.5; preliminary trademark 2
        "MT1": 6,
        "XH1": 5,
        "LT1": 10,
        "CĐ1": 5,                # erp 2 + mes 2 + traceability 1
        "XA1": 2,                # energy efficiency 2
    }),  # total: 86 − 10 + 9.5 − 8 + 7.333… − 2 + 3.5 = 86.333… → 86.33
    "hanoi-2023-misa-amis.yaml": ("hanoi-2023-high-tech", True, True, "78", {
        "KT1": 5,   # 120 ≥ 100
        "KT2": 5,   # (120/100)^(1/2) → 9.5 % ≥ 7
        "KT3": 1,   # 120 / 100 = 1.2 ≥ 0.75
        "KT4": 3,   # 30 / 120 = 25 % ≥ 10
        "KT5": 2,   # profit: 1; no arrears: 1
        "CN1": 8,
        "CN2": 12,  # 9 / 120 = 7.5 % ≥ 5
        "CN3": 3,
        "CN4": 6,   # trademark 2 + patent 4
        "MT1": 4,   # permit 2 + energy audit 2
        "XH1": 4,   # jobs: 1; wage 2.1: 2; insurance: 1
        "LT1": 10,  # 80 ≥ 60: 6; global: 4
        "CN5": 6,   # 60 ≥ 30
        "CĐ1": 4,   # erp 2 + mes 2
        "XA1": 5,   # 2 + 2 + 1
    }),
    "hue-2023-pass-council.yaml": ("hue-2021", True, True, "69.33", {
        # members' totals: 74, 69 and 65 → mean 208 / 3 = 69.333… ≥ 65
        "H1": Decimal("7.17"), "H2": 14, "H3": Decimal("8.33"), "H4": Decimal("12.33"), "H5": Decimal("9.67"),
        "H6": Decimal("17.83"),
    }),
    "hue-2023-boundary.json": ("hue-2021", True, True, "65", {
        # self-assessed 6 + 12 + 7 + 11 + 9 + 20 = 65 ≥ 65
        "H1": 6, "H2": 12, "H3": 7, "H4": 11, "H5": 9, "H6": 20,
    }),
}


def test_there_are_enough_examples() -> None:
    files = sorted(p.name for p in EXAMPLES.iterdir())
    assert sorted(EXPECTED) == files
    assert sum(name.startswith("hanoi") for name in files) >= 8
    assert sum(name.startswith("hue") for name in files) >= 2


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_example_dossier(catalog: Catalog, name: str) -> None:
    set_id, eligible, passed, total, points = EXPECTED[name]
    loaded = read_dossier_file(EXAMPLES / name)
    evaluation = catalog.evaluate(loaded.dossier, scores=loaded.council_scores)
    assert evaluation.criteria_set == set_id
    assert evaluation.eligible is eligible
    assert evaluation.passed is passed
    assert evaluation.total == (None if total is None else Decimal(total))
    assert {c.id: c.points for c in evaluation.criteria} == {k: Decimal(v) for k, v in points.items()}
    if eligible:
        assert sum(c.max_points for c in evaluation.criteria) == 100


def test_ineligible_dossier_says_which_prerequisites_failed_and_why(catalog: Catalog) -> None:
    loaded = read_dossier_file(EXAMPLES / "hanoi-2019-ineligible.yaml")
    evaluation = catalog.evaluate(loaded.dossier)
    assert [(p.id, p.message) for p in evaluation.failed_prerequisites()] == [
        ("P3", "years_in_production 2 < 3"), ("P9", "product_revenue 80 < 100")]
    assert evaluation.criteria == () and evaluation.total is None
