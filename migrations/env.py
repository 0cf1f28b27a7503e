"""Alembic environment: the URL and engine come from Loket itself, never from alembic.ini."""

from __future__ import annotations

from alembic import context
from sqlmodel import SQLModel

import app.models  # noqa: F401  (registers every table on SQLModel.metadata)
from app.config import Settings
from app.db import build_engine

target_metadata = SQLModel.metadata


def _engine():
    # Callers (loket db upgrade, tests) may hand us a connection or an engine directly.
    connection = context.config.attributes.get("connection")
    if connection is not None:
        return connection
    return build_engine(Settings())


def run_migrations_online() -> None:
    connectable = _engine()
    if hasattr(connectable, "connect"):
        with connectable.connect() as connection:
            _run(connection)
    else:
        _run(connectable)


def _run(connection) -> None:
    context.configure(
        connection=connection,
        target_metadata=target_metadata,
        render_as_batch=connection.dialect.name == "sqlite",
        compare_type=True,
    )
    with context.begin_transaction():
        context.run_migrations()


run_migrations_online()
