"""Open311 GeoReport v2 under ``/open311/v2``: a sub-application with its own error handlers,
so that every refusal is the standard's error array (``[{code, description}]``, or
``<errors><error>`` in XML) with its status codes: 404 for what does not exist, 403 for a
missing or wrong ``api_key``, 400 for any other bad input, rather than problem+json.

Each route takes its format from the path's suffix (``.json`` or ``.xml``), hands the database
work to the request pipeline with one service function, and renders the plain answer.
"""

from __future__ import annotations

import logging
import re
from typing import Annotated

from fastapi import APIRouter, FastAPI, Path, Query, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import Response
from pydantic import ValidationError
from sqlalchemy.exc import DataError, IntegrityError
from starlette.concurrency import run_in_threadpool
from starlette.datastructures import FormData
from starlette.exceptions import HTTPException as StarletteHTTPException

from app.api.open311_format import FORMATS, errors, format_of, render
from app.complaints.open311 import reports, requests, services
from app.complaints.open311.common import check_jurisdiction
from app.complaints.schemas import ComplaintCreate
from app.errors import DomainError, NotAuthenticated, TooManyRequests
from app.http.deps import LanguageDep
from app.http.pipeline import PublicDep
from app.http.problems import pydantic_message
from app.i18n import pick_language
from app.runtime import Runtime
from app.schemas_common import NoControlCharacters

log = logging.getLogger("loket")
router = APIRouter()

PREFIX = "/open311/v2"
Format = Annotated[str, Path(pattern=f"^({'|'.join(FORMATS)})$")]
Jurisdiction = Annotated[str | None, Query(max_length=100)]
Code = Annotated[str, Path(min_length=1, max_length=16)]
RequestId = Annotated[str, Path(min_length=1, max_length=32)]
Text = Annotated[str | None, Query(max_length=100), NoControlCharacters]
Ids = Annotated[
    str | None,
    Query(max_length=40 * requests.MAX_IDS, description="comma-separated"),
    NoControlCharacters,
]
PageNumber = Annotated[int, Query(ge=1, le=1_000_000)]
PageSize = Annotated[int, Query(ge=1, le=requests.MAX_PAGE_SIZE)]


def open311_app(runtime: Runtime) -> FastAPI:
    """The GeoReport v2 endpoints as an application of their own (mounted at ``PREFIX``)."""
    app = FastAPI(
        title="Loket Open311 GeoReport v2", docs_url=None, redoc_url=None, openapi_url=None
    )
    app.state.runtime = runtime
    app.include_router(router)
    app.add_exception_handler(DomainError, _domain_error)  # type: ignore[arg-type]
    app.add_exception_handler(RequestValidationError, _validation_error)  # type: ignore[arg-type]
    app.add_exception_handler(StarletteHTTPException, _http_error)  # type: ignore[arg-type]
    app.add_exception_handler(IntegrityError, _conflict)
    app.add_exception_handler(DataError, _bad_data)
    app.add_exception_handler(Exception, _unhandled)
    return app


def _jurisdiction(request: Request, given: str | None) -> None:
    runtime: Runtime = request.app.state.runtime
    check_jurisdiction(given, ours=runtime.settings.open311_jurisdiction)


@router.get("/discovery.{fmt}")
async def discovery(request: Request, fmt: Format, lang: LanguageDep) -> Response:
    settings = request.app.state.runtime.settings
    body = services.discovery(
        url=f"{settings.issuer}{PREFIX}", contact=settings.open311_contact, lang=lang
    )
    return render("discovery", body, fmt)


@router.get("/services.{fmt}")
async def list_services(
    request: Request,
    fmt: Format,
    public: PublicDep,
    lang: LanguageDep,
    jurisdiction_id: Jurisdiction = None,
) -> Response:
    _jurisdiction(request, jurisdiction_id)
    return render("services", await public.run(services.list_services, lang=lang), fmt)


@router.get("/services/{code}.{fmt}")
async def service_definition(
    request: Request,
    code: Code,
    fmt: Format,
    public: PublicDep,
    lang: LanguageDep,
    jurisdiction_id: Jurisdiction = None,
) -> Response:
    _jurisdiction(request, jurisdiction_id)
    body = await public.run(services.service_definition, code=code, lang=lang)
    return render("service_definition", body, fmt)


@router.post("/requests.{fmt}", status_code=201)
async def post_request(
    request: Request, fmt: Format, public: PublicDep, lang: LanguageDep
) -> Response:
    fields = _fields(await request.form())
    _jurisdiction(request, fields.get("jurisdiction_id"))
    runtime: Runtime = request.app.state.runtime
    limit = runtime.settings.open311_reports_per_hour
    client_id = await run_in_threadpool(
        reports.admit, runtime.engine, api_key=fields.get("api_key"), limit_per_hour=limit
    )
    report, attributes = _report(fields)
    body = await public.run(
        reports.file_request,
        client_id=client_id,
        report=report,
        attributes=attributes,
        address=request.client.host if request.client else "unknown",
        limit_per_hour=limit,
        lang=lang,
    )
    return render("service_requests", body, fmt, status=201)


