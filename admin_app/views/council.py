"""The round's council: members, declared conflicts, and the assignment matrix (members × criteria) with coverage."""

from __future__ import annotations

from typing import Any

from flask import abort, redirect, request, url_for
from flask_admin import expose
from flask_babel import get_locale
from flask_babel import gettext as _
from sqlalchemy import select

from spcncl_core.db.models import Assignment, Conflict, CouncilMember, Dossier, User
from spcncl_core.services import scoring
from spcncl_core.services.rounds import criteria_set_for

from ..extensions import db
from .base import RoundScreenView, actor, allowed, catalog, require, run_service
from .rounds import get_round


class CouncilView(RoundScreenView):
    """Members, conflicts, assignments of one round."""

    @expose("/<int:round_id>")
    def round_council(self, round_id: int) -> Any:
        round_ = get_round(round_id)
        members = list(db.session.scalars(select(CouncilMember).where(CouncilMember.round_id == round_id)
                                          .order_by(CouncilMember.code)))
        assigned = {(a.criteria_set_id, a.criterion_id, a.member_id) for a in db.session.scalars(
            select(Assignment).where(Assignment.round_id == round_id))}
        sets = [criteria_set_for(db.session(), catalog(), round_, c.product_group)
                for c in sorted(round_.criteria_sets, key=lambda c: c.product_group)]
        conflicts = db.session.execute(select(Conflict, CouncilMember, Dossier)
                                       .join(CouncilMember, CouncilMember.id == Conflict.member_id)
                                       .join(Dossier, Dossier.id == Conflict.dossier_id)
                                       .where(Dossier.round_id == round_id).order_by(Dossier.number)).all()
        gaps = scoring.assignment_gaps(db.session(), catalog(), round_)  # the matrix: who may score what
        return self.render("spcncl/council.html", round_=round_, members=members, assigned=assigned, sets=sets,
                           conflicts=conflicts, gaps=gaps, allowed=allowed, lang=str(get_locale() or "vi"))

    @expose("/<int:round_id>/<action>", methods=["POST"])
    def act(self, round_id: int, action: str) -> Any:
        """add-member | assign | unassign | conflict."""
        round_ = get_round(round_id)
        session, cat, who, form = db.session(), catalog(), actor(), request.form
        if action == "add-member":
            require("council.add_member")
            account = db.session.scalar(select(User).where(User.username == form.get("username", "").strip()))
            run_service(lambda: scoring.add_member(session, who, round_, form.get("code", "").strip(),
                                                   form.get("name", "").strip(), form.get("agency") or None,
                                                   form.get("role", "member"), user=account),
                        _("Member added."))
        elif action == "assign":
            require("council.assign")
            member = db.session.get(CouncilMember, form.get("member_id", type=int) or 0)
            if member is None or member.round_id != round_id:
                abort(404)
            run_service(lambda: scoring.assign(session, who, cat, round_, form.get("product_group", ""),
                                               form.getlist("criteria"), member), _("Criteria assigned."))
        elif action == "unassign":
            require("council.unassign")
            member = db.session.get(CouncilMember, form.get("member_id", type=int) or 0)
            if member is None or member.round_id != round_id:
                abort(404)
            run_service(lambda: scoring.unassign(session, who, cat, round_, form.get("product_group", ""),
                                                 form.getlist("criteria"), member, form.get("reason", "")),
                        _("Criteria taken away."))
        elif action == "conflict":
            require("council.declare_conflict")
            member = db.session.get(CouncilMember, form.get("member_id", type=int) or 0)
            dossier = db.session.scalar(select(Dossier).where(Dossier.round_id == round_id,
                                                              Dossier.number == form.get("number", "").strip()))
            if member is None or dossier is None or member.round_id != round_id:
                abort(404)
            run_service(lambda: scoring.declare_conflict(session, who, member, dossier, form.get("reason", "")),
                        _("Conflict recorded: the member will not score this dossier."))
        else:
            abort(404)
        return redirect(url_for(".round_council", round_id=round_id))
