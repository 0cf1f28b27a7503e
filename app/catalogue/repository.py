"""Queries for the service catalogue."""

from __future__ import annotations

import threading

from sqlmodel import Session, select

from app.models import Department, Service


def current_services(
    session: Session, *, only_active: bool = True
) -> list[tuple[Service, Department]]:
    query = (
        select(Service, Department)
        .join(Department, Department.id == Service.department_id)
        .where(Service.is_current.is_(True))
        .order_by(Service.code)
    )
    if only_active:
        query = query.where(Service.active.is_(True))
    return list(session.exec(query).all())


def current_service(session: Session, code: str) -> Service | None:
    return session.exec(
        select(Service).where(Service.code == code, Service.is_current.is_(True))
    ).first()


def service_versions(session: Session, code: str) -> list[Service]:
    return list(
        session.exec(select(Service).where(Service.code == code).order_by(Service.version)).all()
    )


# A stored service version never changes (a changed definition is a new version), so its
# row can be kept per process. Only `active` and `is_current` move; callers that need them
# read them fresh (see `current_service_id`). Keyed by database URL as well, since one test
# process talks to many databases whose ids overlap.
_VERSION_CACHE: dict[tuple[str, int], Service] = {}
_VERSION_CACHE_LOCK = threading.Lock()
_VERSION_CACHE_LIMIT = 2048


def service_version(session: Session, service_id: int) -> Service:
    """A service version by id, from the per-process cache (read-only: never modify it)."""
    key = (str(session.get_bind().url), service_id)
    cached = _VERSION_CACHE.get(key)
    if cached is not None:
        return cached
    row = session.execute(select(Service).where(Service.id == service_id)).scalar_one()
    session.expunge(row)
    with _VERSION_CACHE_LOCK:
        if len(_VERSION_CACHE) >= _VERSION_CACHE_LIMIT:
            _VERSION_CACHE.clear()
        _VERSION_CACHE[key] = row
    return row


def current_service_id(session: Session, code: str) -> tuple[int, bool] | None:
    """(id, active) of the current version of a service code, read fresh."""
    row = session.execute(
        select(Service.id, Service.active).where(Service.code == code, Service.is_current)
    ).first()
    return (row[0], row[1]) if row else None
