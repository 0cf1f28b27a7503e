"""Public, cacheable statistics and open data; no personal data and no authentication."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from typing import Annotated

from fastapi import APIRouter, Depends, Query, Request
from fastapi.encoders import jsonable_encoder
from fastapi.responses import JSONResponse, Response

from app.http.deps import RuntimeDep, SessionDep
from app.stats import opendata, service
from app.stats.facts import maybe_refresh, today_at_office

CACHE = {"Cache-Control": "public, max-age=300"}
router = APIRouter(prefix="/stats", tags=["statistics"])
open_data_router = APIRouter(prefix="/open-data", tags=["open data"])


def fresh_facts(runtime: RuntimeDep) -> None:
    """Bring the facts up to date at most once a minute, before the request reads them."""
    maybe_refresh(runtime.engine)


Fresh = Depends(fresh_facts)
FromQuery = Annotated[date | None, Query(alias="from")]
ToQuery = Annotated[date | None, Query(alias="to")]


def _json(body: dict) -> JSONResponse:
    return JSONResponse(jsonable_encoder(body), headers=CACHE)


@router.get("/services", dependencies=[Fresh])
def services_stats(session: SessionDep, start: FromQuery = None, end: ToQuery = None):
    today = today_at_office()
    period = service.parse_period(start=start, end=end, today=today)
    return _json(service.service_stats(session, period=period, today=today))


@router.get("/departments", dependencies=[Fresh])
def departments_stats(session: SessionDep, start: FromQuery = None, end: ToQuery = None):
    today = today_at_office()
    period = service.parse_period(start=start, end=end, today=today)
    return _json(service.department_stats(session, period=period, today=today))


@router.get("/timeseries", dependencies=[Fresh])
def timeseries(
    session: SessionDep,
    service_code: Annotated[str, Query(alias="service", max_length=16)],
    interval: Annotated[str, Query(max_length=16)] = "month",
    start: FromQuery = None,
    end: ToQuery = None,
):
    today = today_at_office()
    end = end or today
    start = start or service.default_series_start(end)
    period = service.parse_period(start=start, end=end, today=today)
    return _json(
        service.timeseries(session, service_code=service_code, interval=interval, period=period)
    )


def _records(request: Request, session) -> list[dict]:
    """Monthly records, kept per app for a minute (the open data covers every service)."""
    cache = getattr(request.app.state, "stats_open_data", None)
    if cache is None:
        cache = request.app.state.stats_open_data = {}
    today = today_at_office()
    stamp, now = cache.get("stamp"), datetime.now(UTC)
    if stamp is None or now - stamp > timedelta(seconds=60) or cache.get("today") != today:
        cache.update(records=opendata.monthly_records(session, today=today), stamp=now, today=today)
    return cache["records"]


@open_data_router.get("/applications-monthly.csv", dependencies=[Fresh])
def monthly_csv(request: Request, session: SessionDep) -> Response:
    body = opendata.to_csv(_records(request, session))
    return Response(body, media_type="text/csv; charset=utf-8", headers=CACHE)


@open_data_router.get("/applications-monthly.json", dependencies=[Fresh])
def monthly_json(request: Request, session: SessionDep) -> JSONResponse:
    return _json({"min_cell": opendata.MIN_CELL, "records": _records(request, session)})


@open_data_router.get("/datapackage.json")
def datapackage(runtime: RuntimeDep) -> JSONResponse:
    return _json(opendata.datapackage(base_url=runtime.settings.issuer))


@open_data_router.get("/catalog.jsonld")
def catalog(runtime: RuntimeDep) -> Response:
    body = opendata.catalog(
        base_url=runtime.settings.issuer, authority=runtime.settings.authority_name
    )
    return JSONResponse(body, media_type="application/ld+json", headers=CACHE)
