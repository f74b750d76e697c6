"""spcncl benchmarks: `make bench`. Prints figures and exits 1 when a target of the issue is missed.

- evaluating 100,000 synthetic Hanoi dossiers, explanations on: ≥ 10,000 dossiers/s on one core, and within 3× of
  a hand-written plain-Python function computing the same table (run side by side, totals cross-checked);
- the same with council scores (9 members, 2–4 per criterion): ≥ 20,000 dossiers/s and within 2× of a
  hand-written function averaging the same scores exactly (totals cross-checked);
- a nested, classed set (the example OCOP star rating): ≥ 10,000 dossiers/s, classes cross-checked;
- `spcncl evaluate` of one dossier as a whole process: < 0.4 s (median of repeated runs, warm cache);
- a round of 1,000, 10,000 and 20,000 dossiers and 20 council members (round_bench.py): at 20,000, registration and
  screening < 30 s, score import < 15 s, results < 4 s with a peak < 300 MB, the report < 2 s in a bounded number of
  statements; on a temporary SQLite file, and on PostgreSQL only when a URL is given (--postgres-url or
  $SPCNCL_BENCH_POSTGRES_URL): the benchmarks empty the PostgreSQL database they are given;
- Excel: a 1,000-row bulk sheet imported in < 3 s and within 2× of a bare openpyxl read-only pass over the same
  file; the working group's sheet and the results workbook of 1,000 dossiers in < 3 s each.
- the back office with 100,000 dossiers behind gunicorn, 10 locust users: p95 < 300 ms for list, filter, search
  and dossier pages on SQLite and PostgreSQL (web_bench.py; PostgreSQL only when a URL is given).
"""

from __future__ import annotations

import argparse
import os
import random
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))

from handwritten import hanoi_2023_council, hanoi_2023_standard  # noqa: E402
from synthetic import council_scores, hanoi_inputs, ocop_inputs  # noqa: E402

from spcncl_core import Dossier, evaluate, load_catalog  # noqa: E402

ROOT = Path(__file__).resolve().parent.parent
TARGET_RATE, TARGET_RATIO, TARGET_CLI = 10_000, 3.0, 0.4
TARGET_COUNCIL_RATE, TARGET_COUNCIL_RATIO = 20_000, 2.0


def _best_of(runs: int, contenders: dict[str, Any]) -> tuple[dict[str, float], dict[str, Any]]:
    """CPU seconds of each contender, best of `runs` alternating runs, and their last results."""
    best = dict.fromkeys(contenders, float("inf"))
    results: dict[str, Any] = {}
    for _ in range(runs):
        for name, fn in contenders.items():
            results.pop(name, None)
            start = time.process_time()
            results[name] = fn()
            best[name] = min(best[name], time.process_time() - start)
    return best, results


def bench_council(count: int) -> list[str]:
    """Council-scored dossiers (9 members, 2–4 per criterion): engine vs a hand-written exact average."""
    cset = load_catalog().get("hanoi-2023-standard")
    rng = random.Random(6)
    dossiers = [Dossier("hanoi", 2023, hanoi_inputs(rng)) for _ in range(count)]
    sheets = [council_scores(rng, [(c.id, c.max_points) for c in cset.criteria]) for _ in range(count)]
    pairs = list(zip(dossiers, sheets))
    best, results = _best_of(5, {
        "hand": lambda: [hanoi_2023_council(d.inputs, s) for d, s in pairs],
        "engine": lambda: [evaluate(cset, d, s) for d, s in pairs]})
    mismatches = sum(1 for e, h in zip(results["engine"], results["hand"]) if not _same(e, h))
    rate, ratio = count / best["engine"], best["engine"] / best["hand"]
    print(f"council: {count:,} council-scored dossiers (hanoi-2023-standard, 9 members, 2–4 per criterion)")
    print(f"  engine evaluate()          {best['engine']:7.2f} s  {rate:>9,.0f} dossiers/s   "
          f"(target ≥ {TARGET_COUNCIL_RATE:,})")
    print(f"  hand-written exact average {best['hand']:7.2f} s  {count / best['hand']:>9,.0f} dossiers/s")
    print(f"  engine ÷ hand-written      {ratio:7.2f}×                       (target ≤ {TARGET_COUNCIL_RATIO}×)")
    print(f"  tables equal to the hand-written function's: {count - mismatches:,} of {count:,}")
    missed = []
    if rate < TARGET_COUNCIL_RATE:
        missed.append(f"council rate {rate:,.0f}/s < {TARGET_COUNCIL_RATE:,}/s")
    if ratio > TARGET_COUNCIL_RATIO:
        missed.append(f"council {ratio:.2f}× the hand-written function > {TARGET_COUNCIL_RATIO}×")
    if mismatches:
        missed.append(f"{mismatches} council tables differ from the hand-written function's")
    return missed


