"""Registering many dossiers at once (an Excel import): enterprises, products and dossiers, submitted or as drafts.

The policy is asked as the single-record services ask it (`enterprise.save`, `product.save`, `dossier.register`,
`dossier.submit`: the secretariat, in the registration phase). Everything is checked before anything is written,
every problem reported at once (`entries[i].field`): the texts against their columns, the same product twice, a
dossier number taken, a product registered already and past screening, and each dossier's inputs and
self-assessment against the criteria set its product group is scored on (what `dossiers.submit` checks). New
enterprises, products and dossiers are inserted in bulk: one audit entry per record (each enterprise and product
created; each dossier registered, with the state it got: submitted or draft); a
product registered already (a draft, or submitted and not yet screened) is updated through `dossiers.move`,
`dossiers.update` and `dossiers.submit`, with their audit entries.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import insert, select
from sqlalchemy.orm import Session

from spcncl_core.catalog import Catalog
from spcncl_core.db.base import utcnow
from spcncl_core.db.models import Dossier, Enterprise, Product, Round, User
from spcncl_core.dossier import Dossier as EngineDossier
from spcncl_core.engine.evaluate import evaluate
from spcncl_core.errors import DossierError, Problem, SpcnclError
from spcncl_core.services import audit, checks, dossiers
from spcncl_core.services.policy import actor_name, require
from spcncl_core.services.rounds import criteria_set_for

UPDATABLE = ("draft", "submitted")


@dataclass(frozen=True)
class Entry:
    """One dossier to register: the enterprise (by its code), the product, optionally its number, the inputs and
    the self-assessment."""

    enterprise_code: str
    enterprise_name: str
    product_name: str
    inputs: Mapping[str, Any]
    self_assessment: Mapping[str, Any] = field(default_factory=dict)
    district: str | None = None
    sector: str | None = None
    number: str | None = None


@dataclass
class Registered:
    """What `register_many` did: dossier numbers registered and updated."""

    registered: list[str] = field(default_factory=list)
    updated: list[str] = field(default_factory=list)


def next_numbers(session: Session, round_: Round) -> Iterator[str]:
    """Free dossier numbers of a round, continuing its own numbering (`HN-2023-0042` → `HN-2023-0043`), else
    `<JURISDICTION>-<year>-0001`."""
    existing = list(session.scalars(select(Dossier.number).where(Dossier.round_id == round_.id)))
    prefix, last = f"{round_.jurisdiction_id.upper()}-{round_.year}-", 0
    for number in existing:
        match = re.fullmatch(r"(.*?)(\d+)", number)
        if match and int(match.group(2)) >= last:
            prefix, last = match.group(1), int(match.group(2))
    taken = set(existing)
    while True:
        last += 1
        candidate = f"{prefix}{last:04d}"
        if candidate not in taken:
            yield candidate


@dataclass
class Plan:
    """The outcome of `check`: every problem found, and what `register_many` will write."""

    entries: Sequence[Entry]
    problems: list[Problem]
    existing: dict[int, Dossier]
    groups: dict[int, str]
    enterprises: dict[str, Enterprise]
    products: dict[tuple[int, str], Product]


PROGRESS_EVERY = 100  # entries between two progress reports


def check(session: Session, catalog: Catalog, round_: Round, entries: Sequence[Entry],
          progress: Callable[[int, int], None] | None = None) -> Plan:
    """Check every entry as `register_many` will, writing nothing; problems are located as `entries[i].field`.
    `progress(done, total)` hears the entries checked every hundred entries and at the end."""
    jurisdiction, year = round_.jurisdiction_id, round_.year
    known = catalog.known_inputs(jurisdiction)
    enterprises = {e.code: e for e in session.scalars(select(Enterprise))}
    products = {(p.enterprise_id, p.name): p for p in session.scalars(select(Product))}
    in_round = list(session.scalars(select(Dossier).where(Dossier.round_id == round_.id)))
    by_product = {d.product_id: d for d in in_round}
    by_number = {d.number: d for d in in_round}
    problems: list[Problem] = []
    seen: dict[tuple[str, str], int] = {}
    existing: dict[int, Dossier] = {}
    groups: dict[int, str] = {}
    sets: dict[str, Any] = {}
    texts = (("enterprise_code", Enterprise.code, "enterprise code", True),
             ("enterprise_name", Enterprise.name, "enterprise name", True),
             ("district", Enterprise.district, "district", False), ("sector", Enterprise.sector, "sector", False),
             ("product_name", Product.name, "product name", True), ("number", Dossier.number, "dossier number", False))
    for i, entry in enumerate(entries):
        if progress is not None and i and i % PROGRESS_EVERY == 0:
            progress(i, len(entries))
        at = f"entries[{i}]"
        bad = False
        for name, column, label, required in texts:
            try:
                checks.text(getattr(entry, name), column, label, required=required)
            except SpcnclError as exc:
                problems.append(Problem(f"{at}.{name}", str(exc)))
                bad = True
        for name in ("inputs", "self_assessment"):
            try:
                checks.json_value(dict(getattr(entry, name)), name)
            except SpcnclError as exc:
                problems.append(Problem(f"{at}.{name}", str(exc)))
                bad = True
        if bad:
            continue
        key = (entry.enterprise_code, entry.product_name)
        if key in seen:
            problems.append(Problem(f"{at}.product_name", f"{entry.product_name} of enterprise "
                                                          f"{entry.enterprise_code} is listed twice (also "
                                                          f"entries[{seen[key]}])"))
            continue
        seen[key] = i
        enterprise_ = enterprises.get(entry.enterprise_code)
        product_ = products.get((enterprise_.id, entry.product_name)) if enterprise_ else None
        dossier = by_product.get(product_.id) if product_ else None
        if entry.number is not None and entry.number in by_number and by_number[entry.number] is not dossier:
            problems.append(Problem(f"{at}.number", f"dossier number {entry.number} belongs to another product in "
                                                    f"the {year} round"))
        if dossier is not None:
            if dossier.state not in UPDATABLE:
                problems.append(Problem(f"{at}.product_name", f"{entry.product_name} is registered already as "
                                                              f"dossier {dossier.number}, which is {dossier.state} "
                                                              "(past screening): a re-import cannot change it"))
                continue
            existing[i] = dossier
        try:
            group = catalog.classify(jurisdiction, year, entry.inputs)
            cset = sets.get(group)
            if cset is None:
                cset = sets[group] = criteria_set_for(session, catalog, round_, group)
            evaluate(cset, EngineDossier(jurisdiction, year, entry.inputs, entry.self_assessment),
                     known_inputs=known)
            groups[i] = group
        except DossierError as exc:
            problems.extend(Problem(f"{at}.{p.where}", p.message) for p in exc.problems)
        except SpcnclError as exc:
            problems.append(Problem(at, str(exc)))
    if progress is not None:
        progress(len(entries), len(entries))
    return Plan(entries, problems, existing, groups, enterprises, products)


def authorize(session: Session, actor: User, round_: Round, submit: bool = True) -> None:
    """Refuse an actor who may not register (and submit) dossiers in the round now, as the single-record services
    would (PermissionDeniedError or PhaseError)."""
    require(session, actor, "enterprise.save")
    require(session, actor, "product.save")
    require(session, actor, "dossier.register", round_)
    if submit:
        require(session, actor, "dossier.submit", round_)


def register_many(session: Session, actor: User, catalog: Catalog, round_: Round, entries: Sequence[Entry], *,
                  submit: bool = True, submitted_at: datetime | None = None, checked: Plan | None = None,
                  progress: Callable[[int, int], None] | None = None) -> Registered:
    """Register (and submit) every entry, or raise DossierError listing every problem and write nothing.
    `checked` is the `check` of these entries when the caller ran it already. `progress(done, total)` hears the
    dossiers written (every hundred, and at the end)."""
    authorize(session, actor, round_, submit)
    submitted_at = checks.when(submitted_at, "submission time")
    plan = checked if checked is not None and checked.entries is entries else check(session, catalog, round_,
                                                                                      entries)
    if plan.problems:
        raise DossierError(plan.problems, summary="registration refused; nothing was written")
    existing, groups, enterprises, products = plan.existing, plan.groups, plan.enterprises, plan.products
    name = actor_name(actor)
    done = Registered()
    total, written = len(entries), 0

    def wrote(count: int) -> None:
        nonlocal written
        before, written = written, written + count
        if progress is not None and (written // PROGRESS_EVERY > before // PROGRESS_EVERY or written == total):
            progress(written, total)

    for i, dossier in existing.items():  # the rare re-import: the single-record services
        entry = entries[i]
        if dossier.state == "submitted":
            dossiers.move(session, actor, dossier, "draft", reason="registered again (import)")
        dossiers.update(session, actor, dossier, dossier.version, dict(entry.inputs), dict(entry.self_assessment))
        if submit:
            dossiers.submit(session, actor, catalog, dossier, submitted_at)
        done.updated.append(dossier.number)
        wrote(1)
    new = [i for i in range(len(entries)) if i not in existing]
    if not new:
        return done
    fresh_enterprises: dict[str, dict[str, Any]] = {}
    for i in new:
        entry = entries[i]
        details = {k: v for k, v in (("district", entry.district), ("sector", entry.sector)) if v is not None}
        found = enterprises.get(entry.enterprise_code)
        if found is None:
            fresh_enterprises.setdefault(entry.enterprise_code, {"name": entry.enterprise_name, **details})
        elif found.name != entry.enterprise_name or any(getattr(found, k) != v for k, v in details.items()):
            dossiers.enterprise(session, actor, entry.enterprise_code, entry.enterprise_name, **details)
    enterprise_ids = {e.code: e.id for e in enterprises.values()}
    if fresh_enterprises:
        rows = [{"code": code, **fields} for code, fields in fresh_enterprises.items()]
        with checks.translated("adding enterprises"):
            ids = list(session.scalars(insert(Enterprise).returning(Enterprise.id, sort_by_parameter_order=True),
                                       rows))
        enterprise_ids.update(zip(fresh_enterprises, ids))
        audit.record_many(session, name, "enterprise.created",
                          (("enterprise", code, None, fields) for code, fields in fresh_enterprises.items()),
                          reason=f"registered in the {round_.year} round (import)")
    product_ids = {key: p.id for key, p in products.items()}
    fresh_products: dict[tuple[int, str], dict[str, Any]] = {}
    for i in new:
        entry = entries[i]
        key = (enterprise_ids[entry.enterprise_code], entry.product_name)
        if key not in product_ids and key not in fresh_products:
            fresh_products[key] = {"enterprise_id": key[0], "name": entry.product_name, "sector": entry.sector,
                                   "code": entry.enterprise_code}
    if fresh_products:
        with checks.translated("adding products"):
            ids = list(session.scalars(insert(Product).returning(Product.id, sort_by_parameter_order=True),
                                       [{k: v for k, v in p.items() if k != "code"} for p in fresh_products.values()]))
        product_ids.update(zip(fresh_products, ids))
        audit.record_many(session, name, "product.created",
                          (("product", product_id, None, {"enterprise": fields["code"], "name": fields["name"],
                                                          "sector": fields["sector"]})
                           for product_id, fields in zip(ids, fresh_products.values())),
                          reason=f"registered in the {round_.year} round (import)")
    numbers = next_numbers(session, round_)
    when = submitted_at or utcnow()
    rows = []
    for i in new:
        entry = entries[i]
        rows.append({"round_id": round_.id, "product_id": product_ids[(enterprise_ids[entry.enterprise_code],
                                                                       entry.product_name)],
                     "number": entry.number or next(numbers), "state": "submitted" if submit else "draft",
                     "product_group": groups[i] if submit else None, "inputs": dict(entry.inputs),
                     "self_assessment": dict(entry.self_assessment), "submitted_at": when if submit else None,
                     "version": 1})
    with checks.translated("registering dossiers"):
        session.execute(insert(Dossier), rows)
    for i, row in zip(new, rows):
        entry = entries[i]
        audit.record(session, name, "dossier.registered", "dossier", row["number"],
                     after={"product": entry.product_name, "enterprise": entry.enterprise_code, "state": row["state"]},
                     reason=f"submitted at {when.isoformat()}, product group {groups[i]}" if submit else None)
        wrote(1)
    done.registered = [r["number"] for r in rows]
    checks.flush(session, "registering dossiers")
    return done
