"""Round benchmark: 1,000 dossiers and 20 council members on SQLite and PostgreSQL.

Measures importing the round's council scores (bulk, validated) and computing the results (aggregation,
ranking, Top 10). Target of the records issue: results in under 2 s on each database.
"""

from __future__ import annotations

import random
import tempfile
import time
from decimal import Decimal
from pathlib import Path
from typing import Any

from sqlalchemy import select

from spcncl_core import load_catalog
from spcncl_core.db.base import make_engine, make_session_factory
from spcncl_core.db.migrate import downgrade, upgrade
from spcncl_core.db.models import Assignment, CouncilMember, Dossier, PreliminaryScore, User
from spcncl_core.demo import build_round
from spcncl_core.services import results, scoring

TARGET_RESULTS_S = 2.0


def score_rows(session: Any, catalog: Any, round_: Any, rng: random.Random) -> list[tuple[str, str, str, Decimal]]:
    """Every assigned member's points for every scorable dossier: preliminary ± a step, within the maximum."""
    members = {m.id: m.code for m in session.scalars(select(CouncilMember).where(CouncilMember.round_id == round_.id))}
    assigned: dict[str, list[tuple[int, str]]] = {}
    for a in session.scalars(select(Assignment).where(Assignment.round_id == round_.id)):
        assigned.setdefault(a.criteria_set_id, []).append((a.member_id, a.criterion_id))
    sets = {c.product_group: c.criteria_set_id for c in round_.criteria_sets}
    maxima = {(s, c.id): c.max_points for s in sets.values() for c in catalog.get(s).criteria}
    conflicts = {(c.member_id, c.dossier_id) for c in session.scalars(select(scoring.Conflict))}
    preliminary: dict[int, dict[str, Decimal]] = {}
    for p in session.scalars(select(PreliminaryScore)):
        preliminary.setdefault(p.dossier_id, {})[p.criterion_id] = p.points
    rows = []
    steps = [Decimal("-0.5"), Decimal(0), Decimal("0.5")]
    for dossier in session.scalars(select(Dossier).where(Dossier.round_id == round_.id,
                                                         Dossier.state == "preliminarily_scored")):
        for member_id, criterion in assigned[sets[dossier.product_group]]:
            if (member_id, dossier.id) in conflicts:
                continue
            base = preliminary[dossier.id][criterion]
            top = maxima[(sets[dossier.product_group], criterion)]
            rows.append((members[member_id], dossier.number, criterion,
                         min(top, max(Decimal(0), base + rng.choice(steps)))))
    return rows


def bench_round(url: str, dossiers: int = 1000, members: int = 20) -> tuple[dict[str, float], list[str]]:
    """Figures for one database; the targets it missed."""
    engine = make_engine(url)
    downgrade(engine, "base")
    upgrade(engine)
    catalog = load_catalog()
    factory = make_session_factory(engine)
    figures: dict[str, float] = {}
    with factory() as session:
        start = time.perf_counter()
        built = build_round(session, catalog, enterprises=300, eligible=dossiers, recognised=int(dossiers * 0.85),
                            ineligible=0, members=members, high_tech=dossiers // 8, stop_after="scoring")
        session.commit()
        figures["set-up (register, screen, preliminary, council)"] = time.perf_counter() - start
        rows = score_rows(session, catalog, built.round, random.Random(1))
        secretariat = session.scalar(select(User).where(User.username == "secretariat"))
        start = time.perf_counter()
        forms = scoring.import_scores(session, secretariat, catalog, built.round, rows)
        session.commit()
        figures[f"import {len(rows):,} scores on {forms:,} forms"] = time.perf_counter() - start
        scoring.close_scoring(session, secretariat, catalog, built.round)
        session.commit()
    with factory() as session:  # a fresh session: nothing cached
        round_ = session.get(type(built.round), built.round.id)
        start = time.perf_counter()
        secretariat = session.scalar(select(User).where(User.username == "secretariat"))
        computed = results.compute_results(session, secretariat, catalog, round_)
        session.commit()
        figures["results: aggregate, rank, Top 10, store"] = elapsed = time.perf_counter() - start
        top = sum(r.top for r in computed)
    engine.dispose()
    missed = [] if elapsed < TARGET_RESULTS_S else [f"results took {elapsed:.2f} s on {engine.dialect.name}"]
    if top != 10:
        missed.append(f"Top 10 has {top} products")
    return figures, missed


def main_figures(postgres_url: str, dossiers: int) -> list[str]:
    """Run on SQLite and PostgreSQL (when reachable); print the figures; return the missed targets."""
    missed: list[str] = []
    with tempfile.TemporaryDirectory() as folder:
        targets = [("SQLite", f"sqlite:///{Path(folder) / 'bench.sqlite'}"), ("PostgreSQL", postgres_url)]
        for name, url in targets:
            try:
                make_engine(url).connect().close()
            except Exception as exc:  # noqa: BLE001 - a missing server is reported, not a crash
                print(f"round on {name}: skipped, cannot connect ({type(exc).__name__})")
                continue
            figures, round_missed = bench_round(url, dossiers)
            print(f"round on {name}: {dossiers:,} dossiers, 20 council members")
            for label, seconds in figures.items():
                target = f"   (target < {TARGET_RESULTS_S} s)" if label.startswith("results") else ""
                print(f"  {label:<48} {seconds:7.2f} s{target}")
            missed += round_missed
    return missed
