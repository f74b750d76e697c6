"""Web benchmark: the back office with a national-scale round (100,000 dossiers by default) behind gunicorn, on
SQLite and PostgreSQL; 10 concurrent locust users on loopback list, filter, search, sort and open dossiers for a
bounded time. Prints p50/p95/p99 per page and the errors. Target of the back-office issue: p95 < 300 ms.

The data are bulk-inserted (one INSERT per table in chunks): enterprises, products, dossiers with synthetic inputs,
a round and its criteria sets created through the services, and the demo users.
"""

from __future__ import annotations

import argparse
import csv
import json
import os
import random
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.parse
import urllib.request
from datetime import datetime, timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from synthetic import hanoi_inputs  # noqa: E402

from spcncl_core import load_catalog  # noqa: E402
from spcncl_core.db.base import make_engine, make_session_factory  # noqa: E402
from spcncl_core.db.migrate import downgrade, upgrade  # noqa: E402
from spcncl_core.db.models import Dossier, Enterprise, Product  # noqa: E402
from spcncl_core.demo import DISTRICTS, PUBLIC_NAMES, SECTORS, create_demo_users  # noqa: E402
from spcncl_core.search import fold  # noqa: E402
from spcncl_core.services import audit, rounds  # noqa: E402

TARGET_P95_MS = 300
HERE = Path(__file__).resolve().parent
STATES = ["submitted", "eligible", "ineligible", "preliminarily_scored", "council_scored"]


def build(url: str, count: int) -> int:
    """A fresh schema with one round of `count` dossiers; returns the round's id."""
    os.environ.setdefault(audit.DEV_KEY_ENV, "1")  # a throw-away database: the public key is enough (--only web)
    engine = make_engine(url)
    downgrade(engine, "base")
    upgrade(engine)
    catalog = load_catalog()
    rng = random.Random(2030)
    with make_session_factory(engine)() as session:
        admin = create_demo_users(session)[0]
        round_ = rounds.create_round(session, admin, catalog, "hanoi", 2030, "Vòng thử tải (số liệu giả định)")
        session.commit()
        round_id = round_.id
    n_enterprises = max(1, count // 5)
    enterprises = []
    for i in range(n_enterprises):
        name = PUBLIC_NAMES[i][1] if i < len(PUBLIC_NAMES) else f"Công ty CP Sản xuất Thử tải {i + 1:06d}"
        enterprises.append({"id": i + 1, "code": f"{100000000 + i:010d}", "name": name, "name_key": fold(name),
                            "district": DISTRICTS[i % len(DISTRICTS)], "sector": SECTORS[i % len(SECTORS)]})
    products, dossiers = [], []
    start = datetime(2030, 9, 1)
    pool = [hanoi_inputs(rng) for _ in range(200)]
    for i in range(count):
        owner = i % n_enterprises
        name = PUBLIC_NAMES[i][0] if i < len(PUBLIC_NAMES) else f"Sản phẩm thử tải (demo {i + 1:06d})"
        products.append({"id": i + 1, "enterprise_id": owner + 1, "name": name, "name_key": fold(name),
                         "sector": SECTORS[owner % len(SECTORS)]})
        inputs = pool[i % len(pool)]
        dossiers.append({"id": i + 1, "round_id": round_id, "product_id": i + 1, "number": f"HN-2030-{i + 1:06d}",
                         "state": STATES[i % len(STATES)], "product_group": "standard", "inputs": inputs,
                         "self_assessment": {}, "submitted_at": start + timedelta(seconds=37 * i), "version": 1})
    with engine.begin() as connection:
        for model, rows in ((Enterprise, enterprises), (Product, products), (Dossier, dossiers)):
            for chunk in range(0, len(rows), 5000):
                connection.execute(model.__table__.insert(), rows[chunk:chunk + 5000])
        if engine.dialect.name == "postgresql":
            for table in ("enterprise", "product", "dossier"):
                connection.exec_driver_sql(f"SELECT setval('{table}_id_seq', (SELECT max(id) FROM {table}))")
        else:
            connection.exec_driver_sql("ANALYZE")
    if engine.dialect.name == "postgresql":
        # what autovacuum does soon after a bulk load: statistics, and the visibility map that lets the list's
        # counts and filters read their indexes only (index-only scans), as a live database would
        with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as connection:
            connection.exec_driver_sql("VACUUM ANALYZE")
    engine.dispose()
    return round_id


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def serve(url: str, port: int, workers: int) -> subprocess.Popen[bytes]:
    """gunicorn with `workers` processes, configured from the environment as in production."""
    env = {**os.environ, "SPCNCL_DATABASE_URL": url, "SECRET_KEY": "bench-secret", "SPCNCL_INSECURE_COOKIES": "1",
           "SPCNCL_SIGNIN_LIMIT": "10000 per minute"}
    exe = shutil.which("gunicorn", path=os.path.dirname(sys.executable)) or "gunicorn"
    process = subprocess.Popen([exe, "-w", str(workers), "-b", f"127.0.0.1:{port}", "--log-level", "warning",
                                "spcncl_admin:create_app()"], env=env, start_new_session=True)
    for _ in range(200):
        try:
            urllib.request.urlopen(f"http://127.0.0.1:{port}/login", timeout=2)
            return process
        except OSError:
            time.sleep(0.1)
    process.kill()
    raise RuntimeError("gunicorn did not start")


def warm_up(port: int, round_id: int, rounds: int = 6) -> None:
    """Visit every kind of page a few times so that each gunicorn worker has compiled its templates and read its
    filter options before the measured run (a first request costs seconds, not what a user waits normally)."""
    import http.cookiejar
    import re

    jar = http.cookiejar.CookieJar()
    opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(jar))
    base = f"http://127.0.0.1:{port}"
    page = opener.open(f"{base}/login", timeout=30).read().decode()
    token = re.search(r'name="csrf_token"[^>]*value="([^"]+)"', page)
    data = urllib.parse.urlencode({"username": "secretariat", "password": "demo-password",
                                   "csrf_token": token.group(1) if token else ""}).encode()
    opener.open(f"{base}/login", data=data, timeout=30).read()
    for _ in range(rounds):
        for path in ("/admin/dossiers/", f"/admin/dossiers/?flt0_0={round_id}&flt1_2=eligible", "/admin/dossier/1",
                     "/admin/dossiers/?search=rang+dong", "/admin/dossiers/?sort=1"):
            opener.open(base + path, timeout=60).read()