@router.get("/requests.{fmt}")
async def list_requests(
    request: Request,
    fmt: Format,
    public: PublicDep,
    lang: LanguageDep,
    service_request_id: Ids = None,
    service_code: Text = None,
    start_date: Text = None,
    end_date: Text = None,
    status: Text = None,
    page: PageNumber = 1,
    page_size: PageSize = requests.MAX_PAGE_SIZE,
    jurisdiction_id: Jurisdiction = None,
) -> Response:
    _jurisdiction(request, jurisdiction_id)
    body = await public.run(
        requests.list_requests,
        service_request_id=service_request_id,
        service_code=service_code,
        start_date=start_date,
        end_date=end_date,
        status=status,
        page=requests.Page(page, page_size),
        lang=lang,
    )
    return render("service_requests", body, fmt)


@router.get("/requests/{request_id}.{fmt}")
async def get_request(
    request: Request,
    request_id: RequestId,
    fmt: Format,
    public: PublicDep,
    lang: LanguageDep,
    jurisdiction_id: Jurisdiction = None,
) -> Response:
    _jurisdiction(request, jurisdiction_id)
    body = await public.run(requests.get_request, request_id=request_id, lang=lang)
    return render("service_requests", body, fmt)


@router.get("/servicerequestupdates.{fmt}")
async def list_updates(
    request: Request,
    fmt: Format,
    public: PublicDep,
    lang: LanguageDep,
    start_date: Text = None,
    end_date: Text = None,
    page: PageNumber = 1,
    page_size: PageSize = requests.MAX_PAGE_SIZE,
    jurisdiction_id: Jurisdiction = None,
) -> Response:
    _jurisdiction(request, jurisdiction_id)
    body = await public.run(
        requests.list_updates,
        start_date=start_date,
        end_date=end_date,
        page=requests.Page(page, page_size),
        lang=lang,
    )
    return render("service_request_updates", body, fmt)


# --- parsing a posted report --------------------------------------------------------------------

_ATTRIBUTE = re.compile(r"attribute\[([^\]]{1,60})\](\[\])?")


def _fields(form: FormData) -> dict[str, str]:
    """The form's text fields, the first of each name (files are not taken: ``media_url``)."""
    fields: dict[str, str] = {}
    for name, value in form.multi_items():
        if isinstance(value, str) and name not in fields:
            fields[name] = value
    return fields


def _report(fields: dict[str, str]) -> tuple[ComplaintCreate, dict[str, str]]:
    """The report in our shape, and its ``attribute[code]`` answers by code."""
    name = " ".join(
        part
        for part in (fields.get("first_name", "").strip(), fields.get("last_name", "").strip())
        if part
    )
    given = {
        "category_code": fields.get("service_code"),
        "description": fields.get("description"),
        "lat": fields.get("lat"),
        "long": fields.get("long"),
        "address": fields.get("address_string"),
        "area_code": fields.get("address_id"),
        "email": fields.get("email"),
        "phone": fields.get("phone"),
        "name": name,
    }
    try:
        report = ComplaintCreate.model_validate(
            {key: value for key, value in given.items() if value not in (None, "")}
        )
    except ValidationError as error:
        raise RequestValidationError(
            [
                {**e, "loc": tuple(reports.open311_name(str(part)) for part in e["loc"])}
                for e in error.errors(include_url=False, include_context=False)
            ]
        ) from None
    attributes = {}
    for key, value in fields.items():
        if match := _ATTRIBUTE.fullmatch(key):
            attributes[match.group(1)] = value
    return report, attributes


# --- errors -------------------------------------------------------------------------------------


def _status(exc: DomainError) -> int:
    if isinstance(exc, NotAuthenticated) or exc.status == 403:
        return 403
    if exc.status in (404, 413, 429):
        return exc.status
    return 400


async def _domain_error(request: Request, exc: DomainError) -> Response:
    lang = pick_language(request.headers.get("accept-language"))
    descriptions = [f"{e.field}: {e.message.in_lang(lang)}" for e in exc.errors]
    if not descriptions:
        descriptions = [(exc.detail or exc.title).in_lang(lang)]
    headers = exc.headers if isinstance(exc, TooManyRequests) else None
    return errors(_status(exc), descriptions, format_of(request.url.path), headers)


async def _validation_error(request: Request, exc: RequestValidationError) -> Response:
    lang = pick_language(request.headers.get("accept-language"))
    descriptions = []
    for error in exc.errors():
        where = [str(part) for part in error.get("loc", ()) if part not in ("query", "path")]
        text = pydantic_message(error, lang)
        if where == ["fmt"]:
            text = "format: .json or .xml"
        descriptions.append(f"{'.'.join(where)}: {text}" if where else text)
    return errors(400, descriptions, format_of(request.url.path))


async def _http_error(request: Request, exc: StarletteHTTPException) -> Response:
    words = {404: "Not found", 405: "Method not allowed"}
    headers = getattr(exc, "headers", None)
    text = words.get(exc.status_code, str(exc.detail))
    return errors(exc.status_code, [text], format_of(request.url.path), headers)


async def _conflict(request: Request, exc: Exception) -> Response:
    log.warning("open311: integrity error mapped to 409: %s", type(exc).__name__)
    return errors(409, ["Conflict with existing data; please retry"], format_of(request.url.path))


async def _bad_data(request: Request, exc: Exception) -> Response:
    log.warning("open311: data error mapped to 400: %s", type(exc).__name__)
    return errors(400, ["Invalid input"], format_of(request.url.path))


async def _unhandled(request: Request, exc: Exception) -> Response:
    log.exception("open311: unhandled error on %s %s", request.method, request.url.path)
    return errors(500, ["Server error; nothing was changed"], format_of(request.url.path))
