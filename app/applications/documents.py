"""Uploading and downloading an application's documents."""

from __future__ import annotations

import uuid
from pathlib import Path
from typing import BinaryIO

from sqlmodel import Session

from app.accounts.principal import Principal
from app.applications import chain, repository
from app.applications.access import APPLICANT, visible_application
from app.applications.chain import EventDraft
from app.applications.presenters import document_read
from app.applications.schemas import DocumentList, DocumentRead
from app.applications.service import EDITABLE_STATES
from app.applications.storage import FileStore
from app.applications.uploads import copy_limited, inspect_file, sanitize_filename
from app.catalogue import repository as catalogue_repo
from app.config import Settings
from app.db import on_rollback
from app.errors import Forbidden, InvalidTransition, Msg, NotFound, invalid
from app.models import Document, Service


def upload_document(
    session: Session,
    *,
    files: FileStore,
    settings: Settings,
    principal: Principal,
    application_id: uuid.UUID,
    requirement: str,
    filename: str | None,
    stream: BinaryIO,
) -> DocumentRead:
    """Check and store one file for a requirement; a re-upload supersedes the previous one."""
    application, roles = visible_application(
        session, principal=principal, application_id=application_id, write=True
    )
    if APPLICANT not in roles:
        raise NotFound(Msg("Permohonan tidak ditemukan", "Application not found"))
    if principal.user is None:
        # A document is recorded with the person who uploaded it; systems cannot be one yet.
        raise Forbidden(
            Msg(
                "Dokumen diunggah oleh warga atau petugas, bukan oleh sistem",
                "Documents are uploaded by the resident or an officer, not by a system client",
            )
        )
    if application.state not in EDITABLE_STATES:
        raise InvalidTransition(
            Msg(
                "Dokumen hanya dapat diunggah saat draf atau perlu perbaikan",
                "Documents can only be uploaded in draft or revision requested",
            )
        )
    rule = _requirement(
        catalogue_repo.service_version(session, application.service_id), requirement
    )
    key, content_type, size, digest = _store(files, settings, rule, stream)
    on_rollback(session, lambda: files.delete(key))
    version = repository.supersede_documents(
        session, application_id=application.id, requirement=requirement
    )
    document = Document(
        application_id=application.id,
        requirement=requirement,
        original_name=sanitize_filename(filename),
        content_type=content_type,
        size=size,
        sha256=digest,
        storage_key=key,
        uploaded_by_id=principal.user.id,  # checked above: never None here
        version=version,
    )
    session.add(document)
    session.flush()
    chain.append(
        session,
        application=application,
        draft=EventDraft(
            "document.uploaded",
            principal.actor_type,
            principal.actor_id,
            details={"requirement": requirement, "version": version, "sha256": digest},
        ),
    )
    return document_read(document)


def _requirement(service: Service, code: str) -> dict:
    for rule in service.documents:
        if rule["code"] == code:
            return rule
    known = ", ".join(rule["code"] for rule in service.documents)
    raise invalid(
        "requirement",
        f"Persyaratan tidak dikenal; pilih salah satu: {known}",
        f"Unknown requirement; use one of: {known}",
    )


def _store(
    files: FileStore, settings: Settings, rule: dict, stream: BinaryIO
) -> tuple[str, str, int, str]:
    """Stream to a temp file within the size limit, inspect it, then move it into place."""
    temp = files.temp_path()
    try:
        with temp.open("wb") as destination:
            copied = copy_limited(stream, destination, max_bytes=rule["max_bytes"])
        if copied.size == 0:
            raise invalid("file", "Berkas kosong", "The file is empty")
        content_type = inspect_file(
            temp, accepted_types=rule["accepted_types"], max_pixels=settings.max_image_pixels
        )
        key = files.new_key()
        files.commit(temp, key)
    except BaseException:
        files.discard(temp)
        raise
    return key, content_type, copied.size, copied.sha256


def list_documents(
    session: Session, *, principal: Principal, application_id: uuid.UUID
) -> DocumentList:
    """Every upload of the application, superseded ones included (history is kept)."""
    application, _ = visible_application(
        session, principal=principal, application_id=application_id
    )
    return DocumentList(
        items=[document_read(d) for d in repository.documents(session, application.id)]
    )


def open_document(
    session: Session,
    *,
    files: FileStore,
    principal: Principal,
    application_id: uuid.UUID,
    document_id: uuid.UUID,
) -> tuple[Document, Path]:
    """The stored file of one document; an officer's look at it is recorded in the timeline."""
    application, roles = visible_application(
        session, principal=principal, application_id=application_id
    )
    document = repository.document(session, application.id, document_id)
    if document is None:
        raise NotFound(Msg("Dokumen tidak ditemukan", "Document not found"))
    if APPLICANT not in roles:
        # Citizens' identity papers are personal data: every read by staff leaves a trace.
        chain.append(
            session,
            application=application,
            draft=EventDraft(
                "document.viewed",
                principal.actor_type,
                principal.actor_id,
                details={"document_id": str(document.id), "requirement": document.requirement},
            ),
        )
    return document, files.path(document.storage_key)
