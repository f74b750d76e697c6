"""`spcncl` commands on the records of a programme: db, demo, round report, audit, certificate.

Kept apart from cli.py so that the criteria commands never import SQLAlchemy.
"""

from __future__ import annotations

import argparse
import json
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from spcncl_core.catalog import Catalog
from spcncl_core.tables import table


def add_commands(sub: Any, with_json: Any) -> None:
    """Register the records commands on the top-level subparsers."""
    def with_db(p: argparse.ArgumentParser) -> argparse.ArgumentParser:
        p.add_argument("--database-url", help="database URL (default: $SPCNCL_DATABASE_URL, else "
                                              "sqlite:///spcncl.sqlite); postgresql://… uses psycopg 3")
        return p

    db = sub.add_parser("db", help="database schema (Alembic migrations)")
    dsub = db.add_subparsers(dest="db_command", required=True, metavar="ACTION")
    with_db(dsub.add_parser("upgrade", help="create or migrate the schema to the newest revision")).set_defaults(
        fn=cmd_db_upgrade)
    with_db(dsub.add_parser("current", help="show the schema revision")).set_defaults(fn=cmd_db_current)
    p = with_db(sub.add_parser("demo", help="load the demo 2023 round (synthetic figures) and demo users, into an "
                                            "empty database or a demo one"))
    p.add_argument("--reset", action="store_true", help="empty the database first (asks; PostgreSQL needs --yes)")
    p.add_argument("--yes", action="store_true", help="do not ask before --reset empties the database")
    p.add_argument("--if-missing", action="store_true", help="do nothing when the database holds the demo already")
    p.set_defaults(fn=cmd_demo)
    rnd = sub.add_parser("round", help="programme rounds")
    rsub = rnd.add_subparsers(dest="round_command", required=True, metavar="ACTION")
    p = with_json(with_db(rsub.add_parser("report", help="ranking, Top N, pass/fail, open comments, certificates")))
    p.add_argument("--year", type=int, required=True)
    p.add_argument("--jurisdiction", default="hanoi")
    p.set_defaults(fn=cmd_round_report)
    aud = sub.add_parser("audit", help="the audit log")
    asub = aud.add_subparsers(dest="audit_command", required=True, metavar="ACTION")
    p = with_json(with_db(asub.add_parser(
        "verify", help="check the keyed hash chain against its checkpoints, and the records against the log")))
    p.add_argument("--checkpoint", help="the checkpoint file (default: $SPCNCL_AUDIT_CHECKPOINT)")
    p.set_defaults(fn=cmd_audit_verify)
    p = with_json(with_db(asub.add_parser("show", help="one dossier's whole history")))
    p.add_argument("--dossier", required=True, metavar="NUMBER", help="the dossier number, e.g. HN-2023-0001")
    p.set_defaults(fn=cmd_audit_show)
    cert = sub.add_parser("certificate", help="certificates of recognised products")
    csub = cert.add_subparsers(dest="certificate_command", required=True, metavar="ACTION")
    p = with_json(with_db(csub.add_parser("check", help="look a certificate up by its number")))
    p.add_argument("number")
    p.set_defaults(fn=cmd_certificate_check)


@contextmanager
def _session(args: argparse.Namespace) -> Iterator[Any]:
    from spcncl_core.db.base import make_engine, make_session_factory

    engine = make_engine(args.database_url)
    try:
        with make_session_factory(engine)() as session:
            yield session
    finally:
        engine.dispose()


def cmd_db_upgrade(catalog: Catalog, args: argparse.Namespace) -> int:
    """Migrate the schema to the newest revision."""
    from spcncl_core.db.base import make_engine
    from spcncl_core.db.migrate import current, upgrade

    engine = make_engine(args.database_url)
    upgrade(engine)
    print(f"database {engine.url.render_as_string(hide_password=True)} at revision {current(engine)}")
    engine.dispose()
    return 0


def cmd_db_current(catalog: Catalog, args: argparse.Namespace) -> int:
    """Print the schema revision."""
    from spcncl_core.db.base import make_engine
    from spcncl_core.db.migrate import current

    engine = make_engine(args.database_url)
    print(current(engine) or "empty (run `spcncl db upgrade`)")
    engine.dispose()
    return 0


