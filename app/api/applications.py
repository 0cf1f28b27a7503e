"""JSON API for applications: parse, call one service function, return its schema."""

from __future__ import annotations

import uuid
from typing import Annotated

from fastapi import APIRouter, File, Form, Query, UploadFile
from fastapi.responses import FileResponse

from app.applications import documents, fees, service, transitions
from app.applications.kind import APPLICATION
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
from app.http.downloads import VIEWABLE_TYPES, document_response
from app.http.openapi import CALLER, problems
from app.http.pipeline import CallerDep, audited_read
from app.payments.schemas import InvoiceList, InvoiceRead
from app.schemas_common import NoControlCharacters
from app.workflow.definitions import get_workflow, states_where

router = APIRouter(prefix="/applications", tags=["applications"])

# The queue checks states and 'assigned' itself (with its own messages); the schema says what it
# accepts, so that a client knows before it asks.
_STATES = "|".join(states_where(get_workflow(name) for name in APPLICATION.workflows))
StateQuery = Annotated[
    str | None,
    Query(
        max_length=200,
        description="comma-separated states",
        json_schema_extra={"pattern": f"^(?:(?:{_STATES})?)(?:,(?:{_STATES})?)*$"},
    ),
    NoControlCharacters,
]
ServiceQuery = Annotated[str | None, Query(max_length=16, alias="service"), NoControlCharacters]
AssignedQuery = Annotated[
    str | None,
    Query(max_length=16, json_schema_extra={"enum": ["me", "unassigned", ""]}),
    NoControlCharacters,
]
SearchQuery = Annotated[str | None, Query(max_length=100), NoControlCharacters]
CursorQuery = Annotated[
    str | None,
    Query(max_length=200, description="the next_cursor of the previous page, as it was"),
    NoControlCharacters,
]
SortQuery = Annotated[
    str | None,
    Query(
        max_length=8,
        description="'due': what is due first, overdue at the top (cases whose clock does not "
        "run after them, oldest first); default: newest first",
        json_schema_extra={"enum": ["due", "new", ""]},
    ),
    NoControlCharacters,
]


# The JSON routes are coroutines that hand the whole database part to ``caller.run`` (one
# threadpool hop per request, app/http/pipeline.py).
@router.post(
    "",
    response_model=ApplicationRead,
    status_code=201,
    responses=problems(*CALLER, 400, 404, 413),
)
async def create_application(body: ApplicationCreate, caller: CallerDep) -> ApplicationRead:
    return await caller.run(service.create_application, request=body)


@router.get("", response_model=ApplicationPage, responses=problems(*CALLER))
async def list_applications(
    caller: CallerDep,
    state: StateQuery = None,
    service_code: ServiceQuery = None,
    assigned: AssignedQuery = None,
    overdue: bool = False,
    escalated: Annotated[
        bool, Query(description="only cases escalated at their deadline (the head's queue)")
    ] = False,
    q: SearchQuery = None,
    limit: Annotated[int, Query(ge=1, le=queue.MAX_LIMIT)] = 20,
    cursor: CursorQuery = None,
    sort: SortQuery = None,
) -> ApplicationPage:
    query = queue.ListQuery(
        state=state,
        subject=service_code,
        assigned=assigned,
        overdue=overdue,
        escalated=escalated,
        q=q,
        limit=limit,
        cursor=cursor,
        sort=sort,
    )
    return await caller.run(service.list_applications, query=query)


@router.get("/{application_id}", response_model=ApplicationRead, responses=problems(*CALLER, 404))
@audited_read
async def read_application(application_id: uuid.UUID, caller: CallerDep) -> ApplicationRead:
    return await caller.run(service.read_application, application_id=application_id)


@router.patch(
    "/{application_id}",
    response_model=ApplicationRead,
    responses=problems(*CALLER, 400, 404, 409, 413),
)
async def update_application(
    application_id: uuid.UUID, body: ApplicationUpdate, caller: CallerDep
) -> ApplicationRead:
    return await caller.run(service.update_application, application_id=application_id, request=body)


@router.get(
    "/{application_id}/actions", response_model=ActionList, responses=problems(*CALLER, 404)
)
async def list_actions(
    application_id: uuid.UUID, caller: CallerDep, lang: LanguageDep
) -> ActionList:
    return await caller.run(transitions.available_actions, application_id=application_id, lang=lang)


@router.post(
    "/{application_id}/transitions",
    response_model=ApplicationRead,
    responses=problems(*CALLER, 400, 404, 409, 413, 503),
)
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


@router.get(
    "/{application_id}/invoices", response_model=InvoiceList, responses=problems(*CALLER, 404)
)
async def list_invoices(
    application_id: uuid.UUID, caller: CallerDep, lang: LanguageDep
) -> InvoiceList:
    return await caller.run(fees.list_invoices, application_id=application_id, lang=lang)


@router.post(
    "/{application_id}/invoices/{invoice_id}/reissue",
    response_model=InvoiceRead,
    status_code=201,
    responses=problems(*CALLER, 404, 409),
)
async def reissue_invoice(
    application_id: uuid.UUID, invoice_id: uuid.UUID, caller: CallerDep, lang: LanguageDep
) -> InvoiceRead:
    return await caller.run(
        fees.reissue_invoice, application_id=application_id, invoice_id=invoice_id, lang=lang
    )


@router.get("/{application_id}/events", response_model=EventList, responses=problems(*CALLER, 404))
async def list_events(application_id: uuid.UUID, caller: CallerDep) -> EventList:
    return await caller.run(service.list_events, application_id=application_id)


@router.post(
    "/{application_id}/documents",
    response_model=DocumentRead,
    status_code=201,
    responses=problems(*CALLER, 400, 404, 409, 413, 415, 503),
)
async def upload_document(
    application_id: uuid.UUID,
    caller: CallerDep,
    requirement: Annotated[str, Form(min_length=1, max_length=32)],
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


@router.get(
    "/{application_id}/documents", response_model=DocumentList, responses=problems(*CALLER, 404)
)
async def list_documents(application_id: uuid.UUID, caller: CallerDep) -> DocumentList:
    return await caller.run(documents.list_documents, application_id=application_id)


@router.get(
    "/{application_id}/documents/{document_id}",
    response_class=FileResponse,
    responses={
        200: {"content": {media: {} for media in ("application/pdf", *sorted(VIEWABLE_TYPES))}},
        **problems(*CALLER, 404),
    },
)
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
@certificate_router.post(
    "/certificates/{number:path}/revoke",
    response_model=ApplicationRead,
    responses=problems(*CALLER, 400, 404, 409, 413, 503),
)
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
