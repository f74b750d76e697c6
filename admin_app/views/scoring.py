"""The council member's page: only their dossiers × their criteria, the preliminary points and the self-assessment
beside each field, save and submit. Another member's form is refused; a stale edit is refused with a message and
the points typed are shown again, not lost."""

from __future__ import annotations

from typing import Any

from flask import abort, flash, redirect, request, url_for
from flask_admin import expose
from flask_babel import get_locale
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy import select

from spcncl_core.db.models import Assignment, Conflict, CouncilMember, Dossier, Round, ScoringForm
from spcncl_core.errors import SpcnclError
from spcncl_core.services import scoring, screening
from spcncl_core.services.rounds import criteria_set_for

from ..extensions import db
from .base import StaffView, actor, catalog, refusal


def my_member(member_id: int) -> CouncilMember:
    """The council member record `member_id`, only if it is the signed-in user's (403 otherwise)."""
    member = db.session.get(CouncilMember, member_id)
    if member is None or member.user_id != current_user.id:
        abort(403)
    return member


class ScoringView(StaffView):
    """My scoring forms."""

    roles = ("council",)

    @expose("/")
    def index(self) -> Any:
        members = list(db.session.scalars(select(CouncilMember).where(CouncilMember.user_id == current_user.id)))
        rows = []
        for member in members:
            round_ = db.session.get(Round, member.round_id)
            my_sets = set(db.session.scalars(select(Assignment.criteria_set_id).where(
                Assignment.round_id == round_.id, Assignment.member_id == member.id)))
            sets = {c.product_group: c.criteria_set_id for c in round_.criteria_sets}
            conflicted = set(db.session.scalars(select(Conflict.dossier_id).where(Conflict.member_id == member.id)))
            forms = {f.dossier_id: f for f in db.session.scalars(select(ScoringForm).where(
                ScoringForm.member_id == member.id))}
            for dossier in db.session.scalars(select(Dossier).where(
                    Dossier.round_id == round_.id, Dossier.state.in_(scoring.SCORABLE)).order_by(Dossier.number)):
                if dossier.id in conflicted or sets.get(dossier.product_group or "") not in my_sets:
                    continue
                rows.append({"member": member, "round": round_, "dossier": dossier, "form": forms.get(dossier.id)})
        return self.render("spcncl/my_forms.html", rows=rows, members=members)

    @expose("/<int:member_id>/<int:dossier_id>", methods=["GET", "POST"])
    def form(self, member_id: int, dossier_id: int) -> Any:
        """One scoring form: save (a draft) or submit (locks it)."""
        member = my_member(member_id)
        dossier = db.session.get(Dossier, dossier_id) or abort(404)
        session, cat, who = db.session(), catalog(), actor()
        typed: dict[str, str] = {}
        if request.method == "POST":
            assigned = scoring.assigned_criteria(session, cat, member, dossier)
            typed = {c: request.form.get(f"points_{c}", "").strip().replace(",", ".") for c in assigned}
            points = {c: v for c, v in typed.items() if v}
            version = request.form.get("version", type=int) or 0
            try:
                scoring.save_scores(session, who, cat, member, dossier, points, version)
                if request.form.get("submit") == "yes":
                    scoring.submit_form(session, who, cat, member, dossier)
                session.commit()
            except SpcnclError as exc:
                session.rollback()
                flash(refusal(exc), "danger")
            else:
                flash(_("Form submitted; it is now locked.") if request.form.get("submit") == "yes"
                      else _("Scores saved."), "success")
                return redirect(url_for(".form", member_id=member_id, dossier_id=dossier_id))
        try:
            form = scoring.form_for(session, who, cat, member, dossier)
            session.commit()
        except SpcnclError as exc:
            session.rollback()
            flash(refusal(exc), "danger")
            return redirect(url_for(".index"))
        cset = criteria_set_for(session, cat, dossier.round, dossier.product_group or "")
        assigned = scoring.assigned_criteria(session, cat, member, dossier)
        evaluation = screening.engine_evaluation(session, cat, dossier)
        prelim = {c.id: c for c in evaluation.criteria}
        saved = {e.criterion_id: e.points for e in form.entries}
        return self.render("spcncl/score_form.html", member=member, dossier=dossier, form=form, cset=cset,
                           assigned=[cset.criterion(c) for c in assigned], prelim=prelim, saved=saved, typed=typed,
                           lang=str(get_locale() or "vi"))
