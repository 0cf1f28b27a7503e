"""The shared database helpers: the dialect-aware upsert, work committed on its own, the ping,
and the database the settings name."""

from __future__ import annotations

import pytest
from sqlmodel import col, select

from app.db import committed_on_its_own, ping, transaction, upsert
from app.models import RateLimit


def _stored(runtime) -> dict[str, tuple[int, int]]:
    with transaction(runtime.engine, write=False) as session:
        rows = session.exec(select(RateLimit)).all()
        return {row.key: (row.window_start, row.count) for row in rows}


def test_upsert_inserts_then_replaces_and_increments(runtime):
    with transaction(runtime.engine) as session:
        upsert(
            session,
            RateLimit,
            [
                {"key": "a", "window_start": 1, "count": 2},
                {"key": "b", "window_start": 1, "count": 5},
            ],
            key=["key"],
            replace=["window_start"],
            increment=["count"],
        )
    with transaction(runtime.engine) as session:
        upsert(
            session,
            RateLimit.__table__,  # a Core table works as well as the model
            [
                {"key": "a", "window_start": 7, "count": 3},
                {"key": "c", "window_start": 7, "count": 1},
            ],
            key=["key"],
            replace=["window_start"],
            increment=["count"],
        )
    assert _stored(runtime) == {"a": (7, 5), "b": (1, 5), "c": (7, 1)}


def test_upsert_without_changes_keeps_the_stored_row(runtime):
    row = {"key": "a", "window_start": 1, "count": 1}
    with transaction(runtime.engine) as session:
        upsert(session, RateLimit, row, key=["key"])
        upsert(session, RateLimit, row | {"count": 9}, key=["key"])
    assert _stored(runtime) == {"a": (1, 1)}


def test_upsert_sets_expressions_and_returns_columns(runtime):
    def bump(session) -> int:
        return upsert(
            session,
            RateLimit,
            {"key": "a", "window_start": 1, "count": 1},
            key=["key"],
            update={"count": col(RateLimit.count) + 1},
            returning=[col(RateLimit.count)],
        ).scalar_one()

    with transaction(runtime.engine) as session:
        assert [bump(session) for _ in range(3)] == [1, 2, 3]


def test_work_committed_on_its_own_survives_the_failing_request(runtime):
    with pytest.raises(RuntimeError), transaction(runtime.engine) as request_session:
        with committed_on_its_own(runtime.engine) as session:
            upsert(session, RateLimit, {"key": "counted", "window_start": 1}, key=["key"])
        upsert(request_session, RateLimit, {"key": "lost", "window_start": 1}, key=["key"])
        raise RuntimeError("the request fails after its own work")
    assert _stored(runtime) == {"counted": (1, 0)}


def test_readiness_pings_the_database(runtime, client):
    ping(runtime.engine)
    answer = client.get("/readyz")
    assert answer.json()["checks"]["database"] is True


def test_a_copy_of_the_settings_with_another_database_uses_that_database(tmp_path):
    from app.config import Settings

    embedded = Settings(data_dir=tmp_path, _env_file=None)
    assert embedded.effective_database_url.startswith("sqlite:///")
    other = embedded.model_copy(update={"database_url": "postgresql://db.example/loket"})
    assert other.effective_database_url == "postgresql://db.example/loket"
    assert not other.is_sqlite
