"""Screening a whole round at once (screening.screen_round) on a real database: the same outcome as the one-by-one
services, one audit entry per dossier and state, the policy kept."""

from __future__ import annotations

import random
from typing import Any

import pytest
from sqlalchemy import select

from spcncl_core import Catalog
from spcncl_core.db.models import Dossier, PreliminaryScore, PrerequisiteCheck, Product
from spcncl_core.demo import create_demo_users, synthetic_inputs
from spcncl_core.errors import PermissionDeniedError, PhaseError
from spcncl_core.services import audit, dossiers, registration, rounds, screening


@pytest.fixture
def people(session: Any) -> dict[str, Any]:
    return {u.username: u for u in create_demo_users(session)}


def _products(session: Any, office: Any, count: int) -> list[int]:
    company = dossiers.enterprise(session, office, "0100000001", "Công ty thử (giả định)")
    return [dossiers.product(session, office, company, f"Sản phẩm {n}").id for n in range(count)]


def test_bulk_registration_screening_match_the_one_by_one_services(session: Any, catalog: Catalog,
                                                                   people: dict[str, Any]) -> None:
    rng = random.Random(7)
    office = people["secretariat"]
    bulk_round = rounds.create_round(session, people["admin"], catalog, "hanoi", 2023, "bulk")
    single_round = rounds.create_round(session, people["admin"], catalog, "hanoi", 2024, "one by one")
    products = _products(session, office, 12)
    inputs = [synthetic_inputs(rng, n % 3 != 0, 5 if n % 4 == 0 else None) for n in range(12)]
    inputs[5]["years_in_production"] = 1  # ineligible
    registration.register_many(session, office, catalog, bulk_round, [
        registration.Entry("0100000001", "Công ty thử (giả định)", f"Sản phẩm {n}", i, number=f"B-{n:03d}")
        for n, i in enumerate(inputs)])
    rounds.open_screening(session, office, bulk_round)
    assert screening.screen_round(session, office, catalog, bulk_round) == (11, 1)
    singles = []
    for n, (p, i) in enumerate(zip(products, inputs)):
        one = dossiers.register(session, office, single_round, session.get(Product, p), f"S-{n:03d}", i)
        dossiers.submit(session, office, catalog, one)
        singles.append(one)
    rounds.open_screening(session, office, single_round)
    for one in singles:
        if screening.screen(session, office, catalog, one):
            screening.preliminary_scores(session, office, catalog, one)
    session.commit()

    def outcome(round_: Any) -> list[tuple[Any, ...]]:
        rows = []
        for d in session.scalars(select(Dossier).where(Dossier.round_id == round_.id).order_by(Dossier.id)):
            checks = session.execute(select(PrerequisiteCheck.prerequisite_id, PrerequisiteCheck.computed)
                                     .where(PrerequisiteCheck.dossier_id == d.id)
                                     .order_by(PrerequisiteCheck.prerequisite_id)).all()
            points = session.execute(select(PreliminaryScore.criterion_id, PreliminaryScore.points)
                                     .where(PreliminaryScore.dossier_id == d.id)
                                     .order_by(PreliminaryScore.criterion_id)).all()
            rows.append((d.state, d.product_group, tuple(map(tuple, checks)), tuple(map(tuple, points))))
        return rows

    assert outcome(bulk_round) == outcome(single_round)
    history = [e.after["state"] for e in audit.entries_for(session, "dossier", "B-000") if "state" in e.after]
    assert history == ["submitted", "eligible", "preliminarily_scored"]
    assert audit.verify(session).ok


def test_bulk_services_keep_the_policy(session: Any, catalog: Catalog, people: dict[str, Any]) -> None:
    round_ = rounds.create_round(session, people["admin"], catalog, "hanoi", 2023, "bulk")
    with pytest.raises(PermissionDeniedError):
        screening.screen_round(session, people["viewer"], catalog, round_)
    with pytest.raises(PhaseError):
        screening.screen_round(session, people["secretariat"], catalog, round_)
