"""The naive reference endpoint for bench/api.py: "what a straightforward implementation costs".

A tiny FastAPI + SQLModel app with one sync route that validates a small JSON body, inserts one
row into its own table through the ORM, commits and ``session.refresh()``es the object, and
returns it. PostgreSQL through psycopg 3 with the same pool as Loket (``pool_size`` = per-worker
concurrency, no overflow). It shares nothing with Loket's code on purpose.

Run (bench/api.py does this):
    NAIVE_DATABASE_URL=postgresql+psycopg://postgres@127.0.0.1:5432/loket_bench \
        uvicorn naive_app:app --app-dir bench --workers 2 --host 127.0.0.1 --port 8100
The table is created by ``create_schema(url)`` (called once by the driver, not by the workers,
so that two workers never race on CREATE TABLE).
"""

from __future__ import annotations

import os
import uuid
from datetime import UTC, datetime
from typing import Any

from fastapi import FastAPI
from sqlalchemy import JSON, Column
from sqlmodel import Field, Session, SQLModel, create_engine

TABLE = "naive_items"


def _utcnow() -> datetime:
    return datetime.now(UTC)


class NaiveItemCreate(SQLModel):
    service_code: str = Field(min_length=1, max_length=16)
    data: dict[str, Any] = Field(default_factory=dict)


class NaiveItem(SQLModel, table=True):
    __tablename__ = TABLE

    id: uuid.UUID = Field(default_factory=uuid.uuid4, primary_key=True)
    service_code: str = Field(max_length=16)
    state: str = Field(default="draft", max_length=32)
    data: dict[str, Any] = Field(default_factory=dict, sa_column=Column(JSON, nullable=False))
    created_at: datetime = Field(default_factory=_utcnow)


def _engine(url: str, pool_size: int):
    if url.startswith("postgresql://"):
        url = "postgresql+psycopg://" + url.removeprefix("postgresql://")
    return create_engine(
        url, pool_size=pool_size, max_overflow=0, pool_pre_ping=True, pool_timeout=30
    )


def create_schema(url: str) -> None:
    """Create the reference table (idempotent)."""
    engine = _engine(url, 1)
    try:
        NaiveItem.metadata.create_all(engine, tables=[NaiveItem.__table__])
    finally:
        engine.dispose()


def build_app() -> FastAPI:
    engine = _engine(os.environ["NAIVE_DATABASE_URL"], int(os.environ.get("NAIVE_POOL_SIZE", "16")))
    app = FastAPI(title="naive reference")

    @app.get("/healthz")
    async def healthz() -> dict:
        return {"status": "ok"}

    @app.post("/items", status_code=201)
    def create_item(body: NaiveItemCreate) -> NaiveItem:
        with Session(engine) as session:
            item = NaiveItem.model_validate(body)
            session.add(item)
            session.commit()
            session.refresh(item)
            return item

    return app


app = build_app() if "NAIVE_DATABASE_URL" in os.environ else None
