"""Queries for the admin pages: departments with their officers, every service version."""

from __future__ import annotations

from sqlalchemy import func
from sqlmodel import Session, col, select

from app.accounts.principal import OFFICER
from app.models import Department, Service, User


def departments_with_counts(session: Session) -> list[tuple[Department, int]]:
    """Every department with the number of officer accounts in it."""
    officers = func.count(col(User.id))
    officer_of = (col(User.department_id) == col(Department.id)) & (col(User.role) == OFFICER)
    query = (
        select(Department, officers)
        .join(User, officer_of, isouter=True)
        .group_by(col(Department.id))
        .order_by(col(Department.code))
    )
    return [(department, count) for department, count in session.exec(query).all()]


def officers_of(session: Session, department_id: int) -> list[User]:
    query = (
        select(User)
        .where(col(User.department_id) == department_id, col(User.role) == OFFICER)
        .order_by(col(User.full_name), col(User.email))
    )
    return list(session.exec(query).all())


def all_service_versions(session: Session) -> list[tuple[Service, Department]]:
    """Every version of every service, by code then version."""
    query = (
        select(Service, Department)
        .join(Department, col(Department.id) == col(Service.department_id))
        .order_by(col(Service.code), col(Service.version))
    )
    return list(session.exec(query).all())
