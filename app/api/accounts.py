"""Registration and the caller's own profile."""

from __future__ import annotations

from typing import Annotated, Literal

from fastapi import APIRouter, Query, Request
from fastapi.responses import Response
from starlette.concurrency import run_in_threadpool

from app.accounts import service
from app.accounts.schemas import RegisterRequest, UserRead
from app.http.deps import RegistrationThrottled
from app.http.openapi import CALLER, problems
from app.http.pipeline import CallerDep, PublicDep, audited_read
from app.i18n import pick_language
from app.privacy import service as privacy
from app.privacy.schemas import AccessPage
from app.protection import export
from app.web.personal_data import export_response

router = APIRouter(tags=["accounts"])


# The address limit is a dependency of its own, not part of the pipeline: it must count a
# registration whose body is refused too (FastAPI checks the body before the route runs).
@router.post(
    "/auth/register",
    response_model=UserRead,
    status_code=201,
    responses=problems(400, 409, 413, 429),
)
async def register(_: RegistrationThrottled, body: RegisterRequest, public: PublicDep) -> UserRead:
    return await public.run(service.register, passwords=public.runtime.passwords, request=body)


@router.get("/me", response_model=UserRead, responses=problems(*CALLER, 404))
async def me(caller: CallerDep) -> UserRead:
    return await caller.run(service.read_profile)


@router.get("/me/data-access", response_model=AccessPage, responses=problems(*CALLER, 422))
async def data_access(
    caller: CallerDep,
    limit: Annotated[int, Query(ge=1, le=privacy.MAX_LIMIT)] = 20,
    cursor: Annotated[str | None, Query(max_length=20)] = None,
) -> AccessPage:
    """Who read the caller's personal data (officers, apps, systems), when and for which case."""
    return await caller.run(privacy.access_log, limit=limit, cursor=cursor)


@router.get(
    "/me/export",
    response_class=Response,
    responses={
        200: {"content": {"application/json": {}, "application/pdf": {}}},
        **problems(*CALLER, 422),
    },
)
@audited_read
async def export_my_data(
    request: Request,
    caller: CallerDep,
    format: Annotated[Literal["json", "pdf"], Query(description="json, or pdf to read")] = "json",
) -> Response:
    """Everything Loket holds about the caller: account, applications with their form data,
    documents, complaints, connected apps and who read their data. Recorded as an export."""
    held = await caller.run(export.export)
    lang = pick_language(request.headers.get("accept-language"))
    if format == "pdf":
        return await run_in_threadpool(export_response, held, pdf=True, lang=lang)
    return export_response(held, pdf=False, lang=lang)
