"""Queries for the service catalogue."""

from __future__ import annotations

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