def load(port: int, round_id: int, count: int, users: int, seconds: int) -> list[dict[str, str]]:
    """Run locust headless for `seconds`; its per-page statistics rows."""
    exe = shutil.which("locust", path=os.path.dirname(sys.executable)) or "locust"
    with tempfile.TemporaryDirectory() as folder:
        prefix = str(Path(folder) / "stats")
        env = {**os.environ, "WEB_BENCH_ROUND": str(round_id), "WEB_BENCH_DOSSIERS": str(count)}
        subprocess.run([exe, "-f", str(HERE / "web_locustfile.py"), "--headless", "-u", str(users), "-r",
                        str(users), "-t", f"{seconds}s", "--host", f"http://127.0.0.1:{port}", "--csv", prefix,
                        "--only-summary", "--loglevel", "ERROR", "--stop-timeout", "5"], env=env, check=False,
                       stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        with open(f"{prefix}_stats.csv", encoding="utf-8") as handle:
            return list(csv.DictReader(handle))


def bench(label: str, url: str, count: int, users: int, seconds: int, workers: int) -> list[str]:
    """Build, serve, load, print; returns the targets missed."""
    started = time.perf_counter()
    round_id = build(url, count)
    built = time.perf_counter() - started
    port = free_port()
    server = serve(url, port, workers)
    try:
        warm_up(port, round_id, rounds=3 * workers)
        rows = load(port, round_id, count, users, seconds)
    finally:
        os.killpg(server.pid, signal.SIGTERM)
        server.wait(timeout=30)
    print(f"web, {label}: {count:,} dossiers (bulk insert {built:.1f} s), gunicorn {workers} workers, "
          f"{users} locust users for {seconds} s on loopback")
    print(f"  {'page':14} {'requests':>9} {'errors':>7} {'p50 ms':>7} {'p95 ms':>7} {'p99 ms':>7}")
    missed = []
    for row in rows:
        name = row["Name"]
        if name == "sign-in":
            continue
        p50, p95, p99 = (float(row[k] or 0) for k in ("50%", "95%", "99%"))
        print(f"  {name:14} {int(row['Request Count']):>9,} {int(row['Failure Count']):>7} {p50:>7.0f} "
              f"{p95:>7.0f} {p99:>7.0f}")
        if name != "Aggregated" and p95 >= TARGET_P95_MS:
            missed.append(f"web {label} {name}: p95 {p95:.0f} ms ≥ {TARGET_P95_MS} ms")
        if int(row["Failure Count"]):
            missed.append(f"web {label} {name}: {row['Failure Count']} errors")
    return missed


def main_figures(postgres_url: str | None, count: int, seconds: int, users: int = 10, workers: int = 3) -> list[str]:
    """The benchmark on SQLite and (when a URL is given) PostgreSQL."""
    missed = []
    with tempfile.TemporaryDirectory() as folder:
        missed += bench("SQLite", f"sqlite:///{folder}/web.sqlite", count, users, seconds, workers)
    if postgres_url:
        print()
        missed += bench("PostgreSQL", postgres_url, count, users, seconds, workers)
    return missed


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--dossiers", type=int, default=100_000)
    parser.add_argument("--seconds", type=int, default=30)
    parser.add_argument("--users", type=int, default=10)
    parser.add_argument("--workers", type=int, default=3)
    parser.add_argument("--postgres-url", default=os.environ.get("SPCNCL_TEST_DATABASE_URL"))
    parser.add_argument("--only", choices=("sqlite", "postgresql"))
    args = parser.parse_args()
    missed: list[str] = []
    if args.only != "postgresql":
        with tempfile.TemporaryDirectory() as folder:
            missed += bench("SQLite", f"sqlite:///{folder}/web.sqlite", args.dossiers, args.users, args.seconds,
                            args.workers)
    if args.only != "sqlite" and args.postgres_url:
        missed += bench("PostgreSQL", args.postgres_url, args.dossiers, args.users, args.seconds, args.workers)
    print(json.dumps({"missed": missed}, ensure_ascii=False))
    return 1 if missed else 0


if __name__ == "__main__":
    raise SystemExit(main())
