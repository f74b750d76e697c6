"""Validate, then write: bad values are refused with the project's errors before anything is written, never with
the database's own (issue 6: Raw database errors)."""

from __future__ import annotations

import copy
from datetime import date, datetime
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from conftest import MINIMAL_SET, write_yaml
from records_support import small_round, user
from sqlalchemy import String, select

from spcncl_core import Catalog, DossierError
from spcncl_core.criteria import schema
from spcncl_core.criteria.loader import load_criteria_sets
from spcncl_core.db.base import make_session_factory
from spcncl_core.db.models import (
    Assignment,
    Dossier,
    Enterprise,
    Jurisdiction,
    PrerequisiteCheck,
    RoundCriteriaSet,
    ScoringEntry,
)
from spcncl_core.errors import CriteriaSetError, DuplicateError, RecordError, StaleEditError
from spcncl_core.registries import CriteriaSetRegistry
from spcncl_core.services import audit, dossiers, publication, scoring


def _registration(session: Any, catalog: Catalog) -> tuple[Any, Any, Any]:
    built = small_round(session, catalog, stop_after="registered")
    secretariat = user(session, "secretariat")
    enterprise = dossiers.enterprise(session, secretariat, "0100000055", "Công ty kiểm tra")
    product = dossiers.product(session, secretariat, enterprise, "Sản phẩm kiểm tra")
    session.commit()
    return built, secretariat, product


def test_a_duplicate_dossier_number_is_the_projects_error(session: Any, catalog: Catalog) -> None:
    built, secretariat, product = _registration(session, catalog)
    entries = audit.count(session)
    with pytest.raises(DuplicateError, match="the 2023 round has a dossier numbered HN-2023-0001 already"):
        dossiers.register(session, secretariat, built.round, product, "HN-2023-0001", {})
    assert audit.count(session) == entries
    # the session is still usable: nothing half-written to roll back
    dossiers.register(session, secretariat, built.round, product, "HN-2023-0555", {})
    session.commit()


def test_a_stale_concurrent_edit_is_the_projects_error(session: Any, catalog: Catalog, engine: Any) -> None:
    built, secretariat, product = _registration(session, catalog)
    draft = dossiers.register(session, secretariat, built.round, product, "HN-2023-0556", {})
    session.commit()
    other = make_session_factory(engine)()
    try:
        theirs = other.get(Dossier, draft.id)
        _ = theirs.version, theirs.round, theirs.inputs
        dossiers.update(session, secretariat, draft, draft.version, inputs={"product_revenue": 1})
        session.commit()
        with pytest.raises(StaleEditError, match="someone else changed the record at the same time"):
            dossiers.update(other, other.merge(secretariat), theirs, 1, inputs={"product_revenue": 2})
        other.rollback()
    finally:
        other.close()


@pytest.mark.parametrize(("inputs", "message"), [
    ({"product_revenue": Decimal("120.5")}, "inputs.product_revenue: Decimal 120.5 is not accepted here"),
    ({"since": datetime(2020, 1, 1)}, "inputs.since: datetime 2020-01-01 00:00:00 is not accepted here"),
    ({"product_revenue": float("nan")}, "inputs.product_revenue: nan is not a number that can be stored"),
    ({"product_revenue": float("inf")}, "inputs.product_revenue: inf is not a number that can be stored"),
    ({"quality": ["iso\x009001"]}, r"inputs.quality\[0\]: holds a NUL character"),
    ({1: 2}, "inputs: keys must be text, not int 1"),
])
def test_inputs_that_json_cannot_hold_are_refused(session: Any, catalog: Catalog, inputs: dict[Any, Any],
                                                  message: str) -> None:
    built, secretariat, product = _registration(session, catalog)
    with pytest.raises(RecordError, match=message):
        dossiers.register(session, secretariat, built.round, product, "HN-2023-0557", inputs)
    assert session.scalar(select(Dossier).where(Dossier.number == "HN-2023-0557")) is None


