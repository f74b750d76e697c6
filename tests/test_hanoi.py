"""Hanoi's built-in plugin: the six sets of DOMAIN.md §3, written with extends; classification by the high-tech
list in force; the year picking the period's set."""

from __future__ import annotations

from decimal import Decimal

import pytest

from spcncl_core import Catalog, Dossier, NoCriteriaSetError
from spcncl_core.criteria.diff import diff_sets

HANOI = ["hanoi-2018-standard", "hanoi-2018-high-tech", "hanoi-2021-standard", "hanoi-2021-high-tech",
         "hanoi-2023-standard", "hanoi-2023-high-tech"]


def test_six_sets_each_100_points_reconstruction_pass_above_70(catalog: Catalog) -> None:
    sets = {s.id: s for s in catalog.sets_for("hanoi")}
    assert sorted(sets) == sorted(HANOI)
    for s in sets.values():
        assert sum(c.max_points for c in s.criteria) == 100 == s.total_points
        assert s.provenance == "reconstruction"
        assert (s.pass_rule.operator, s.pass_rule.points, s.top) == (">", 70, 10)
        assert [str(t) for t in s.tie_breaks] == ["subtotal KT", "subtotal CN", "earlier submission"]
        assert s.aggregation == "mean-of-assigned" and s.recognition_years == 3 and s.comment_days == 10
    assert [sets[i].extends for i in HANOI] == [None, "hanoi-2018-standard", "hanoi-2018-standard",
                                                "hanoi-2018-high-tech", "hanoi-2021-standard",
                                                "hanoi-2021-high-tech"]


def table(catalog: Catalog, set_id: str) -> dict[str, tuple[str, int]]:
    return {c.id: (c.group, int(c.max_points)) for c in catalog.get(set_id).criteria}


def test_group_maxima_from_domain_tables(catalog: Catalog) -> None:
    def groups(set_id: str) -> dict[str, Decimal]:
        return {g.id: g.max_points for g in catalog.get(set_id).groups}

    assert groups("hanoi-2018-standard") == {"KT": 50, "CN": 27, "MT": 8, "XH": 5, "LT": 10}
    assert groups("hanoi-2018-high-tech") == {"KT": 38, "CN": 42, "MT": 6, "XH": 4, "LT": 10}
    assert groups("hanoi-2023-standard") == {"KT": 40, "CN": 27, "MT": 8, "XH": 5, "LT": 10, "CĐ": 10}
    assert groups("hanoi-2023-high-tech") == {"KT": 28, "CN": 42, "MT": 6, "XH": 4, "LT": 10, "CĐ": 10}
    assert table(catalog, "hanoi-2018-high-tech")["CN5"] == ("CN", 6)


def test_2021_differs_from_2018_only_in_years_titles_and_the_list(catalog: Catalog) -> None:
    standard = diff_sets(catalog.get("hanoi-2018-standard"), catalog.get("hanoi-2021-standard"))
    assert [(c.what, c.id) for c in standard] == [("setting", "title"), ("setting", "years")]
    high_tech = diff_sets(catalog.get("hanoi-2018-high-tech"), catalog.get("hanoi-2021-high-tech"))
    assert [(c.what, c.id, c.field) for c in high_tech] == [
        ("setting", "title", "title"), ("setting", "years", "years"), ("setting", "legal_basis", "legal_basis"),
        ("prerequisite", "PH", "rule"), ("prerequisite", "PH", "title")]
    ph = next(c for c in high_tech if c.field == "rule")
    assert (ph.before, ph.after) == ("1 ≤ high_tech_list_item ≤ 114", "1 ≤ high_tech_list_item ≤ 107")


def test_2023_moves_ten_points_from_the_economy_to_digital_and_green(catalog: Catalog) -> None:
    changes = {(c.id, c.change, c.field): (c.before, c.after)
               for c in diff_sets(catalog.get("hanoi-2021-standard"), catalog.get("hanoi-2023-standard"))
               if c.what == "criterion"}
    assert changes[("KT1", "changed", "max_points")] == ("15", "10")
    assert changes[("KT3", "changed", "max_points")] == ("8", "3")
    assert changes[("KT1", "changed", "rule")][1] == "product_revenue ≥ 1000 → 10; ≥ 500 → 8; ≥ 300 → 6; ≥ 200 → 4; " \
                                                     "≥ 100 → 2"
    assert {k[0] for k in changes if k[1] == "added"} == {"CĐ1", "XA1"}
    ht = table(catalog, "hanoi-2023-high-tech")
    assert [ht[k][1] for k in ("KT1", "KT3", "KT4", "KT5", "CĐ1", "XA1")] == [6, 4, 6, 2, 5, 5]


@pytest.mark.parametrize(("year", "item", "expected"), [
    (2018, 114, "hanoi-2018-high-tech"),   # last item of 66/2014
    (2020, 60, "hanoi-2018-high-tech"),
    (2020, 115, "hanoi-2018-standard"),    # not on the list
    (2021, 107, "hanoi-2021-high-tech"),   # last item of 38/2020
    (2021, 110, "hanoi-2021-standard"),    # on 66/2014 but not on 38/2020
    (2022, None, "hanoi-2021-standard"),   # claims nothing
    (2023, 1, "hanoi-2023-high-tech"),
    (2026, 108, "hanoi-2023-standard"),
])
def test_classification_by_the_list_in_force_and_the_period(catalog: Catalog, year: int, item: int | None,
                                                             expected: str) -> None:
    inputs = {} if item is None else {"high_tech_list_item": item}
    assert catalog.select(Dossier("hanoi", year, inputs)).id == expected


def test_no_set_before_the_programme_began(catalog: Catalog) -> None:
    with pytest.raises(NoCriteriaSetError, match=r"no hanoi criteria set for standard covers 2017; available: "
                                                 r"hanoi-2018-standard \(2018–2020\), hanoi-2021-standard "
                                                 r"\(2021–2022\), hanoi-2023-standard \(2023–\)"):
        catalog.select(Dossier("hanoi", 2017, {}))
    with pytest.raises(NoCriteriaSetError, match=r"no criteria set for jurisdiction 'hanio' \(did you mean "
                                                 r"'hanoi'\?\); installed: hanoi, hue"):
        catalog.select(Dossier("hanio", 2023, {}))


def test_revenue_gate_is_10_for_high_tech_and_100_for_standard(catalog: Catalog) -> None:
    rules = {s.id: next(p.description for p in s.prerequisites if p.id == "P9") for s in catalog.sets_for("hanoi")}
    assert {r for k, r in rules.items() if k.endswith("high-tech")} == {"product_revenue ≥ 10"}
    assert {r for k, r in rules.items() if k.endswith("standard")} == {"product_revenue ≥ 100"}
