"""Running Alembic migrations from code (CLI, start-up, tests)."""

from __future__ import annotations

from pathlib import Path

from alembic import command
from alembic.config import Config
from sqlalchemy import Connection

from app.config import Settings
from app.db import build_engine


def alembic_config(connection: Connection | None = None) -> Config:
    """Config for our migrations; works from a checkout and from the Docker image's workdir."""
    for root in (Path(__file__).resolve().parent.parent, Path.cwd()):
        if (root / "alembic.ini").exists():
            config = Config(str(root / "alembic.ini"))
            config.set_main_option("script_location", str(root / "migrations"))
            config.attributes["connection"] = connection
            return config
    raise RuntimeError("alembic.ini not found next to the app package or in the working directory")


def upgrade(settings: Settings) -> None:
    """Bring the configured database to the newest schema."""
    engine = build_engine(settings)
    try:
        with engine.begin() as connection:
            command.upgrade(alembic_config(connection), "head")
    finally:
        engine.dispose()
