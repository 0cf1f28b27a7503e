"""Token endpoint and discovery documents (outside /api/v1: their paths are standard)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Form, Request
from fastapi.responses import JSONResponse, Response

from app.accounts import devices
from app.errors import Msg
from app.http.deps import RuntimeDep
from app.http.pipeline import PublicDep
from app.i18n import pick_language
from app.oauth import service
from app.oauth.clients import credentials_from
from app.oauth.service import OAuthError

router = APIRouter(tags=["oauth"])

NO_STORE = {"Cache-Control": "no-store", "Pragma": "no-cache"}
# Lengths and characters are checked by `_checked` so refusals stay RFC 6749 JSON.
FormField = Annotated[str | None, Form()]
MAX_FIELD_LENGTH = 4096


@router.post("/oauth/token")
async def token(
    request: Request,
    public: PublicDep,
    grant_type: FormField = None,
    username: FormField = None,
    password: FormField = None,
    scope: FormField = None,
    client_id: FormField = None,
    client_secret: FormField = None,
    refresh_token: FormField = None,
) -> JSONResponse:
    _checked(grant_type, username, password, scope, client_id, client_secret, refresh_token)
    response = await public.run(
        service.issue_token,
        runtime=public.runtime,
        request=service.TokenRequest(
            grant_type=grant_type,
            username=username,
            password=password,
            scope=scope,
            client_id=client_id,
            refresh_token=refresh_token,
        ),
        credentials=_credentials(request, client_id, client_secret),
        ip=request.client.host if request.client else None,
        device_token=request.headers.get(devices.HEADER),
    )
    return JSONResponse(response.as_json(), headers=NO_STORE)


@router.post("/oauth/introspect")
async def introspect(
    request: Request,
    public: PublicDep,
    token: FormField = None,
    token_type_hint: FormField = None,
    client_id: FormField = None,
    client_secret: FormField = None,
) -> JSONResponse:
    _checked(token, token_type_hint, client_id, client_secret)
    answer = await public.run(
        service.introspect,
        runtime=public.runtime,
        credentials=_credentials(request, client_id, client_secret),
        token=token,
    )
    return JSONResponse(answer, headers=NO_STORE)


@router.post("/oauth/revoke")
async def revoke(
    request: Request,
    public: PublicDep,
    token: FormField = None,
    token_type_hint: FormField = None,
    client_id: FormField = None,
    client_secret: FormField = None,
) -> Response:
    _checked(token, token_type_hint, client_id, client_secret)
    if not token:
        raise OAuthError("invalid_request", Msg("token wajib diisi", "token is required"))
    await public.run(
        service.revoke,
        runtime=public.runtime,
        credentials=_credentials(request, client_id, client_secret),
        token=token,
    )
    return Response(status_code=200, headers=NO_STORE)


def _credentials(request: Request, client_id: str | None, client_secret: str | None):
    return credentials_from(
        authorization=request.headers.get("authorization"),
        form_id=client_id,
        form_secret=client_secret,
    )


def _checked(*values: str | None) -> None:
    """Refuse oversize values and control characters before anything reaches the database."""
    for value in values:
        if value is not None and (
            len(value) > MAX_FIELD_LENGTH or any(ord(ch) < 32 for ch in value)
        ):
            raise OAuthError(
                "invalid_request",
                Msg(
                    "Nilai formulir terlalu panjang atau berisi karakter kendali",
                    "A form value is too long or contains control characters",
                ),
            )


@router.get("/.well-known/oauth-authorization-server")
async def metadata(runtime: RuntimeDep) -> dict:
    return service.server_metadata(runtime)


@router.get("/.well-known/jwks.json")
async def jwks(runtime: RuntimeDep) -> JSONResponse:
    return JSONResponse(runtime.keys.jwks(), headers={"Cache-Control": "public, max-age=300"})


async def oauth_error_handler(request: Request, exc: OAuthError) -> JSONResponse:
    lang = pick_language(request.headers.get("accept-language"))
    body = {"error": exc.error, "error_description": exc.description.in_lang(lang)}
    return JSONResponse(body, status_code=exc.status, headers={**NO_STORE, **(exc.headers or {})})
