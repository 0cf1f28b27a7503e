"""Files attached to a case: uploaded by its owner while they may edit, read by its officers.

Every case type's documents go through here; the type says what a requirement allows
(``CaseKind.requirement``). A re-upload for the same requirement supersedes the previous one
(history kept), and every read by staff leaves a trace on the timeline.
"""

from __future__ import annotations

import uuid
from pathlib import Path
from typing import BinaryIO

from app.accounts.principal import Principal
from app.cases import repository, timeline
from app.cases.access import visible_case
from app.cases.kinds import CaseKind, Requirement, workflow_of
from app.cases.schemas import DocumentList, DocumentRead
from app.cases.timeline import EventDraft
from app.config import Settings
from app.db import Session, on_rollback
from app.errors import Conflict, Forbidden, InvalidTransition, Msg, NotFound, invalid
from app.files.mediatypes import JPEG, PDF, PNG
from app.files.storage import FileStore
from app.files.uploads import CheckLimits, copy_limited, inspect_file, sanitize_filename
from app.models import Case, Document
from app.privacy import access as privacy
from app.workflow.engine import State

# What an objection (keberatan) may carry besides its reason: up to five files, each checked
# like any document of an application (type by content, size, PDF and image limits).
OBJECTION = "objection"
MAX_OBJECTION_DOCUMENTS = 5
OBJECTION_RULE = Requirement(
    code=OBJECTION,
    label=Msg("Dokumen pendukung keberatan", "Document supporting the objection"),
    accepted_types=(PDF, JPEG, PNG),
    max_bytes=5 * 1024 * 1024,
    mandatory=False,
)


def upload_document(
    session: Session,
    *,
    files: FileStore,
    settings: Settings,
    principal: Principal,
    kind: CaseKind,
    case_id: uuid.UUID,
    requirement: str,
    filename: str | None,
    stream: BinaryIO,
) -> DocumentRead:
    """Check and store one file for a requirement; a re-upload supersedes the previous one.
    ``requirement="objection"``: one of the up to five files of a pending objection (none is
    superseded)."""
    case, roles = visible_case(session, principal=principal, kind=kind, case_id=case_id, write=True)
    if kind.owner_role not in roles:
        raise NotFound(kind.not_found)
    if principal.user is None:
        # A document is recorded with the person who uploaded it; systems cannot be one yet.
        raise Forbidden(
            Msg(
                "Dokumen diunggah oleh warga atau petugas, bukan oleh sistem",
                "Documents are uploaded by the resident or an officer, not by a system client",
            )
        )
    state = workflow_of(case).state(case.state)
    if requirement == OBJECTION:
        version = _objection_room(session, case, state)
        rule = OBJECTION_RULE
    else:
        if not state.editable:
            raise InvalidTransition(
                Msg(
                    "Dokumen hanya dapat diunggah saat draf atau perlu perbaikan",
                    "Documents can only be uploaded in draft or revision requested",
                )
            )
        rule = kind.requirement(session, case, requirement)
    key, content_type, size, digest = _store(files, settings, rule, stream)
    on_rollback(session, lambda: files.delete(key))
    if requirement != OBJECTION:
        version = repository.supersede_documents(session, case_id=case.id, requirement=requirement)
    document = Document(
        case_id=case.id,
        requirement=requirement,
        original_name=sanitize_filename(filename),
        content_type=content_type,
        size=size,
        sha256=digest,
        storage_key=key,
        uploaded_by_id=principal.user.id,  # checked above: never None here
        version=version,
    )
    repository.add_document(session, document)
    timeline.append(
        session,
        case=case,
        draft=EventDraft(
            "document.uploaded",
            principal.actor_type,
            principal.actor_id,
            details={
                "requirement": requirement,
                "version": version,
                "sha256": digest,
                **principal.event_details,
            },
        ),
    )
    return document_read(document)


def _objection_room(session: Session, case: Case, state: State) -> int:
    """The number the next file of the pending objection gets, or why it cannot be added."""
    if not state.objection:
        raise InvalidTransition(
            Msg(
                "Dokumen keberatan hanya dapat diunggah selama keberatan belum dijawab",
                "Objection documents can only be uploaded while the objection awaits its answer",
            )
        )
    count = repository.document_count(session, case_id=case.id, requirement=OBJECTION)
    if count >= MAX_OBJECTION_DOCUMENTS:
        raise Conflict(
            Msg(
                f"Keberatan sudah memuat {MAX_OBJECTION_DOCUMENTS} dokumen, batas terbanyak",
                f"The objection already carries {MAX_OBJECTION_DOCUMENTS} documents, the most "
                "it may",
            )
        )
    return count + 1


def _store(
    files: FileStore, settings: Settings, rule: Requirement, stream: BinaryIO
) -> tuple[str, str, int, str]:
    """Stream to a temp file within the size limit, inspect it, then move it into place."""
    temp = files.temp_path()
    try:
        with temp.open("wb") as destination:
            copied = copy_limited(stream, destination, max_bytes=rule.max_bytes)
        if copied.size == 0:
            raise invalid("file", "Berkas kosong", "The file is empty")
        content_type = inspect_file(
            temp, accepted_types=rule.accepted_types, limits=CheckLimits.from_settings(settings)
        )
        key = files.new_key()
        files.commit(temp, key)
    except BaseException:
        files.discard(temp)
        raise
    return key, content_type, copied.size, copied.sha256


def list_documents(
    session: Session, *, principal: Principal, kind: CaseKind, case_id: uuid.UUID
) -> DocumentList:
    """Every upload of the case, superseded ones included (history is kept)."""
    case, _ = visible_case(session, principal=principal, kind=kind, case_id=case_id)
    return DocumentList(items=[document_read(d) for d in repository.documents(session, case.id)])


def current_requirements(session: Session, case_id: uuid.UUID) -> set[str]:
    """The requirements that have a current upload (for "is everything there" checks)."""
    return {d.requirement for d in repository.documents(session, case_id, current_only=True)}


def open_document(
    session: Session,
    *,
    files: FileStore,
    principal: Principal,
    kind: CaseKind,
    case_id: uuid.UUID,
    document_id: uuid.UUID,
) -> tuple[Document, Path]:
    """The stored file of one document; a look at it by staff is recorded in the timeline."""
    case, roles = visible_case(session, principal=principal, kind=kind, case_id=case_id)
    document = repository.document(session, case.id, document_id)
    if document is None:
        raise NotFound(Msg("Dokumen tidak ditemukan", "Document not found"))
    if kind.owner_role not in roles:
        # Residents' identity papers are personal data: every read by staff leaves a trace.
        timeline.append(
            session,
            case=case,
            draft=EventDraft(
                "document.viewed",
                principal.actor_type,
                principal.actor_id,
                details={"document_id": str(document.id), "requirement": document.requirement},
            ),
        )
    privacy.record_access(
        session,
        principal=principal,
        subject_user_id=case.owner_id,
        what=privacy.DOCUMENT,
        fields=[document.requirement],
        case_id=case.id,
    )
    return document, files.path(document.storage_key)


def document_read(document: Document) -> DocumentRead:
    return DocumentRead.model_validate(document, from_attributes=True)
