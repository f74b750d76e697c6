"""A round's dashboard (dossiers by state, scoring progress per member, days left to comment), the admins' yearly
switch of criteria sets (diff, reason, refused once scoring started), and the round's phase actions."""

from __future__ import annotations

from datetime import date
from typing import Any

from flask import abort, flash, redirect, request, url_for
from flask_admin import expose
from flask_babel import get_locale
from flask_babel import gettext as _
from sqlalchemy import func, select

from spcncl_core.criteria.diff import diff_sets
from spcncl_core.db.base import utcnow
from spcncl_core.db.models import Assignment, Conflict, CouncilMember, Dossier, Publication, Round, ScoringForm
from spcncl_core.errors import SpcnclError
from spcncl_core.services import publication, recognition, results, rounds, scoring
from spcncl_core.services.rounds import criteria_set_for

from ..extensions import db
from ..policy import why_not
from .base import StaffView, actor, allowed, catalog, require, run_service
from .labels import refusal_text


def get_round(round_id: int) -> Round:
    """The round or 404."""
    return db.session.get(Round, round_id) or abort(404)


def scoring_progress(round_: Round) -> list[dict[str, Any]]:
    """Per member: forms opened, forms submitted, dossiers to score (assigned, unconflicted, scorable)."""
    members = list(db.session.scalars(select(CouncilMember).where(CouncilMember.round_id == round_.id)
                                      .order_by(CouncilMember.code)))
    scorable = db.session.scalar(select(func.count()).select_from(Dossier).where(
        Dossier.round_id == round_.id, Dossier.state.in_(scoring.SCORABLE))) or 0
    forms = dict(db.session.execute(select(ScoringForm.member_id, func.count()).join(
        Dossier, Dossier.id == ScoringForm.dossier_id).where(Dossier.round_id == round_.id,
                                                             ScoringForm.submitted_at.is_not(None))
        .group_by(ScoringForm.member_id)).all())
    assigned = set(db.session.scalars(select(Assignment.member_id).where(Assignment.round_id == round_.id)))
    conflicts = dict(db.session.execute(select(Conflict.member_id, func.count()).group_by(Conflict.member_id)).all())
    rows = []
    for m in members:
        due = scorable - conflicts.get(m.id, 0) if m.id in assigned and m.voting else 0
        rows.append({"member": m, "submitted": forms.get(m.id, 0), "due": max(due, 0)})
    return rows


