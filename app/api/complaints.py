"""JSON API for complaints: parse, call one service function, return its schema."""

from __future__ import annotations

import uuid
from typing import Annotated

from fastapi import APIRouter, File, Query, Request, UploadFile
from fastapi.responses import FileResponse

from app.cases import documents, queue
from app.cases.schemas import ActionList, DocumentRead, EventList
from app.complaints import handling, photos, public, service
from app.complaints.kind import COMPLAINT
from app.complaints.schemas import (
    AreaList,
    CategoryList,
    ComplaintCreate,
    ComplaintPage,
    ComplaintRead,
    ComplaintTransitionRequest,
    DuplicateList,
    FollowRead,
    Latitude,
    Longitude,
    PublicComplaintPage,
    RatingCreate,
)
from app.http.deps import LanguageDep
from app.http.downloads import VIEWABLE_TYPES, document_response
from app.http.openapi import CALLER, problems
from app.http.pipeline import CallerDep, MaybeCallerDep, PublicDep, audited_read
from app.schemas_common import NoControlCharacters
from app.workflow.definitions import get_workflow, states_where

router = APIRouter(tags=["complaints"])

_STATES = "|".join(states_where(get_workflow(name) for name in COMPLAINT.workflows))
StateQuery = Annotated[
    str | None,
    Query(
        max_length=200,
        description="comma-separated states",
        json_schema_extra={"pattern": f"^(?:(?:{_STATES})?)(?:,(?:{_STATES})?)*$"},
    ),
    NoControlCharacters,
]
CodeQuery = Annotated[str | None, Query(max_length=16), NoControlCharacters]
AreaQuery = Annotated[
    str | None,
    Query(max_length=13, description="a Kemendagri code: kota, kecamatan or kelurahan"),
    NoControlCharacters,
]
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


def _address(request: Request) -> str:
    return request.client.host if request.client else "unknown"


@router.get("/complaint-categories", response_model=CategoryList)
async def list_categories(public_: PublicDep, lang: LanguageDep) -> CategoryList:
    return await public_.run(public.list_categories, lang=lang)


@router.get("/areas", response_model=AreaList, responses=problems(404))
async def list_areas(public_: PublicDep, parent: AreaQuery = None) -> AreaList:
    return await public_.run(public.list_areas, parent=parent)


@router.post(
    "/complaints",
    response_model=ComplaintRead,
    status_code=201,
    responses=problems(*CALLER, 400, 413),
)
async def file_complaint(
    body: ComplaintCreate, request: Request, caller: MaybeCallerDep
) -> ComplaintRead:
    return await caller.run(
        service.file_complaint,
        request=body,
        address=_address(request),
        limit_per_hour=caller.runtime.settings.complaints_per_hour,
    )


@router.get("/complaints/duplicates", response_model=DuplicateList, responses=problems(400))
async def nearby_open(
    public_: PublicDep,
    lang: LanguageDep,
    category: Annotated[str, Query(min_length=1, max_length=16), NoControlCharacters],
    lat: Annotated[Latitude, Query()],
    long: Annotated[Longitude, Query()],
) -> DuplicateList:
    return await public_.run(
        public.nearby_open, category_code=category, lat=lat, long=long, lang=lang
    )


@router.get("/complaints", response_model=ComplaintPage, responses=problems(*CALLER))
async def list_complaints(
    caller: CallerDep,
    state: StateQuery = None,
    category: CodeQuery = None,
    area: AreaQuery = None,
    assigned: AssignedQuery = None,
    overdue: bool = False,
    q: SearchQuery = None,
    limit: Annotated[int, Query(ge=1, le=queue.MAX_LIMIT)] = 20,
    cursor: CursorQuery = None,
    sort: SortQuery = None,
) -> ComplaintPage:
    query = queue.ListQuery(
        state=state,
        subject=category,
        assigned=assigned,
        overdue=overdue,
        q=q,
        limit=limit,
        cursor=cursor,
        sort=sort,
    )
    return await caller.run(service.list_complaints, query=query, area=area)


@router.get(
    "/complaints/{complaint_id}", response_model=ComplaintRead, responses=problems(*CALLER, 404)
)
@audited_read
async def read_complaint(
    complaint_id: uuid.UUID, caller: CallerDep, lang: LanguageDep
) -> ComplaintRead:
    return await caller.run(service.read_complaint, complaint_id=complaint_id, lang=lang)


