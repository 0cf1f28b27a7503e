"""What the OpenAPI document says beyond FastAPI's defaults: every error a route can answer.

Routes declare the statuses they can give besides their success with ``problems(...)``; the
shape is RFC 9457 problem+json (``ProblemDetails``), as ``app.http.problems`` renders it.
``document`` builds the app's document and then:

- answers FastAPI's default 422 (``HTTPValidationError``, a shape Loket never sends) with the
  problem shape, so every route FastAPI validates documents the 422 it really gives;
- declares the OAuth 2 security scheme (its token URL and scopes) and marks each route whose
  caller must present a token (those that depend on ``get_caller``).
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any, Literal

from fastapi import FastAPI
from fastapi.dependencies.models import Dependant
from fastapi.openapi.utils import get_openapi
from fastapi.routing import APIRoute, iter_route_contexts
from pydantic import BaseModel, Field

from app.http.pipeline import get_caller
from app.http.problems import MEDIA_TYPE as PROBLEM_JSON
from app.oauth.clients import CLIENT_SCOPES
from app.oauth.service import USER_SCOPES

REF = "#/components/schemas/"
SECURITY_SCHEME = "oauth2"
TOKEN_URL = "/oauth/token"


class FieldProblem(BaseModel):
    field: str = Field(description="dotted path of the input field, e.g. data.business_name")
    message: str


class ProblemDetails(BaseModel):
    """RFC 9457 problem details, in the language of Accept-Language (Indonesian by default)."""

    type: str = Field(description="urn:loket:problem:<slug>, one per kind of problem")
    title: str
    status: int
    detail: str | None = None
    errors: list[FieldProblem] | None = Field(
        None, description="one entry per refused field (validation)"
    )
    request_id: str | None = Field(
        None,
        description="the request's id, also in the X-Request-ID header and the server's log",
    )


class OAuthErrorBody(BaseModel):
    """RFC 6749 section 5.2 (and RFC 7009 section 2.2.1) error response."""

    error: Literal[
        "invalid_request",
        "invalid_client",
        "invalid_grant",
        "unauthorized_client",
        "unsupported_grant_type",
        "invalid_scope",
        "unsupported_token_type",
    ]
    error_description: str


_HEADER = {"schema": {"type": "string"}, "required": True}
# status: (description, response headers it always carries)
_PROBLEMS: dict[int, tuple[str, dict[str, Any]]] = {
    400: ("Malformed request: the body is not valid JSON, or is refused as a whole", {}),
    401: (
        "No valid access token",
        {"WWW-Authenticate": {**_HEADER, "description": "Bearer, with error=invalid_token"}},
    ),
    403: ("The token lacks the scope, or the account the role, that this needs", {}),
    404: ("Not found, or not visible to the caller (never 403 for that)", {}),
    409: ("Changed meanwhile (stale version) or not allowed in the current state", {}),
    413: ("The request body or the file is too large", {}),
    415: ("The file's type is not accepted", {}),
    422: ("Invalid input: each refused field is listed in errors", {}),
    429: (
        "Too many requests",
        {"Retry-After": {**_HEADER, "description": "seconds to wait"}},
    ),
    503: (
        "Could not be completed now (e.g. a certificate could not be issued); nothing changed",
        {},
    ),
}
# What any route with a signed-in caller can answer: no or a bad token, a missing scope or role,
# and a machine client over its rate limit.
CALLER = (401, 403, 429)


def problems(*statuses: int) -> dict[int | str, dict[str, Any]]:
    """The ``responses=`` of a route that can refuse with ``statuses`` (problem+json)."""
    return {status: problem_response(status) for status in sorted(set(statuses))}


def problem_response(status: int, description: str | None = None) -> dict[str, Any]:
    default, headers = _PROBLEMS[status]
    response: dict[str, Any] = {
        "description": description or default,
        "content": {PROBLEM_JSON: {"schema": {"$ref": REF + "ProblemDetails"}}},
    }
    if headers:
        response["headers"] = headers
    return response


def oauth_errors(*statuses: int) -> dict[int | str, dict[str, Any]]:
    """The ``responses=`` of an OAuth endpoint's own errors (RFC 6749 JSON, not problem+json)."""
    descriptions = {
        400: "RFC 6749 error: invalid_request, invalid_grant, unsupported_grant_type, ...",
        401: "invalid_client: unknown client or wrong secret",
    }
    responses: dict[int | str, dict[str, Any]] = {}
    for status in statuses:
        responses[status] = {
            "description": descriptions[status],
            "content": {"application/json": {"schema": {"$ref": REF + "OAuthErrorBody"}}},
        }
    responses[401]["headers"] = {"WWW-Authenticate": {**_HEADER, "description": "Basic"}}
    return responses


