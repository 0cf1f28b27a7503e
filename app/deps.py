"""FastAPI dependencies shared by the routes: session, runtime, the authenticated caller."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Annotated

from fastapi import Depends, Request
from sqlmodel import Session

from app.accounts.principal import Principal
from app.db import transaction
from app.errors import Msg, NotAuthenticated
from app.i18n import pick_language
from app.oauth.principals import principal_for, throttle_client
from app.runtime import Runtime

READ_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})
AUDITED_READ = "loket_audited_read"


def get_runtime(request: Request) -> Runtime:
    return request.app.state.runtime


RuntimeDep = Annotated[Runtime, Depends(get_runtime)]


def get_session(request: Request) -> Iterator[Session]:
    """One transaction per request: commit after the handler, roll back on any error."""
    with transaction(get_runtime(request).engine, write=_writes(request)) as session:
        yield session


def _writes(request: Request) -> bool:
    endpoint = request.scope.get("endpoint")
    return request.method not in READ_METHODS or getattr(endpoint, AUDITED_READ, False)


def audited_read(endpoint: Callable) -> Callable:
    """Mark a GET route that appends an audit event, so it opens a write transaction."""
    setattr(endpoint, AUDITED_READ, True)
    return endpoint


# scope="function": commit before the response is sent, so a failed commit is an error response.
SessionDep = Annotated[Session, Depends(get_session, scope="function")]


def get_language(request: Request) -> str:
    return pick_language(request.headers.get("accept-language"))


LanguageDep = Annotated[str, Depends(get_language)]


def _bearer_token(request: Request) -> str:
    scheme, _, token = request.headers.get("authorization", "").partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        raise NotAuthenticated(
            Msg(
                "Sertakan token akses (Authorization: Bearer)",
                "Send an access token (Authorization: Bearer)",
            ),
            headers={"WWW-Authenticate": "Bearer"},
        )
    return token.strip()


def current_principal(request: Request, session: SessionDep, runtime: RuntimeDep) -> Principal:
    """The caller behind the Bearer token, or 401; machine clients are rate limited."""
    claims = runtime.tokens.verify_access_token(_bearer_token(request))
    # Before the request's own transaction touches the database (see db.transaction).
    throttle_client(runtime, claims)
    return principal_for(session, claims=claims)


CurrentPrincipal = Annotated[Principal, Depends(current_principal)]
