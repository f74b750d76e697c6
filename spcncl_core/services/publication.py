"""Publication of results for public comment (công khai, góp ý), explanations (giải trình) and resolutions."""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from spcncl_core import clock
from spcncl_core.catalog import Catalog
from spcncl_core.db.models import Comment, Dossier, Explanation, Publication, Round
from spcncl_core.db.models.publication import RESOLUTIONS
from spcncl_core.errors import LockedError, NotFoundError, RecordError
from spcncl_core.services import audit
from spcncl_core.services.dossiers import move_many
from spcncl_core.services.results import round_results
from spcncl_core.services.rounds import criteria_set_for

DEFAULT_COMMENT_DAYS = 10


def comment_days(session: Session, catalog: Catalog, round_: Round) -> int:
    """The comment window: the round's own, else its criteria sets', else 10 days."""
    if round_.comment_days is not None:
        return round_.comment_days
    days = [criteria_set_for(session, catalog, round_, c.product_group).comment_days for c in round_.criteria_sets]
    return max((d for d in days if d is not None), default=DEFAULT_COMMENT_DAYS)


def publish(session: Session, catalog: Catalog, actor: str, round_: Round, now: datetime | None = None
            ) -> Publication:
    """Freeze a snapshot of the round's results and open the comment window."""
    if session.scalar(select(Publication).where(Publication.round_id == round_.id)):
        raise LockedError(f"the results of the {round_.year} round were published already")
    rows = round_results(session, round_)
    if not rows:
        raise RecordError(f"the {round_.year} round has no results to publish: compute them first")
    now = clock.as_utc(now) if now else clock.now()
    snapshot = [{"dossier": d.number, "product": d.product.name, "enterprise": d.product.enterprise.name,
                 "product_group": d.product_group, "criteria_set": r.criteria_set_id, "content_hash": r.content_hash,
                 "eligible": r.eligible, "total": None if r.total is None else str(r.total), "passed": r.passed,
                 "position": r.position, "top": r.top, "tie_break": r.tie_break, "subtotals": r.subtotals}
                for d, r in rows]
    publication = Publication(round_id=round_.id, published_at=now,
                              comments_until=now + timedelta(days=comment_days(session, catalog, round_)),
                              snapshot=snapshot)
    session.add(publication)
    move_many(session, actor, [d for d, r in rows if r.eligible and d.state == "council_scored"], "published",
              reason="results published")
    session.flush()
    audit.record(session, actor, "results.published", "round", round_.id,
                 after={"published_at": now, "comments_until": publication.comments_until,
                        "dossiers": len(snapshot)})
    catalog.pm.hook.results_published(catalog=catalog, round=round_, publication=publication)
    return publication


def publication_of(session: Session, round_: Round) -> Publication:
    """The round's publication."""
    found = session.scalar(select(Publication).where(Publication.round_id == round_.id))
    if found is None:
        raise NotFoundError(f"the results of the {round_.year} round have not been published")
    return found


def submit_comment(session: Session, dossier: Dossier, author: str, text: str, contact: str | None = None,
                   now: datetime | None = None) -> Comment:
    """A public comment on a published dossier, accepted only inside the comment window."""
    publication = publication_of(session, dossier.round)
    now = clock.as_utc(now) if now else clock.now()
    if not publication.published_at <= now <= publication.comments_until:
        raise LockedError(f"comments on the {dossier.round.year} results were open from "
                          f"{clock.local(publication.published_at, dossier.round.jurisdiction_id):%d/%m/%Y} to "
                          f"{clock.local(publication.comments_until, dossier.round.jurisdiction_id):%d/%m/%Y}")
    if not text.strip() or not author.strip():
        raise RecordError("a comment needs its author and its text")
    comment = Comment(dossier_id=dossier.id, author=author.strip(), contact=contact, text=text.strip(),
                      received_at=now)
    session.add(comment)
    session.flush()
    audit.record(session, "public", "comment.received", "dossier", dossier.number,
                 after={"comment": comment.id, "author": comment.author})
    return comment


def request_explanation(session: Session, actor: str, comment: Comment) -> Comment:
    """Ask the enterprise to explain (giải trình) the point a comment raises."""
    if comment.state == "resolved":
        raise LockedError(f"comment {comment.id} is resolved")
    comment.state = "explanation_requested"
    session.flush()
    audit.record(session, actor, "comment.explanation_requested", "comment", comment.id)
    return comment


def record_explanation(session: Session, actor: str, comment: Comment, text: str,
                       now: datetime | None = None) -> Explanation:
    """Record the enterprise's explanation of a comment."""
    if comment.state != "explanation_requested":
        raise RecordError(f"no explanation was requested for comment {comment.id}")
    explanation = Explanation(comment_id=comment.id, text=text.strip(),
                              received_at=clock.as_utc(now) if now else clock.now())
    session.add(explanation)
    session.flush()
    audit.record(session, actor, "comment.explained", "comment", comment.id, after={"text": explanation.text})
    return explanation


def resolve_comment(session: Session, actor: str, comment: Comment, resolution: str, note: str) -> Comment:
    """Close a comment as kept (the result stands), rescored (the result was recomputed) or excluded."""
    if resolution not in RESOLUTIONS:
        raise RecordError(f"resolution must be one of {', '.join(RESOLUTIONS)}, not {resolution!r}")
    if not note.strip():
        raise RecordError("a resolution needs a note saying why")
    before = {"state": comment.state, "resolution": comment.resolution}
    comment.state, comment.resolution, comment.resolution_note = "resolved", resolution, note.strip()
    session.flush()
    audit.record(session, actor, "comment.resolved", "comment", comment.id, before=before,
                 after={"resolution": resolution}, reason=note.strip())
    return comment


def open_comments(session: Session, round_: Round) -> list[Comment]:
    """Comments of the round not resolved yet."""
    return list(session.scalars(select(Comment).join(Dossier, Dossier.id == Comment.dossier_id)
                                .where(Dossier.round_id == round_.id, Comment.state != "resolved")
                                .order_by(Comment.id)))