def form_body(*, required: dict[str, Any], optional: dict[str, Any]) -> dict[str, Any]:
    """``openapi_extra`` describing a form body whose fields the route checks itself (the OAuth
    endpoints, so that every refusal stays an RFC 6749 error): it replaces FastAPI's schema of
    the Form() parameters, which can say neither what is required nor what is refused."""
    schema = {
        "type": "object",
        "properties": {**required, **optional},
        "required": sorted(required),
    }
    return {
        "requestBody": {
            "required": True,
            "content": {"application/x-www-form-urlencoded": {"schema": schema}},
        }
    }


def install(app: FastAPI) -> None:
    """Serve ``document(app)`` as the app's OpenAPI document (built once)."""

    def openapi() -> dict[str, Any]:
        if app.openapi_schema is None:
            app.openapi_schema = document(app)
        return app.openapi_schema

    app.openapi = openapi  # type: ignore[method-assign]


def document(app: FastAPI) -> dict[str, Any]:
    spec = get_openapi(
        title=app.title,
        version=app.version,
        openapi_version=app.openapi_version,
        description=app.description,
        routes=app.routes,
    )
    schemas = spec.setdefault("components", {}).setdefault("schemas", {})
    for model in (ProblemDetails, OAuthErrorBody):
        definition = model.model_json_schema(ref_template=REF + "{model}")
        schemas.update(definition.pop("$defs", {}))
        schemas[model.__name__] = definition
    for operation in _operations(spec):
        if _refers_to(operation["responses"].get("422"), "HTTPValidationError"):
            operation["responses"]["422"] = problem_response(422)
    schemas.pop("HTTPValidationError", None)
    schemas.pop("ValidationError", None)
    _prefer_described_bodies(spec)
    _declare_security(app, spec)
    return spec


def _declare_security(app: FastAPI, spec: dict[str, Any]) -> None:
    scopes = {scope: scope for scope in sorted(USER_SCOPES | CLIENT_SCOPES)}
    spec["components"]["securitySchemes"] = {
        SECURITY_SCHEME: {
            "type": "oauth2",
            "description": "Bearer access tokens (RFC 9068 JWT) from the token endpoint",
            "flows": {
                "clientCredentials": {"tokenUrl": TOKEN_URL, "scopes": scopes},
                "password": {"tokenUrl": TOKEN_URL, "scopes": scopes},
            },
        }
    }
    for context in iter_route_contexts(app.routes):
        route = context.original_route
        if isinstance(route, APIRoute) and context.include_in_schema and _needs(route, get_caller):
            for method in context.methods or ():
                operation = spec["paths"][context.path_format][method.lower()]
                operation["security"] = [{SECURITY_SCHEME: []}]


def _prefer_described_bodies(spec: dict[str, Any]) -> None:
    """A body schema a route wrote itself (``form_body``) was merged into FastAPI's ``$ref``:
    keep the route's, and drop the component nothing refers to any more."""
    dropped = set()
    for operation in _operations(spec):
        for media in operation.get("requestBody", {}).get("content", {}).values():
            schema = media.get("schema", {})
            if "$ref" in schema and len(schema) > 1:
                dropped.add(schema.pop("$ref").removeprefix(REF))
    schemas = spec["components"]["schemas"]
    for name in dropped:
        if f'"{REF}{name}"' not in json.dumps(spec):
            schemas.pop(name, None)


def _needs(route: APIRoute, call: object) -> bool:
    def walk(dependant: Dependant) -> Iterator[object]:
        for dependency in dependant.dependencies:
            yield dependency.call
            yield from walk(dependency)

    return any(found is call for found in walk(route.dependant))


def _operations(spec: dict[str, Any]) -> Iterator[dict[str, Any]]:
    for path in spec.get("paths", {}).values():
        yield from path.values()


def _refers_to(response: dict[str, Any] | None, name: str) -> bool:
    content = (response or {}).get("content", {})
    return any(media.get("schema", {}).get("$ref") == REF + name for media in content.values())
