"""Queries for accounts."""

from __future__ import annotations

import uuid

from sqlmodel import Session, select

from app.models import Department, User


def user_by_email(session: Session, email: str) -> User | None:
    return session.exec(select(User).where(User.email == email.strip().lower())).first()


def user_by_id(session: Session, user_id: uuid.UUID) -> User | None:
    return session.get(User, user_id)


def user_by_nik(session: Session, nik: str) -> User | None:
    return session.exec(select(User).where(User.nik == nik)).first()


def department_by_code(session: Session, code: str) -> Department | None:
    return session.exec(select(Department).where(Department.code == code)).first()


def department_by_id(session: Session, department_id: int) -> Department | None:
    return session.get(Department, department_id)
