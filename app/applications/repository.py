"""Queries particular to permit applications: their own rows and what they point at."""

from __future__ import annotations

import uuid
from collections.abc import Iterable

from sqlalchemy import Table, bindparam, exists, select

from app.cases.repository import OwnRow
from app.db import Session
from app.models import Application, Certificate, Service

APPLICATIONS: Table = Application.__table__  # type: ignore[attr-defined]
_SERVICES: Table = Service.__table__  # type: ignore[attr-defined]
_CERTIFICATES: Table = Certificate.__table__  # type: ignore[attr-defined]

# Built once: an application is written only while its service version is the current, active
# one (checked inside the one-statement insert on PostgreSQL, ``cases.repository``).
_SERVICE_STILL_OFFERED = exists(
    select(_SERVICES.c.id).where(
        _SERVICES.c.id == bindparam("o_service_id"),
        _SERVICES.c.is_current,
        _SERVICES.c.active,
    )
)


def own_row(*, application_id: uuid.UUID, service_id: int) -> OwnRow:
    """The application's row, as the kernel writes it with the case."""
    return OwnRow(
        table=APPLICATIONS,
        values={"id": application_id, "service_id": service_id},
        only_if=_SERVICE_STILL_OFFERED,
    )


def get_application(session: Session, application_id: uuid.UUID) -> Application | None:
    return session.get(Application, application_id)


def load_applications(session: Session, ids: Iterable[uuid.UUID]) -> list[Application]:
    """Many applications' rows in one query (then in the session's identity map)."""
    wanted = list(ids)
    if not wanted:
        return []
    return list(session.execute(select(Application).where(APPLICATIONS.c.id.in_(wanted))).scalars())


def certificate_number(session: Session, application_id: uuid.UUID) -> str | None:
    return session.execute(
        select(_CERTIFICATES.c.number).where(_CERTIFICATES.c.application_id == application_id)
    ).scalar_one_or_none()
