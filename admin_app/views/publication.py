"""Public comments on a round's published results: explanations requested and recorded, resolutions; and the
round's certificates, with revocation."""

from __future__ import annotations

from typing import Any

from flask import abort, redirect, request, url_for
from flask_admin import expose
from flask_babel import gettext as _
from sqlalchemy import select

from spcncl_core.db.models import Comment, Dossier
from spcncl_core.services import publication, recognition

from ..extensions import db
from .base import RoundScreenView, actor, allowed, require, run_service
from .rounds import get_round


class CommentsView(RoundScreenView):
    """Comments, explanations, resolutions and certificates of a round."""

    @expose("/<int:round_id>")
    def round_comments(self, round_id: int) -> Any:
        round_ = get_round(round_id)
        comments = db.session.execute(select(Comment, Dossier).join(Dossier, Dossier.id == Comment.dossier_id)
                                      .where(Dossier.round_id == round_id).order_by(Comment.id)).all()
        certificates = recognition.certificates_of(db.session(), round_)
        return self.render("spcncl/comments.html", round_=round_, comments=comments, certificates=certificates,
                           allowed=allowed)

    @expose("/comment/<int:comment_id>/<action>", methods=["POST"])
    def act(self, comment_id: int, action: str) -> Any:
        """request | explain | resolve."""
        comment = db.session.get(Comment, comment_id) or abort(404)
        dossier = db.session.get(Dossier, comment.dossier_id)
        session, who, form = db.session(), actor(), request.form
        if action == "request":
            require("comment.request_explanation")
            run_service(lambda: publication.request_explanation(session, who, comment),
                        _("Explanation requested from the enterprise."))
        elif action == "explain":
            require("comment.record_explanation")
            run_service(lambda: publication.record_explanation(session, who, comment, form.get("text", "")),
                        _("Explanation recorded."))
        elif action == "resolve":
            require("comment.resolve")
            run_service(lambda: publication.resolve_comment(session, who, comment, form.get("resolution", ""),
                                                            form.get("note", "")), _("Comment resolved."))
        else:
            abort(404)
        return redirect(url_for(".round_comments", round_id=dossier.round_id))

    @expose("/certificate/<number>/revoke", methods=["POST"])
    def revoke(self, number: str) -> Any:
        """Revoke a certificate, with its reason."""
        require("certificate.revoke")
        certificate = run_service(lambda: recognition.revoke(db.session(), actor(), number,
                                                             request.form.get("reason", "")),
                                  _("Certificate revoked."))
        round_id = request.form.get("round_id", type=int)
        del certificate
        return redirect(url_for(".round_comments", round_id=round_id) if round_id else url_for("rounds.index"))
