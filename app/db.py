"""Database engine, the one-transaction-per-request session, and what repositories share.

SQLite (embedded default) runs in WAL mode with foreign keys on; write requests open their
transaction with ``BEGIN IMMEDIATE`` so that two writers never deadlock on a lock upgrade.
PostgreSQL goes through psycopg 3 with a pool sized to one worker's concurrency.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Hashable, Iterable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from typing import Any, TypeVar, cast

from sqlalchemy import URL, CursorResult, Engine, Result, Row, Table, event, text
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.engine import make_url
from sqlalchemy.exc import DisconnectionError
from sqlmodel import Session, SQLModel, create_engine

from app.config import Settings

# Services and other modules outside the repositories take their types from here (``Session``
# for annotations, ``Engine`` for work that opens its own transaction, ``Row`` for Core
# results), so that only repositories, app.db and app.models import SQLAlchemy or SQLModel
# (exception classes aside, where they are handled).
__all__ = [
    "URL",
    "Engine",
    "Row",
    "Session",
    "after_commit",
    "batch_cached",
    "build_engine",
    "cache_per_batch",
    "insert_later",
    "write_batch_inserts",
    "commit_progress",
    "committed_on_its_own",
    "get_required",
    "on_rollback",
    "ping",
    "rowcount",
    "savepoint",
    "table_of",
    "transaction",
    "upsert",
    "watch_pool",
]

T = TypeVar("T")
log = logging.getLogger("loket")
WRITE_OPTION = "loket_write"
ROLLBACK_HOOKS = "loket_rollback_hooks"
COMMIT_HOOKS = "loket_commit_hooks"
BATCH_CACHE = "loket_batch_cache"
BATCH_INSERTS = "loket_batch_inserts"


def build_engine(settings: Settings) -> Engine:
    """Create the engine for the configured database."""
    url = make_url(settings.effective_database_url)
    if url.get_backend_name() == "sqlite":
        return _sqlite_engine(settings, url)
    if url.drivername == "postgresql":
        url = url.set(drivername="postgresql+psycopg")
    engine = create_engine(url, pool_size=settings.db_pool_size, max_overflow=0, pool_timeout=30)
    _ping_when_idle(engine)
    return engine


IDLE_PING_SECONDS = 10.0


def _ping_when_idle(engine: Engine) -> None:
    """Check a pooled connection before use only if it sat idle (e.g. across a server restart).

    ``pool_pre_ping`` pings on every checkout: one more round trip on every request, while a
    connection that was in use a moment ago is alive. A connection that dies under load fails
    its request once, and SQLAlchemy then drops the whole pool (disconnect handling).
    """

    @event.listens_for(engine, "checkin")
    def _checked_in(_dbapi_connection, record) -> None:
        record.info["loket_idle_since"] = time.monotonic()

    @event.listens_for(engine, "checkout")
    def _checked_out(dbapi_connection, record, _proxy) -> None:
        since = record.info.get("loket_idle_since")
        if since is None or time.monotonic() - since < IDLE_PING_SECONDS:
            return
        try:
            engine.dialect.do_ping(dbapi_connection)
        except engine.dialect.loaded_dbapi.Error as error:
            raise DisconnectionError() from error  # the pool retries with a new connection


def _sqlite_engine(settings: Settings, url) -> Engine:
    if url.database and url.database != ":memory:":
        settings.data_dir.mkdir(parents=True, exist_ok=True)
    engine = create_engine(url, connect_args={"check_same_thread": False, "timeout": 30})

    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_connection, _record):
        # Let SQLAlchemy emit BEGIN itself (below) instead of pysqlite's implicit transactions.
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute("PRAGMA synchronous=NORMAL")
        cursor.execute("PRAGMA busy_timeout=30000")
        cursor.close()

    @event.listens_for(engine, "begin")
    def _on_begin(connection):
        immediate = connection.get_execution_options().get(WRITE_OPTION, False)
        connection.exec_driver_sql("BEGIN IMMEDIATE" if immediate else "BEGIN")

    return engine


@contextmanager
def transaction(engine: Engine, *, write: bool = True) -> Iterator[Session]:
    """A session whose work commits on success and rolls back on any error.

    Nothing touches the database until the first statement, so work that must run in its own
    short transaction first (rate limits) can do so without waiting on this one's lock.
    A read on PostgreSQL runs in autocommit: it writes nothing to commit, and BEGIN and COMMIT
    were two of a queue page's four round trips (each statement still sees committed data).
    """
    bind = _write_engine(engine) if write else _read_engine(engine)
    with Session(bind, expire_on_commit=False) as session:
        try:
            yield session
            session.commit()
        except BaseException:
            session.rollback()
            for undo in session.info.pop(ROLLBACK_HOOKS, []):
                undo()
            raise
        _run_after_commit(session)


@contextmanager
def committed_on_its_own(engine: Engine) -> Iterator[Session]:
    """A transaction of its own, committed whatever becomes of the request around it.

    Services never commit: the request's one transaction does (``get_session``), so a failed
    request leaves nothing behind. A little work must outlive a refused or failed request, and
    it comes through here and nowhere else, so that a search for this name finds all of it:

    - a login attempt counts toward its throttle although the login is refused (the refusal is
      raised once this block has committed), and a reused refresh token revokes its family
      although the grant is refused;
    - a rate-limit hit counts although the request is then refused or fails.

    Batched backfills (the statistics refresh) commit per batch for the same reason: progress
    must survive what comes after it. An error raised inside the block still rolls the block
    back. Open it before the request's own transaction has touched the database: SQLite has
    one writer, and this transaction would wait on the request's.
    """
    with transaction(engine) as session:
        yield session


def commit_progress(session: Session) -> None:
    """Commit what a long batch job has done so far, inside its own session.

    Only for work that is not a request (the statistics backfill over millions of rows): it
    commits per batch so that progress survives an interruption and resumes where it stopped.
    Request work never commits itself (``transaction`` does, once).
    """
    session.commit()


def watch_pool(engine: Engine, report: Callable[[int, int], None]) -> None:
    """Call ``report(in_use, size)`` with the engine's pool now and whenever a connection is
    checked out or in (the metrics' pool gauges)."""
    pool = engine.pool
    size = pool.size() if hasattr(pool, "size") else 1

    def _changed(*_args: Any) -> None:
        report(pool.checkedout() if hasattr(pool, "checkedout") else 0, size)

    event.listen(engine, "checkout", _changed)
    event.listen(engine, "checkin", _changed)
    _changed()


def ping(engine: Engine) -> None:
    """One round trip on a fresh connection (readiness); raises whatever the database raises."""
    with engine.connect() as connection:
        connection.execute(text("SELECT 1"))


def upsert(
    session: Session,
    table: Table | type[SQLModel],
    rows: Mapping[str, Any] | Sequence[Mapping[str, Any]],
    *,
    key: Sequence[str],
    update: Mapping[str, Any] | None = None,
    replace: Iterable[str] = (),
    increment: Iterable[str] = (),
    returning: Sequence[Any] = (),
) -> Result[Any]:
    """INSERT ``rows`` (one row, or many in one executemany); on a conflict on ``key``:

    - set the ``update`` columns to their values (expressions may read the stored row),
      the ``replace`` columns to the new row's values, and add the new row's value to the
      ``increment`` columns;
    - or, when none of the three is given, keep the stored row (DO NOTHING).

    One statement on PostgreSQL and SQLite alike (both spell it ``ON CONFLICT``); the
    ``returning`` columns come back in the result.
    """
    dialect = postgresql if session.get_bind().dialect.name == "postgresql" else sqlite
    insert = dialect.insert(table)
    columns = table_of(table).c
    changes = dict(update or {})
    changes |= {name: insert.excluded[name] for name in replace}
    changes |= {name: columns[name] + insert.excluded[name] for name in increment}
    if isinstance(rows, Mapping):
        insert, many = insert.values(rows), None
    else:
        many = list(rows)
    statement = (
        insert.on_conflict_do_update(index_elements=key, set_=changes)
        if changes
        else insert.on_conflict_do_nothing(index_elements=key)
    )
    if returning:
        statement = statement.returning(*returning)
    return session.execute(statement) if many is None else session.execute(statement, many)


def rowcount(result: Result[Any]) -> int:
    """How many rows an UPDATE or DELETE matched (its result is a ``CursorResult``)."""
    return cast("CursorResult[Any]", result).rowcount


def table_of(table: Table | type[SQLModel]) -> Table:
    """The Core table of a SQLModel table class (SQLModel leaves ``__table__`` untyped)."""
    return table if isinstance(table, Table) else table.__table__  # type: ignore[attr-defined]


def _read_engine(engine: Engine) -> Engine:
    """The same engine (and pool) in autocommit on PostgreSQL; SQLite reads keep their
    transaction (a consistent snapshot costs nothing there)."""
    if engine.dialect.name != "postgresql":
        return engine
    reader = getattr(engine, "_loket_reader", None)
    if reader is None:
        reader = engine.execution_options(isolation_level="AUTOCOMMIT")
        engine._loket_reader = reader  # type: ignore[attr-defined]
    return reader


def _write_engine(engine: Engine) -> Engine:
    """The same engine (and pool) whose transactions begin as writers (BEGIN IMMEDIATE)."""
    writer = getattr(engine, "_loket_writer", None)
    if writer is None:
        writer = engine.execution_options(**{WRITE_OPTION: True})
        engine._loket_writer = writer  # type: ignore[attr-defined]
    return writer


def get_required(session: Session, model: type[T], key: object) -> T:
    """A row that must exist (a foreign key points at it): missing means a broken database."""
    row = session.get(model, key)
    if row is None:
        raise LookupError(f"{model.__name__} {key} is missing")
    return row


def on_rollback(session: Session, undo: Callable[[], None]) -> None:
    """Run ``undo`` if this transaction rolls back (e.g. delete a file stored for it)."""
    session.info.setdefault(ROLLBACK_HOOKS, []).append(undo)


def after_commit(session: Session, then: Callable[[], None]) -> None:
    """Run ``then`` once this transaction has committed (never if it rolls back): work that
    must not happen for a change that might still be undone, such as writing a signed file.

    It runs outside the transaction; a failure is logged, not raised (the change it follows is
    committed already), so ``then`` must be safe to redo by a recovery that notices it missing.
    """
    session.info.setdefault(COMMIT_HOOKS, []).append(then)


def _run_after_commit(session: Session) -> None:
    for then in session.info.pop(COMMIT_HOOKS, []):
        try:
            then()
        except Exception:  # the committed change stands; recovery redoes the follow-up
            log.exception("work after a commit failed; its recovery will redo it")


def cache_per_batch(session: Session) -> None:
    """Let ``batch_cached`` remember answers for the rest of this session: a job working through
    a batch of items (the deadline sweep) asks the same (webhook subscriptions, a department's
    officers) for each of them. A request never calls it, so what it reads is always fresh.
    Rows given to ``insert_later`` wait for ``write_batch_inserts`` (before the commit)."""
    session.info[BATCH_CACHE] = {}
    session.info[BATCH_INSERTS] = []


def batch_cached(session: Session, key: Hashable, compute: Callable[[], T]) -> T:
    """``compute()``, or what it gave earlier in this session's batch (``cache_per_batch``)."""
    cache = session.info.get(BATCH_CACHE)
    if cache is None:
        return compute()
    if key not in cache:
        cache[key] = compute()
    return cache[key]


def insert_later(session: Session, table: Table, row: dict[str, Any]) -> bool:
    """Queue ``row`` for one multi-row INSERT per table at the end of a batch job's work
    (``write_batch_inserts``); False (nothing queued) outside such a batch. For rows nothing
    reads back before the batch commits (events, outbox messages): a round trip per batch
    instead of one per row. A ``savepoint`` that rolls back drops what it queued."""
    queued = session.info.get(BATCH_INSERTS)
    if queued is None:
        return False
    queued.append((table, row))
    return True


def write_batch_inserts(session: Session) -> None:
    """Write what ``insert_later`` queued, in the order it was queued per table."""
    queued = session.info.get(BATCH_INSERTS)
    if not queued:
        return
    by_table: dict[Table, list[dict[str, Any]]] = {}
    for table, row in queued:
        by_table.setdefault(table, []).append(row)
    connection = session.connection()
    for table, rows in by_table.items():
        connection.execute(table.insert(), rows)
    queued.clear()


@contextmanager
def savepoint(session: Session) -> Iterator[None]:
    """Undo everything done inside, rows and stored files, if it raises; the transaction goes on.

    For a page that catches a refusal and shows the form again: without it, whatever the
    refused work wrote before it failed would be committed with the page's transaction.
    """
    hooks = session.info.setdefault(ROLLBACK_HOOKS, [])
    follow_ups = session.info.setdefault(COMMIT_HOOKS, [])
    queued = session.info.get(BATCH_INSERTS)
    mark, follow_mark = len(hooks), len(follow_ups)
    queued_mark = len(queued) if queued is not None else 0
    nested = session.begin_nested()
    try:
        yield
    except BaseException:
        nested.rollback()
        for undo in hooks[mark:]:
            undo()
        del hooks[mark:]
        del follow_ups[follow_mark:]  # what was taken back never happened
        if queued is not None:
            del queued[queued_mark:]
        raise
    nested.commit()