@router.get(
    "/complaints/{complaint_id}/actions",
    response_model=ActionList,
    responses=problems(*CALLER, 404),
)
async def list_actions(complaint_id: uuid.UUID, caller: CallerDep, lang: LanguageDep) -> ActionList:
    return await caller.run(handling.available_actions, complaint_id=complaint_id, lang=lang)


@router.post(
    "/complaints/{complaint_id}/transitions",
    response_model=ComplaintRead,
    responses=problems(*CALLER, 400, 404, 409, 413),
)
async def take_transition(
    complaint_id: uuid.UUID, body: ComplaintTransitionRequest, caller: CallerDep, lang: LanguageDep
) -> ComplaintRead:
    return await caller.run(handling.transition, complaint_id=complaint_id, request=body, lang=lang)


@router.get(
    "/complaints/{complaint_id}/events", response_model=EventList, responses=problems(*CALLER, 404)
)
async def list_events(complaint_id: uuid.UUID, caller: CallerDep) -> EventList:
    return await caller.run(service.list_events, complaint_id=complaint_id)


@router.post(
    "/complaints/{complaint_id}/photos",
    response_model=DocumentRead,
    status_code=201,
    responses=problems(*CALLER, 400, 404, 409, 413, 415),
)
async def upload_photo(
    complaint_id: uuid.UUID, caller: CallerDep, file: Annotated[UploadFile, File()]
) -> DocumentRead:
    runtime = caller.runtime
    return await caller.run(
        photos.upload_photo,
        files=runtime.files,
        settings=runtime.settings,
        complaint_id=complaint_id,
        filename=file.filename,
        stream=file.file,
    )


@router.get(
    "/complaints/{complaint_id}/photos/{document_id}",
    response_class=FileResponse,
    responses={
        200: {"content": {media: {} for media in sorted(VIEWABLE_TYPES)}},
        **problems(*CALLER, 404),
    },
)
@audited_read
async def download_photo(
    complaint_id: uuid.UUID, document_id: uuid.UUID, caller: CallerDep
) -> FileResponse:
    document, path = await caller.run(
        documents.open_document,
        files=caller.runtime.files,
        kind=COMPLAINT,
        case_id=complaint_id,
        document_id=document_id,
    )
    return document_response(document, path)


@router.post(
    "/complaints/{reference}/follow",
    response_model=FollowRead,
    responses=problems(*CALLER, 400, 404),
)
async def follow(
    caller: CallerDep,
    reference: Annotated[str, NoControlCharacters],
) -> FollowRead:
    return await caller.run(public.follow, reference=reference)


@router.post(
    "/complaints/{complaint_id}/rating",
    response_model=ComplaintRead,
    responses=problems(*CALLER, 400, 404, 409),
)
async def rate(
    complaint_id: uuid.UUID, body: RatingCreate, caller: CallerDep, lang: LanguageDep
) -> ComplaintRead:
    return await caller.run(handling.rate, complaint_id=complaint_id, request=body, lang=lang)


@router.get("/public/complaints", response_model=PublicComplaintPage, responses=problems(400))
async def public_complaints(
    public_: PublicDep,
    lang: LanguageDep,
    category: CodeQuery = None,
    area: AreaQuery = None,
    state: StateQuery = None,
    near: Annotated[
        str | None,
        Query(
            max_length=40,
            description="LAT,LONG: only reports within radius_m of this point",
            json_schema_extra={"pattern": r"^-?\d{1,2}(\.\d+)?,-?\d{1,3}(\.\d+)?$"},
        ),
        NoControlCharacters,
    ] = None,
    radius_m: Annotated[int, Query(ge=1, le=220)] = 200,
    limit: Annotated[int, Query(ge=1, le=public.MAX_PAGE)] = 20,
    cursor: CursorQuery = None,
) -> PublicComplaintPage:
    return await public_.run(
        public.public_complaints,
        category=category,
        area=area,
        near=near,
        radius_m=radius_m,
        state=state,
        cursor=cursor,
        limit=limit,
        lang=lang,
    )
