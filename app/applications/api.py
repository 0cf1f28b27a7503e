"""JSON API for applications: parse, call one service function, return its schema."""

from __future__ import annotations

import uuid
from typing import Annotated

from fastapi import APIRouter, File, Form, Query, UploadFile
from fastapi.responses import FileResponse

from app.applications import documents, queue, service, transitions
from app.applications.schemas import (
    ActionList,
    ApplicationCreate,
    ApplicationPage,
    ApplicationRead,
    ApplicationUpdate,
    DocumentList,
    DocumentRead,
    EventList,
    TransitionRequest,
)
from app.deps import CurrentPrincipal, LanguageDep, RuntimeDep, SessionDep, audited_read
from app.schemas_common import NoControlCharacters

router = APIRouter(prefix="/applications", tags=["applications"])

StateQuery = Annotated[str | None, Query(max_length=200), NoControlCharacters]
ServiceQuery = Annotated[str | None, Query(max_length=16, alias="service"), NoControlCharacters]
AssignedQuery = Annotated[str | None, Query(max_length=16), NoControlCharacters]
SearchQuery = Annotated[str | None, Query(max_length=100), NoControlCharacters]
CursorQuery = Annotated[str | None, Query(max_length=200), NoControlCharacters]


@router.post("", response_model=ApplicationRead, status_code=201)
def create_application(
    body: ApplicationCreate, session: SessionDep, principal: CurrentPrincipal
) -> ApplicationRead:
    return service.create_application(session, principal=principal, request=body)


@router.get("", response_model=ApplicationPage)
def list_applications(
    session: SessionDep,
    principal: CurrentPrincipal,
    state: StateQuery = None,
    service_code: ServiceQuery = None,
    assigned: AssignedQuery = None,
    overdue: bool = False,
    q: SearchQuery = None,
    limit: Annotated[int, Query(ge=1, le=queue.MAX_LIMIT)] = 20,
    cursor: CursorQuery = None,
) -> ApplicationPage:
    return queue.list_applications(
        session,
        principal=principal,
        query=queue.ListQuery(
            state=state,
            service=service_code,
            assigned=assigned,
            overdue=overdue,
            q=q,
            limit=limit,
            cursor=cursor,
        ),
    )


@router.get("/{application_id}", response_model=ApplicationRead)
def read_application(
    application_id: uuid.UUID, session: SessionDep, principal: CurrentPrincipal
) -> ApplicationRead:
    return service.read_application(session, principal=principal, application_id=application_id)


@router.patch("/{application_id}", response_model=ApplicationRead)
def update_application(
    application_id: uuid.UUID,
    body: ApplicationUpdate,
    session: SessionDep,
    principal: CurrentPrincipal,
) -> ApplicationRead:
    return service.update_application(
        session, principal=principal, application_id=application_id, request=body
    )


@router.get("/{application_id}/actions", response_model=ActionList)
def list_actions(
    application_id: uuid.UUID, session: SessionDep, principal: CurrentPrincipal, lang: LanguageDep
) -> ActionList:
    return transitions.available_actions(
        session, principal=principal, application_id=application_id, lang=lang
    )


@router.post("/{application_id}/transitions", response_model=ApplicationRead)
def take_transition(
    application_id: uuid.UUID,
    body: TransitionRequest,
    session: SessionDep,
    principal: CurrentPrincipal,
    runtime: RuntimeDep,
) -> ApplicationRead:
    return transitions.transition(
        session,
        principal=principal,
        application_id=application_id,
        request=body,
        certificates=lambda: runtime.certificates,
    )


@router.get("/{application_id}/events", response_model=EventList)
def list_events(
    application_id: uuid.UUID, session: SessionDep, principal: CurrentPrincipal
) -> EventList:
    return service.list_events(session, principal=principal, application_id=application_id)


@router.post("/{application_id}/documents", response_model=DocumentRead, status_code=201)
def upload_document(
    application_id: uuid.UUID,
    session: SessionDep,
    principal: CurrentPrincipal,
    runtime: RuntimeDep,
    requirement: Annotated[str, Form(max_length=32)],
    file: Annotated[UploadFile, File()],
) -> DocumentRead:
    return documents.upload_document(
        session,
        files=runtime.files,
        settings=runtime.settings,
        principal=principal,
        application_id=application_id,
        requirement=requirement,
        filename=file.filename,
        stream=file.file,
    )


@router.get("/{application_id}/documents", response_model=DocumentList)
def list_documents(
    application_id: uuid.UUID, session: SessionDep, principal: CurrentPrincipal
) -> DocumentList:
    return documents.list_documents(session, principal=principal, application_id=application_id)


@router.get("/{application_id}/documents/{document_id}")
@audited_read
def download_document(
    application_id: uuid.UUID,
    document_id: uuid.UUID,
    session: SessionDep,
    principal: CurrentPrincipal,
    runtime: RuntimeDep,
) -> FileResponse:
    document, path = documents.open_document(
        session,
        files=runtime.files,
        principal=principal,
        application_id=application_id,
        document_id=document_id,
    )
    return FileResponse(
        path,
        media_type=document.content_type,
        filename=document.original_name,
        content_disposition_type="attachment",
        headers={
            "X-Content-Type-Options": "nosniff",
            "Content-Security-Policy": "sandbox; default-src 'none'",
            "Cache-Control": "private, no-store",
        },
    )
