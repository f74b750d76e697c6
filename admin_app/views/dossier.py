"""A dossier's page (inputs, prerequisites, preliminary evaluation explained per criterion, state history from the
audit log) and the secretariat's actions on it: register, submit, screen, override a prerequisite, preliminary
scores. Each action calls one service and shows its error in the page."""

from __future__ import annotations

from datetime import date
from typing import Any

from flask import abort, flash, redirect, request, url_for
from flask_admin import expose
from flask_babel import get_locale
from flask_babel import gettext as _
from sqlalchemy import select

from spcncl_core import clock
from spcncl_core.db.models import Dossier, Round
from spcncl_core.errors import SpcnclError
from spcncl_core.services import audit, documents, dossiers, screening
from spcncl_core.services.rounds import criteria_set_for

from ..extensions import db
from ..forms import read_inputs, round_inputs
from .base import StaffView, actor, allowed, catalog, require, run_service
from .labels import refusal_text


def _round_sets(round_: Round) -> list[Any]:
    return [criteria_set_for(db.session(), catalog(), round_, c.product_group) for c in round_.criteria_sets]


def _day(text: str) -> date | None:
    """A day typed in a form: ISO (the browser's date field) or dd/mm/yyyy; None when it is neither."""
    text = text.strip()
    for parse in (date.fromisoformat, lambda t: date(*reversed([int(p) for p in t.split("/")]))):
        try:
            return parse(text)
        except (ValueError, TypeError, OverflowError):
            continue
    return None


class DossierPageView(StaffView):
    """The dossier page and the actions on one dossier."""

    def is_visible(self) -> bool:
        return False

    @expose("/")
    def index(self) -> Any:
        return redirect(url_for("dossiers.index_view"))

    @expose("/<int:dossier_id>")
    def page(self, dossier_id: int) -> Any:
        """Everything known about one dossier."""
        dossier = db.session.get(Dossier, dossier_id) or abort(404)
        lang = str(get_locale() or "vi")
        cset, evaluation, problem = None, None, None
        if dossier.product_group:
            try:
                cset = screening.criteria_set_of(db.session(), catalog(), dossier)
                evaluation = screening.engine_evaluation(db.session(), catalog(), dossier)
            except SpcnclError as exc:
                problem = refusal_text(exc)
        sets = [cset] if cset else _round_sets(dossier.round)
        specs = round_inputs(sets)
        history = audit.entries_for(db.session(), "dossier", dossier.number)
        try:
            checklist = documents.checklist(db.session(), dossier)
        except SpcnclError as exc:  # a deployment's checklist file is malformed: said here, the page still shows
            checklist = []
            problem = f"{problem}; {exc}" if problem else str(exc)
        return self.render("spcncl/dossier.html", dossier=dossier, cset=cset, evaluation=evaluation,
                           problem=problem, specs=specs, history=history, lang=lang, allowed=allowed,
                           criteria={c.id: c for c in cset.criteria} if cset else {}, checklist=checklist,
                           today=clock.today(dossier.round.jurisdiction_id).isoformat())

    @expose("/<int:dossier_id>/<action>", methods=["POST"])
    def act(self, dossier_id: int, action: str) -> Any:
        """submit | screen | preliminary | override | document | unrecord: one service call each."""
        dossier = db.session.get(Dossier, dossier_id) or abort(404)
        session, cat, who = db.session(), catalog(), actor()
        if action == "submit":
            require("dossier.submit")
            run_service(lambda: dossiers.submit(session, who, cat, dossier), _("Dossier submitted."))
        elif action == "screen":
            require("dossier.screen")
            eligible = run_service(lambda: screening.screen(session, who, cat, dossier))
            if eligible is not None:
                flash(_("Screened: eligible.") if eligible else _("Screened: not eligible."),
                      "success" if eligible else "warning")
        elif action == "preliminary":
            require("dossier.preliminary_score")
            run_service(lambda: screening.preliminary_scores(session, who, cat, dossier),
                        _("Preliminary scores computed."))
        elif action == "override":
            require("prerequisite.override")
            passed = request.form.get("passed") == "yes"
            run_service(lambda: screening.override(session, who, dossier, request.form.get("prerequisite", ""),
                                                   passed, request.form.get("reason", "")),
                        _("Prerequisite overridden; the reason is in the audit log."))
        elif action == "document":
            require("document.record")
            kind, title = request.form.get("kind", ""), request.form.get("title", "").strip() or None
            received = _day(request.form.get("received_on", ""))
            if received is None:
                flash(_("Give the day the document was received (dd/mm/yyyy)."), "danger")
            else:
                run_service(lambda: documents.record_document(session, who, dossier, kind, received, title),
                            _("Document recorded as received."))
        elif action == "unrecord":
            require("document.unrecord")
            run_service(lambda: documents.unrecord_document(
                session, who, documents.get_document(session, dossier, request.form.get("document", type=int)),
                request.form.get("reason", "").strip() or None), _("Document struck out; the audit log keeps it."))
        else:
            abort(404)
        return redirect(url_for(".page", dossier_id=dossier_id))

    @expose("/new", methods=["GET", "POST"])
    def new(self) -> Any:
        """Register a product in a round: enterprise, product and the dossier's inputs."""
        require("dossier.register")
        rounds = list(db.session.scalars(select(Round).order_by(Round.year.desc())))
        if not rounds:
            flash(_("Create a round first."), "warning")
            return redirect(url_for("admin.index"))
        round_id = request.values.get("round_id", type=int) or rounds[0].id
        round_ = next((r for r in rounds if r.id == round_id), rounds[0])
        specs = round_inputs(_round_sets(round_))
        form = request.form
        if request.method == "POST":
            session, who = db.session(), actor()
            code, name = form.get("enterprise_code", "").strip(), form.get("enterprise_name", "").strip()
            product_name, number = form.get("product_name", "").strip(), form.get("number", "").strip()
            missing = [label for label, value in ((_("Enterprise code"), code), (_("Enterprise name"), name),
                                                  (_("Product"), product_name), (_("Dossier number"), number))
                       if not value]
            if missing:
                flash(_("Please fill in: %(fields)s", fields=", ".join(missing)), "danger")
            else:
                def register() -> Dossier:
                    enterprise = dossiers.enterprise(session, who, code, name, district=form.get("district") or None,
                                                     sector=form.get("sector") or None)
                    product = dossiers.product(session, who, enterprise, product_name, form.get("sector") or None)
                    return dossiers.register(session, who, round_, product, number, read_inputs(specs, form))

                dossier = run_service(register, _("Dossier registered as a draft."))
                if dossier is not None:
                    return redirect(url_for(".page", dossier_id=dossier.id))
        return self.render("spcncl/dossier_new.html", rounds=rounds, round_=round_, specs=specs, form=form,
                           lang=str(get_locale() or "vi"))


