"""Queries behind the export and the record of processing: everything tied to one resident,
and who receives what per service."""

from __future__ import annotations

import uuid
from typing import Any

from sqlalchemy import Table, select

from app.db import Session, table_of
from app.models import (
    Case,
    ComplaintCategory,
    Department,
    Document,
    OAuthClient,
    OAuthGrant,
    PersonalDataAccess,
    Service,
    WebhookSubscription,
)
from app.models import Complaint as ComplaintRow

_CASES: Table = table_of(Case)
_DOCUMENTS: Table = table_of(Document)
_COMPLAINTS: Table = table_of(ComplaintRow)
_GRANTS: Table = table_of(OAuthGrant)
_CLIENTS: Table = table_of(OAuthClient)
_ACCESSES: Table = table_of(PersonalDataAccess)
_HOOKS: Table = table_of(WebhookSubscription)


def cases_of(session: Session, owner_id: uuid.UUID, kind: str) -> list[Any]:
    c = _CASES.c
    query = select(_CASES).where(c.owner_id == owner_id, c.kind == kind).order_by(c.created_at)
    return list(session.execute(query))


def documents_of(session: Session, case_ids: list[uuid.UUID]) -> list[Any]:
    if not case_ids:
        return []
    d = _DOCUMENTS.c
    query = (
        select(
            d.case_id,
            d.requirement,
            d.original_name,
            d.content_type,
            d.size,
            d.sha256,
            d.version,
            d.is_current,
            d.created_at,
        )
        .where(d.case_id.in_(case_ids))
        .order_by(d.case_id, d.requirement, d.version)
    )
    return list(session.execute(query))


def complaints_of(session: Session, case_ids: list[uuid.UUID]) -> dict[uuid.UUID, Any]:
    if not case_ids:
        return {}
    query = select(_COMPLAINTS).where(_COMPLAINTS.c.id.in_(case_ids))
    return {row.id: row for row in session.execute(query)}


def grants_of(session: Session, user_id: uuid.UUID) -> list[Any]:
    g, c = _GRANTS.c, _CLIENTS.c
    query = (
        select(c.client_id, c.name, c.operator, g.scope, g.created_at, g.updated_at)
        .select_from(_GRANTS.join(_CLIENTS, c.client_id == g.client_id))
        .where(g.user_id == user_id)
        .order_by(g.created_at)
    )
    return list(session.execute(query))


def all_accesses_of(session: Session, subject_id: uuid.UUID) -> list[Any]:
    a = _ACCESSES.c
    query = select(_ACCESSES).where(a.subject_id == subject_id).order_by(a.id)
    return list(session.execute(query))


def current_services(session: Session) -> list[Service]:
    query = select(Service).where(Service.is_current).order_by(Service.code)  # type: ignore[arg-type]
    return list(session.execute(query).scalars())


def current_categories(session: Session) -> list[ComplaintCategory]:
    query = (
        select(ComplaintCategory)
        .where(ComplaintCategory.is_current)  # type: ignore[arg-type]
        .order_by(ComplaintCategory.code)
    )
    return list(session.execute(query).scalars())


def webhook_recipients(session: Session) -> list[Any]:
    """Active subscriptions with their client: (client name, client id, url, event types)."""
    h, c = _HOOKS.c, _CLIENTS.c
    query = (
        select(c.name, c.client_id, h.url, h.event_types)
        .select_from(_HOOKS.join(_CLIENTS, c.id == h.client_id))
        .where(h.is_active, c.is_active)
        .order_by(c.name, h.url)
    )
    return list(session.execute(query))


def active_clients(session: Session) -> list[Any]:
    c = _CLIENTS.c
    query = (
        select(c.client_id, c.name, c.operator, c.scopes, c.grant_types, c.nik_approved)
        .where(c.is_active)
        .order_by(c.name)
    )
    return list(session.execute(query))


def department_codes(session: Session) -> dict[int, str]:
    departments = table_of(Department)
    rows = session.execute(select(departments.c.id, departments.c.code)).all()
    return {row.id: row.code for row in rows}
