"""Schema migrations with Alembic: `spcncl db upgrade` and friends, on the database a URL names."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from alembic import command
from alembic.config import Config
from sqlalchemy.engine import Connection, Engine


def alembic_config(engine: Engine) -> Config:
    """An Alembic configuration pointing at the packaged migrations and `engine`'s URL."""
    config = Config()
    config.set_main_option("script_location", "spcncl_core.db:migrations")
    config.set_main_option("sqlalchemy.url", engine.url.render_as_string(hide_password=False).replace("%", "%%"))
    return config


@contextmanager
def _migrating(engine: Engine) -> Iterator[Connection]:
    """A connection in a transaction for a migration. On SQLite, foreign keys are off meanwhile: batch migrations
    copy a table and drop the old one, which the rows referring to it would otherwise refuse."""
    with engine.connect() as connection:
        sqlite = engine.dialect.name == "sqlite"
        if sqlite:
            connection.exec_driver_sql("PRAGMA foreign_keys=OFF")
            connection.commit()
        try:
            with connection.begin():
                yield connection
        finally:
            if sqlite:
                connection.exec_driver_sql("PRAGMA foreign_keys=ON")
                connection.commit()


def upgrade(engine: Engine, revision: str = "head") -> None:
    """Bring the database schema up to `revision` (default: the newest)."""
    config = alembic_config(engine)
    with _migrating(engine) as connection:
        config.attributes["connection"] = connection
        command.upgrade(config, revision)


def downgrade(engine: Engine, revision: str) -> None:
    """Take the schema back to `revision` (`base` removes every table)."""
    config = alembic_config(engine)
    with _migrating(engine) as connection:
        config.attributes["connection"] = connection
        command.downgrade(config, revision)


def current(engine: Engine) -> str | None:
    """The schema revision the database is at, or None for an empty database."""
    from alembic.runtime.migration import MigrationContext

    with engine.connect() as connection:
        return MigrationContext.configure(connection).get_current_revision()

