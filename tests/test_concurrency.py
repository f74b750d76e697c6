"""Concurrent writers on PostgreSQL: council members scoring different forms at the same time, each in its own
database session, for a bounded time. Nothing is lost, nothing raw is raised, and the audit chain verifies."""

from __future__ import annotations

import threading
import time
from decimal import Decimal
from typing import Any

import pytest
from sqlalchemy import func, select

from spcncl_core import Catalog
from spcncl_core.db.base import make_session_factory
from spcncl_core.db.models import CouncilMember, Dossier, ScoringForm
from spcncl_core.demo import build_round
from spcncl_core.errors import SpcnclError
from spcncl_core.services import audit, scoring

WRITERS = 6
TIME_LIMIT_S = 20.0  # each writer stops after this, whatever is left


def test_concurrent_scoring_loses_nothing_and_raises_nothing_raw(session: Any, catalog: Catalog,
                                                                 engine: Any) -> None:
    if engine.dialect.name != "postgresql":
        pytest.skip("concurrent writers need PostgreSQL (SQLite has one writer at a time)")
    built = build_round(session, catalog, stop_after="scoring", enterprises=8, eligible=12, recognised=10,
                        ineligible=0, members=6, high_tech=2)
    session.commit()
    entries_before = audit.count(session)
    work: list[tuple[int, int]] = []
    for dossier in built.dossiers:
        for member in session.scalars(select(CouncilMember).where(CouncilMember.round_id == built.round.id)):
            if scoring.assigned_criteria(session, catalog, member, dossier) and member.voting:
                work.append((member.id, dossier.id))
    # not the conflicted pair the demo declares
    conflicts = {(c.member_id, c.dossier_id) for c in session.scalars(select(scoring.Conflict))}
    work = [w for w in work if w not in conflicts]
    session.close()
    factory = make_session_factory(engine)
    errors: list[BaseException] = []
    done: list[tuple[int, int]] = []
    start = threading.Barrier(WRITERS)

    def writer(share: list[tuple[int, int]]) -> None:
        start.wait()
        deadline = time.monotonic() + TIME_LIMIT_S
        with factory() as own:
            for member_id, dossier_id in share:
                if time.monotonic() > deadline:
                    return
                try:
                    member, dossier = own.get(CouncilMember, member_id), own.get(Dossier, dossier_id)
                    form = scoring.form_for(own, member.user, catalog, member, dossier)
                    points = {c: Decimal("1") for c in scoring.assigned_criteria(own, catalog, member, dossier)}
                    scoring.save_scores(own, member.user, catalog, member, dossier, points, form.version)
                    scoring.submit_form(own, member.user, catalog, member, dossier)
                    own.commit()
                    done.append((member_id, dossier_id))
                except SpcnclError as exc:  # the project's own errors are answers, not failures of the lock
                    own.rollback()
                    errors.append(exc)
                except BaseException as exc:  # noqa: BLE001 - anything raw is what this test looks for
                    own.rollback()
                    errors.append(exc)

    threads = [threading.Thread(target=writer, args=(work[i::WRITERS],)) for i in range(WRITERS)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(TIME_LIMIT_S + 30)
    assert not any(t.is_alive() for t in threads)
    assert errors == []
    assert len(done) > WRITERS  # the bounded time let every writer write
    with factory() as check:
        forms = check.scalar(select(func.count()).select_from(ScoringForm)
                             .where(ScoringForm.submitted_at.is_not(None)))
        assert forms == len(done)
        # one entry per change: the form opened, its points saved, the form submitted
        assert audit.count(check) == entries_before + 3 * len(done)
        report = audit.verify(check)
        assert report.ok, report.problems
