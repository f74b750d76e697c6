"""Excel in the browser: download each workbook from the screen it belongs to, and upload a filled bulk sheet or
council workbook — checked first ("check only": the import runs in a transaction that is rolled back, so the report
is seen before anything is saved), then imported for real. Everything goes through spcncl_core.excel, which reads
uploads safely (size and zip checks before parsing) and imports through the services, all or nothing."""

from __future__ import annotations

import io
import queue
import shutil
import tempfile
import threading
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from flask import (
    Response,
    abort,
    current_app,
    flash,
    redirect,
    render_template,
    request,
    send_file,
    stream_with_context,
    url_for,
)
from flask_admin import expose
from flask_babel import gettext as _
from flask_login import current_user

from spcncl_core.catalog import Catalog
from spcncl_core.db.base import make_session_factory
from spcncl_core.db.models import CouncilMember, Round, User
from spcncl_core.errors import SpcnclError

from ..extensions import db
from .base import StaffView, actor, catalog, refusal, require
from .labels import refusal_lead
from .rounds import get_round

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
MAX_UPLOAD = 20 * 1024 * 1024
IMPORTS = {"bulk": "dossier.register", "council": "scores.import"}  # kind → the policy action a role needs
STEPS_MARK, REPORT_MARK = "<!--import-steps-->", "<!--import-report-->"
STAGES = ("read", "check", "write")
WEIGHTS = {"read": (0, 45), "check": (45, 40), "write": (85, 15)}  # stage → (start, share) of the whole, in %


