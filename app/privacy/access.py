"""The one place a read of a resident's personal data is recorded.

Whoever reads a resident's NIK, contact details, form data or documents for a case (an officer
on the review page, an app acting for the resident, a system client through the API) leaves a
row in ``personal_data_access``: who, what (names of fields or the document's requirement, never
values), when and the case it was for. The row's hash becomes a leaf of the audit log with the
next checkpoint (``app.audit.log.sequence``), so that a row changed or removed afterwards is
found by ``loket audit verify``. A resident reading their own data leaves nothing: it is not a
disclosure, and it would bury the reads that are.
"""

from __future__ import annotations

import hashlib
import json
import uuid
from collections.abc import Iterable
from datetime import UTC, datetime
from typing import Any

from app.accounts.principal import Principal
from app.db import Session
from app.models import PersonalDataAccess
from app.models.base import utcnow
from app.privacy import repository

APPLICATION, DOCUMENT, COMPLAINT, USERINFO, EXPORT = (
    "application",
    "document",
    "complaint",
    "userinfo",
    "export",
)


def record_access(
    session: Session,
    *,
    principal: Principal,
    subject_user_id: uuid.UUID | None,
    what: str,
    fields: Iterable[str] = (),
    case_id: uuid.UUID | None = None,
) -> PersonalDataAccess | None:
    """Record that ``principal`` read ``fields`` of ``what`` about the resident, for ``case_id``
    (None when the reader is the resident themselves or nobody is named)."""
    if subject_user_id is None or _is_own(principal, subject_user_id):
        return None
    return _add(
        session,
        principal=principal,
        subject_user_id=subject_user_id,
        what=what,
        fields=fields,
        case_id=case_id,
    )


def record_export(
    session: Session, *, principal: Principal, subject_user_id: uuid.UUID
) -> PersonalDataAccess:
    """Record that a copy of everything held about the resident left Loket (their own export:
    recorded although it is their own, since a copy that left is worth knowing of)."""
    return _add(
        session,
        principal=principal,
        subject_user_id=subject_user_id,
        what=EXPORT,
        fields=(),
        case_id=None,
    )


def _is_own(principal: Principal, subject_user_id: uuid.UUID) -> bool:
    # An app acting for the resident holds the resident's user, yet it is the app that reads.
    return (
        principal.app is None
        and principal.user is not None
        and (principal.user.id == subject_user_id)
    )


def _add(
    session: Session,
    *,
    principal: Principal,
    subject_user_id: uuid.UUID,
    what: str,
    fields: Iterable[str],
    case_id: uuid.UUID | None,
) -> PersonalDataAccess:
    accessor_type, accessor_id, name, role = accessor_of(principal)
    row = PersonalDataAccess(
        accessed_at=utcnow(),
        subject_id=subject_user_id,
        accessor_type=accessor_type,
        accessor_id=accessor_id,
        accessor_name=name[:200],
        accessor_role=role,
        what=what,
        fields=sorted(set(fields)),
        case_id=case_id,
        hash="",
    )
    row.hash = content_hash(row.content())
    repository.insert_access(session, row)
    return row


def accessor_of(principal: Principal) -> tuple[str, str, str, str]:
    """(type, id, name, role) of whoever reads: the app before the resident it acts for."""
    if principal.app is not None:
        return "app", principal.app.client_id, principal.app.name, "app"
    if principal.client is not None:
        return "client", principal.client.client_id, principal.client.name, "client"
    if principal.user is not None:
        user = principal.user
        return "user", str(user.id), user.full_name, user.role
    if principal.system:
        return "system", "system", "Loket", "system"
    return "anonymous", "", "", "anonymous"


def content_hash(content: dict[str, Any]) -> str:
    """SHA-256 (hex) of a record's content: sorted keys, no spaces, UTF-8, UTC microseconds."""
    payload = {key: _plain(value) for key, value in content.items()}
    canonical = json.dumps(payload, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    return hashlib.sha256(canonical.encode()).hexdigest()


def _plain(value: Any) -> Any:
    if isinstance(value, datetime):
        moment = value if value.tzinfo else value.replace(tzinfo=UTC)
        return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")
    if isinstance(value, uuid.UUID):
        return str(value)
    if isinstance(value, list | tuple):
        return list(value)
    return value
