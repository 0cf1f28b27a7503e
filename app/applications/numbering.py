"""Reference numbers: ``{SERVICE}-{YYYY}-{NNNNNN}``, unique and increasing per service and year.

On PostgreSQL each service and year has its own sequence, so taking a number locks nothing:
with a counter row, every create of a service queued behind the one holding the row until it
committed (the p99 under load). A sequence does not roll back, so a create that fails after
taking its number leaves a gap; creates fail after numbering only when the commit itself
fails, which is rare. SQLite serialises writers anyway and keeps the gap-free counter row.
"""

from __future__ import annotations

import threading
from typing import cast

from sqlalchemy import URL, Engine, create_engine, select, text
from sqlalchemy.exc import DBAPIError
from sqlalchemy.pool import NullPool
from sqlmodel import Session

from app.applications.repository import take_reference_number
from app.models import ReferenceCounter

_known: set[tuple[URL, str]] = set()
_ddl_engines: dict[str, Engine] = {}
_lock = threading.Lock()


def next_number(session: Session, *, service_code: str, year: int) -> int:
    """The next reference number for a service and year."""
    if session.get_bind().dialect.name != "postgresql":
        return take_reference_number(session, service_code=service_code, year=year)
    name = _sequence_name(service_code, year)
    _ensure_sequence(session, name=name, service_code=service_code, year=year)
    return session.execute(text("SELECT nextval(:name)"), {"name": name}).scalar_one()


def sequence_for(session: Session, *, service_code: str, year: int) -> str | None:
    """The PostgreSQL sequence that numbers a service and year (created on first use);
    None on SQLite, which numbers with the counter row (``next_number``)."""
    if session.get_bind().dialect.name != "postgresql":
        return None
    name = _sequence_name(service_code, year)
    _ensure_sequence(session, name=name, service_code=service_code, year=year)
    return name


def _sequence_name(service_code: str, year: int) -> str:
    if not service_code.isalnum() or not service_code.isascii():
        raise ValueError(f"service code {service_code!r} cannot name a sequence")
    return f"loket_ref_{service_code.lower()}_{year}"


def _ensure_sequence(session: Session, *, name: str, service_code: str, year: int) -> None:
    # Sessions are bound to an Engine (app.db); a Connection has no .url.
    url = cast(Engine, session.get_bind()).url
    if (url, name) in _known:  # every create asks: no string building before this check
        return
    key = (url.render_as_string(hide_password=False), name)
    # Created outside the request's transaction (which may still roll back), continuing from
    # any number the counter row already gave out this year.
    start = _counter_value(session, service_code=service_code, year=year) + 1
    with _ddl_engine(key[0]).connect() as connection:
        try:
            connection.execute(text(f"CREATE SEQUENCE IF NOT EXISTS {name} START WITH {start}"))
        except DBAPIError:  # another process created it at the same moment
            connection.rollback()
    _known.add((url, name))


def _counter_value(session: Session, *, service_code: str, year: int) -> int:
    value = session.execute(
        # SQLModel types the column as int (see the mypy overrides in pyproject.toml).
        select(ReferenceCounter.value).where(  # type: ignore[call-overload]
            ReferenceCounter.service_code == service_code, ReferenceCounter.year == year
        )
    ).scalar()
    return value or 0


def _ddl_engine(url: str) -> Engine:
    with _lock:
        if url not in _ddl_engines:
            _ddl_engines[url] = create_engine(url, poolclass=NullPool, isolation_level="AUTOCOMMIT")
        return _ddl_engines[url]
