"""Token endpoint and discovery documents (outside /api/v1: their paths are standard)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Form, Request
from fastapi.responses import JSONResponse, Response
from pydantic import BaseModel

from app.accounts import devices
from app.errors import Msg
from app.http.deps import RuntimeDep
from app.http.openapi import form_body, oauth_errors, problems
from app.http.pipeline import CallerDep, PublicDep, audited_read
from app.i18n import pick_language
from app.oauth import oidc, service
from app.oauth.clients import credentials_from
from app.oauth.service import OAuthError

router = APIRouter(tags=["oauth"])

NO_STORE = {"Cache-Control": "no-store", "Pragma": "no-cache"}
# Lengths and characters are checked by `_checked` so refusals stay RFC 6749 JSON.
FormField = Annotated[str | None, Form()]
MAX_FIELD_LENGTH = 4096


# What the forms may hold: _checked refuses longer values and any control character.
_TEXT = {"type": "string", "maxLength": MAX_FIELD_LENGTH, "pattern": "^[^\\x00-\\x1f]*$"}
_CLIENT = {"client_id": _TEXT, "client_secret": _TEXT}
TOKEN_FORM = form_body(
    required={
        "grant_type": {
            "type": "string",
            "enum": ["authorization_code", "client_credentials", "password", "refresh_token"],
        }
    },
    optional={
        **{
            name: _TEXT
            for name in (
                "username",
                "password",
                "scope",
                "refresh_token",
                "code",
                "redirect_uri",
                "code_verifier",
            )
        },
        **_CLIENT,
    },
)
# RFC 7662 section 2.1 and RFC 7009 section 2.1: the token is required.
TOKEN_OPERATION_FORM = form_body(
    required={"token": {**_TEXT, "minLength": 1}},
    optional={"token_type_hint": _TEXT, **_CLIENT},
)


# The bodies these endpoints answer, for the OpenAPI document (the routes build them by hand).
class TokenBody(BaseModel):
    """RFC 6749 section 5.1."""

    access_token: str
    token_type: str
    expires_in: int
    scope: str
    refresh_token: str | None = None
    id_token: str | None = None


class IntrospectionBody(BaseModel):
    """RFC 7662 section 2.2: only ``active`` when the token is not active."""

    active: bool
    token_type: str | None = None
    scope: str | None = None
    client_id: str | None = None
    sub: str | None = None
    exp: int | None = None
    iat: int | None = None
    iss: str | None = None
    aud: str | None = None
    jti: str | None = None


# A throttled password login is refused before the grant is looked at, with the same 429
# problem+json as every other rate limit.
@router.post(
    "/oauth/token",
    response_model=TokenBody,
    responses={**oauth_errors(400, 401), **problems(413, 429)},
    openapi_extra=TOKEN_FORM,
)
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
    code: FormField = None,
    redirect_uri: FormField = None,
    code_verifier: FormField = None,
) -> JSONResponse:
    _checked(grant_type, username, password, scope, client_id, client_secret, refresh_token)
    _checked(code, redirect_uri, code_verifier)
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
            code=code,
            redirect_uri=redirect_uri,
            code_verifier=code_verifier,
        ),
        credentials=_credentials(request, client_id, client_secret),
        ip=request.client.host if request.client else None,
        device_token=request.headers.get(devices.HEADER),
    )
    return JSONResponse(response.as_json(), headers=NO_STORE)


@router.post(
    "/oauth/introspect",
    response_model=IntrospectionBody,
    responses={**oauth_errors(400, 401), **problems(413)},
    openapi_extra=TOKEN_OPERATION_FORM,
)
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


@router.post(
    "/oauth/revoke",
    response_class=Response,
    responses={
        200: {"description": "Revoked, or unknown (RFC 7009)"},
        **oauth_errors(400, 401),
        **problems(413),
    },
    openapi_extra=TOKEN_OPERATION_FORM,
)
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


@router.get("/.well-known/openid-configuration")
async def openid_configuration(runtime: RuntimeDep) -> dict:
    return service.openid_configuration(runtime)


# OpenID Connect Core 5.3 allows GET and POST; two routes, so that each has its own operation
# id in the OpenAPI document (one route with two methods gives both the same id).
@router.get("/oauth/userinfo", responses=problems(401, 403), operation_id="userinfo_get")
@audited_read
async def userinfo(caller: CallerDep) -> JSONResponse:
    """OpenID Connect Core 5.3: the resident's claims the app's token was granted."""
    secret = oidc.pairwise_secret(caller.runtime.settings.keys_dir)
    claims = await caller.run(oidc.userinfo, secret=secret)
    return JSONResponse(claims, headers=NO_STORE)


router.add_api_route(
    "/oauth/userinfo",
    userinfo,
    methods=["POST"],
    responses=problems(401, 403),
    operation_id="userinfo_post",
)


@router.get("/.well-known/jwks.json")
async def jwks(runtime: RuntimeDep) -> JSONResponse:
    return JSONResponse(runtime.keys.jwks(), headers={"Cache-Control": "public, max-age=300"})


async def oauth_error_handler(request: Request, exc: OAuthError) -> JSONResponse:
    lang = pick_language(request.headers.get("accept-language"))
    body = {"error": exc.error, "error_description": exc.description.in_lang(lang)}
    return JSONResponse(body, status_code=exc.status, headers={**NO_STORE, **(exc.headers or {})})
