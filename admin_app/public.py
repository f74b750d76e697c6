"""Public pages, no sign-in: a round's published results, the comment form while the window is open (length- and
rate-limited), and certificate verification by number."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, abort, current_app, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from sqlalchemy import select

from spcncl_core.db.base import utcnow
from spcncl_core.db.models import Dossier, Publication, Round
from spcncl_core.errors import SpcnclError
from spcncl_core.services import publication, recognition

from .extensions import db, limiter
from .views.base import refusal

bp = Blueprint("public", __name__, url_prefix="/public")


@bp.route("/")
def index() -> Any:
    """Rounds whose results are published."""
    rows = db.session.execute(select(Round, Publication).join(Publication, Publication.round_id == Round.id)
                              .order_by(Round.year.desc())).all()
    return render_template("public/index.html", rows=rows, now=utcnow())


@bp.route("/results/<int:round_id>")
def results(round_id: int) -> Any:
    """The published snapshot of a round, and the comment form while the window is open."""
    round_ = db.session.get(Round, round_id) or abort(404)
    pub = db.session.scalar(select(Publication).where(Publication.round_id == round_id)) or abort(404)
    now = utcnow()
    return render_template("public/results.html", round_=round_, pub=pub, open=pub.published_at <= now
                           <= pub.comments_until, max_length=current_app.config["SPCNCL_COMMENT_MAX_LENGTH"])


def _comment_limit() -> str:
    return current_app.config["SPCNCL_COMMENT_LIMIT"]


@bp.route("/results/<int:round_id>/comment", methods=["POST"])
@limiter.limit(_comment_limit)
def comment(round_id: int) -> Any:
    """A public comment on one published dossier."""
    form = request.form
    text, author = form.get("text", ""), form.get("author", "")
    limit = current_app.config["SPCNCL_COMMENT_MAX_LENGTH"]
    if len(text) > limit or len(author) > 200 or len(form.get("contact", "")) > 200:
        flash(_("A comment has at most %(n)s characters.", n=limit), "danger")
        return redirect(url_for(".results", round_id=round_id))
    dossier = db.session.scalar(select(Dossier).where(Dossier.round_id == round_id,
                                                      Dossier.number == form.get("dossier", "")))
    if dossier is None:
        flash(_("Choose the product your comment is about."), "danger")
        return redirect(url_for(".results", round_id=round_id))
    try:
        publication.submit_comment(db.session(), None, dossier, author, text, form.get("contact") or None)
        db.session.commit()
    except SpcnclError as exc:
        db.session.rollback()
        flash(refusal(exc), "danger")
    else:
        flash(_("Thank you: your comment was received and will be answered by the working group."), "success")
    return redirect(url_for(".results", round_id=round_id))


@bp.route("/certificate")
def certificate() -> Any:
    """Check a certificate by its number."""
    number = request.args.get("number", "").strip()[:60]
    status, error = None, None
    if number:
        try:
            status = recognition.check_certificate(db.session(), number)
        except SpcnclError:
            error = _("No certificate has the number %(number)s.", number=number)
    return render_template("public/certificate.html", number=number, status=status, error=error)
