"""A result's class (for sets with result classes, issue 10) travels with the stored result: into the round report,
the publication snapshot and the audit log's record of the result."""

from __future__ import annotations

from typing import Any

from records_support import small_round, user
from sqlalchemy import select, update

from spcncl_core import Catalog
from spcncl_core.db.models import Dossier, Result
from spcncl_core.services import audit, publication, results


def test_the_class_is_in_the_report_the_snapshot_and_the_log(session: Any, catalog: Catalog) -> None:
    built = small_round(session, catalog, stop_after="results")
    first = session.scalar(select(Result).where(Result.position == 1))
    # Hanoi's sets have no classes: stand in for a classed set's stored class on one result
    session.execute(update(Result).where(Result.dossier_id == first.dossier_id).values(result_class="sao-4"))
    session.expire_all()
    number = session.get(Dossier, first.dossier_id).number
    rows = {r.dossier: r for r in results.round_report(session, catalog, built.round)}
    assert rows[number].result_class == "sao-4"
    assert {r.result_class for n, r in rows.items() if n != number} == {None}
    snapshot = publication.publish(session, user(session, "secretariat"), catalog, built.round).snapshot
    assert next(s for s in snapshot if s["dossier"] == number)["class"] == "sao-4"
    assert audit.result_json(session.get(Result, first.dossier_id))["class"] == "sao-4"
    assert "class" not in audit.result_json(session.scalar(select(Result).where(Result.position == 2)))
