"""Reference numbers: ``{SERIES}-{YYYY}-{NNNNNN}``, unique and increasing per series and year.

A series is a service code for applications, ``LPR`` for complaints, ``cert:{service}`` for
certificates. On PostgreSQL each series and year has its own sequence, so taking a number
locks nothing: with a counter row, every create of a series queued behind the one holding the
row until it committed (the p99 under load). A sequence does not roll back, so a create that
fails after taking its number leaves a gap; creates fail after numbering only when the commit
itself fails, which is rare. SQLite serialises writers anyway and keeps the gap-free counter.
"""

from __future__ import annotations

import threading
from typing import cast

from sqlalchemy import URL, Engine, create_engine
from sqlalchemy.pool import NullPool

from app.cases import repository
from app.db import Session

_known: set[tuple[URL, str]] = set()
_ddl_engines: dict[str, Engine] = {}
_lock = threading.Lock()


def next_number(session: Session, *, series: str, year: int) -> int:
    """The next number of a series and year."""
    name = sequence_for(session, series=series, year=year)
    if name is None:
        return repository.take_counter_number(session, series=series, year=year)
    return repository.next_sequence_value(session, name)


def sequence_for(session: Session, *, series: str, year: int) -> str | None:
    """The PostgreSQL sequence that numbers a series and year (created on first use); None on
    SQLite, which numbers with the counter row."""
    if not repository.has_sequences(session):
        return None
    name = _sequence_name(series, year)
    _ensure_sequence(session, name=name, series=series, year=year)
    return name


def _sequence_name(series: str, year: int) -> str:
    if not series.isalnum() or not series.isascii():
        raise ValueError(f"series {series!r} cannot name a sequence")
    return f"loket_ref_{series.lower()}_{year}"


def _ensure_sequence(session: Session, *, name: str, series: str, year: int) -> None:
    # Sessions are bound to an Engine (app.db); a Connection has no .url.
    url = cast(Engine, session.get_bind()).url
    if (url, name) in _known:  # every create asks: no string building before this check
        return
    # Continuing from any number the counter row already gave out this year.
    start = repository.counter_value(session, series=series, year=year) + 1
    repository.create_sequence(
        _ddl_engine(url.render_as_string(hide_password=False)), name=name, start=start
    )
    _known.add((url, name))


def _ddl_engine(url: str) -> Engine:
    with _lock:
        if url not in _ddl_engines:
            _ddl_engines[url] = create_engine(url, poolclass=NullPool, isolation_level="AUTOCOMMIT")
        return _ddl_engines[url]


def next_counter_number(session: Session, *, series: str, year: int) -> int:
    """The next number of a series from its counter row, on every database: gap-free, at the
    price of a row lock until commit (certificates, which are issued one approval at a time)."""
    return repository.take_counter_number(session, series=series, year=year)
