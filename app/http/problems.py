"""RFC 9457 problem+json responses for the JSON API."""

from __future__ import annotations

import json
import logging

from fastapi import Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from fastapi.routing import iter_route_contexts
from sqlalchemy.exc import DataError, IntegrityError
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.routing import get_route_path

from app import logs
from app.errors import DomainError, Msg
from app.i18n import pick_language

log = logging.getLogger("loket")

PROBLEM_TYPE_PREFIX = "urn:loket:problem:"
MEDIA_TYPE = "application/problem+json"


class ProblemResponse(JSONResponse):
    """problem+json rendered as ASCII: a problem may echo input, and no input may break it."""

    media_type = MEDIA_TYPE

    def render(self, content) -> bytes:
        return json.dumps(content, ensure_ascii=True, separators=(",", ":")).encode("ascii")


# Indonesian wording for the validation errors FastAPI/pydantic raise before our code runs.
_PYDANTIC_ID = {
    "missing": "Wajib diisi",
    "extra_forbidden": "Kolom tidak dikenal",
    "json_invalid": "JSON tidak valid",
    "string_too_long": "Terlalu panjang",
    "string_too_short": "Terlalu pendek",
    "string_type": "Harus berupa teks",
    "int_type": "Harus berupa bilangan bulat",
    "int_parsing": "Harus berupa bilangan bulat",
    "bool_type": "Harus berupa boolean",
    "dict_type": "Harus berupa objek JSON",
    "model_attributes_type": "Harus berupa objek JSON",
    "uuid_parsing": "Bukan UUID yang valid",
    "value_error": "Nilai tidak valid",
    "enum": "Pilihan tidak dikenal",
    "literal_error": "Pilihan tidak dikenal",
    "less_than_equal": "Terlalu besar",
    "greater_than_equal": "Terlalu kecil",
}


def problem(
    request: Request,
    *,
    status: int,
    slug: str,
    title: Msg,
    detail: Msg | None = None,
    errors: list[dict] | None = None,
    headers: dict | None = None,
) -> JSONResponse:
    """Build one problem+json response in the caller's language."""
    lang = pick_language(request.headers.get("accept-language"))
    body: dict = {
        "type": PROBLEM_TYPE_PREFIX + slug,
        "title": title.in_lang(lang),
        "status": status,
    }
    if detail is not None:
        body["detail"] = detail.in_lang(lang)
    if errors:
        body["errors"] = errors
    request_id = logs.current_request_id()
    if request_id is not None:
        # An extension member (RFC 9457, 3.2): what a caller quotes to the help desk, and
        # what finds the request's log lines. In the header too: a 500 is answered outside
        # the middleware that adds it to every other response.
        body["request_id"] = request_id
        headers = {**(headers or {}), "X-Request-ID": request_id}
    return ProblemResponse(body, status_code=status, headers=headers)


async def domain_error_handler(request: Request, exc: DomainError) -> JSONResponse:
    lang = pick_language(request.headers.get("accept-language"))
    errors = [{"field": e.field, "message": e.message.in_lang(lang)} for e in exc.errors]
    return problem(
        request,
        status=exc.status,
        slug=exc.slug,
        title=exc.title,
        detail=exc.detail,
        errors=errors,
        headers=exc.headers,
    )


async def request_validation_handler(request: Request, exc: RequestValidationError) -> JSONResponse:
    lang = pick_language(request.headers.get("accept-language"))
    raw = exc.errors()
    if any(e.get("type") == "json_invalid" for e in raw):
        return problem(
            request,
            status=400,
            slug="malformed-json",
            title=Msg(
                "Badan permintaan bukan JSON yang valid", "The request body is not valid JSON"
            ),
        )
    errors = [_field_error(e, lang) for e in raw]
    return problem(
        request,
        status=422,
        slug="validation-failed",
        title=Msg("Data tidak valid", "Invalid input"),
        errors=errors,
    )


def _field_error(error: dict, lang: str) -> dict:
    location = [str(part) for part in error.get("loc", ()) if part not in ("body", "query", "path")]
    return {"field": ".".join(location) or "body", "message": pydantic_message(error, lang)}


def pydantic_message(error, lang: str) -> str:
    """One pydantic error's message in the caller's language."""
    english = error.get("msg", "Invalid value")
    if lang == "en":
        return english
    return _PYDANTIC_ID.get(error.get("type", ""), "Nilai tidak valid")


async def http_exception_handler(request: Request, exc: StarletteHTTPException) -> JSONResponse:
    titles = {
        404: Msg("Tidak ditemukan", "Not found"),
        405: Msg("Metode tidak diizinkan", "Method not allowed"),
    }
    title = titles.get(exc.status_code, Msg("Permintaan ditolak", "Request refused"))
    return problem(
        request,
        status=exc.status_code,
        slug=f"http-{exc.status_code}",
        title=title,
        headers=http_exception_headers(request, exc),
    )


def http_exception_headers(request: Request, exc: StarletteHTTPException) -> dict | None:
    """The headers of an HTTPException's answer; a 405's ``Allow`` names every method of the
    path. Starlette names only those of the first route that matched the path: GET
    /applications/{id} and PATCH /applications/{id} are two routes, so a DELETE was told
    ``Allow: GET``."""
    headers = getattr(exc, "headers", None)
    if exc.status_code != 405:
        return headers
    path = get_route_path(request.scope)
    methods: set[str] = set()
    for route in iter_route_contexts(request.app.routes):
        regex = getattr(route, "path_regex", None)
        if route.methods and regex is not None and regex.match(path):
            methods |= route.methods
    if not methods:
        return headers
    return {**(headers or {}), "Allow": ", ".join(sorted(methods))}


async def integrity_error_handler(request: Request, exc: IntegrityError) -> JSONResponse:
    # A constraint we did not anticipate (usually a race): the transaction was rolled back.
    log.warning("integrity error mapped to 409: %s", type(exc.orig).__name__)
    return problem(
        request,
        status=409,
        slug="conflict",
        title=Msg(
            "Konflik dengan data yang ada; coba lagi", "Conflict with existing data; please retry"
        ),
    )


async def data_error_handler(request: Request, exc: DataError) -> JSONResponse:
    log.warning("data error mapped to 422: %s", type(exc.orig).__name__)
    return problem(
        request,
        status=422,
        slug="validation-failed",
        title=Msg("Data tidak valid", "Invalid input"),
    )


async def unhandled_error_handler(request: Request, exc: Exception) -> JSONResponse:
    log.exception("unhandled error on %s %s", request.method, request.url.path)
    return problem(
        request,
        status=500,
        slug="internal-error",
        title=Msg(
            "Terjadi kesalahan di server; tidak ada data yang berubah",
            "Server error; nothing was changed",
        ),
    )
