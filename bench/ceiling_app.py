"""The best case for a read endpoint in this stack, for bench/ceiling.py: FastAPI with an async
route, one psycopg 3 async query of 20 rows per request over a tiny connection pool, JSON by
hand, no authentication, no ORM. Loket's queue does more than this, so it cannot beat it.

Run (bench/ceiling.py does this):
    CEILING_DATABASE_URL=postgresql://postgres@127.0.0.1:5432/postgres \
        uvicorn ceiling_app:app --app-dir bench --host 127.0.0.1 --port 8200
"""

from __future__ import annotations

import asyncio
import json
import os
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

import psycopg
from fastapi import FastAPI
from fastapi.responses import Response

POOL_SIZE = 8
# Twenty rows shaped like a queue page: a number, a reference, a moment.
QUERY = "SELECT g, 'SIMPLE-2026-' || lpad(g::text, 6, '0'), now() FROM generate_series(1, 20) g"


@asynccontextmanager
async def lifespan(app: FastAPI) -> AsyncIterator[None]:
    pool: asyncio.Queue = asyncio.Queue()
    for _ in range(POOL_SIZE):
        pool.put_nowait(
            await psycopg.AsyncConnection.connect(
                os.environ["CEILING_DATABASE_URL"], autocommit=True
            )
        )
    app.state.pool = pool
    yield
    while not pool.empty():
        await pool.get_nowait().close()


app = FastAPI(lifespan=lifespan)


@app.get("/healthz")
async def healthz() -> dict:
    return {"status": "ok"}


@app.get("/rows")
async def rows() -> Response:
    pool: asyncio.Queue = app.state.pool
    connection = await pool.get()
    try:
        cursor = await connection.execute(QUERY)
        found = await cursor.fetchall()
    finally:
        pool.put_nowait(connection)
    body = json.dumps([[n, ref, moment.isoformat()] for n, ref, moment in found])
    return Response(body, media_type="application/json")
