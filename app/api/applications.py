"""JSON API for applications: parse, call one service function, return its schema."""

from __future__ import annotations

import uuid
from typing import Annotated

from fastapi import APIRouter, File, Form, Query, UploadFile
from fastapi.responses import FileResponse

from app.applications import documents, service, transitions
from app.applications.schemas import (
    ApplicationCreate,
    ApplicationPage,
    ApplicationRead,
    ApplicationUpdate,
)
from app.cases import queue
from app.cases.schemas import ActionList, DocumentList, DocumentRead, EventList, TransitionRequest
from app.certificates.schemas import RevokeRequest
from app.http.deps import LanguageDep
from app.http.downloads import document_response
from app.http.pipeline import CallerDep, audited_read
from app.schemas_common import NoControlCharacters

router = APIRouter(prefix="/applications", tags=["applications"])

StateQuery = Annotated[str | None, Query(max_length=200), NoControlCharacters]
ServiceQuery = Annotated[str | None, Query(max_length=16, alias="service"), NoControlCharacters]
AssignedQuery = Annotated[str | None, Query(max_length=16), NoControlCharacters]
SearchQuery = Annotated[str | None, Query(max_length=100), NoControlCharacters]
CursorQuery = Annotated[str | None, Query(max_length=200), NoControlCharacters]


# The JSON routes are coroutines that hand the whole database part to ``caller.run`` (one
# threadpool hop per request, app/http/pipeline.py).
@router.post("", response_model=ApplicationRead, status_code=201)
async def create_application(body: ApplicationCreate, caller: CallerDep) -> ApplicationRead:
    return await caller.run(service.create_application, request=body)


@router.get("", response_model=ApplicationPage)
async def list_applications(
    caller: CallerDep,
    state: StateQuery = None,
    service_code: ServiceQuery = None,
    assigned: AssignedQuery = None,
    overdue: bool = False,
    q: SearchQuery = None,
    limit: Annotated[int, Query(ge=1, le=queue.MAX_LIMIT)] = 20,
    cursor: CursorQuery = None,
) -> ApplicationPage:
    query = queue.ListQuery(
        state=state,
        subject=service_code,
        assigned=assigned,
        overdue=overdue,
        q=q,
        limit=limit,
        cursor=cursor,
    )
    return await caller.run(service.list_applications, query=query)


@router.get("/{application_id}", response_model=ApplicationRead)
async def read_application(application_id: uuid.UUID, caller: CallerDep) -> ApplicationRead:
    return await caller.run(service.read_application, application_id=application_id)


@router.patch("/{application_id}", response_model=ApplicationRead)
async def update_application(
    application_id: uuid.UUID, body: ApplicationUpdate, caller: CallerDep
) -> ApplicationRead:
    return await caller.run(service.update_application, application_id=application_id, request=body)


@router.get("/{application_id}/actions", response_model=ActionList)
async def list_actions(
    application_id: uuid.UUID, caller: CallerDep, lang: LanguageDep
) -> ActionList:
    return await caller.run(transitions.available_actions, application_id=application_id, lang=lang)


@router.post("/{application_id}/transitions", response_model=ApplicationRead)
async def take_transition(
    application_id: uuid.UUID, body: TransitionRequest, caller: CallerDep
) -> ApplicationRead:
    runtime = caller.runtime
    return await caller.run(
        transitions.transition,
        application_id=application_id,
        request=body,
        certificates=lambda: runtime.certificates,
    )


@router.get("/{application_id}/events", response_model=EventList)
async def list_events(application_id: uuid.UUID, caller: CallerDep) -> EventList:
    return await caller.run(service.list_events, application_id=application_id)


@router.post("/{application_id}/documents", response_model=DocumentRead, status_code=201)
async def upload_document(
    application_id: uuid.UUID,
    caller: CallerDep,
    requirement: Annotated[str, Form(max_length=32)],
    file: Annotated[UploadFile, File()],
) -> DocumentRead:
    runtime = caller.runtime
    return await caller.run(
        documents.upload_document,
        files=runtime.files,
        settings=runtime.settings,
        application_id=application_id,
        requirement=requirement,
        filename=file.filename,
        stream=file.file,
    )


@router.get("/{application_id}/documents", response_model=DocumentList)
async def list_documents(application_id: uuid.UUID, caller: CallerDep) -> DocumentList:
    return await caller.run(documents.list_documents, application_id=application_id)


@router.get("/{application_id}/documents/{document_id}")
@audited_read
async def download_document(
    application_id: uuid.UUID, document_id: uuid.UUID, caller: CallerDep
) -> FileResponse:
    document, path = await caller.run(
        documents.open_document,
        files=caller.runtime.files,
        application_id=application_id,
        document_id=document_id,
    )
    return document_response(document, path)


certificate_router = APIRouter(tags=["certificates"])


# Revoking a certificate is the revoke transition of its application.
@certificate_router.post("/certificates/{number:path}/revoke", response_model=ApplicationRead)
async def revoke_certificate(
    number: str, body: RevokeRequest, caller: CallerDep
) -> ApplicationRead:
    runtime = caller.runtime
    return await caller.run(
        transitions.revoke_certificate,
        number=number,
        reason=body.reason,
        version=body.version,
        certificates=lambda: runtime.certificates,
    )