def bench_nested(count: int) -> list[str]:
    """The example OCOP star rating: nested groups, a capped part, five classes."""
    catalog = load_catalog()
    if "ocop-2024" not in catalog.criteria_sets:
        print("nested: the example distribution examples/spcncl-national is not installed; skipped")
        return []
    cset = catalog.get("ocop-2024")
    rng = random.Random(2024)
    dossiers = [Dossier("ocop", 2024, ocop_inputs(rng)) for _ in range(count)]
    best, results = _best_of(5, {"engine": lambda: [evaluate(cset, d) for d in dossiers]})
    wrong = sum(1 for e in results["engine"] if e.class_id != _star(e.total))
    rate = count / best["engine"]
    print(f"nested: {count:,} dossiers (ocop-2024: nested groups, a capped part, five classes)")
    print(f"  engine evaluate()          {best['engine']:7.2f} s  {rate:>9,.0f} dossiers/s   "
          f"(target ≥ {TARGET_RATE:,})")
    print(f"  classes as the thresholds say: {count - wrong:,} of {count:,}")
    missed = []
    if rate < TARGET_RATE:
        missed.append(f"nested set rate {rate:,.0f}/s < {TARGET_RATE:,}/s")
    if wrong:
        missed.append(f"{wrong} classes differ from the thresholds")
    return missed


def _star(total: Any) -> str:
    return next(f"sao-{n}" for n, mark in ((5, 90), (4, 70), (3, 50), (2, 30), (1, 0)) if total >= mark)


