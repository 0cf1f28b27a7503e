"""Token endpoint and discovery documents (outside /api/v1: their paths are standard)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Form, Request
from fastapi.responses import JSONResponse

from app.deps import RuntimeDep
from app.i18n import pick_language
from app.oauth import service
from app.oauth.service import OAuthError

router = APIRouter(tags=["oauth"])

NO_STORE = {"Cache-Control": "no-store", "Pragma": "no-cache"}
FormField = Annotated[str | None, Form(max_length=4096)]


@router.post("/oauth/token")
def token(
    request: Request,
    runtime: RuntimeDep,
    grant_type: FormField = None,
    username: FormField = None,
    password: FormField = None,
    scope: FormField = None,
    client_id: FormField = None,
    refresh_token: FormField = None,
) -> JSONResponse:
    if grant_type == "password":
        ip = request.client.host if request.client else None
        response = service.password_grant(
            runtime, username=username, password=password, scope=scope, client_id=client_id, ip=ip
        )
    elif grant_type == "refresh_token":
        response = service.refresh_grant(
            runtime, refresh_token=refresh_token, scope=scope, client_id=client_id
        )
    else:
        raise OAuthError(
            "unsupported_grant_type",
            service.Msg("grant_type tidak didukung", "Unsupported grant_type"),
        )
    return JSONResponse(response.as_json(), headers=NO_STORE)


@router.get("/.well-known/oauth-authorization-server")
def metadata(runtime: RuntimeDep) -> dict:
    return service.server_metadata(runtime)


@router.get("/.well-known/jwks.json")
def jwks(runtime: RuntimeDep) -> JSONResponse:
    return JSONResponse(runtime.keys.jwks(), headers={"Cache-Control": "public, max-age=300"})


async def oauth_error_handler(request: Request, exc: OAuthError) -> JSONResponse:
    lang = pick_language(request.headers.get("accept-language"))
    body = {"error": exc.error, "error_description": exc.description.in_lang(lang)}
    return JSONResponse(body, status_code=exc.status, headers={**NO_STORE, **(exc.headers or {})})
