"""Public, cacheable statistics and open data; no personal data and no authentication."""

from __future__ import annotations

import re
from datetime import date
from typing import Annotated

from fastapi import APIRouter, Query
from fastapi.encoders import jsonable_encoder
from fastapi.responses import JSONResponse, Response
from pydantic import BeforeValidator

from app.http.deps import Fresh, RuntimeDep
from app.http.openapi import problems
from app.http.pipeline import PublicDep
from app.stats import opendata, service
from app.stats.complaints import opendata as complaints_opendata
from app.stats.complaints import service as complaints

CACHE = {"Cache-Control": "public, max-age=300"}
router = APIRouter(prefix="/stats", tags=["statistics"])
open_data_router = APIRouter(prefix="/open-data", tags=["open data"])


_ISO_DATE = re.compile(r"\d{4}-\d{2}-\d{2}")


def _iso_date(value: object) -> object:
    # pydantic reads a number as a Unix time (to=0 was 1970-01-01); the document says a date.
    if isinstance(value, str) and not _ISO_DATE.fullmatch(value):
        raise ValueError("Use a date written YYYY-MM-DD")
    return value


_RANGE = (
    "YYYY-MM-DD, from 1900-01-01 to 2999-12-31; from is not after to, and the range spans at "
    "most 10 years (120 months for a timeseries)"
)
FromQuery = Annotated[
    date | None, Query(alias="from", description=_RANGE), BeforeValidator(_iso_date)
]
ToQuery = Annotated[date | None, Query(alias="to", description=_RANGE), BeforeValidator(_iso_date)]


def _json(body: dict) -> JSONResponse:
    return JSONResponse(jsonable_encoder(body), headers=CACHE)


@router.get("/services", dependencies=[Fresh])
async def services_stats(public: PublicDep, start: FromQuery = None, end: ToQuery = None):
    return _json(await public.run(service.services_now, start=start, end=end))


@router.get("/departments", dependencies=[Fresh])
async def departments_stats(public: PublicDep, start: FromQuery = None, end: ToQuery = None):
    return _json(await public.run(service.departments_now, start=start, end=end))


@router.get("/complaints")
async def complaints_stats(public: PublicDep, start: FromQuery = None, end: ToQuery = None):
    """Complaints per category and department: received, open, time to first response and to
    a verified fix (median, p90), the share within the SLA, reopen rate, mean rating; cells
    from fewer than ``min_cell`` complaints are null and named in ``suppressed``."""
    return _json(await public.run(complaints.complaints_now, start=start, end=end))


@router.get("/timeseries", dependencies=[Fresh], responses=problems(404))
async def timeseries(
    public: PublicDep,
    service_code: Annotated[str, Query(alias="service", max_length=16)],
    # The service refuses other intervals with its own message; the enum documents them.
    interval: Annotated[str, Query(max_length=16, json_schema_extra={"enum": ["month"]})] = "month",
    start: FromQuery = None,
    end: ToQuery = None,
):
    body = await public.run(
        service.timeseries_now, service_code=service_code, interval=interval, start=start, end=end
    )
    return _json(body)


@open_data_router.get(
    "/applications-monthly.csv",
    dependencies=[Fresh],
    response_class=Response,
    responses={200: {"content": {"text/csv": {"schema": {"type": "string"}}}}},
)
async def monthly_csv(public: PublicDep) -> Response:
    body = await public.run(opendata.monthly_csv)
    return Response(body, media_type="text/csv; charset=utf-8", headers=CACHE)


@open_data_router.get("/applications-monthly.json", dependencies=[Fresh])
async def monthly_json(public: PublicDep) -> JSONResponse:
    return _json(await public.run(opendata.monthly_json))


@open_data_router.get(
    "/complaints.csv",
    response_class=Response,
    responses={200: {"content": {"text/csv": {"schema": {"type": "string"}}}}},
)
async def complaints_csv(public: PublicDep) -> Response:
    body = await public.run(complaints_opendata.complaints_csv)
    return Response(body, media_type="text/csv; charset=utf-8", headers=CACHE)


@open_data_router.get("/complaints.json")
async def complaints_json(public: PublicDep) -> JSONResponse:
    return _json(await public.run(complaints_opendata.complaints_json))


@open_data_router.get("/datapackage.json")
async def datapackage(runtime: RuntimeDep) -> JSONResponse:
    return _json(opendata.datapackage(base_url=runtime.settings.issuer))


@open_data_router.get(
    "/catalog.jsonld",
    response_class=Response,
    responses={200: {"content": {"application/ld+json": {"schema": {"type": "object"}}}}},
)
async def catalog(runtime: RuntimeDep) -> Response:
    body = opendata.catalog(
        base_url=runtime.settings.issuer, authority=runtime.settings.authority_name
    )
    return JSONResponse(body, media_type="application/ld+json", headers=CACHE)