@dataclass
class ImportEvent:
    """What an import run tells the page: a step of progress, or its end (done, refused, failed)."""

    kind: str  # progress | done | refused | failed
    stage: str = ""
    done: int = 0
    total: int = 0
    report: Any = None
    error: BaseException | None = None

    @property
    def percent(self) -> int:
        """The whole import's progress, 0 to 100 (the stages weighted by their usual share of the time)."""
        start, share = WEIGHTS.get(self.stage, (0, 100))
        return min(100, start + share * self.done // max(self.total, 1))


class ImportRun:
    """One upload's import, run in a helper thread of the request that streams its page.

    Why a streamed page and a thread: the application keeps no state between requests (several gunicorn workers,
    maybe several machines), so the progress cannot wait in a worker's memory for another request to read it; and
    a job row polled by the page would need a second transaction writing progress while the import's own
    transaction holds the database's write lock (SQLite has one writer). Here the whole import lives in the one
    request: the thread imports in its own session and transaction (rolled back for "check only", committed only
    when everything succeeded, rolled back on any error: nothing is half written), and hands progress to the
    request through a queue; the response writes each step as a small piece of HTML (no JavaScript needed), then
    the report. If the browser goes away the import still ends whole."""

    def __init__(self, engine: Any, catalog: Catalog, kind: str, round_id: int, user_id: int, path: Path,
                 check_only: bool) -> None:
        self.engine, self.catalog, self.kind, self.round_id = engine, catalog, kind, round_id
        self.user_id, self.path, self.check_only = user_id, path, check_only
        self.queue: queue.Queue[ImportEvent] = queue.Queue()
        self.thread = threading.Thread(target=self._run, name=f"import-{kind}-{round_id}", daemon=False)
        self._shown: tuple[str, int] = ("", -1)
        self._started = False

    def start(self) -> None:
        """Begin the import."""
        self._started = True
        self.thread.start()

    def join(self) -> None:
        """Wait for the import to have ended (committed or rolled back)."""
        if self.thread.is_alive():
            self.thread.join()

    def events(self) -> Iterator[ImportEvent]:
        """Progress steps (only the newest of those waiting, and always the last one), then the one event that
        ends the run."""
        while True:
            try:
                waiting = [self.queue.get(timeout=1)]
            except queue.Empty:
                if self.thread.is_alive() or not self._started:
                    continue
                yield ImportEvent("failed", error=RuntimeError("the import ended without a report"))
                return
            while waiting[-1].kind == "progress":
                try:
                    waiting.append(self.queue.get_nowait())
                except queue.Empty:
                    break
            steps = [e for e in waiting if e.kind == "progress"]
            if steps:
                yield steps[-1]
            if waiting[-1].kind != "progress":
                yield waiting[-1]
                return

    def _progress(self, stage: str, done: int, total: int) -> None:
        event = ImportEvent("progress", stage, done, total)
        shown = (stage, event.percent)
        if shown != self._shown:  # at most one step per stage and percent
            self._shown = shown
            self.queue.put(event)

    def _run(self) -> None:
        from spcncl_core.excel.council import import_council_workbook
        from spcncl_core.excel.dossier_import import import_bulk

        session = None
        try:
            session = make_session_factory(self.engine)()
            round_, who = session.get(Round, self.round_id), session.get(User, self.user_id)
            if round_ is None or who is None:
                raise SpcnclError("the round or the user no longer exists")
            if self.kind == "bulk":
                report: Any = import_bulk(session, who, self.catalog, round_, self.path, progress=self._progress)
            else:
                report = import_council_workbook(session, who, self.catalog, round_, self.path,
                                                 progress=self._progress)
            if self.check_only:
                session.rollback()
            else:
                session.commit()
            self.queue.put(ImportEvent("done", report=report))
        except SpcnclError as exc:
            self._end(session, ImportEvent("refused", error=exc))
        except BaseException as exc:  # noqa: BLE001 - said in the page and logged by the request
            self._end(session, ImportEvent("failed", error=exc))
        finally:
            if session is not None:
                session.close()

    def _end(self, session: Any, event: ImportEvent) -> None:
        """Roll back and say how the run ended; the page hears the end even when the rollback itself fails (a
        lost connection)."""
        try:
            if session is not None:
                session.rollback()
        finally:
            self.queue.put(event)


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
        """bulk | council: check the uploaded workbook (nothing saved), or import it (all or nothing), showing the
        progress as it goes and then the report, in one streamed page (see `ImportRun`)."""
        round_ = get_round(round_id)
        if kind not in IMPORTS:
            abort(404)
        require(IMPORTS[kind])
        upload = request.files.get("workbook")
        if upload is None or not upload.filename:
            flash(_("Choose a workbook (.xlsx) to upload."), "danger")
            return redirect(url_for("rounds.dashboard", round_id=round_id))
        check_only = request.form.get("check_only") == "on"
        # the client's name, as the report says it: its last part only, and never "." or ".." (a path)
        shown_name = upload.filename.replace("\\", "/").rsplit("/", 1)[-1][:80]
        if shown_name in ("", ".", "..") or any(ord(c) < 32 for c in shown_name):
            shown_name = "workbook.xlsx"
        folder = Path(tempfile.mkdtemp(prefix="spcncl-upload-"))
        try:
            # openpyxl goes by the extension: a file named without it is still read (its content is checked)
            path = folder / (shown_name if shown_name.lower().endswith(".xlsx") else f"{shown_name}.xlsx")
            upload.save(path)
            run = ImportRun(db.engine, catalog(), kind, round_id, actor().id, path, check_only)
            marks = (STEPS_MARK, REPORT_MARK)
            page = self.render("spcncl/import.html", round_=round_, kind=kind, check_only=check_only,
                               filename=shown_name, marks=marks)
            head, rest = page.split(STEPS_MARK, 1)
            middle, tail = rest.split(REPORT_MARK, 1)
            who, title = current_user.username, round_.title
        except BaseException:
            shutil.rmtree(folder, ignore_errors=True)
            raise
        db.session.close()  # the request's own reads are done: no connection held idle while the import runs

        def stream() -> Iterator[str]:
            run.start()
            try:
                yield head
                for event in run.events():
                    if event.kind == "progress":
                        yield render_template("spcncl/import_step.html", step=event, check_only=check_only)
                        continue
                    yield middle
                    yield render_template("spcncl/import_report.html", outcome=event, kind=kind,
                                          check_only=check_only, round_id=round_id, refusal=refusal,
                                          lead=refusal_lead,
                                          filename=shown_name)
                    if event.kind == "failed":
                        current_app.logger.error("workbook %s upload to round %s by %s failed", kind, round_id,
                                                 who, exc_info=event.error)
                    else:
                        current_app.logger.info("workbook %s uploaded to %s by %s: %s%s", kind, title, who,
                                                event.kind, " (check only)" if check_only else "")
                yield tail
            finally:  # the browser may have gone: the import still ends whole (committed or rolled back)
                run.join()
                shutil.rmtree(folder, ignore_errors=True)

        response = Response(stream_with_context(stream()), mimetype="text/html")
        response.call_on_close(lambda: shutil.rmtree(folder, ignore_errors=True))  # also when never streamed
        response.headers["Cache-Control"] = "no-store"
        response.headers["X-Accel-Buffering"] = "no"  # a proxy (nginx) passes each step on at once
        return response
