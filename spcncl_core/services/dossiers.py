"""Dossiers: registration, submission and the state machine of DOMAIN.md §2."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any, NamedTuple

from sqlalchemy import select
from sqlalchemy import update as sql_update
from sqlalchemy.orm import Session
from sqlalchemy.orm.attributes import set_committed_value

from spcncl_core.catalog import Catalog
from spcncl_core.db.base import utcnow
from spcncl_core.db.models import Dossier, Enterprise, Product, Round, User
from spcncl_core.errors import (
    DuplicateError,
    IllegalTransitionError,
    LockedError,
    NotFoundError,
    RecordError,
    StaleEditError,
)
from spcncl_core.services import audit, checks
from spcncl_core.services.policy import actor_name, require
from spcncl_core.services.rounds import check_figures, criteria_set_for

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


# the service that makes each move (a move is never made by hand, except returning a submission to its draft)
MOVED_BY = {"submitted": "dossiers.submit", "eligible": "screening.screen or screening.override",
            "ineligible": "screening.screen or screening.override",
            "preliminarily_scored": "screening.preliminary_scores", "council_scored": "results.compute_results",
            "published": "publication.publish", "recognised": "recognition.decide",
            "not_recognised": "recognition.decide", "expired": "recognition.expire", "revoked": "recognition.revoke"}


def move(session: Session, actor: User, dossier: Dossier, to_state: str, reason: str | None = None) -> None:
    """Move a dossier by hand: only a submitted dossier back to draft (for correction). Every other move is made by
    the service named in the refusal, which checks what the move needs."""
    check_transition(dossier, to_state)
    if (dossier.state, to_state) != ("submitted", "draft"):
        raise IllegalTransitionError(f"dossier {dossier.number} becomes {to_state} through "
                                     f"{MOVED_BY.get(to_state, 'its service')}, not by hand")
    require(session, actor, "dossier.return_to_draft", dossier.round)
    reason = checks.reason(reason, "reason", required=False)
    apply_move(session, actor, dossier, to_state, reason)



def apply_move(session: Session, actor: User | None, dossier: Dossier, to_state: str,
               reason: str | None = None) -> None:
    """Make a move the calling service has checked the policy for: the state machine is checked, one audit entry."""
    check_transition(dossier, to_state)
    before = dossier.state
    dossier.state = to_state
    checks.flush(session, f"moving dossier {dossier.number} to {to_state}")
    audit.record(session, actor_name(actor), "dossier.state", "dossier", dossier.number, before={"state": before},
                 after={"state": to_state}, reason=checks.cut(reason))


def apply_many(session: Session, actor: User | None, dossiers: list[Dossier], to_state: str,
               reason: str | None = None) -> None:
    """Move several dossiers at once (a round's results, a decision), as checked by the calling service: all are
    checked first; one audit entry per dossier (written in one statement), so each dossier's history is whole."""
    for dossier in dossiers:
        check_transition(dossier, to_state)
    if not dossiers:
        return
    before = {d.id: d.state for d in dossiers}
    checks.flush(session, "saving pending changes")  # the statement below bypasses the unit of work
    for chunk in range(0, len(dossiers), 500):
        part = dossiers[chunk:chunk + 500]
        session.execute(sql_update(Dossier).where(Dossier.id.in_([d.id for d in part]))
                        .values(state=to_state, version=Dossier.version + 1)
                        .execution_options(synchronize_session=False))
        for dossier in part:
            set_committed_value(dossier, "state", to_state)
            set_committed_value(dossier, "version", dossier.version + 1)
    audit.record_many(session, actor_name(actor), "dossier.state",
                      (("dossier", d.number, {"state": before[d.id]}, {"state": to_state}) for d in dossiers),
                      reason=checks.cut(reason))


class StateRow(NamedTuple):
    """A dossier as `apply_many_rows` moves it: id, number and current state, read by the calling service."""

    id: int
    number: str
    state: str


def apply_many_rows(session: Session, actor: User | None, rows: Sequence[StateRow], to_state: str,
                    reason: str | None = None) -> None:
    """`apply_many` for dossiers the calling service has read as plain rows (a round's thousands of results): the
    same checks, statements and audit entries, without loading each dossier as an object. Dossier objects the
    session holds of them are expired, so that they read the new state and version."""
    for row in rows:
        check_transition(row, to_state)  # type: ignore[arg-type]  # reads .number and .state only
    if not rows:
        return
    checks.flush(session, "saving pending changes")  # the statement below bypasses the unit of work
    ids = [row.id for row in rows]
    for chunk in range(0, len(ids), 500):
        session.execute(sql_update(Dossier).where(Dossier.id.in_(ids[chunk:chunk + 500]))
                        .values(state=to_state, version=Dossier.version + 1)
                        .execution_options(synchronize_session=False))
    moved = set(ids)
    for held in [o for o in session.identity_map.values() if isinstance(o, Dossier) and o.id in moved]:
        session.expire(held)
    audit.record_many(session, actor_name(actor), "dossier.state",
                      (("dossier", row.number, {"state": row.state}, {"state": to_state}) for row in rows),
                      reason=checks.cut(reason))


ENTERPRISE_FIELDS = ("ownership", "address", "district", "sector")


def enterprise(session: Session, actor: User, code: str, name: str, **fields: Any) -> Enterprise:
    """The enterprise with this code, created (or its details updated) as given; every change audited."""
    require(session, actor, "enterprise.save")
    code = checks.text(code, Enterprise.code, "enterprise code") or ""
    name = checks.text(name, Enterprise.name, "enterprise name") or ""
    unknown = sorted(set(fields) - set(ENTERPRISE_FIELDS))
    if unknown:
        raise RecordError(f"an enterprise has no field {', '.join(unknown)}; fields: {', '.join(ENTERPRISE_FIELDS)}")
    clean = {k: checks.text(v, getattr(Enterprise, k), f"enterprise {k}", required=False) for k, v in fields.items()}
    found = session.scalar(select(Enterprise).where(Enterprise.code == code))
    wanted = {"name": name, **clean}
    if found is None:
        found = Enterprise(code=code, **wanted)
        session.add(found)
        checks.flush(session, f"adding enterprise {code}", savepoint=True)
        audit.record(session, actor_name(actor), "enterprise.created", "enterprise", code, after=wanted)
        return found
    before = {k: getattr(found, k) for k in wanted}
    changed = {k: v for k, v in wanted.items() if before[k] != v}
    if changed:
        for key, value in changed.items():
            setattr(found, key, value)
        checks.flush(session, f"changing enterprise {code}")
        audit.record(session, actor_name(actor), "enterprise.updated", "enterprise", code,
                     before={k: before[k] for k in changed}, after=changed)
    return found


def product(session: Session, actor: User, enterprise_: Enterprise, name: str, sector: str | None = None) -> Product:
    """The enterprise's product of this name, created if new (its sector updated if given); audited."""
    require(session, actor, "product.save")
    name = checks.text(name, Product.name, "product name") or ""
    sector = checks.text(sector, Product.sector, "product sector", required=False)
    found = session.scalar(select(Product).where(Product.enterprise_id == enterprise_.id, Product.name == name))
    if found is None:
        found = Product(enterprise=enterprise_, name=name, sector=sector)
        session.add(found)
        checks.flush(session, f"adding product {name}", savepoint=True)
        audit.record(session, actor_name(actor), "product.created", "product", found.id,
                     after={"enterprise": enterprise_.code, "name": name, "sector": sector})
    elif sector is not None and found.sector != sector:
        before, found.sector = found.sector, sector
        checks.flush(session, f"changing product {name}")
        audit.record(session, actor_name(actor), "product.updated", "product", found.id,
                     before={"sector": before}, after={"sector": sector})
    return found


def register(session: Session, actor: User, round_: Round, product_: Product, number: str,
             inputs: dict[str, Any], self_assessment: dict[str, Any] | None = None) -> Dossier:
    """Register a product in a round as a draft dossier (registration phase only)."""
    require(session, actor, "dossier.register", round_)
    number = checks.text(number, Dossier.number, "dossier number") or ""
    if not isinstance(inputs, dict):
        raise RecordError(f"a dossier's inputs must be a mapping, not {type(inputs).__name__}")
    if self_assessment is not None and not isinstance(self_assessment, dict):
        raise RecordError(f"a self-assessment must be a mapping, not {type(self_assessment).__name__}")
    checks.json_value(inputs, "inputs")
    checks.json_value(self_assessment or {}, "self_assessment")
    if session.scalar(select(Dossier.id).where(Dossier.round_id == round_.id, Dossier.product_id == product_.id)):
        raise DuplicateError(f"{product_.name} is registered in the {round_.year} round already")
    if session.scalar(select(Dossier.id).where(Dossier.round_id == round_.id, Dossier.number == number)):
        raise DuplicateError(f"the {round_.year} round has a dossier numbered {number} already")
    dossier = Dossier(round=round_, product=product_, number=number, state="draft", inputs=dict(inputs),
                      self_assessment=dict(self_assessment or {}))
    session.add(dossier)
    checks.flush(session, f"registering dossier {number}", savepoint=True)
    audit.record(session, actor_name(actor), "dossier.registered", "dossier", number,
                 after={"product": product_.name, "enterprise": product_.enterprise.code, "state": "draft"})
    return dossier


def get(session: Session, round_: Round, number: str) -> Dossier:
    """A round's dossier by its number."""
    found = session.scalar(select(Dossier).where(Dossier.round_id == round_.id, Dossier.number == number))
    if found is None:
        raise NotFoundError(f"no dossier {number} in the {round_.year} round")
    return found


def update(session: Session, actor: User, dossier: Dossier, expected_version: int,
           inputs: dict[str, Any] | None = None, self_assessment: dict[str, Any] | None = None) -> Dossier:
    """Change a draft's inputs or self-assessment; refused if someone changed it since `expected_version`."""
    require(session, actor, "dossier.update", dossier.round)
    if dossier.version != expected_version:
        raise StaleEditError(f"dossier {dossier.number} was changed by someone else (version {dossier.version}, "
                             f"you edited version {expected_version}); reload it and apply your change again")
    if dossier.state != "draft":
        raise LockedError(f"dossier {dossier.number} is {dossier.state}: only a draft can be edited")
    for value, label in ((inputs, "inputs"), (self_assessment, "self_assessment")):
        if value is not None and not isinstance(value, dict):
            raise RecordError(f"{label} must be a mapping, not {type(value).__name__}")
        checks.json_value(value, label)
    before = {"inputs": dossier.inputs, "self_assessment": dossier.self_assessment}
    if inputs is not None:
        dossier.inputs = dict(inputs)
    if self_assessment is not None:
        dossier.self_assessment = dict(self_assessment)
    checks.flush(session, f"editing dossier {dossier.number}")
    audit.record(session, actor_name(actor), "dossier.updated", "dossier", dossier.number, before=before,
                 after={"inputs": dossier.inputs, "self_assessment": dossier.self_assessment})
    return dossier


def submit(session: Session, actor: User, catalog: Catalog, dossier: Dossier,
           submitted_at: datetime | None = None) -> Dossier:
    """Submit a draft: its inputs are checked against its product group's criteria set (every problem at once).

    Everything is checked before anything changes: a dossier that is not a draft keeps its submission time."""
    require(session, actor, "dossier.submit", dossier.round)
    check_transition(dossier, "submitted")
    submitted_at = checks.when(submitted_at, "submission time")
    round_ = dossier.round
    group = catalog.classify(round_.jurisdiction_id, round_.year, dossier.inputs)
    cset = criteria_set_for(session, catalog, round_, group)
    check_figures(catalog, round_, cset, dossier.number, dossier.inputs, dossier.self_assessment)  # DossierError
    dossier.product_group = group
    dossier.submitted_at = submitted_at or utcnow()
    dossier.state = "submitted"
    checks.flush(session, f"submitting dossier {dossier.number}")
    audit.record(session, actor_name(actor), "dossier.state", "dossier", dossier.number, before={"state": "draft"},
                 after={"state": "submitted"},
                 reason=f"submitted at {dossier.submitted_at.isoformat()}, product group {group}")
    return dossier
