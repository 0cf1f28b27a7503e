"""Running Alembic migrations from code (CLI, start-up, tests)."""

from __future__ import annotations

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
    """Bring the configured database to the newest schema."""
    engine = build_engine(settings)
    try:
        with engine.begin() as connection:
            command.upgrade(alembic_config(connection), "head")
    finally:
        engine.dispose()
