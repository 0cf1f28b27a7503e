"""Queries for certificates."""

from __future__ import annotations

import uuid

from sqlalchemy import Table, select

from app.db import Session
from app.models import Certificate

_CERTIFICATES: Table = Certificate.__table__  # type: ignore[attr-defined]


def add(session: Session, certificate: Certificate) -> None:
    session.add(certificate)
    session.flush()


def for_application(session: Session, application_id: uuid.UUID) -> Certificate | None:
    return session.execute(
        select(Certificate).where(_CERTIFICATES.c.application_id == application_id)
    ).scalar_one_or_none()


def by_number(session: Session, number: str) -> Certificate | None:
    return session.execute(
        select(Certificate).where(_CERTIFICATES.c.number == number)
    ).scalar_one_or_none()


def by_verification_code(session: Session, code: str) -> Certificate | None:
    return session.execute(
        select(Certificate).where(_CERTIFICATES.c.verification_code == code)
    ).scalar_one_or_none()
