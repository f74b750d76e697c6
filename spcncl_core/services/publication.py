"""Publication of results for public comment (công khai, góp ý), explanations (giải trình) and resolutions."""

from __future__ import annotations

import logging
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import event, func, select
from sqlalchemy.orm import Session

from spcncl_core import clock
from spcncl_core.catalog import Catalog
from spcncl_core.db.base import utcnow
from spcncl_core.db.models import Comment, Dossier, Explanation, Publication, Result, Round, User
from spcncl_core.db.models.publication import RESOLUTIONS
from spcncl_core.errors import LockedError, NotFoundError, PhaseError, RecordError
from spcncl_core.services import audit, checks
from spcncl_core.services.dossiers import apply_many
from spcncl_core.services.policy import actor_name, require
from spcncl_core.services.results import round_results
from spcncl_core.services.rounds import criteria_set_for, set_phase

log = logging.getLogger(__name__)

DEFAULT_COMMENT_DAYS = 10


def comment_days(session: Session, catalog: Catalog, round_: Round) -> int:
    """The comment window: the round's own, else its criteria sets', else 10 days."""
    if round_.comment_days is not None:
        return round_.comment_days
    days = [criteria_set_for(session, catalog, round_, c.product_group).comment_days for c in round_.criteria_sets]
    return max((d for d in days if d is not None), default=DEFAULT_COMMENT_DAYS)


def publish(session: Session, actor: User, catalog: Catalog, round_: Round, now: datetime | None = None
            ) -> Publication:
    """Freeze a snapshot of the round's results and open the comment window (results phase; the round moves to
    its publication phase). After a re-scoring, publishing again makes the next version, with its own window.

    Plugins hear `results_published` only once the caller COMMITS the transaction (never for a rollback): the
    service cannot commit, so the event is queued on the session (`after_commit`)."""
    round_ = checks.lock_round(session, round_)
    require(session, actor, "results.publish", round_)
    now = checks.when(now, "publication time") or utcnow()
    rows = round_results(session, round_)
    if not rows:
        raise PhaseError(f"the {round_.year} round has no results to publish: compute them first "
                         "(results.compute_results)")
    stale = [d.number for d, r in rows if r.eligible and round_.scoring_closed_at is not None
             and r.computed_at < round_.scoring_closed_at]
    unranked = session.scalars(select(Dossier.number).where(
        Dossier.round_id == round_.id, Dossier.state.in_(("preliminarily_scored", "council_scored")),
        Dossier.id.not_in(select(Result.dossier_id)))).all()
    if stale or unranked:
        listed = ", ".join((stale + list(unranked))[:10])
        raise PhaseError(f"the results of the {round_.year} round are older than the last scoring ({listed}): "
                         "compute them again first (results.compute_results)")
    version = (session.scalar(select(func.max(Publication.version)).where(Publication.round_id == round_.id))
               or 0) + 1
    snapshot = [{"dossier": d.number, "product": d.product.name, "enterprise": d.product.enterprise.name,
                 "product_group": d.product_group, "criteria_set": r.criteria_set_id, "content_hash": r.content_hash,
                 "eligible": r.eligible, "total": None if r.total is None else str(r.total), "passed": r.passed,
                 "class": r.result_class, "position": r.position, "top": r.top, "tie_break": r.tie_break,
                 "subtotals": r.subtotals}
                for d, r in rows]
    publication = Publication(round_id=round_.id, version=version, published_at=now,
                              comments_until=now + timedelta(days=comment_days(session, catalog, round_)),
                              snapshot=snapshot)
    session.add(publication)
    checks.flush(session, f"publishing the results of the {round_.year} round", savepoint=True)
    apply_many(session, actor, [d for d, r in rows if r.eligible and d.state == "council_scored"], "published",
               reason=f"results published (version {version})")
    audit.record(session, actor_name(actor), "results.published", "round", round_.id,
                 after={"version": version, "published_at": now, "comments_until": publication.comments_until,
                        "dossiers": len(snapshot)})
    until = clock.show(publication.comments_until, round_.jurisdiction_id)
    set_phase(session, actor, round_, "publication", reason=f"publication {version}, comments until {until}")
    after_commit(session, lambda: catalog.announce("results_published", round=round_, publication=publication))
    return publication


_PENDING = "spcncl_after_commit"


def after_commit(session: Session, callback: Any) -> None:
    """Run `callback` once the session's whole transaction commits; forget it if it rolls back, or if the savepoint
    it was queued in rolls back (releasing a savepoint is no commit: the callback waits for the outer one).

    A callback that raises is logged, never raised from `commit()` (the data is committed by then)."""
    if _PENDING not in session.info:
        session.info[_PENDING] = []
        event.listen(session, "after_commit", _run_pending)
        event.listen(session, "after_soft_rollback", _drop_pending)
    queued_in = session.get_nested_transaction() or session.get_transaction()
    session.info[_PENDING].append((queued_in, callback))


def _run_pending(session: Session) -> None:
    if session.get_nested_transaction() is not None:
        return  # a savepoint released, not the transaction committed
    pending, session.info[_PENDING] = session.info.get(_PENDING, []), []
    for _queued_in, callback in pending:
        try:
            callback()
        except Exception:  # noqa: BLE001 - the commit happened; a failing listener must not look like a failure
            log.exception("an after-commit event failed")


def _drop_pending(session: Session, previous_transaction: Any) -> None:
    # forget what was queued in the transaction rolled back or in a savepoint inside it
    def inside(transaction: Any) -> bool:
        while transaction is not None:
            if transaction is previous_transaction:
                return True
            transaction = transaction.parent
        return False

    session.info[_PENDING] = [(queued_in, callback) for queued_in, callback in session.info.get(_PENDING, [])
                              if not inside(queued_in)]