def cmd_demo(catalog: Catalog, args: argparse.Namespace) -> int:
    """Load the demo round and users, only into an empty or demo database; --reset empties it first."""
    import sys

    from spcncl_core import demo
    from spcncl_core.db.base import make_engine
    from spcncl_core.db.migrate import current, downgrade, upgrade
    from spcncl_core.errors import RecordError
    from spcncl_core.services import audit

    audit.use_dev_key_unless_configured("spcncl demo")
    engine = make_engine(args.database_url)
    where = engine.url.render_as_string(hide_password=True)
    try:
        if current(engine) is not None:
            with _session(args) as session:
                holds, is_demo = demo.holds_records(session), demo.is_demo_database(session)
            if holds and args.if_missing and is_demo:
                print(f"the demo database {where} is there already (use --reset to build it again)")
                return 0
            if holds and not is_demo:
                raise RecordError(f"{where} holds records that are not demo data: the demo is never loaded into "
                                  "it, nor does --reset empty it; give the URL of an empty or demo database")
            if holds and not args.reset:
                raise RecordError(f"{where} holds the demo already: add --reset to build it again")
        if args.reset:
            if engine.dialect.name != "sqlite" and not args.yes:
                raise RecordError(f"--reset empties {where}; on a server database it needs --yes as well")
            if not args.yes:
                if not sys.stdin.isatty():
                    raise RecordError(f"--reset empties {where}: confirm with --yes (no terminal to ask on)")
                answer = input(f"empty {where} and build the demo again? type yes: ")
                if answer.strip().lower() != "yes":
                    print("nothing changed")
                    return 1
            downgrade(engine, "base")
        upgrade(engine)
    finally:
        engine.dispose()
    with _session(args) as session:
        print("building the demo 2023 round (synthetic figures) …")
        built = demo.build_round(session, catalog, progress=lambda message: print(f"  {message}"))
        names = [u.username for u in demo.create_demo_users(session)]  # made by build_round; listed here
        session.commit()
    print(f"demo loaded: {len(built.dossiers)} dossiers; users {', '.join(names)} "
          f"(password: {demo.DEMO_PASSWORD}; this database is marked as a demo database)")
    return 0


def cmd_round_report(catalog: Catalog, args: argparse.Namespace) -> int:
    """Print a round's ranking, Top N, pass/fail, open comments and certificates."""
    from spcncl_core.services import publication, results, rounds

    with _session(args) as session:
        round_ = rounds.get_round(session, args.jurisdiction, args.year)
        rows = results.round_report(session, catalog, round_)
        comments = publication.open_comments(session, round_)
        data = [{"position": r.position, "dossier": r.dossier, "product": r.product, "enterprise": r.enterprise,
                 "product_group": r.product_group, "state": r.state, "eligible": r.eligible,
                 "total": None if r.total is None else float(r.total), "total_text": r.total_text,
                 "passed": r.passed, "class": r.result_class, "top": r.top, "tie_break": r.tie_break,
                 "certificate": r.certificate.number if r.certificate else None} for r in rows]
        certificates = sorted((r.certificate for r in rows if r.certificate), key=lambda c: c.number)
        if args.json:
            print(json.dumps({"round": {"jurisdiction": round_.jurisdiction_id, "year": round_.year,
                                        "title": round_.title},
                              "results": data, "open_comments": len(comments),
                              "certificates": [vars(c) | {"valid_from": str(c.valid_from),
                                                          "valid_until": str(c.valid_until)}
                                               for c in certificates]},
                             ensure_ascii=False, indent=2))
            return 0
        print(f"{round_.title}\n")
        classed = any(r["class"] for r in data)  # a class column only for sets with result classes
        print(table(["#", "dossier", "product", "group", "total", "result", *(["class"] if classed else []), "top",
                     "certificate"],
                    [[r["position"] or "", r["dossier"], _cut(r["product"], 34), r["product_group"], r["total_text"],
                      "✓ đạt" if r["passed"] else ("✗ không đủ điều kiện" if not r["eligible"] else "✗ không đạt"),
                      *([r["class"] or ""] if classed else []), "TOP" if r["top"] else "", r["certificate"] or ""]
                     for r in data], right=(0, 4)))
        eligible = [r for r in data if r["eligible"]]
        top = [r for r in data if r["top"]]
        print(f"\nregistered {len(data)}; eligible {len(eligible)} of "
              f"{len({r['enterprise'] for r in eligible})} enterprises; passed {sum(r['passed'] for r in data)}; "
              f"Top {len(top)} of {len({r['enterprise'] for r in top})} enterprises; open comments {len(comments)}; "
              f"certificates {len(certificates)}")
        ties = [r for r in data if r["tie_break"]]
        for r in ties:
            print(f"  tie at {r['position']}: {r['dossier']}: {r['tie_break']}")
    return 0


