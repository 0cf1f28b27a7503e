"""An application's documents: the kernel's case documents, with the service's requirements."""

from __future__ import annotations

import uuid
from pathlib import Path
from typing import BinaryIO

from app.accounts.principal import Principal
from app.applications.kind import APPLICATION
from app.cases import documents
from app.cases.schemas import DocumentList, DocumentRead
from app.config import Settings
from app.db import Session
from app.files.storage import FileStore
from app.models import Document


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
    return documents.upload_document(
        session,
        files=files,
        settings=settings,
        principal=principal,
        kind=APPLICATION,
        case_id=application_id,
        requirement=requirement,
        filename=filename,
        stream=stream,
    )


def list_documents(
    session: Session, *, principal: Principal, application_id: uuid.UUID
) -> DocumentList:
    """Every upload of the application, superseded ones included (history is kept)."""
    return documents.list_documents(
        session, principal=principal, kind=APPLICATION, case_id=application_id
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
    return documents.open_document(
        session,
        files=files,
        principal=principal,
        kind=APPLICATION,
        case_id=application_id,
        document_id=document_id,
    )