def publication_of(session: Session, round_: Round) -> Publication:
    """The round's latest publication."""
    found = session.scalar(select(Publication).where(Publication.round_id == round_.id)
                           .order_by(Publication.version.desc()).limit(1))
    if found is None:
        raise NotFoundError(f"the results of the {round_.year} round have not been published")
    return found


def submit_comment(session: Session, actor: User | None, dossier: Dossier, author: str, text: str,
                   contact: str | None = None, now: datetime | None = None) -> Comment:
    """A public comment on a published dossier, accepted only inside the latest publication's comment window
    (`actor` None: someone of the public, not signed in)."""
    round_ = dossier.round
    require(session, actor, "comment.submit", round_)
    publication = publication_of(session, round_)
    now = checks.when(now, "comment time") or utcnow()
    if not publication.published_at <= now <= publication.comments_until:
        raise LockedError(f"comments on the {round_.year} results were open from "
                          f"{clock.local(publication.published_at, round_.jurisdiction_id):%d/%m/%Y} to "
                          f"{clock.local(publication.comments_until, round_.jurisdiction_id):%d/%m/%Y}")
    if dossier.state != "published":
        raise RecordError(f"dossier {dossier.number} is {dossier.state}: comments are on published dossiers")
    author = checks.text(author, Comment.author, "a comment's author") or ""
    text = checks.text(text, Comment.text, "a comment's text") or ""
    contact = checks.text(contact, Comment.contact, "a comment's contact", required=False)
    comment = Comment(dossier_id=dossier.id, author=author, contact=contact, text=text, received_at=now)
    session.add(comment)
    checks.flush(session, f"storing a comment on dossier {dossier.number}")
    audit.record(session, actor_name(actor), "comment.received", "dossier", dossier.number,
                 after={"comment": comment.id, "author": comment.author, "publication": publication.version})
    return comment


def _comment_round(session: Session, comment: Comment) -> Round:
    dossier = session.get(Dossier, comment.dossier_id)
    if dossier is None:
        raise NotFoundError(f"comment {comment.id} has no dossier")
    return dossier.round


def request_explanation(session: Session, actor: User, comment: Comment) -> Comment:
    """Ask the enterprise to explain (giải trình) the point a comment raises."""
    require(session, actor, "comment.request_explanation", _comment_round(session, comment))
    if comment.state == "resolved":
        raise LockedError(f"comment {comment.id} is resolved")
    before, comment.state = comment.state, "explanation_requested"
    checks.flush(session, f"requesting an explanation for comment {comment.id}")
    audit.record(session, actor_name(actor), "comment.explanation_requested", "comment", comment.id,
                 before={"state": before}, after={"state": comment.state})
    return comment


def record_explanation(session: Session, actor: User, comment: Comment, text: str,
                       now: datetime | None = None) -> Explanation:
    """Record the enterprise's explanation of a comment."""
    require(session, actor, "comment.record_explanation", _comment_round(session, comment))
    if comment.state != "explanation_requested":
        raise RecordError(f"no explanation was requested for comment {comment.id}")
    text = checks.text(text, Explanation.text, "an explanation's text") or ""
    explanation = Explanation(comment_id=comment.id, text=text, received_at=checks.when(now, "explanation time")
                              or utcnow())
    session.add(explanation)
    checks.flush(session, f"storing the explanation of comment {comment.id}")
    audit.record(session, actor_name(actor), "comment.explained", "comment", comment.id,
                 after={"text": explanation.text})
    return explanation


def resolve_comment(session: Session, actor: User, comment: Comment, resolution: str, note: str) -> Comment:
    """Close a comment as kept (the result stands), rescored (the dossier goes back to the council:
    scoring.reopen_scoring) or excluded. A resolved comment stays resolved."""
    require(session, actor, "comment.resolve", _comment_round(session, comment))
    if comment.state == "resolved":
        raise LockedError(f"comment {comment.id} was resolved already ({comment.resolution})")
    if resolution not in RESOLUTIONS:
        raise RecordError(f"resolution must be one of {', '.join(RESOLUTIONS)}, not {resolution!r}")
    note = checks.reason(note, "a resolution's note saying why") or ""
    before = {"state": comment.state, "resolution": comment.resolution}
    comment.state, comment.resolution, comment.resolution_note = "resolved", resolution, note
    checks.flush(session, f"resolving comment {comment.id}")
    audit.record(session, actor_name(actor), "comment.resolved", "comment", comment.id, before=before,
                 after={"resolution": resolution}, reason=note)
    return comment


def close_comments(session: Session, actor: User, round_: Round, now: datetime | None = None) -> None:
    """End the publication phase once the comment window is over: the round moves to its decision phase."""
    round_ = checks.lock_round(session, round_)
    require(session, actor, "round.close_comments", round_)
    publication = publication_of(session, round_)
    now = checks.when(now, "time") or utcnow()
    until = clock.show(publication.comments_until, round_.jurisdiction_id)
    if now <= publication.comments_until:
        raise PhaseError(f"the comment window of the {round_.year} results runs until {until}; it cannot be closed "
                         "before")
    set_phase(session, actor, round_, "decision", reason=f"comment window of publication {publication.version} "
                                                          f"ended {until}")


def open_comments(session: Session, round_: Round) -> list[Comment]:
    """Comments of the round not resolved yet."""
    return list(session.scalars(select(Comment).join(Dossier, Dossier.id == Comment.dossier_id)
                                .where(Dossier.round_id == round_.id, Comment.state != "resolved")
                                .order_by(Comment.id)))