def _cut(text: str, width: int) -> str:
    return text if len(text) <= width else text[: width - 1] + "…"


def cmd_audit_verify(catalog: Catalog, args: argparse.Namespace) -> int:
    """Verify the audit log (chain, key, checkpoints, records); exit 1 when anything was tampered with."""
    from pathlib import Path

    from spcncl_core import demo
    from spcncl_core.services import audit

    with _session(args) as session:
        if demo.is_demo_database(session):  # only a database `spcncl demo` built and marked
            audit.use_dev_key_unless_configured("a demo database")
        report = audit.verify(session, Path(args.checkpoint) if args.checkpoint else None)
    if args.json:
        print(json.dumps({"entries": report.entries, "ok": report.ok, "problems": list(report.problems),
                          "warnings": list(report.warnings), "checkpoints": report.checkpoints,
                          "head": report.head}, ensure_ascii=False, indent=2))
    elif report.ok:
        print(f"audit log intact: {report.entries} entries, keyed hash chain verified against "
              f"{report.checkpoints} checkpoint(s); dossier states, scores, results and certificates match the log")
    else:
        print(f"AUDIT LOG TAMPERED: {len(report.problems)} problem(s) in {report.entries} entries")
        for problem in report.problems:
            print(f"  {problem}")
    if not args.json:
        for warning in report.warnings:
            print(f"warning: {warning}")
    return 0 if report.ok else 1


def cmd_audit_show(catalog: Catalog, args: argparse.Namespace) -> int:
    """Print one dossier's whole history from the audit log, times in the jurisdiction's zone."""
    from sqlalchemy import select

    from spcncl_core import clock
    from spcncl_core.db.models import Dossier, Round
    from spcncl_core.errors import NotFoundError
    from spcncl_core.services import audit

    with _session(args) as session:
        found = session.execute(select(Dossier, Round).join(Round, Round.id == Dossier.round_id)
                                .where(Dossier.number == args.dossier)).first()
        if found is None:
            raise NotFoundError(f"no dossier {args.dossier}")
        dossier, round_ = found
        entries = audit.dossier_history(session, dossier.number)
        if args.json:
            print(json.dumps({"dossier": dossier.number, "product": dossier.product.name, "state": dossier.state,
                              "time_zone": str(clock.zone(round_.jurisdiction_id)),
                              "entries": audit.entries_json(entries)}, ensure_ascii=False, indent=2))
            return 0
        zone = clock.zone(round_.jurisdiction_id)
        print(f"dossier {dossier.number} — {dossier.product.name}; now {dossier.state}; "
              f"{len(entries)} audit entries (times {zone.key})")
        for entry in entries:
            change = _change_text(entry.before, entry.after)
            print(f"  #{entry.seq:<6} {clock.show(entry.at, round_.jurisdiction_id)}  {entry.actor:<14} "
                  f"{entry.action:<26} {change}" + (f"  — {entry.reason}" if entry.reason else ""))
    return 0


def _change_text(before: Any, after: Any) -> str:
    def short(value: Any) -> str:
        if isinstance(value, dict) and len(value) == 1:
            value = next(iter(value.values()))
        return value if isinstance(value, str) else json.dumps(value, ensure_ascii=False, separators=(", ", ": "))
    if before is None:
        return "" if after is None else short(after)
    return f"{short(before)} → {short(after)}"


def cmd_certificate_check(catalog: Catalog, args: argparse.Namespace) -> int:
    """Look a certificate up by number."""
    from spcncl_core.services import recognition

    with _session(args) as session:
        status = recognition.check_certificate(session, args.number)
    if args.json:
        print(json.dumps(vars(status) | {"valid_from": str(status.valid_from),
                                         "valid_until": str(status.valid_until)}, ensure_ascii=False, indent=2))
    else:
        print(f"{status.number}: {status.product} — {status.enterprise}; valid {status.valid_from:%d/%m/%Y}–"
              f"{status.valid_until:%d/%m/%Y}; {status.status.upper()}"
              + (f" ({status.revocation_reason})" if status.revocation_reason else ""))
    return 0
