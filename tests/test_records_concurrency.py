"""Two sessions acting on the same round at once (issue 6: Concurrency): the loser gets the project's clear error,
never a raw database one, and a criteria-set switch cannot slip past the start of scoring.

The stale-read cases run on both databases: the second session still holds the round as it was before the first
committed. The blocking cases (the second session waits on the first's lock) run on PostgreSQL only: SQLite
serialises writers on the whole file."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from datetime import date, datetime
from typing import Any

import pytest
from records_support import small_round, user
from sqlalchemy import select

from spcncl_core import Catalog
from spcncl_core.db.base import make_session_factory
from spcncl_core.db.models import Certificate, Dossier, Round, ScoringForm, User
from spcncl_core.errors import LockedError, PhaseError, RecordError
from spcncl_core.services import publication, recognition, rounds, scoring


def _other(engine: Any) -> Any:
    return make_session_factory(engine)()


def _in_other(session: Any, name: str) -> User:
    return session.scalar(select(User).where(User.username == name))


def test_a_set_switch_after_another_session_started_scoring_is_refused(session: Any, catalog: Catalog,
                                                                      engine: Any) -> None:
    """A criteria-set switch committed 4–10 ms after another session started scoring was accepted."""
    built = small_round(session, catalog, stop_after="screened")
    other = _other(engine)
    try:
        stale = other.get(Round, built.round.id)
        assert stale.phase == "screening" and stale.criteria_sets
        rounds.start_scoring(session, user(session, "secretariat"), built.round)
        session.commit()
        with pytest.raises(PhaseError, match="the 2023 round is in the scoring phase"):
            rounds.choose_criteria_set(other, _in_other(other, "admin"), catalog, stale, "standard",
                                       "hanoi-2023-standard")
        other.rollback()
    finally:
        other.close()


def test_a_second_decision_is_refused_with_the_projects_error(session: Any, catalog: Catalog, engine: Any) -> None:
    built = small_round(session, catalog, stop_after="published")
    publication.close_comments(session, user(session, "secretariat"), built.round, now=datetime(2023, 11, 25))
    session.commit()
    other = _other(engine)
    try:
        stale = other.get(Round, built.round.id)
        _ = stale.phase
        recognition.decide(session, user(session, "admin"), catalog, built.round, "1/QĐ", date(2023, 11, 26))
        session.commit()
        with pytest.raises(PhaseError, match="the 2023 round is in the closed phase"):
            recognition.decide(other, _in_other(other, "admin"), catalog, stale, "2/QĐ", date(2023, 11, 27))
        other.rollback()
    finally:
        other.close()


def test_a_second_revocation_is_refused_with_the_projects_error(session: Any, catalog: Catalog,
                                                               engine: Any) -> None:
    small_round(session, catalog)
    other = _other(engine)
    try:
        stale = other.scalar(select(Certificate).where(Certificate.number == "HANOI-2023-001"))
        assert stale.revoked_at is None
        recognition.revoke(session, user(session, "admin"), "HANOI-2023-001", "Vi phạm", today=date(2024, 1, 1))
        session.commit()
        with pytest.raises(LockedError, match="certificate HANOI-2023-001 was revoked on"):
            recognition.revoke(other, _in_other(other, "admin"), "HANOI-2023-001", "Vi phạm nữa",
                               today=date(2024, 1, 1))
        other.rollback()
    finally:
        other.close()


def _race(engine: Any, first: Callable[[Any], object], second: Callable[[Any], object]) -> tuple[object, object]:
    """Run `first` in one session and, while it holds its locks uncommitted, `second` in another (a thread);
    commit the first, then let the second finish. Returns (first's result, second's result or exception)."""
    a, b = _other(engine), _other(engine)
    outcome: list[object] = []

    def run_second() -> None:
        try:
            outcome.append(second(b))
            b.commit()
        except Exception as exc:  # noqa: BLE001 - returned to the test
            b.rollback()
            outcome.append(exc)

    try:
        done = first(a)
        thread = threading.Thread(target=run_second)
        thread.start()
        time.sleep(0.5)  # the second is now waiting on the first's lock
        assert thread.is_alive(), f"the second session did not wait for the first: {outcome}"
        a.commit()
        thread.join(10)
        assert not thread.is_alive()
        return done, outcome[0]
    finally:
        a.close()
        b.close()


def _postgresql_only(engine: Any) -> None:
    if engine.dialect.name != "postgresql":
        pytest.skip("SQLite serialises writers on the whole file: no two sessions hold locks at once")


def test_racing_the_start_of_scoring_a_set_switch_waits_and_is_refused(session: Any, catalog: Catalog,
                                                                      engine: Any) -> None:
    _postgresql_only(engine)
    built = small_round(session, catalog, stop_after="screened")
    round_id = built.round.id
    session.close()

    def start(s: Any) -> object:
        return rounds.start_scoring(s, _in_other(s, "secretariat"), s.get(Round, round_id))

    def switch(s: Any) -> object:
        return rounds.choose_criteria_set(s, _in_other(s, "admin"), catalog, s.get(Round, round_id), "standard",
                                          "hanoi-2023-standard")

    _, lost = _race(engine, start, switch)
    assert isinstance(lost, PhaseError) and "is in the scoring phase" in str(lost)


def test_racing_decisions_the_loser_waits_and_gets_the_projects_error(session: Any, catalog: Catalog,
                                                                     engine: Any) -> None:
    _postgresql_only(engine)
    built = small_round(session, catalog, stop_after="published")
    publication.close_comments(session, user(session, "secretariat"), built.round, now=datetime(2023, 11, 25))
    session.commit()
    round_id = built.round.id
    session.close()

    def decide(number: str) -> Callable[[Any], object]:
        return lambda s: recognition.decide(s, _in_other(s, "admin"), catalog, s.get(Round, round_id), number,
                                            date(2023, 11, 26))

    _, lost = _race(engine, decide("1/QĐ"), decide("2/QĐ"))
    assert isinstance(lost, PhaseError) and "is in the closed phase" in str(lost)


def test_racing_revocations_the_loser_waits_and_gets_the_projects_error(session: Any, catalog: Catalog,
                                                                       engine: Any) -> None:
    _postgresql_only(engine)
    small_round(session, catalog)
    session.close()

    def revoke(s: Any) -> object:
        return recognition.revoke(s, _in_other(s, "admin"), "HANOI-2023-002", "Vi phạm", today=date(2024, 1, 1))

    _, lost = _race(engine, revoke, revoke)
    assert isinstance(lost, LockedError) and "was revoked on" in str(lost)


def test_opening_one_form_at_once_gives_both_sessions_the_same_form(session: Any, catalog: Catalog,
                                                                   engine: Any) -> None:
    _postgresql_only(engine)
    built = small_round(session, catalog, stop_after="scoring")
    member = scoring.get_member(session, built.round, "M02")
    dossier = next(d for d in built.dossiers if d.state == "preliminarily_scored"
                   and scoring.assigned_criteria(session, catalog, member, d))
    member_id, dossier_id = member.id, dossier.id
    session.close()

    def open_form(s: Any) -> object:
        from spcncl_core.db.models import CouncilMember

        m = s.get(CouncilMember, member_id)
        return scoring.form_for(s, m.user, catalog, m, s.get(Dossier, dossier_id)).id

    first, second = _race(engine, open_form, open_form)
    assert not isinstance(second, Exception) or isinstance(second, RecordError), second
    assert second == first
    with make_session_factory(engine)() as check:
        assert len(check.scalars(select(ScoringForm).where(ScoringForm.dossier_id == dossier_id,
                                                           ScoringForm.member_id == member_id)).all()) == 1
