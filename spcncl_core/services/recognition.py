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
from spcncl_core.db.models import Certificate, Comment, Dossier, RecognitionDecision, Result, Round, User
from spcncl_core.errors import DuplicateError, IllegalTransitionError, LockedError, NotFoundError, RecordError
from spcncl_core.services import audit, checks
from spcncl_core.services.dossiers import apply_many, apply_move, check_transition
from spcncl_core.services.policy import actor_name, require
from spcncl_core.services.publication import publication_of
from spcncl_core.services.rounds import criteria_set_for, set_phase

DEFAULT_VALIDITY_YEARS = 3


def _add_years(day: date, years: int) -> date:
    target_year = day.year + years
    return day.replace(year=target_year, day=min(day.day, calendar.monthrange(target_year, day.month)[1]))


def decide(session: Session, actor: User, catalog: Catalog, round_: Round, number: str, decided_on: date,
           signed_by: str | None = None) -> tuple[RecognitionDecision, list[Certificate]]:
    """Record UBND's decision (decision phase: the comment window is over and closed): recognise every published
    dossier that passed, issue numbered certificates, and mark the others not recognised; the round is closed.
    Refused, with nothing written, while any comment on a dossier is unresolved. The round's row is locked, so a
    second decision racing this one waits and is then refused."""
    round_ = checks.lock_round(session, round_)
    require(session, actor, "recognition.decide", round_)
    number = checks.text(number, RecognitionDecision.number, "decision number") or ""
    signed_by = checks.text(signed_by, RecognitionDecision.signed_by, "signed by", required=False)
    decided_on = checks.day(decided_on, "decision date")
    window = publication_of(session, round_)
    window_ends = clock.local(window.comments_until, round_.jurisdiction_id)
    if decided_on < window_ends.date():
        raise LockedError(f"a decision dated {decided_on:%d/%m/%Y} falls inside the comment window, which runs until "
                          f"{window_ends:%d/%m/%Y}")
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
    if session.scalar(select(RecognitionDecision.id).where(RecognitionDecision.number == number)):
        raise DuplicateError(f"a decision numbered {number} is recorded already")
    results = {r.dossier_id: r for r in session.scalars(select(Result).where(
        Result.dossier_id.in_([d.id for d in published])))}
    unranked = [d.number for d in published if d.id not in results]
    if unranked:
        raise RecordError(f"dossiers {', '.join(unranked)} have no result; compute the results again")
    decision = RecognitionDecision(round_id=round_.id, number=number, decided_on=decided_on, signed_by=signed_by)
    session.add(decision)
    checks.flush(session, f"recording decision {number}", savepoint=True)
    certificates = []
    recognised, not_recognised = [], []
    serial = 0
    ordered = sorted(published, key=lambda d: (not results[d.id].top, results[d.id].position or 10**9, d.number))
    for dossier in ordered:
        result = results[dossier.id]
        if result.passed:
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
    checks.flush(session, f"issuing the certificates of decision {number}", savepoint=True)
    name = actor_name(actor)
    by_id = {d.id: d.number for d in published}
    audit.record_many(session, name, "certificate.issued",
                      (("dossier", by_id[c.dossier_id], None, {"certificate": audit.certificate_json(c)})
                       for c in certificates), reason=f"decision {number}")
    apply_many(session, actor, recognised, "recognised", reason=f"decision {number}")
    apply_many(session, actor, not_recognised, "not_recognised", reason=f"decision {number}")
    audit.record(session, name, "recognition.decided", "round", round_.id,
                 after={"decision": number, "decided_on": decided_on,
                        "certificates": [c.number for c in certificates]})
    set_phase(session, actor, round_, "closed", reason=f"decision {number}")
    return decision, certificates


def expire(session: Session, actor: User, round_: Round, today: date) -> list[Certificate]:
    """Mark the round's recognised products whose certificate ran out before `today` as expired."""
    require(session, actor, "certificate.expire", round_)
    today = checks.day(today, "today")
    expired = []
    for certificate in session.scalars(select(Certificate).join(Dossier, Dossier.id == Certificate.dossier_id)
                                       .where(Dossier.round_id == round_.id, Certificate.valid_until < today,
                                              Certificate.revoked_at.is_(None), Dossier.state == "recognised")
                                       .order_by(Certificate.number)):
        apply_move(session, actor, certificate.dossier, "expired", reason=f"valid until {certificate.valid_until}")
        expired.append(certificate)
    return expired


def revoke(session: Session, actor: User, number: str, reason: str, today: date | None = None) -> Certificate:
    """Revoke (thu hồi) a valid certificate, e.g. for false data or a serious violation; the reason is required.
    A revoked or expired certificate is refused and left as it is. The certificate's row is locked, so a second
    revocation racing this one is refused."""
    reason = checks.reason(reason, "a revocation's reason") or ""
    number = checks.text(number, Certificate.number, "certificate number") or ""
    certificate = get_certificate(session, number)
    certificate = session.scalar(select(Certificate).where(Certificate.id == certificate.id).with_for_update()
                                 .execution_options(populate_existing=True))
    dossier = session.get(Dossier, certificate.dossier_id)
    require(session, actor, "certificate.revoke", dossier.round)
    if certificate.revoked_at is not None:
        raise LockedError(f"certificate {certificate.number} was revoked on {certificate.revoked_at:%d/%m/%Y}")
    today = checks.day(today, "today") if today is not None else clock.today(dossier.round.jurisdiction_id)
    if certificate.valid_until < today or dossier.state == "expired":
        raise LockedError(f"certificate {certificate.number} expired on {certificate.valid_until:%d/%m/%Y}; an "
                          "expired certificate is not revoked")
    try:
        check_transition(dossier, "revoked")
    except IllegalTransitionError as exc:
        raise LockedError(str(exc)) from None
    before = audit.certificate_json(certificate)
    certificate.revoked_at, certificate.revocation_reason = utcnow(), reason
    checks.flush(session, f"revoking certificate {certificate.number}")
    apply_move(session, actor, dossier, "revoked", reason=reason)
    audit.record(session, actor_name(actor), "certificate.revoked", "dossier", dossier.number,
                 before={"certificate": before}, after={"certificate": audit.certificate_json(certificate)},
                 reason=reason)
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
