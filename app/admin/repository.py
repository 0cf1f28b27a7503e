"""Queries for the admin pages: departments with their officers, every service version."""

from __future__ import annotations

from sqlalchemy import func
from sqlmodel import Session, select

from app.accounts.principal import OFFICER
from app.models import Department, Service, User


def departments_with_counts(session: Session) -> list[tuple[Department, int]]:
    """Every department with the number of officer accounts in it."""
    officers = func.count(User.id)
    query = (
        select(Department, officers)
        .join(User, (User.department_id == Department.id) & (User.role == OFFICER), isouter=True)
        .group_by(Department.id)
        .order_by(Department.code)
    )
    return [(department, count) for department, count in session.exec(query).all()]


def officers_of(session: Session, department_id: int) -> list[User]:
    query = (
        select(User)
        .where(User.department_id == department_id, User.role == OFFICER)
        .order_by(User.full_name, User.email)
    )
    return list(session.exec(query).all())


def all_service_versions(session: Session) -> list[tuple[Service, Department]]:
    """Every version of every service, by code then version."""
    query = (
        select(Service, Department)
        .join(Department, Department.id == Service.department_id)
        .order_by(Service.code, Service.version)
    )
    return list(session.exec(query).all())