def test_texts_are_checked_against_their_columns(session: Any, catalog: Catalog) -> None:
    """SQLite silently stored 10,000 characters in a VARCHAR(20); PostgreSQL raised DataError."""
    built, secretariat, product = _registration(session, catalog)
    with pytest.raises(RecordError, match="dossier number is 41 characters long; at most 40 are allowed"):
        dossiers.register(session, secretariat, built.round, product, "N" * 41, {})
    with pytest.raises(RecordError, match="enterprise code is 10000 characters long; at most 20 are allowed"):
        dossiers.enterprise(session, secretariat, "1" * 10_000, "Công ty")
    with pytest.raises(RecordError, match="enterprise name holds a NUL character"):
        dossiers.enterprise(session, secretariat, "0100000056", "Công\x00ty")
    with pytest.raises(RecordError, match="enterprise district must be text, not int 7"):
        dossiers.enterprise(session, secretariat, "0100000056", "Công ty", district=7)
    with pytest.raises(RecordError, match="submission time must be a datetime, not str '2023-10-01'"):
        dossiers.submit(session, secretariat, catalog,
                        dossiers.register(session, secretariat, built.round, product, "HN-2023-0558",
                                          dict(built.dossiers[0].inputs)),
                        submitted_at="2023-10-01")  # type: ignore[arg-type]
    assert session.scalar(select(Enterprise).where(Enterprise.code == "0100000056")) is None
    session.rollback()


def test_a_comment_with_a_nul_byte_or_too_long_an_author_is_refused(session: Any, catalog: Catalog) -> None:
    built = small_round(session, catalog, stop_after="published")
    window = publication.publication_of(session, built.round)
    published = next(d for d in built.dossiers if d.state == "published")
    with pytest.raises(RecordError, match="a comment's text holds a NUL character"):
        publication.submit_comment(session, None, published, "Lê C", "a\x00b", now=window.published_at)
    with pytest.raises(RecordError, match="a comment's author is 201 characters long; at most 200 are allowed"):
        publication.submit_comment(session, None, published, "L" * 201, "Góp ý", now=window.published_at)
    with pytest.raises(RecordError, match="comment time must be a datetime, not date 2023-11-15"):
        publication.submit_comment(session, None, published, "Lê C", "Góp ý", now=date(2023, 11, 15))  # type: ignore
    assert publication.open_comments(session, built.round) == []


@pytest.mark.parametrize("value", [float("nan"), "NaN", Decimal("NaN"), "Infinity", [1], None])
def test_points_that_are_not_numbers_are_refused(session: Any, catalog: Catalog, value: Any) -> None:
    built = small_round(session, catalog, stop_after="scoring")
    member = scoring.get_member(session, built.round, "M02")
    dossier = next(d for d in built.dossiers if d.state == "preliminarily_scored"
                   and scoring.assigned_criteria(session, catalog, member, d))
    criterion = scoring.assigned_criteria(session, catalog, member, dossier)[0]
    form = scoring.form_for(session, member.user, catalog, member, dossier)
    with pytest.raises(DossierError, match=f"{criterion}: must be"):
        scoring.save_scores(session, member.user, catalog, member, dossier, {criterion: value}, form.version)
    with pytest.raises(DossierError, match="row 1: must be"):
        scoring.import_scores(session, user(session, "secretariat"), catalog, built.round,
                              [("M03", dossier.number, criterion, value)])
    assert not form.entries
    session.rollback()


def test_identifier_lengths_of_criteria_sets_match_the_database_columns() -> None:
    def length(column: Any) -> int:
        assert isinstance(column.type, String)
        return column.type.length

    for column in (Assignment.criterion_id, ScoringEntry.criterion_id, PrerequisiteCheck.prerequisite_id,
                   RoundCriteriaSet.product_group, Dossier.product_group, Jurisdiction.id):
        assert length(column.property.columns[0]) == schema.ID_MAX, column
    assert length(RoundCriteriaSet.criteria_set_id.property.columns[0]) == schema.SET_ID_MAX


def test_a_criterion_id_longer_than_its_column_is_refused_when_the_set_is_validated(catalog: Catalog,
                                                                                   tmp_path: Path) -> None:
    """A 50-character criterion id validated, then broke a round on PostgreSQL (varchar(40))."""
    doc = copy.deepcopy(MINIMAL_SET)
    doc["groups"][0]["criteria"][0]["id"] = "A" * 50
    registry = CriteriaSetRegistry()
    registry.add_file(write_yaml(tmp_path / "long.yaml", doc), label="long.yaml")
    with pytest.raises(CriteriaSetError, match=r"groups\[0\].criteria\[0\].id: .*40"):
        if registry.problems:
            raise CriteriaSetError(registry.problems)
        load_criteria_sets(registry.sources, catalog.registries, known=catalog.criteria_sets)