def bench_engine(count: int) -> list[str]:
    """Engine vs hand-written function on the same dossiers; returns the targets missed."""
    catalog = load_catalog()
    cset = catalog.get("hanoi-2023-standard")
    rng = random.Random(2023)
    dossiers = [Dossier("hanoi", 2023, hanoi_inputs(rng)) for _ in range(count)]
    raw = [d.inputs for d in dossiers]

    # CPU time of this process, best of several alternating runs: a shared machine's other tenants then count less
    best = {"hand": float("inf"), "engine": float("inf")}
    results: dict[str, list[Any]] = {}
    for _ in range(5):
        for name, fn in (("hand", lambda: [hanoi_2023_standard(i) for i in raw]),
                         ("engine", lambda: [evaluate(cset, d) for d in dossiers])):
            results.pop(name, None)
            start = time.process_time()
            results[name] = fn()
            best[name] = min(best[name], time.process_time() - start)
    hand_s, engine_s = best["hand"], best["engine"]
    evaluations, hand_tables = results["engine"], results["hand"]
    mismatches = sum(1 for e, h in zip(evaluations, hand_tables) if not _same(e, h))
    explained = all(c.explanation for e in evaluations[:100] for c in e.criteria)
    start = time.process_time()
    for dossier in dossiers[: count // 10]:
        catalog.evaluate(dossier)
    catalog_s = (time.process_time() - start) * 10
    eligible = sum(1 for e in evaluations if e.eligible)
    rate, ratio = count / engine_s, engine_s / hand_s
    print(f"engine: {count:,} dossiers (hanoi-2023-standard, {eligible:,} eligible), explanations on, one core")
    print("  CPU seconds, best of 5 alternating runs")
    print(f"  engine evaluate()          {engine_s:7.2f} s  {rate:>9,.0f} dossiers/s   (target ≥ {TARGET_RATE:,})")
    print(f"  hand-written function      {hand_s:7.2f} s  {count / hand_s:>9,.0f} dossiers/s")
    print(f"  engine ÷ hand-written      {ratio:7.2f}×                       (target ≤ {TARGET_RATIO}×)")
    print(f"  catalog.evaluate()         {catalog_s:7.2f} s  {count / catalog_s:>9,.0f} dossiers/s   "
          "(with set selection and hooks)")
    print(f"  tables equal to the hand-written function's: {count - mismatches:,} of {count:,}")
    missed = []
    if rate < TARGET_RATE:
        missed.append(f"engine rate {rate:,.0f}/s < {TARGET_RATE:,}/s")
    if ratio > TARGET_RATIO:
        missed.append(f"engine {ratio:.2f}× the hand-written function > {TARGET_RATIO}×")
    if mismatches or not explained:
        missed.append(f"{mismatches} tables differ from the hand-written function's")
    return missed


def _same(evaluation: Any, table: dict[str, Any] | None) -> bool:
    if table is None:
        return not evaluation.eligible
    return (evaluation.total == table["total"] and evaluation.passed == table["passed"]
            and dict(evaluation.subtotals) == table["subtotals"]
            and {c.id: c.points for c in evaluation.criteria} == table["criteria"])


def bench_cli(runs: int) -> list[str]:
    """Whole-process time of `spcncl evaluate` on one dossier."""
    exe = shutil.which("spcncl", path=os.path.dirname(sys.executable)) or "spcncl"
    dossier = str(ROOT / "examples" / "dossiers" / "hanoi-2023-vnsteel-council.json")
    with tempfile.TemporaryDirectory() as cache:
        env = {**os.environ, "SPCNCL_CACHE_DIR": cache}

        def once(extra_env: dict[str, str]) -> float:
            start = time.perf_counter()
            subprocess.run([exe, "evaluate", dossier, "--json"], env={**env, **extra_env}, check=True,
                           stdout=subprocess.DEVNULL)
            return time.perf_counter() - start

        cold = statistics.median(once({"SPCNCL_CACHE": "off"}) for _ in range(max(3, runs // 3)))
        once({})  # fills the cache
        warm = statistics.median(once({}) for _ in range(runs))
    print(f"cli: `spcncl evaluate DOSSIER --json` as a whole process, median of {runs} runs")
    print(f"  warm cache                 {warm:7.3f} s   (target < {TARGET_CLI} s)")
    print(f"  no cache (validates sets)  {cold:7.3f} s")
    return [f"spcncl evaluate took {warm:.3f} s ≥ {TARGET_CLI} s"] if warm >= TARGET_CLI else []


def main() -> int:
    """Run the benchmarks; 1 when a target is missed."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--dossiers", type=int, default=100_000)
    parser.add_argument("--cli-runs", type=int, default=15)
    parser.add_argument("--round-sizes", default="1000,10000,20000", help="dossiers per round, comma-separated")
    parser.add_argument("--postgres-url", default=os.environ.get("SPCNCL_BENCH_POSTGRES_URL"),
                        help="a PostgreSQL database the round and web benchmarks may empty (default: none, SQLite "
                             "only)")
    parser.add_argument("--excel-dossiers", type=int, default=1000)
    parser.add_argument("--web-dossiers", type=int, default=100_000)
    parser.add_argument("--web-seconds", type=int, default=30)
    parser.add_argument("--only", choices=("engine", "council", "nested", "cli", "round", "excel", "web"),
                        help="run one benchmark")
    parser.add_argument("--timing-misses-warn", action="store_true",
                        help="a missed speed target is printed but does not fail the run (CI on a shared machine); "
                             "a wrong result, an error or a broken bound still fails it")
    args = parser.parse_args()
    print(f"spcncl benchmarks — Python {sys.version.split()[0]}, {os.cpu_count()} cores\n")
    missed: list[str] = []
    if args.only in (None, "engine"):
        missed += bench_engine(args.dossiers)
        print()
    if args.only in (None, "council"):
        missed += bench_council(args.dossiers // 2)
        print()
    if args.only in (None, "nested"):
        missed += bench_nested(args.dossiers // 5)
        print()
    if args.only in (None, "cli"):
        missed += bench_cli(args.cli_runs)
        print()
    if args.only in (None, "round"):
        from round_bench import main_figures

        missed += main_figures(args.postgres_url, tuple(int(n) for n in args.round_sizes.split(",")))
        print()
    if args.only in (None, "excel"):
        import excel_bench

        missed += excel_bench.main_figures(rows=1000, dossiers=args.excel_dossiers)
    if args.only in (None, "web"):
        from web_bench import main_figures as web_figures

        missed += web_figures(args.postgres_url, args.web_dossiers, args.web_seconds)
        print()
    if missed:
        print("TARGETS MISSED:\n  " + "\n  ".join(missed))
        wrong = [m for m in missed if not is_timing(m)]
        if args.timing_misses_warn and not wrong:
            print("(speed targets only: reported, not failing this run — --timing-misses-warn)")
            return 0
        return 1
    print("all targets met")
    return 0


TIMING = re.compile(r"/s < |×|\btook [\d.]+ s\b|\bp95 |\bpeaked at | s ≥ | ms ≥ ")


def is_timing(missed: str) -> bool:
    """A missed speed or memory target (which a loaded machine can cause), as against a wrong result, an error or a
    broken bound on queries (which no machine excuses)."""
    return bool(TIMING.search(missed)) and "differ" not in missed and "errors" not in missed


if __name__ == "__main__":
    raise SystemExit(main())
