"""Round benchmark: a Hanoi round of 1,000, 10,000 and 20,000 dossiers with 20 council members (3 per criterion),
on an SQLite file and, when given a URL, on PostgreSQL.

Enterprises, products, council members and assignments are written with bulk statements; what is measured goes
through the services:
- registration and screening: `register_many`, `submit_many`, `screen_round` (prerequisites and preliminary scores);
- score import: `import_scores` of every member's points (about 50 per dossier), validated as one import;
- results: `compute_results` (aggregation, ranking, Top 10, one audit entry per result), in a child process so
  that its peak memory (maximum resident set) is its own;
- the round report: `round_report` and the open comments, with the number of SQL statements counted.

Targets at 20,000 dossiers (issue 6): registration and screening < 30 s, score import < 15 s, results < 4 s with a
peak < 300 MB, the report < 2 s in a bounded number of statements. Smaller rounds are reported against the same
targets. Run as `python benchmarks/round_bench.py [--sizes 1000,10000,20000] [--postgres-url URL]`, or from
benchmarks/run.py. Without --postgres-url, PostgreSQL is not touched.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import resource
import subprocess
import sys
import tempfile
import time
from decimal import Decimal
from pathlib import Path
from typing import Any

from sqlalchemy import event, insert, select

from spcncl_core import load_catalog
from spcncl_core.db.base import make_engine, make_session_factory
from spcncl_core.db.migrate import downgrade, upgrade
from spcncl_core.db.models import (
    Assignment,
    Conflict,
    CouncilMember,
    Dossier,
    PreliminaryScore,
    Round,
    ScoringForm,
    User,
)
from spcncl_core.demo import synthetic_inputs
from spcncl_core.services import audit, publication, registration, results, rounds, scoring, screening

MEMBERS, PER_CRITERION = 20, 3
TARGETS_S = {"registration and screening": 30.0, "score import": 15.0, "results": 4.0, "report": 2.0}
TARGET_PEAK_MB = 300.0
TARGET_REPORT_STATEMENTS = 10
SIZES = (1000, 10_000, 20_000)


def _setup(session: Any, catalog: Any, size: int, rng: random.Random) -> tuple[Round, list[registration.Entry]]:
    """The users and the round, and each dossier's entry as the Excel import gives it (not measured)."""
    session.execute(insert(User), [{"username": "bench-admin", "name": "Quản trị (benchmark)", "role": "admin",
                                    "active": True},
                                   {"username": "bench-secretariat", "name": "Tổ công tác (benchmark)",
                                    "role": "secretariat", "active": True}])
    admin = session.scalar(select(User).where(User.username == "bench-admin"))
    round_ = rounds.create_round(session, admin, catalog, "hanoi", 2023, "Xét chọn SPCNCL Hà Nội (benchmark, số "
                                 "liệu giả định)")
    enterprises = max(1, size // 2)
    entries = []
    for n in range(size):
        item = rng.randint(1, 107) if n % 8 == 0 else None
        inputs = synthetic_inputs(rng, n % 5 != 0, item)
        if n % 40 == 39:
            inputs["years_in_production"] = 2  # a few ineligible dossiers
        e = n % enterprises
        entries.append(registration.Entry(f"01{e:08d}", f"Doanh nghiệp {e} (giả định)", f"Sản phẩm {n} (giả định)",
                                          inputs, number=f"HN-2023-{n + 1:05d}"))
    return round_, entries


def _council(session: Any, catalog: Any, round_: Round) -> None:
    """20 members; each criterion of each set assigned to 3 of them (bulk)."""
    members = list(session.scalars(insert(CouncilMember).returning(CouncilMember.id, sort_by_parameter_order=True),
                                   [{"round_id": round_.id, "code": f"M{m + 1:02d}", "name": f"Thành viên {m + 1}",
                                     "role": "member", "voting": True}
                                    for m in range(MEMBERS)]))
    rows = []
    for choice in round_.criteria_sets:
        cset = rounds.criteria_set_for(session, catalog, round_, choice.product_group)
        for k, criterion in enumerate(cset.criteria):
            for j in range(PER_CRITERION):
                rows.append({"round_id": round_.id, "criteria_set_id": cset.id, "criterion_id": criterion.id,
                             "member_id": members[(k * PER_CRITERION + j) % MEMBERS]})
    session.execute(insert(Assignment), rows)


def score_rows(session: Any, catalog: Any, round_: Round, rng: random.Random) -> list[tuple[str, str, str, Decimal]]:
    """Every assigned voting member's points for every preliminarily scored dossier they have no conflict with and
    no form for yet: preliminary ± a step, within max."""
    members = {m.id: m.code for m in session.scalars(select(CouncilMember).where(CouncilMember.round_id == round_.id,
                                                                                  CouncilMember.voting))}
    taken = {(members.get(member_id), dossier_id) for member_id, dossier_id in session.execute(
        select(Conflict.member_id, Conflict.dossier_id).union(select(ScoringForm.member_id, ScoringForm.dossier_id)))}
    assigned: dict[str, list[tuple[str, str]]] = {}
    for a in session.scalars(select(Assignment).where(Assignment.round_id == round_.id)):
        if a.member_id not in members:
            continue
        assigned.setdefault(a.criteria_set_id, []).append((members[a.member_id], a.criterion_id))
    sets = {c.product_group: c.criteria_set_id for c in round_.criteria_sets}
    maxima = {(s, c.id): c.max_points for s in sets.values() for c in catalog.get(s).criteria}
    preliminary: dict[int, dict[str, Decimal]] = {}
    for dossier_id, criterion, points in session.execute(
            select(PreliminaryScore.dossier_id, PreliminaryScore.criterion_id, PreliminaryScore.points)):
        preliminary.setdefault(dossier_id, {})[criterion] = points
    steps = [Decimal("-0.5"), Decimal(0), Decimal("0.5")]
    rows = []
    for dossier_id, number, group in session.execute(
            select(Dossier.id, Dossier.number, Dossier.product_group)
            .where(Dossier.round_id == round_.id, Dossier.state == "preliminarily_scored")):
        set_id = sets[group]
        for member, criterion in assigned[set_id]:
            if (member, dossier_id) in taken:
                continue
            base = preliminary[dossier_id][criterion]
            rows.append((member, number, criterion,
                         min(maxima[(set_id, criterion)], max(Decimal(0), base + rng.choice(steps)))))
    return rows


def _peak_mb() -> float:
    """This process's peak resident memory in MB. Linux: VmHWM of its own image (ru_maxrss would also count the
    parent's memory at fork time, which survives exec)."""
    try:
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024
    except OSError:
        pass
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def results_child(url: str, round_id: int) -> dict[str, float]:
    """Compute a round's results in this (fresh) process: seconds and peak resident memory in MB."""
    catalog = load_catalog()
    engine = make_engine(url)
    factory = make_session_factory(engine)
    with factory() as session:
        round_ = session.get(Round, round_id)
        start, cpu = time.perf_counter(), time.process_time()
        office = session.scalar(select(User).where(User.username == "bench-secretariat"))
        computed = results.compute_results(session, office, catalog, round_).results
        session.commit()
        seconds, cpu = time.perf_counter() - start, time.process_time() - cpu
    peak = _peak_mb()
    engine.dispose()
    return {"seconds": seconds, "cpu": cpu, "peak_mb": peak, "results": computed}


def bench_round(url: str, size: int) -> tuple[dict[str, str], list[str]]:
    """Figures for one database and size; the targets missed."""
    engine = make_engine(url)
    downgrade(engine, "base")
    upgrade(engine)
    catalog = load_catalog()
    factory = make_session_factory(engine)
    rng = random.Random(size)
    figures: dict[str, str] = {}
    seconds: dict[str, float] = {}
    cpu_seconds: dict[str, float] = {}  # this process's CPU time: what a busy machine's other tenants do not add
    with factory() as session:
        round_, registrations = _setup(session, catalog, size, rng)
        session.commit()
        office = session.scalar(select(User).where(User.username == "bench-secretariat"))
        start, cpu = time.perf_counter(), time.process_time()
        registration.register_many(session, office, catalog, round_, registrations)
        rounds.open_screening(session, office, round_)
        eligible, ineligible = screening.screen_round(session, office, catalog, round_)
        session.commit()
        seconds["registration and screening"] = time.perf_counter() - start
        cpu_seconds["registration and screening"] = time.process_time() - cpu
        figures["registration and screening"] = f"{size:,} dossiers, {eligible:,} eligible"
        _council(session, catalog, round_)
        rounds.start_scoring(session, office, round_)
        session.commit()
        rows = score_rows(session, catalog, round_, rng)
        start, cpu = time.perf_counter(), time.process_time()
        forms = scoring.import_scores(session, office, catalog, round_, rows)
        session.commit()
        seconds["score import"] = time.perf_counter() - start
        cpu_seconds["score import"] = time.process_time() - cpu
        figures["score import"] = f"{len(rows):,} scores on {forms:,} forms"
        scoring.close_scoring(session, office, catalog, round_)
        session.commit()
        round_id = round_.id
    child = subprocess.run([sys.executable, __file__, "--results-child", url, str(round_id)], check=True,
                           capture_output=True, text=True, env=os.environ.copy())
    outcome = json.loads(child.stdout.strip().splitlines()[-1])
    seconds["results"], cpu_seconds["results"] = outcome["seconds"], outcome["cpu"]
    figures["results"] = f"aggregate, rank, Top 10, store; peak {outcome['peak_mb']:.0f} MB (target < " \
                         f"{TARGET_PEAK_MB:.0f} MB)"
    statements = 0

    def count(*_: Any) -> None:
        nonlocal statements
        statements += 1

    with factory() as session:  # a fresh session: nothing cached
        event.listen(engine, "before_cursor_execute", count)
        start, cpu = time.perf_counter(), time.process_time()
        round_ = rounds.get_round(session, "hanoi", 2023)
        report = results.round_report(session, catalog, round_)
        publication.open_comments(session, round_)
        seconds["report"] = time.perf_counter() - start
        cpu_seconds["report"] = time.process_time() - cpu
        event.remove(engine, "before_cursor_execute", count)
        figures["report"] = f"{len(report):,} rows in {statements} SQL statements (target ≤ " \
                            f"{TARGET_REPORT_STATEMENTS})"
        top = sum(r.top for r in report)
        entries = audit.count(session)
    figures["audit entries"] = f"{entries:,}"
    engine.dispose()
    name = engine.dialect.name
    missed = [f"{label} took {seconds[label]:.2f} s ≥ {target} s at {size:,} dossiers on {name}"
              for label, target in TARGETS_S.items() if seconds[label] >= target]
    if outcome["peak_mb"] >= TARGET_PEAK_MB:
        missed.append(f"results peaked at {outcome['peak_mb']:.0f} MB ≥ {TARGET_PEAK_MB:.0f} MB at {size:,} "
                      f"dossiers on {name}")
    if statements > TARGET_REPORT_STATEMENTS:
        missed.append(f"the report took {statements} SQL statements at {size:,} dossiers on {name}")
    if top != 10:
        missed.append(f"Top 10 has {top} products at {size:,} dossiers on {name}")
    for label, value in seconds.items():
        figures[label] = (f"{value:7.2f} s  (CPU {cpu_seconds[label]:6.2f} s; target < {TARGETS_S[label]:.0f} s)  "
                          f"{figures[label]}")
    return figures, missed


def main_figures(postgres_url: str | None, sizes: tuple[int, ...] = SIZES) -> list[str]:
    """Run on an SQLite file (always) and on PostgreSQL (only when a URL is given); print; return targets missed."""
    missed: list[str] = []
    with tempfile.TemporaryDirectory() as folder:
        os.environ.setdefault(audit.DEV_KEY_ENV, "1")  # a throw-away database: the public key is enough
        os.environ[audit.CHECKPOINT_ENV] = str(Path(folder) / "audit-checkpoint.jsonl")
        targets = [("SQLite", f"sqlite:///{Path(folder) / 'bench.sqlite'}")]
        if postgres_url:
            targets.append(("PostgreSQL", postgres_url))
        else:
            print("round on PostgreSQL: not run (no URL given: --postgres-url or SPCNCL_BENCH_POSTGRES_URL)")
        for name, url in targets:
            for size in sizes:
                figures, round_missed = bench_round(url, size)
                print(f"round on {name}: {size:,} dossiers, {MEMBERS} council members, {PER_CRITERION} per criterion")
                for label, text in figures.items():
                    print(f"  {label:<28} {text}")
                missed += round_missed
                Path(os.environ[audit.CHECKPOINT_ENV]).unlink(missing_ok=True)  # the next run starts a new log
    return missed


def main() -> int:
    """Command line: the round benchmark alone (or, internally, the results step in a child process)."""
    if len(sys.argv) == 4 and sys.argv[1] == "--results-child":
        print(json.dumps(results_child(sys.argv[2], int(sys.argv[3]))))
        return 0
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--sizes", default=",".join(map(str, SIZES)))
    parser.add_argument("--postgres-url", default=os.environ.get("SPCNCL_BENCH_POSTGRES_URL"))
    args = parser.parse_args()
    missed = main_figures(args.postgres_url, tuple(int(s) for s in args.sizes.split(",")))
    if missed:
        print("TARGETS MISSED:\n  " + "\n  ".join(missed))
        return 1
    print("all round targets met")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
