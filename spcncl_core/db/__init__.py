"""Storage: SQLAlchemy 2 models on a plain DeclarativeBase, engine set-up and Alembic migrations.

Imported only by the commands and services that need a database; the engine and the criteria commands never do.
"""
