"""A resident's copy of everything Loket holds about them (UU PDP art. 7 and 8: access and a
copy), as JSON and as a readable PDF; each export is itself recorded."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from app.accounts.principal import Principal
from app.applications.kind import APPLICATION
from app.complaints.kind import COMPLAINT
from app.db import Session
from app.models import User
from app.models.base import utcnow
from app.privacy import access as privacy
from app.privacy.service import resident_of
from app.protection import repository

FORMAT = "loket.export/1"


def export(session: Session, *, principal: Principal) -> dict[str, Any]:
    """Everything held about the caller, recorded as an export of their data."""
    user = resident_of(principal)
    applications = repository.cases_of(session, user.id, APPLICATION.name)
    complaints = repository.cases_of(session, user.id, COMPLAINT.name)
    documents = repository.documents_of(session, [c.id for c in applications + complaints])
    details = repository.complaints_of(session, [c.id for c in complaints])
    held = {
        "format": FORMAT,
        "exported_at": _iso(utcnow()),
        "account": _account(user),
        "applications": [_case(c, documents) for c in applications],
        "complaints": [_complaint(c, details.get(c.id), documents) for c in complaints],
        "connected_apps": [_grant(g) for g in repository.grants_of(session, user.id)],
        "data_access": [_access(a) for a in repository.all_accesses_of(session, user.id)],
    }
    privacy.record_export(session, principal=principal, subject_user_id=user.id)
    return held


def _account(user: User) -> dict[str, Any]:
    return {
        "id": str(user.id),
        "email": user.email,
        "full_name": user.full_name,
        "nik": user.nik,
        "phone": user.phone,
        "role": user.role,
        "language": user.language,
        "created_at": _iso(user.created_at),
    }


def _case(case: Any, documents: list[Any]) -> dict[str, Any]:
    return {
        "id": str(case.id),
        "reference": case.reference,
        "service_code": case.subject_code,
        "state": case.state,
        "data": case.data,
        "created_at": _iso(case.created_at),
        "submitted_at": _iso(case.submitted_at),
        "decided_at": _iso(case.decided_at),
        "documents": [_document(d) for d in documents if d.case_id == case.id],
    }


def _complaint(case: Any, detail: Any, documents: list[Any]) -> dict[str, Any]:
    held = _case(case, documents)
    held["category_code"] = held.pop("service_code")
    if detail is not None:
        held |= {
            "description": detail.description,
            "address": detail.address,
            "latitude": detail.latitude,
            "longitude": detail.longitude,
            "contact_email": detail.contact_email,
            "contact_phone": detail.contact_phone,
            "rating": detail.rating,
        }
    return held


def _document(document: Any) -> dict[str, Any]:
    return {
        "requirement": document.requirement,
        "original_name": document.original_name,
        "content_type": document.content_type,
        "size": document.size,
        "sha256": document.sha256,
        "version": document.version,
        "is_current": document.is_current,
        "uploaded_at": _iso(document.created_at),
    }


def _grant(grant: Any) -> dict[str, Any]:
    return {
        "client_id": grant.client_id,
        "name": grant.name,
        "operator": grant.operator,
        "scopes": grant.scope.split(),
        "granted_at": _iso(grant.created_at),
        "updated_at": _iso(grant.updated_at),
    }


def _access(access: Any) -> dict[str, Any]:
    return {
        "accessed_at": _iso(access.accessed_at),
        "accessor": {
            "type": access.accessor_type,
            "name": access.accessor_name,
            "role": access.accessor_role,
        },
        "what": access.what,
        "fields": list(access.fields),
        "case_id": str(access.case_id) if access.case_id else None,
    }


def _iso(moment: datetime | None) -> str | None:
    if moment is None:
        return None
    aware = moment if moment.tzinfo else moment.replace(tzinfo=UTC)
    return aware.astimezone(UTC).isoformat().replace("+00:00", "Z")
