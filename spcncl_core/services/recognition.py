"""Recognition (công nhận): the decision, numbered certificates valid for the set's period, expiry, revocation,
and lookup by certificate number."""

from __future__ import annotations

import calendar
from dataclasses import dataclass
from datetime import date, datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from spcncl_core import clock
from spcncl_core.catalog import Catalog
from spcncl_core.db.base import utcnow
from spcncl_core.db.models import Certificate, Comment, Dossier, RecognitionDecision, Result, Round
from spcncl_core.errors import LockedError, NotFoundError, RecordError
from spcncl_core.services import audit
from spcncl_core.services.dossiers import move, move_many
from spcncl_core.services.rounds import criteria_set_for

DEFAULT_VALIDITY_YEARS = 3


def _add_years(day: date, years: int) -> date:
    target_year = day.year + years
    return day.replace(year=target_year, day=min(day.day, calendar.monthrange(target_year, day.month)[1]))


def decide(session: Session, catalog: Catalog, actor: str, round_: Round, number: str, decided_on: date,
           signed_by: str | None = None) -> tuple[RecognitionDecision, list[Certificate]]:
    """Record UBND's decision: recognise every published dossier that passed, issue numbered certificates, and
    mark the others not recognised. Refused, with nothing written, while any comment on a dossier is unresolved.
    """
    published = list(session.scalars(select(Dossier).where(Dossier.round_id == round_.id,
                                                           Dossier.state == "published").order_by(Dossier.number)))
    if not published:
        raise RecordError(f"the {round_.year} round has no published dossier to decide on")
    held = session.execute(select(Dossier.number, Comment.id).join(Comment, Comment.dossier_id == Dossier.id)
                           .where(Dossier.round_id == round_.id, Comment.state != "resolved")
                           .order_by(Dossier.number)).all()
    if held:
        listed = ", ".join(f"{n} (comment {c})" for n, c in held)
        raise LockedError(f"recognition is held: unresolved comments on {listed}; resolve them first")
    decision = RecognitionDecision(round_id=round_.id, number=number, decided_on=decided_on, signed_by=signed_by)
    session.add(decision)
    session.flush()
    results = {r.dossier_id: r for r in session.scalars(select(Result).where(
        Result.dossier_id.in_([d.id for d in published])))}
    certificates = []
    recognised, not_recognised = [], []
    serial = 0
    ordered = sorted(published, key=lambda d: (not results[d.id].top, results[d.id].position or 10**9, d.number))
    for dossier in ordered:
        result = results.get(dossier.id)
        if result is not None and result.passed:
            serial += 1
            cset = criteria_set_for(session, catalog, round_, dossier.product_group or "")
            years = cset.recognition_years or DEFAULT_VALIDITY_YEARS
            certificate = Certificate(number=f"{round_.jurisdiction_id.upper()}-{round_.year}-{serial:03d}",
                                      dossier_id=dossier.id, decision_id=decision.id, valid_from=decided_on,
                                      valid_until=_add_years(decided_on, years))
            session.add(certificate)
            certificates.append(certificate)
            recognised.append(dossier)
        else:
            not_recognised.append(dossier)
    move_many(session, actor, recognised, "recognised", reason=f"decision {number}")
    move_many(session, actor, not_recognised, "not_recognised", reason=f"decision {number}")
    session.flush()
    numbers = {d.id: d.number for d in recognised}
    audit.record_many(session, actor, "certificate.issued",
                      (("dossier", numbers[c.dossier_id], None, {"certificate": audit.certificate_json(c)})
                       for c in certificates), reason=f"decision {number}")
    audit.record(session, actor, "recognition.decided", "round", round_.id,
                 after={"decision": number, "decided_on": decided_on,
                        "certificates": [c.number for c in certificates]})
    return decision, certificates


def expire(session: Session, actor: str, today: date) -> list[Certificate]:
    """Mark recognised products whose certificate ran out before `today` as expired."""
    expired = []
    for certificate in session.scalars(select(Certificate).where(Certificate.valid_until < today,
                                                                 Certificate.revoked_at.is_(None))):
        if certificate.dossier.state == "recognised":
            move(session, actor, certificate.dossier, "expired", reason=f"valid until {certificate.valid_until}")
            expired.append(certificate)
    return expired


def revoke(session: Session, actor: str, number: str, reason: str) -> Certificate:
    """Revoke (thu hồi) a certificate, e.g. for false data or a serious violation; the reason is required."""
    if not reason.strip():
        raise RecordError("a revocation needs its reason")
    certificate = get_certificate(session, number)
    if certificate.revoked_at is not None:
        raise LockedError(f"certificate {number} was revoked on "
                          f"{clock.show(certificate.revoked_at, certificate.dossier.round.jurisdiction_id)}")
    before = audit.certificate_json(certificate)
    certificate.revoked_at, certificate.revocation_reason = utcnow(), reason.strip()
    move(session, actor, certificate.dossier, "revoked", reason=reason.strip())
    audit.record(session, actor, "certificate.revoked", "dossier", certificate.dossier.number,
                 before={"certificate": before}, after={"certificate": audit.certificate_json(certificate)},
                 reason=reason.strip())
    return certificate


def certificates_of(session: Session, round_: Round) -> list[Certificate]:
    """The certificates issued in a round, by number."""
    return list(session.scalars(select(Certificate).join(Dossier, Dossier.id == Certificate.dossier_id)
                                .where(Dossier.round_id == round_.id).order_by(Certificate.number)))


def get_certificate(session: Session, number: str) -> Certificate:
    """A certificate by its number."""
    found = session.scalar(select(Certificate).where(Certificate.number == number.strip().upper()))
    if found is None:
        raise NotFoundError(f"no certificate numbered {number}")
    return found


@dataclass(frozen=True)
class CertificateStatus:
    """What the public sees when checking a certificate number."""

    number: str
    product: str
    enterprise: str
    valid_from: date
    valid_until: date
    status: str  # valid | expired | revoked
    revocation_reason: str | None


def certificate_status(valid_until: date, revoked_at: datetime | None, today: date) -> str:
    """valid, expired (after its last valid day) or revoked."""
    return "revoked" if revoked_at else "expired" if valid_until < today else "valid"


def check_certificate(session: Session, number: str, today: date | None = None) -> CertificateStatus:
    """Look a certificate up by number: whose it is and whether it is valid, expired or revoked today."""
    certificate = get_certificate(session, number)
    today = today or clock.today(certificate.dossier.round.jurisdiction_id)
    status = certificate_status(certificate.valid_until, certificate.revoked_at, today)
    product = certificate.dossier.product
    return CertificateStatus(certificate.number, product.name, product.enterprise.name, certificate.valid_from,
                             certificate.valid_until, status, certificate.revocation_reason)
