"""Queries for certificates."""

from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy import Table, select, update

from app.certificates import codes
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


def by_verification_code(session: Session, typed: str) -> Certificate | None:
    """The certificate a typed or scanned code names, in any spelling ``codes`` accepts."""
    forms = codes.lookup_forms(typed)
    if not forms:
        return None
    return session.execute(
        select(Certificate).where(_CERTIFICATES.c.verification_code.in_(forms))
    ).scalar_one_or_none()


def get(
    session: Session, certificate_id: uuid.UUID, *, for_update: bool = False
) -> Certificate | None:
    query = select(Certificate).where(_CERTIFICATES.c.id == certificate_id)
    if for_update:  # PostgreSQL: two recovering processes take turns (SQLite has one writer)
        query = query.with_for_update()
    return session.execute(query).scalar_one_or_none()


def unstored(session: Session, *, created_before: datetime) -> list[uuid.UUID]:
    """Certificates committed before ``created_before`` whose file was never noted as written."""
    c = _CERTIFICATES.c
    query = select(c.id).where(c.stored_at.is_(None), c.created_at < created_before)
    return list(session.execute(query.order_by(c.created_at)).scalars())


def mark_stored(session: Session, certificate_id: uuid.UUID, *, at: datetime, **changes) -> None:
    session.execute(
        update(_CERTIFICATES)
        .where(_CERTIFICATES.c.id == certificate_id)
        .values(stored_at=at, **changes)
    )
