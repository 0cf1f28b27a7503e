"""The FastAPI application: routers, error handlers, middleware."""

from __future__ import annotations

import gc
import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import date
from pathlib import Path

from fastapi import APIRouter, FastAPI
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, Response
from fastapi.staticfiles import StaticFiles
from sqlalchemy.exc import DataError, IntegrityError
from starlette.exceptions import HTTPException as StarletteHTTPException

from app.api.accounts import router as accounts_router
from app.api.applications import certificate_router as revocation_router
from app.api.applications import router as applications_router
from app.api.catalogue import router as catalogue_router
from app.api.certificates import router as certificates_router
from app.api.complaints import router as complaints_router
from app.api.oauth import oauth_error_handler
from app.api.oauth import router as oauth_router
from app.api.open311 import PREFIX as OPEN311_PREFIX
from app.api.open311 import open311_app
from app.api.stats import open_data_router
from app.api.stats import router as stats_router
from app.api.webhooks import router as webhooks_router
from app.config import Settings
from app.db import ping
from app.errors import DomainError
from app.http import metrics, openapi, problems, requestlog
from app.http.front import HttpFront
from app.notifications import outbox
from app.oauth.service import OAuthError
from app.portal.routes import web_routers
from app.runtime import Runtime, build_runtime
from app.web.context import LoginRequired, PasswordChangeRequired
from app.web.errors import for_pages
from app.workflow.calendar import default_calendar

log = logging.getLogger("loket")

STATIC_DIR = Path(__file__).resolve().parent / "web" / "static"
# Multipart overhead on top of the largest document a service may accept.
BODY_MARGIN_BYTES = 64 * 1024


def create_app(settings: Settings | None = None, *, runtime: Runtime | None = None) -> FastAPI:
    """Build the app; ``runtime`` lets tests and the CLI share one engine and key store."""
    runtime = runtime or build_runtime(settings or Settings())
    app = FastAPI(
        title="Loket",
        version="0.1.0",
        description="Digital public services: applications, workflows, certificates.",
        lifespan=_lifespan,
    )
    app.state.runtime = runtime
    outbox.configure(runtime.engine, settings=runtime.settings)
    _add_ops_routes(app, runtime)
    app.include_router(_api_router(), prefix="/api/v1")
    app.include_router(oauth_router)
    for router in web_routers():
        app.include_router(router)
    app.include_router(open_data_router)
    # Its own application: its errors are the standard's array, not problem+json.
    app.mount(OPEN311_PREFIX, open311_app(runtime))
    app.mount("/static", StaticFiles(directory=STATIC_DIR), name="static")
    _add_error_handlers(app)
    openapi.install(app)
    metrics.watch(runtime)
    app.add_middleware(
        HttpFront,
        max_body_bytes=runtime.settings.max_upload_bytes + BODY_MARGIN_BYTES,
        observe=requestlog.observe,
        untimed=metrics.UNTIMED,
    )
    return app


@asynccontextmanager
async def _lifespan(app: FastAPI) -> AsyncIterator[None]:
    """Deliver the outbox, and run the background jobs, from a thread of this process when
    configured (the embedded default; production runs ``loket worker`` processes instead)."""
    from app.jobs import Schedule, background_jobs
    from app.notifications.dispatcher import embedded

    runtime: Runtime = app.state.runtime
    _freeze_startup_heap()
    schedule = Schedule(background_jobs(runtime))
    with embedded(runtime.engine, runtime.settings, between_rounds=schedule.run_due) as thread:
        app.state.dispatcher_thread = thread
        yield


_heap_frozen = False


def _freeze_startup_heap() -> None:
    """Keep what start-up loaded (modules, the holiday calendar) out of the cycle collector.

    A full collection otherwise walks every object of the process and stalls all requests
    meanwhile: freezing cut the officer queue's p99 from ~135 to ~55 ms (bench/api.py).
    Once per process (tests start many apps in one).
    """
    global _heap_frozen
    if not _heap_frozen:
        default_calendar().is_working_day(date.today())  # this year's holidays, loaded now
        gc.collect()
        gc.freeze()
        _heap_frozen = True


def _api_router() -> APIRouter:
    api = APIRouter()
    api.include_router(accounts_router)
    api.include_router(catalogue_router)
    api.include_router(applications_router)
    api.include_router(complaints_router)
    api.include_router(revocation_router)
    api.include_router(certificates_router)
    api.include_router(webhooks_router)
    api.include_router(stats_router)
    return api


def _add_ops_routes(app: FastAPI, runtime: Runtime) -> None:
    """The probes, first and on the app's own router: routes are tried in order, each included
    router is one more level to walk, and probes come often and do nothing else (registered
    last, /healthz cost ~3x a bare FastAPI /healthz, nearly all of it in route matching)."""

    async def healthz() -> dict:
        return {"status": "ok"}

    def readyz() -> JSONResponse:
        checks = {"database": _database_ok(runtime), "keys": runtime.keys.current is not None}
        ready = all(checks.values())
        return JSONResponse(
            {"status": "ok" if ready else "unavailable", "checks": checks},
            status_code=200 if ready else 503,
        )

    app.add_api_route("/healthz", healthz, methods=["GET"], tags=["ops"])
    app.add_api_route(
        "/readyz",
        readyz,
        methods=["GET"],
        tags=["ops"],
        responses={
            503: {
                "description": "The database or the signing keys are not available",
                "content": {"application/json": {"schema": {"type": "object"}}},
            }
        },
    )
    app.add_api_route(
        "/metrics",
        metrics.metrics_route(runtime),
        methods=["GET"],
        tags=["ops"],
        response_class=Response,
        responses={
            200: {
                "description": "Prometheus text exposition format",
                "content": {"text/plain": {"schema": {"type": "string"}}},
            },
            404: {"description": "Not on this machine and without LOKET_METRICS_TOKEN"},
        },
    )


def _database_ok(runtime: Runtime) -> bool:
    try:
        ping(runtime.engine)
        return True
    except Exception:  # readiness must answer, whatever the database does
        log.exception("readiness: database unreachable")
        return False


def _add_error_handlers(app: FastAPI) -> None:
    """problem+json on the JSON surfaces, an error page on web pages (``for_pages``)."""
    app.add_exception_handler(DomainError, for_pages(problems.domain_error_handler))
    app.add_exception_handler(
        RequestValidationError, for_pages(problems.request_validation_handler)
    )
    app.add_exception_handler(StarletteHTTPException, for_pages(problems.http_exception_handler))
    app.add_exception_handler(IntegrityError, for_pages(problems.integrity_error_handler))
    app.add_exception_handler(DataError, for_pages(problems.data_error_handler))
    # Starlette types handlers as taking any Exception; this one only gets OAuthError.
    app.add_exception_handler(OAuthError, oauth_error_handler)  # type: ignore[arg-type]
    app.add_exception_handler(LoginRequired, for_pages(None))
    app.add_exception_handler(PasswordChangeRequired, for_pages(None))
    app.add_exception_handler(Exception, for_pages(problems.unhandled_error_handler))
