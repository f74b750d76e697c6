"""Excel in the browser: download each workbook from the screen it belongs to, and upload a filled bulk sheet or
council workbook — checked first ("check only": the import runs in a transaction that is rolled back, so the report
is seen before anything is saved), then imported for real. Everything goes through spcncl_core.excel, which reads
uploads safely (size and zip checks before parsing) and imports through the services, all or nothing."""

from __future__ import annotations

import io
import tempfile
from pathlib import Path
from typing import Any

from flask import abort, current_app, flash, redirect, request, send_file, url_for
from flask_admin import expose
from flask_babel import gettext as _

from spcncl_core.db.models import CouncilMember
from spcncl_core.errors import SpcnclError

from ..extensions import db
from .base import StaffView, actor, catalog, refusal, require
from .rounds import get_round

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
MAX_UPLOAD = 20 * 1024 * 1024


def _send(write: Any, name: str) -> Any:
    buffer = io.BytesIO()
    write(buffer)
    buffer.seek(0)
    return send_file(buffer, mimetype=XLSX, as_attachment=True, download_name=name)


class WorkbooksView(StaffView):
    """Downloads and uploads of a round's workbooks."""

    def is_visible(self) -> bool:
        return False

    @expose("/")
    def index(self) -> Any:
        return redirect(url_for("rounds.index"))

    @expose("/<int:round_id>/<kind>.xlsx")
    def download(self, round_id: int, kind: str) -> Any:
        """results | working | bulk: the round's workbook of that kind."""
        from spcncl_core.excel.bulk import write_bulk
        from spcncl_core.excel.results_book import write_results_book
        from spcncl_core.excel.working_sheet import write_working_sheet

        round_ = get_round(round_id)
        session, cat = db.session(), catalog()
        writers = {
            "results": lambda target: write_results_book(session, cat, round_, target),
            "working": lambda target: write_working_sheet(session, cat, round_, target),
            "bulk": lambda target: write_bulk(cat, round_.jurisdiction_id, round_.year, target),
        }
        if kind not in writers:
            abort(404)
        try:
            return _send(writers[kind], f"{round_.jurisdiction_id}-{round_.year}-{kind}.xlsx")
        except SpcnclError as exc:
            flash(refusal(exc), "danger")
            return redirect(url_for("rounds.dashboard", round_id=round_id))

    @expose("/<int:round_id>/council/<int:member_id>.xlsx")
    def council(self, round_id: int, member_id: int) -> Any:
        """A council member's scoring workbook."""
        from spcncl_core.excel.council import write_council_workbook

        round_ = get_round(round_id)
        member = db.session.get(CouncilMember, member_id)
        if member is None or member.round_id != round_id:
            abort(404)
        return _send(lambda target: write_council_workbook(db.session(), catalog(), round_, member, target),
                     f"{round_.jurisdiction_id}-{round_.year}-{member.code}.xlsx")

    @expose("/set/<set_id>.xlsx")
    def criteria_set(self, set_id: str) -> Any:
        """A criteria set as a workbook."""
        from spcncl_core.excel.criteria_book import write_criteria_book

        try:
            cset = catalog().get(set_id)
        except SpcnclError:
            abort(404)
        return _send(lambda target: write_criteria_book(cset, target), f"{set_id}.xlsx")

    @expose("/<int:round_id>/upload/<kind>", methods=["POST"])
    def upload(self, round_id: int, kind: str) -> Any:
        """bulk | council: check the uploaded workbook (nothing saved), or import it (all or nothing)."""
        from spcncl_core.excel.council import import_council_workbook
        from spcncl_core.excel.dossier_import import import_bulk

        round_ = get_round(round_id)
        require("dossier.register" if kind == "bulk" else "scores.import")
        upload = request.files.get("workbook")
        if upload is None or not upload.filename:
            flash(_("Choose a workbook (.xlsx) to upload."), "danger")
            return redirect(url_for("rounds.dashboard", round_id=round_id))
        check_only = request.form.get("check_only") == "on"
        session, cat, who = db.session(), catalog(), actor()
        with tempfile.TemporaryDirectory() as folder:
            path = Path(folder) / Path(upload.filename).name
            upload.save(path)
            try:
                if kind == "bulk":
                    report = import_bulk(session, who, cat, round_, path)
                    done = _("%(n)s dossiers registered or updated.", n=report.count)
                elif kind == "council":
                    import_council_workbook(session, who, cat, round_, path)
                    done = _("Council scores imported.")
                else:
                    abort(404)
            except SpcnclError as exc:
                session.rollback()
                flash(refusal(exc), "danger")
                return redirect(url_for("rounds.dashboard", round_id=round_id))
        if check_only:
            session.rollback()
            flash(_("Checked, nothing saved: %(what)s Untick “check only” to import it.", what=done), "info")
        else:
            session.commit()
            flash(done, "success")
        current_app.logger.info("workbook %s uploaded to round %s by %s", kind, round_id, who.username)
        return redirect(url_for("rounds.dashboard", round_id=round_id))
