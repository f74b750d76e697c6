"""Demo safety (`spcncl demo` never touches real records, never leaves a known password outside a demo database)
and `results_published` firing only after the commit (issue 6: Plugins and demo)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

import pytest
from records_support import small_round, user
from sqlalchemy import select, text

from spcncl_core import Catalog, hookimpl, load_catalog
from spcncl_core.cli import main
from spcncl_core.db.models import Round, User
from spcncl_core.demo import create_demo_users
from spcncl_core.errors import RecordError
from spcncl_core.services import publication, rounds, users


class Portal:
    """A plugin that posts published results somewhere outside the database."""

    def __init__(self) -> None:
        self.posted: list[tuple[int, int]] = []

    @hookimpl
    def results_published(self, catalog: Any, round: Any, publication: Any) -> None:  # noqa: A002
        self.posted.append((round.year, publication.version))


def test_results_published_fires_after_the_commit_and_never_after_a_rollback(session: Any, pm: Any,
                                                                              register: Any) -> None:
    """results_published fired before the commit: a plugin posted results a rollback then took back."""
    portal = register(Portal(), "portal")
    catalog = load_catalog(pm)
    built = small_round(session, catalog, stop_after="results")
    secretariat = user(session, "secretariat")
    publication.publish(session, secretariat, catalog, built.round, now=datetime(2023, 11, 14, 9))
    assert portal.posted == []  # not yet: the caller may still roll back
    session.rollback()
    assert portal.posted == []
    session.commit()
    assert portal.posted == []  # the rolled-back publication is forgotten
    round_ = session.get(Round, built.round.id)
    publication.publish(session, user(session, "secretariat"), catalog, round_, now=datetime(2023, 11, 14, 9))
    assert portal.posted == []
    session.commit()
    assert portal.posted == [(2023, 1)]
    session.commit()
    assert portal.posted == [(2023, 1)]  # once


def test_results_published_queued_in_a_rolled_back_savepoint_never_fires(session: Any, pm: Any,
                                                                        register: Any) -> None:
    """A publication made inside a savepoint that was rolled back still announced itself at the outer commit (and
    one in a savepoint kept announced itself when the savepoint was released, before the commit)."""
    portal = register(Portal(), "portal")
    calls: list[str] = []

    class Counter:
        @hookimpl
        def results_published(self, catalog: Any, round: Any, publication: Any) -> None:  # noqa: A002
            calls.append("results_published")  # reads nothing: a taken-back publication would be read here

    register(Counter(), "counter")
    catalog = load_catalog(pm)
    built = small_round(session, catalog, stop_after="results")
    secretariat = user(session, "secretariat")
    savepoint = session.begin_nested()
    publication.publish(session, secretariat, catalog, built.round, now=datetime(2023, 11, 14, 9))
    savepoint.rollback()
    session.commit()
    assert calls == [] and portal.posted == []  # the publication was taken back with its savepoint
    round_ = session.get(Round, built.round.id)
    assert round_.phase == "results"
    with session.begin_nested():  # a savepoint that is kept: announced at the outer commit
        publication.publish(session, user(session, "secretariat"), catalog, round_, now=datetime(2023, 11, 14, 9))
    assert portal.posted == []
    session.commit()
    assert portal.posted == [(2023, 1)] and calls == ["results_published"]


def test_a_publication_kept_by_its_savepoint_is_forgotten_when_the_transaction_rolls_back(
        session: Any, pm: Any, register: Any) -> None:
    portal = register(Portal(), "portal")
    catalog = load_catalog(pm)
    built = small_round(session, catalog, stop_after="results")
    session.commit()
    with session.begin_nested():
        publication.publish(session, user(session, "secretariat"), catalog, built.round,
                            now=datetime(2023, 11, 14, 9))
    session.rollback()
    session.commit()
    assert portal.posted == []


def test_a_failing_listener_does_not_make_the_commit_fail(session: Any, pm: Any, register: Any,
                                                          caplog: pytest.LogCaptureFixture) -> None:
    class Broken:
        @hookimpl
        def results_published(self, catalog: Any, round: Any, publication: Any) -> None:  # noqa: A002
            raise RuntimeError("portal down")

    register(Broken(), "broken")
    catalog = load_catalog(pm)
    built = small_round(session, catalog, stop_after="results")
    publication.publish(session, user(session, "secretariat"), catalog, built.round, now=datetime(2023, 11, 14, 9))
    session.commit()  # does not raise: the data is committed
    assert "an after-commit event failed" in caplog.text and "portal down" in caplog.text
    assert session.get(Round, built.round.id).phase == "publication"


@pytest.fixture
def db_url(engine: Any, session: Any) -> str:
    """The test database (emptied by `session`), as a URL the commands accept."""
    session.close()
    return engine.url.render_as_string(hide_password=False)


def run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


def _real_records(engine: Any, catalog: Catalog) -> None:
    from spcncl_core.db.base import make_session_factory

    with make_session_factory(engine)() as s:
        admin = users.create_user(s, None, "chanh.vp", "Chánh Văn phòng", "admin", "a-real-secret-1")
        rounds.create_round(s, admin, catalog, "hanoi", 2024, "Xét chọn SPCNCL 2024")
        s.commit()


def test_demo_refuses_a_database_with_real_records(capsys: pytest.CaptureFixture[str], db_url: str, engine: Any,
                                                   catalog: Catalog) -> None:
    """`spcncl demo` on a database with a real round added a user admin with the password demo-password, and
    `demo --reset` deleted a real round without asking."""
    run(capsys, "db", "upgrade", "--database-url", db_url)
    _real_records(engine, catalog)
    for argv in (["demo"], ["demo", "--reset", "--yes"], ["demo", "--if-missing"]):
        code, out, err = run(capsys, *argv, "--database-url", db_url)
        assert code == 2 and "holds records that are not demo data" in err, argv
    with engine.connect() as connection:
        assert connection.execute(text("SELECT username FROM user_account")).scalars().all() == ["chanh.vp"]
        assert connection.execute(text("SELECT year FROM round")).scalars().all() == [2024]


def test_demo_users_are_never_created_beside_real_records(session: Any, catalog: Catalog) -> None:
    admin = users.create_user(session, None, "chanh.vp", "Chánh Văn phòng", "admin", "a-real-secret-1")
    rounds.create_round(session, admin, catalog, "hanoi", 2024, "Xét chọn SPCNCL 2024")
    with pytest.raises(RecordError, match="holds records that are not demo data"):
        create_demo_users(session)
    assert session.scalars(select(User.username)).all() == ["chanh.vp"]
    session.rollback()


def test_demo_reset_asks_and_needs_yes(capsys: pytest.CaptureFixture[str], engine: Any, catalog: Catalog,
                                       session: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    small_round(session, catalog, stop_after="registered")  # a demo database (marked), small to keep this quick
    session.close()
    db_url = engine.url.render_as_string(hide_password=False)
    code, out, _ = run(capsys, "demo", "--if-missing", "--database-url", db_url)
    assert code == 0 and "is there already" in out
    code, _, err = run(capsys, "demo", "--database-url", db_url)
    assert code == 2 and "holds the demo already: add --reset" in err
    if engine.dialect.name == "postgresql":
        code, _, err = run(capsys, "demo", "--reset", "--database-url", db_url)
        assert code == 2 and "on a server database it needs --yes as well" in err
    else:
        code, _, err = run(capsys, "demo", "--reset", "--database-url", db_url)  # no terminal under pytest
        assert code == 2 and "confirm with --yes (no terminal to ask on)" in err
        monkeypatch.setattr("sys.stdin.isatty", lambda: True)
        monkeypatch.setattr("builtins.input", lambda _prompt: "no")
        code, out, _ = run(capsys, "demo", "--reset", "--database-url", db_url)
        assert code == 1 and "nothing changed" in out
    with engine.begin() as connection:  # marks what a reset must remove
        connection.execute(text("UPDATE round SET title = 'marked'"))
    code, out, _ = run(capsys, "demo", "--reset", "--yes", "--database-url", db_url)
    assert code == 0 and "demo loaded: 41 dossiers" in out and "marked as a demo database" in out
    with engine.connect() as connection:
        assert connection.execute(text("SELECT title FROM round")).scalar() != "marked"
