"""Queries for the service catalogue."""

from __future__ import annotations

import threading

from sqlalchemy import update
from sqlmodel import Session, col, select

from app.models import ComplaintCategory, Department, Service


def current_services(
    session: Session, *, only_active: bool = True
) -> list[tuple[Service, Department]]:
    query = (
        select(Service, Department)
        .join(Department, col(Department.id) == col(Service.department_id))
        .where(col(Service.is_current).is_(True))
        .order_by(col(Service.code))
    )
    if only_active:
        query = query.where(col(Service.active).is_(True))
    return list(session.exec(query).all())


def current_service(session: Session, code: str) -> Service | None:
    return session.exec(
        select(Service).where(col(Service.code) == code, col(Service.is_current).is_(True))
    ).first()


def service_versions(session: Session, code: str) -> list[Service]:
    query = select(Service).where(col(Service.code) == code).order_by(col(Service.version))
    return list(session.exec(query).all())


def insert_service(session: Session, service: Service) -> None:
    """Insert a service version and flush, so it has its id."""
    session.add(service)
    session.flush()


def save_service(session: Session, service: Service) -> None:
    session.add(service)


def retire_version(session: Session, service_id: int) -> None:
    """The version is no longer its code's current one (a newer version follows)."""
    session.execute(update(Service).where(col(Service.id) == service_id).values(is_current=False))


# A stored service version never changes (a changed definition is a new version), so its
# row can be kept per process. Only `active` and `is_current` move; callers that need them
# read them fresh (see `current_service_id`). Keyed by database URL as well, since one test
# process talks to many databases whose ids overlap.
_VERSION_CACHE: dict[tuple[str, int], Service] = {}
_VERSION_CACHE_LOCK = threading.Lock()
_VERSION_CACHE_LIMIT = 2048


def service_version(session: Session, service_id: int) -> Service:
    """A service version by id, from the per-process cache (read-only: never modify it)."""
    key = (str(session.get_bind().engine.url), service_id)
    cached = _VERSION_CACHE.get(key)
    if cached is not None:
        return cached
    row = session.execute(select(Service).where(col(Service.id) == service_id)).scalar_one()
    session.expunge(row)
    with _VERSION_CACHE_LOCK:
        if len(_VERSION_CACHE) >= _VERSION_CACHE_LIMIT:
            _VERSION_CACHE.clear()
        _VERSION_CACHE[key] = row
    return row


def current_service_id(session: Session, code: str) -> tuple[int, bool] | None:
    """(id, active) of the current version of a service code, read fresh."""
    row = session.execute(
        select(col(Service.id), col(Service.active)).where(
            col(Service.code) == code, col(Service.is_current)
        )
    ).first()
    return (row[0], row[1]) if row else None


# --- complaint categories -----------------------------------------------------------------------


def current_category(session: Session, code: str) -> ComplaintCategory | None:
    return session.exec(
        select(ComplaintCategory).where(
            col(ComplaintCategory.code) == code, col(ComplaintCategory.is_current).is_(True)
        )
    ).first()


def current_categories(
    session: Session, *, only_active: bool = True
) -> list[tuple[ComplaintCategory, Department]]:
    query = (
        select(ComplaintCategory, Department)
        .join(Department, col(Department.id) == col(ComplaintCategory.department_id))
        .where(col(ComplaintCategory.is_current).is_(True))
        .order_by(col(ComplaintCategory.code))
    )
    if only_active:
        query = query.where(col(ComplaintCategory.active).is_(True))
    return list(session.exec(query).all())


def category_version(session: Session, category_id: int) -> ComplaintCategory:
    """A category version by id (a stored version never changes: cached per process)."""
    key = (f"category:{session.get_bind().engine.url}", category_id)
    cached = _CATEGORY_CACHE.get(key)
    if cached is not None:
        return cached
    row = session.execute(
        select(ComplaintCategory).where(col(ComplaintCategory.id) == category_id)
    ).scalar_one()
    session.expunge(row)
    with _VERSION_CACHE_LOCK:
        if len(_CATEGORY_CACHE) >= _VERSION_CACHE_LIMIT:
            _CATEGORY_CACHE.clear()
        _CATEGORY_CACHE[key] = row
    return row


_CATEGORY_CACHE: dict[tuple[str, int], ComplaintCategory] = {}


def insert_category(session: Session, category: ComplaintCategory) -> None:
    session.add(category)
    session.flush()


def save_category(session: Session, category: ComplaintCategory) -> None:
    session.add(category)


def retire_category(session: Session, category_id: int) -> None:
    session.execute(
        update(ComplaintCategory)
        .where(col(ComplaintCategory.id) == category_id)
        .values(is_current=False)
    )
