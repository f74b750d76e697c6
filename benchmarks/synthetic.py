"""Synthetic Hanoi dossiers for benchmarks (deterministic; figures are invented)."""

from __future__ import annotations

import random
from typing import Any


def hanoi_inputs(rng: random.Random) -> dict[str, Any]:
    """One dossier's inputs for the 2023 standard table, as JSON would give them (ints, floats, lists)."""
    revenue = round(rng.uniform(60, 3000), 1)
    return {
        "hanoi_site": rng.random() > 0.02, "own_production": True, "years_in_production": rng.randint(2, 30),
        "no_violations_24m": rng.random() > 0.03, "standards_conformity": True, "no_ip_infringement": True,
        "equity": round(rng.uniform(-5, 900), 1), "dossier_complete": True,
        "product_revenue": revenue, "product_revenue_n3": round(revenue / rng.uniform(0.8, 1.8), 1),
        "product_workers": rng.randint(0, 2000), "export_revenue": round(revenue * rng.uniform(0, 0.8), 1),
        "profit_before_tax": round(rng.uniform(-20, 200), 1), "tax_paid": round(rng.uniform(0, 80), 1),
        "tax_paid_prev": round(rng.uniform(0, 80), 1), "tax_arrears": rng.random() < 0.1,
        "automation_level": rng.choice(["automated", "semi_automated", "manual"]),
        "rd_spend": round(revenue * rng.uniform(0, 0.03), 2),
        "quality": rng.sample(["iso9001", "conformity", "other_qms"], rng.randint(0, 3)),
        "ip": rng.sample(["trademark", "patent_or_design", "award"], rng.randint(0, 3)),
        "environment": rng.sample(["permit_compliance", "cleaner_production", "energy_audit"], rng.randint(0, 3)),
        "jobs_created": rng.randint(0, 300), "avg_wage_ratio": round(rng.uniform(0.9, 2.5), 2),
        "social_insurance_full": rng.random() > 0.2, "local_content": round(rng.uniform(0, 95), 1),
        "global_supplier": rng.random() < 0.4,
        "digital": rng.sample(["erp", "mes", "traceability"], rng.randint(0, 3)),
        "green": rng.sample(["energy_efficiency", "renewable", "emissions_accounting"], rng.randint(0, 3)),
    }


def council_scores(rng: random.Random, criteria: list[tuple[str, Any]], members: int = 9) -> dict[str, dict[str, Any]]:
    """A council sheet: each criterion scored by 2–4 of `members` members, in half-point steps (ints and floats,
    as JSON gives them)."""
    out: dict[str, dict[str, Any]] = {}
    for criterion, maximum in criteria:
        for m in rng.sample(range(members), rng.randint(2, 4)):
            halves = rng.randint(0, int(maximum * 2))
            out.setdefault(f"member-{m}", {})[criterion] = halves // 2 if halves % 2 == 0 else halves / 2
    return out


def ocop_inputs(rng: random.Random) -> dict[str, Any]:
    """One dossier's inputs for the example OCOP star rating (ocop-2024)."""
    return {
        "local_material_share": rng.randint(0, 100),
        "producer_form": rng.choice(["cooperative", "enterprise", "household"]),
        "value_chain_links": rng.sample(["supply", "purchase", "distribution"], rng.randint(0, 3)),
        "workers": rng.randint(0, 120), "has_brand": rng.random() < 0.6, "local_worker_share": rng.randint(0, 100),
        "sales_channels": rng.sample(["shop", "supermarket", "ecommerce"], rng.randint(0, 3)),
        "revenue": rng.randint(100, 20000), "revenue_prev": rng.randint(100, 20000),
        "market": rng.choice(["export", "national", "regional", "provincial"]), "trade_fairs": rng.random() < 0.5,
        "food_safety_cert": rng.random() < 0.8,
        "standards": rng.sample(["tcvn", "iso", "haccp"], rng.randint(0, 3)), "export_markets": rng.randint(0, 5),
    }