class RoundsView(StaffView):
    """Rounds: list, dashboard, criteria sets, phase actions."""

    @expose("/")
    def index(self) -> Any:
        all_rounds = list(db.session.scalars(select(Round).order_by(Round.year.desc())))
        return self.render("spcncl/rounds.html", rounds=all_rounds)

    @expose("/<int:round_id>")
    def dashboard(self, round_id: int) -> Any:
        """The round's dashboard."""
        round_ = get_round(round_id)
        by_state = dict(db.session.execute(select(Dossier.state, func.count()).where(Dossier.round_id == round_id)
                                           .group_by(Dossier.state)).all())
        pub = db.session.scalar(select(Publication).where(Publication.round_id == round_id))
        days_left = None
        if pub is not None:
            days_left = max(0, (pub.comments_until - utcnow()).days + (1 if pub.comments_until > utcnow() else 0))
        choices = []
        for choice in sorted(round_.criteria_sets, key=lambda c: c.product_group):
            try:
                current = criteria_set_for(db.session(), catalog(), round_, choice.product_group)
            except SpcnclError as exc:
                current = None
                flash(refusal_text(exc), "danger")
            others = [s for s in catalog().sets_for(round_.jurisdiction_id, round_.year, choice.product_group)
                      if current is None or s.id != current.id]
            choices.append({"choice": choice, "set": current, "others": others})
        return self.render("spcncl/round.html", round_=round_, by_state=by_state, pub=pub, days_left=days_left,
                           progress=scoring_progress(round_), choices=choices, allowed=allowed,
                           lang=str(get_locale() or "vi"), open_comments=len(publication.open_comments(
                               db.session(), round_)))

    @expose("/<int:round_id>/switch", methods=["GET", "POST"])
    def switch(self, round_id: int) -> Any:
        """Pick another set for a product group: the diff first, then a confirmation with a reason."""
        require("round.choose_criteria_set")
        round_ = get_round(round_id)
        group = request.values.get("product_group", "")
        target_id = request.values.get("criteria_set", "")
        try:
            current = criteria_set_for(db.session(), catalog(), round_, group)
            target = catalog().get(target_id)
        except SpcnclError as exc:
            flash(refusal_text(exc), "danger")
            return redirect(url_for(".dashboard", round_id=round_id))
        if request.method == "POST" and request.form.get("confirm") == "yes":
            reason = request.form.get("reason", "").strip()
            if not reason:
                flash(_("Say why the set is switched (the reason goes into the audit log)."), "danger")
            else:
                done = run_service(lambda: _switch(round_, group, target_id, reason),
                                   _("Criteria set switched to %(id)s.", id=target_id))
                if done is not None:
                    return redirect(url_for(".dashboard", round_id=round_id))
        reason = why_not(actor(), "round.choose_criteria_set", round_)
        if reason:
            flash(f"{_('Not in this phase of the round')}: {reason}", "warning")
        if round_.scoring_started:
            flash(_("Switching is refused: the criteria sets of the %(year)s round are locked since council scoring "
                    "started on %(when)s.", year=round_.year, when=round_.scoring_started_at.strftime("%d/%m/%Y")),
                  "warning")
        return self.render("spcncl/switch.html", round_=round_, group=group, current=current, target=target,
                           changes=diff_sets(current, target), lang=str(get_locale() or "vi"))

    @expose("/<int:round_id>/<action>", methods=["POST"])
    def act(self, round_id: int, action: str) -> Any:
        """The round's phase actions, each one service call."""
        round_ = get_round(round_id)
        session, cat, who = db.session(), catalog(), actor()
        if action == "open-screening":
            require("round.open_screening")
            run_service(lambda: rounds.open_screening(session, who, round_),
                        _("Registration closed; screening is open."))
        elif action == "close-comments":
            require("round.close_comments")
            run_service(lambda: publication.close_comments(session, who, round_),
                        _("The comment window is closed; the round awaits the recognition decision."))
        elif action == "start-scoring":
            require("round.start_scoring")
            run_service(lambda: rounds.start_scoring(session, who, round_), _("Council scoring is open."))
        elif action == "close-scoring":
            require("round.close_scoring")
            run_service(lambda: scoring.close_scoring(session, who, cat, round_), _("Council scoring is closed."))
        elif action == "compute":
            require("results.compute")
            run_service(lambda: results.compute_results(session, who, cat, round_), _("Results computed."))
        elif action == "publish":
            require("results.publish")
            run_service(lambda: publication.publish(session, who, cat, round_),
                        _("Results published; the comment window is open."))
        elif action == "decide":
            require("recognition.decide")
            try:
                decided_on = date.fromisoformat(request.form.get("decided_on", ""))
            except ValueError:
                flash(_("Give the decision's date."), "danger")
                return redirect(url_for(".dashboard", round_id=round_id))
            run_service(lambda: recognition.decide(session, who, cat, round_, request.form.get("number", "").strip(),
                                                   decided_on, request.form.get("signed_by") or None),
                        _("Recognition decided; certificates issued."))
        else:
            abort(404)
        return redirect(url_for(".dashboard", round_id=round_id))


def _switch(round_: Round, group: str, target_id: str, reason: str) -> Any:
    # the service writes the reason on its own audit entry
    return rounds.choose_criteria_set(db.session(), actor(), catalog(), round_, group, target_id, reason=reason)
