"""Running Alembic migrations from code (CLI, start-up, tests)."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from alembic import command
from alembic.config import Config
from sqlalchemy import Connection

from app import resources
from app.config import Settings
from app.db import build_engine


def alembic_config(connection: Connection | None = None) -> Config:
    """Config for our migrations, built in code: an installed Loket has no alembic.ini (that file
    is for `alembic` in a checkout). migrations/env.py takes the database from the settings."""
    config = Config()
    config.set_main_option("script_location", str(resources.migrations_dir()))
    config.attributes["connection"] = connection
    return config


def upgrade(settings: Settings) -> None:
    """Bring the configured database to the newest schema, in one transaction."""
    engine = build_engine(settings)
    try:
        with (
            engine.connect() as connection,
            _foreign_keys_checked_at_end(connection),
            connection.begin(),
        ):
            command.upgrade(alembic_config(connection), "head")
            _check_foreign_keys(connection)
    finally:
        engine.dispose()


@contextmanager
def _foreign_keys_checked_at_end(connection: Connection) -> Iterator[None]:
    """SQLite: foreign keys off while migrating, as SQLite's own procedure for changing a table
    asks (rebuilding a table that others point at would otherwise fail or cascade).

    The pragma only takes effect outside a transaction, so it is set on the driver's connection
    before SQLAlchemy begins one. PostgreSQL changes tables in place and needs nothing."""
    if connection.dialect.name != "sqlite":
        yield
        return
    raw = connection.connection.driver_connection
    assert raw is not None  # a checked-out connection
    raw.execute("PRAGMA foreign_keys=OFF")
    try:
        yield
    finally:
        raw.execute("PRAGMA foreign_keys=ON")


def _check_foreign_keys(connection: Connection) -> None:
    """Refuse to commit a migration that left a row pointing at nothing (SQLite)."""
    if connection.dialect.name != "sqlite":
        return
    broken = connection.exec_driver_sql("PRAGMA foreign_key_check").fetchall()
    if broken:
        raise RuntimeError(f"migration left {len(broken)} broken foreign keys: {broken[:5]}")
