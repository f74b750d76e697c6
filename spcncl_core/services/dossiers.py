"""Dossiers: registration, submission and the state machine of DOMAIN.md §2."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime
from typing import Any

from sqlalchemy import bindparam, insert, select
from sqlalchemy import update as sql_update
from sqlalchemy.orm import Session
from sqlalchemy.orm.attributes import set_committed_value

from spcncl_core import clock
from spcncl_core.catalog import Catalog
from spcncl_core.db.models import Dossier, Enterprise, Product, Round
from spcncl_core.dossier import Dossier as EngineDossier
from spcncl_core.engine.evaluate import evaluate
from spcncl_core.errors import (
    DossierError,
    IllegalTransitionError,
    LockedError,
    NotFoundError,
    Problem,
    RecordError,
    StaleEditError,
)
from spcncl_core.services import audit
from spcncl_core.services.rounds import criteria_set_for

# state → the states it may move to
TRANSITIONS: dict[str, tuple[str, ...]] = {
    "draft": ("submitted",),
    "submitted": ("eligible", "ineligible", "draft"),
    "eligible": ("preliminarily_scored", "ineligible"),
    "ineligible": ("eligible",),
    "preliminarily_scored": ("council_scored", "ineligible"),
    "council_scored": ("published", "preliminarily_scored"),
    "published": ("recognised", "not_recognised", "council_scored"),
    "recognised": ("expired", "revoked"),
    "not_recognised": (),
    "expired": (),
    "revoked": (),
}
STATES = tuple(TRANSITIONS)
STATE_LABELS_VI = {
    "draft": "Nháp", "submitted": "Đã nộp", "eligible": "Đủ điều kiện", "ineligible": "Không đủ điều kiện",
    "preliminarily_scored": "Đã chấm sơ bộ", "council_scored": "Hội đồng đã chấm", "published": "Đã công khai",
    "recognised": "Được công nhận", "not_recognised": "Không được công nhận", "expired": "Hết hiệu lực",
    "revoked": "Bị thu hồi",
}


def check_transition(dossier: Dossier, to_state: str) -> None:
    """Refuse a move the state machine does not allow, saying which moves are allowed from here."""
    allowed = TRANSITIONS.get(dossier.state, ())
    if to_state not in allowed:
        options = ", ".join(allowed) if allowed else "none (a final state)"
        raise IllegalTransitionError(f"dossier {dossier.number} is {dossier.state}: it cannot become {to_state}; "
                                     f"allowed from {dossier.state}: {options}")


def move(session: Session, actor: str, dossier: Dossier, to_state: str, reason: str | None = None) -> None:
    """Move a dossier to `to_state`, or refuse with the transitions allowed from where it is."""
    check_transition(dossier, to_state)
    before = dossier.state
    dossier.state = to_state
    session.flush()
    audit.record(session, actor, "dossier.state", "dossier", dossier.number, before={"state": before},
                 after={"state": to_state}, reason=reason)


def move_many(session: Session, actor: str, dossiers: list[Dossier], to_state: str,
              reason: str | None = None) -> None:
    """Move several dossiers at once (a round's results, a decision): all are checked first; one audit entry per
    dossier, written in one statement."""
    for dossier in dossiers:
        check_transition(dossier, to_state)
    if not dossiers:
        return
    before = {d.number: d.state for d in dossiers}
    session.flush()  # pending changes first: the statement below bypasses the unit of work
    for chunk in range(0, len(dossiers), 500):
        part = dossiers[chunk:chunk + 500]
        session.execute(sql_update(Dossier).where(Dossier.id.in_([d.id for d in part]))
                        .values(state=to_state, version=Dossier.version + 1)
                        .execution_options(synchronize_session=False))
        for dossier in part:
            set_committed_value(dossier, "state", to_state)
            set_committed_value(dossier, "version", dossier.version + 1)
    audit.record_many(session, actor, "dossier.state",
                      (("dossier", number, {"state": state}, {"state": to_state}) for number, state in before.items()),
                      reason=reason)


def enterprise(session: Session, code: str, name: str, **fields: Any) -> Enterprise:
    """The enterprise with this code, created (or its details updated) as given."""
    found = session.scalar(select(Enterprise).where(Enterprise.code == code))
    if found is None:
        found = Enterprise(code=code, name=name, **fields)
        session.add(found)
    else:
        found.name = name
        for key, value in fields.items():
            setattr(found, key, value)
    session.flush()
    return found


def product(session: Session, enterprise_: Enterprise, name: str, sector: str | None = None) -> Product:
    """The enterprise's product of this name, created if new."""
    found = session.scalar(select(Product).where(Product.enterprise_id == enterprise_.id, Product.name == name))
    if found is None:
        found = Product(enterprise=enterprise_, name=name, sector=sector)
        session.add(found)
        session.flush()
    return found


def register(session: Session, actor: str, round_: Round, product_: Product, number: str,
             inputs: dict[str, Any], self_assessment: dict[str, Any] | None = None) -> Dossier:
    """Register a product in a round as a draft dossier."""
    if session.scalar(select(Dossier).where(Dossier.round_id == round_.id, Dossier.product_id == product_.id)):
        raise RecordError(f"{product_.name} is registered in the {round_.year} round already")
    dossier = Dossier(round=round_, product=product_, number=number, state="draft", inputs=dict(inputs),
                      self_assessment=dict(self_assessment or {}))
    session.add(dossier)
    session.flush()
    audit.record(session, actor, "dossier.registered", "dossier", number,
                 after={"product": product_.name, "state": "draft"})
    return dossier


def register_many(session: Session, actor: str, round_: Round,
                  registrations: Iterable[tuple[int, str, dict[str, Any], dict[str, Any] | None]]) -> list[int]:
    """Register many products at once (an import): rows of (product id, dossier number, inputs, self-assessment).

    Every row is checked first (product known, each product and number once in the round); nothing is written
    unless all are valid. One audit entry per dossier; returns the new dossiers' ids in the rows' order.
    """
    rows = [(product_id, number, dict(inputs), dict(self_assessment or {}))
            for product_id, number, inputs, self_assessment in registrations]
    taken_products, taken_numbers = set(), set()
    for product_id, number in session.execute(select(Dossier.product_id, Dossier.number)
                                              .where(Dossier.round_id == round_.id)):
        taken_products.add(product_id)
        taken_numbers.add(number)
    known = set(session.scalars(select(Product.id).where(Product.id.in_({r[0] for r in rows})))) if rows else set()
    problems = []
    for n, (product_id, number, _, _) in enumerate(rows, start=1):
        if product_id not in known:
            problems.append(Problem(f"row {n}", f"no product with id {product_id}"))
        elif product_id in taken_products:
            problems.append(Problem(f"row {n}", f"product {product_id} is registered in the {round_.year} round "
                                                "already"))
        if number in taken_numbers:
            problems.append(Problem(f"row {n}", f"dossier number {number} is taken in the {round_.year} round"))
        taken_products.add(product_id)
        taken_numbers.add(number)
    if problems:
        raise DossierError(problems, summary="registration refused; nothing was written")
    if not rows:
        return []
    ids = list(session.scalars(
        insert(Dossier).returning(Dossier.id, sort_by_parameter_order=True),
        [{"round_id": round_.id, "product_id": product_id, "number": number, "state": "draft", "inputs": inputs,
          "self_assessment": assessment, "version": 1} for product_id, number, inputs, assessment in rows]))
    audit.record_many(session, actor, "dossier.registered",
                      (("dossier", number, None, {"product": product_id, "state": "draft"})
                       for product_id, number, _, _ in rows))
    return ids


def submit_many(session: Session, catalog: Catalog, actor: str, round_: Round,
                submitted_at: dict[str, datetime] | None = None) -> int:
    """Submit every draft of the round at once (an import), each checked as `submit` checks one: every problem of
    every dossier is reported together, and nothing is written unless all are valid. Returns how many."""
    drafts = list(session.scalars(select(Dossier).where(Dossier.round_id == round_.id, Dossier.state == "draft")
                                  .order_by(Dossier.number)))
    known = catalog.known_inputs(round_.jurisdiction_id)
    groups, problems = {}, []
    now = clock.now()
    for dossier in drafts:
        group = catalog.classify(round_.jurisdiction_id, round_.year, dossier.inputs)
        cset = criteria_set_for(session, catalog, round_, group)
        try:
            evaluate(cset, EngineDossier(round_.jurisdiction_id, round_.year, dossier.inputs,
                                         dossier.self_assessment, dossier.number), known_inputs=known)
        except DossierError as exc:
            problems += [Problem(f"{dossier.number}: {p.where}", p.message) for p in exc.problems]
            continue
        groups[dossier.id] = group
    if problems:
        raise DossierError(problems, summary="submission refused; nothing was written")
    times = {n: clock.as_utc(t) for n, t in (submitted_at or {}).items()}
    session.flush()
    table = Dossier.__table__
    if drafts:
        changed = session.connection().execute(
            sql_update(table).where(table.c.id == bindparam("_id"), table.c.version == bindparam("_version")),
            [{"_id": d.id, "_version": d.version, "product_group": groups[d.id],
              "submitted_at": times.get(d.number, now), "state": "submitted", "version": d.version + 1}
             for d in drafts]).rowcount
        if changed != len(drafts):
            raise StaleEditError(f"{len(drafts) - changed} drafts of the {round_.year} round were changed elsewhere "
                                 "while they were submitted; roll back and submit again")
    for dossier in drafts:
        set_committed_value(dossier, "product_group", groups[dossier.id])
        set_committed_value(dossier, "submitted_at", times.get(dossier.number, now))
        set_committed_value(dossier, "state", "submitted")
        set_committed_value(dossier, "version", dossier.version + 1)
    audit.record_many(session, actor, "dossier.state",
                      (("dossier", d.number, {"state": "draft"}, {"state": "submitted"}) for d in drafts))
    return len(drafts)


def get(session: Session, round_: Round, number: str) -> Dossier:
    """A round's dossier by its number."""
    found = session.scalar(select(Dossier).where(Dossier.round_id == round_.id, Dossier.number == number))
    if found is None:
        raise NotFoundError(f"no dossier {number} in the {round_.year} round")
    return found


def update(session: Session, actor: str, dossier: Dossier, expected_version: int,
           inputs: dict[str, Any] | None = None, self_assessment: dict[str, Any] | None = None) -> Dossier:
    """Change a draft's inputs or self-assessment; refused if someone changed it since `expected_version`."""
    if dossier.version != expected_version:
        raise StaleEditError(f"dossier {dossier.number} was changed by someone else (version {dossier.version}, "
                             f"you edited version {expected_version}); reload it and apply your change again")
    if dossier.state != "draft":
        raise LockedError(f"dossier {dossier.number} is {dossier.state}: only a draft can be edited")
    before = {"inputs": dossier.inputs, "self_assessment": dossier.self_assessment}
    if inputs is not None:
        dossier.inputs = dict(inputs)
    if self_assessment is not None:
        dossier.self_assessment = dict(self_assessment)
    session.flush()
    audit.record(session, actor, "dossier.updated", "dossier", dossier.number, before=before,
                 after={"inputs": dossier.inputs, "self_assessment": dossier.self_assessment})
    return dossier


def submit(session: Session, catalog: Catalog, actor: str, dossier: Dossier,
           submitted_at: datetime | None = None) -> Dossier:
    """Submit a draft: its inputs are checked against its product group's criteria set (every problem at once)."""
    round_ = dossier.round
    group = catalog.classify(round_.jurisdiction_id, round_.year, dossier.inputs)
    cset = criteria_set_for(session, catalog, round_, group)
    engine_dossier = EngineDossier(round_.jurisdiction_id, round_.year, dossier.inputs, dossier.self_assessment,
                                   dossier.number)
    evaluate(cset, engine_dossier, known_inputs=catalog.known_inputs(round_.jurisdiction_id))  # raises DossierError
    dossier.product_group = group
    dossier.submitted_at = clock.as_utc(submitted_at) if submitted_at else clock.now()
    move(session, actor, dossier, "submitted")
    return dossier
