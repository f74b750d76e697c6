"""A star-rated round through the records layer: the class each result reached is stored with it (issue 10:
"the class is part of stored results")."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import yaml

from conftest import ROOT
from spcncl_core import Catalog
from spcncl_core.services import dossiers, results, rounds, scoring, screening

NATIONAL = ROOT / "examples" / "spcncl-national" / "dossiers"


def test_an_ocop_round_stores_each_results_class(session: Any, catalog: Catalog) -> None:
    from spcncl_core.demo import create_demo_users

    people = {u.username: u for u in create_demo_users(session)}
    secretariat = people["secretariat"]
    round_ = rounds.create_round(session, people["admin"], catalog, "ocop", 2024, "OCOP 2024")
    inputs = yaml.safe_load((NATIONAL / "ocop-2024-rice-cake-self.yaml").read_text(encoding="utf-8"))["inputs"]
    enterprise = dossiers.enterprise(session, secretariat, "0100000099", "Hộ kinh doanh Làng Chều")
    registered = [dossiers.register(session, secretariat, round_,
                                    dossiers.product(session, secretariat, enterprise, number), number, inputs, {})
                  for number in ("OCOP-A", "OCOP-B")]
    for dossier in registered:
        dossiers.submit(session, secretariat, catalog, dossier)
    rounds.open_screening(session, secretariat, round_)
    for dossier in registered:
        assert screening.screen(session, secretariat, catalog, dossier)
        screening.preliminary_scores(session, secretariat, catalog, dossier)
    cset = catalog.get("ocop-2024")
    members = [scoring.add_member(session, secretariat, round_, f"O{m}", f"Thành viên {m}",
                                  user=people[f"member0{m}"]) for m in (1, 2)]
    for member in members:
        scoring.assign(session, secretariat, catalog, round_, "food", [c.id for c in cset.criteria], member)
    rounds.start_scoring(session, secretariat, round_)
    # both members give every criterion its maximum (100), or half of it (50): five and three stars
    full = {c.id: c.max_points for c in cset.criteria}
    sheets = {"OCOP-A": full, "OCOP-B": {c: m / 2 for c, m in full.items()}}
    for number, sheet in sheets.items():
        dossier = dossiers.get(session, round_, number)
        for member in members:
            form = scoring.form_for(session, member.user, catalog, member, dossier)
            scoring.save_scores(session, member.user, catalog, member, dossier, sheet, form.version)
            scoring.submit_form(session, member.user, catalog, member, dossier)
    scoring.close_scoring(session, secretariat, catalog, round_)
    results.compute_results(session, secretariat, catalog, round_)
    stored = {d.number: r for d, r in results.round_results(session, round_)}
    # A: part A 40; part B's six criteria give 30, capped at 25; part C 35 → 100 ≥ 90: five stars.
    # B: half of each: A 20, B 15 (under the cap), C 17.5 → 52.5 ≥ 50: three stars, recognised.
    assert (stored["OCOP-A"].total, stored["OCOP-A"].result_class, stored["OCOP-A"].passed) == (100, "sao-5", True)
    assert (stored["OCOP-B"].total, stored["OCOP-B"].result_class, stored["OCOP-B"].passed) == (
        Decimal("52.5"), "sao-3", True)
    assert stored["OCOP-A"].subtotals["A1"] == "18.00" and stored["OCOP-A"].subtotals["B"] == "25.00"
    session.commit()
