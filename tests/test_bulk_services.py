"""The bulk services a national round needs (register_many, submit_many, screen_round) on a real database: the same
outcome as the one-by-one services, every problem reported at once, one audit entry per record, the policy kept."""

from __future__ import annotations

import random
from typing import Any

import pytest
from sqlalchemy import func, select

from spcncl_core import Catalog
from spcncl_core.db.models import Dossier, PreliminaryScore, PrerequisiteCheck, Product
from spcncl_core.demo import create_demo_users, synthetic_inputs
from spcncl_core.errors import DossierError, PermissionDeniedError, PhaseError
from spcncl_core.services import audit, dossiers, rounds, screening


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
    dossiers.register_many(session, office, bulk_round,
                           [(p, f"B-{n:03d}", i, None) for n, (p, i) in enumerate(zip(products, inputs))])
    assert dossiers.submit_many(session, office, catalog, bulk_round) == 12
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
    assert history == ["draft", "submitted", "eligible", "preliminarily_scored"]
    assert audit.verify(session).ok


def test_bulk_registration_reports_every_problem_and_writes_nothing(session: Any, catalog: Catalog,
                                                                    people: dict[str, Any]) -> None:
    office = people["secretariat"]
    round_ = rounds.create_round(session, people["admin"], catalog, "hanoi", 2023, "bulk")
    products = _products(session, office, 3)
    inputs = synthetic_inputs(random.Random(1), True, None)
    dossiers.register_many(session, office, round_, [(products[0], "B-1", inputs, None)])
    session.commit()
    with pytest.raises(DossierError) as caught:
        dossiers.register_many(session, office, round_, [
            (products[0], "B-2", inputs, None), (products[1], "B-1", inputs, None),
            (products[2], "B-3", inputs, None), (products[2], "B-4", inputs, None), (999_999, "B-5", inputs, None),
            (products[1], "B-6", {"x": float("nan")}, None)])
    shown = [str(p) for p in caught.value.problems]
    assert shown[:4] == [
        f"row 1: product {products[0]} is registered in the 2023 round already",
        "row 2: dossier number B-1 is taken in the 2023 round",
        f"row 4: product {products[2]} is registered in the 2023 round already",
        "row 5: no product with id 999999"]
    assert shown[4].startswith("row 6: ")
    session.rollback()
    assert session.scalar(select(func.count()).select_from(Dossier)) == 1


def test_bulk_services_keep_the_policy(session: Any, catalog: Catalog, people: dict[str, Any]) -> None:
    round_ = rounds.create_round(session, people["admin"], catalog, "hanoi", 2023, "bulk")
    with pytest.raises(PermissionDeniedError):
        dossiers.register_many(session, people["viewer"], round_, [])
    with pytest.raises(PhaseError):
        screening.screen_round(session, people["secretariat"], catalog, round_)


def test_bulk_submission_reports_every_dossiers_problems(session: Any, catalog: Catalog,
                                                         people: dict[str, Any]) -> None:
    office = people["secretariat"]
    round_ = rounds.create_round(session, people["admin"], catalog, "hanoi", 2023, "bulk")
    products = _products(session, office, 3)
    good = synthetic_inputs(random.Random(1), True, None)
    dossiers.register_many(session, office, round_, [
        (products[0], "B-1", good, None), (products[1], "B-2", good | {"product_revenue": "many"}, None),
        (products[2], "B-3", good | {"equity": None, "unknown_input": 1}, None)])
    with pytest.raises(DossierError, match="submission refused; nothing was written") as caught:
        dossiers.submit_many(session, office, catalog, round_)
    wheres = [p.where for p in caught.value.problems]
    assert any(w.startswith("B-2: ") for w in wheres) and any(w.startswith("B-3: ") for w in wheres)
    assert not any(w.startswith("B-1") for w in wheres)
    session.rollback()
