"""FastAPI dependencies shared by the routes: session, runtime, the authenticated caller."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Annotated, Any, TypeVar

from anyio import CapacityLimiter, to_thread
from anyio.lowlevel import RunVar
from fastapi import Depends, Request
from sqlmodel import Session
from starlette.concurrency import run_in_threadpool

from app.accounts.principal import Principal
from app.config import Settings
from app.db import transaction
from app.errors import Msg, NotAuthenticated
from app.i18n import pick_language
from app.oauth.principals import is_client_token, principal_for, throttle_client
from app.oauth.tokens import AccessClaims
from app.ratelimit import hit_on_its_own
from app.runtime import Runtime

T = TypeVar("T")

READ_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})
AUDITED_READ = "loket_audited_read"


# The light dependencies are coroutines: a plain ``def`` dependency costs a threadpool hop.
async def get_runtime(request: Request) -> Runtime:
    return request.app.state.runtime


RuntimeDep = Annotated[Runtime, Depends(get_runtime)]


def get_session(request: Request) -> Iterator[Session]:
    """One transaction per request: commit after the handler, roll back on any error."""
    with transaction(request.app.state.runtime.engine, write=_writes(request)) as session:
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


async def get_language(request: Request) -> str:
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


# Threads per process that run ``Caller`` work at once. The work is Python under one GIL:
# past a few threads (enough to overlap database waits) more only add thread switches and
# a long tail; measured with 16 connections on 2 cores, 6 instead of anyio's default 40 gave
# ~7% more creates per second and a p99 of ~45 ms instead of ~60-110 ms.
DB_WORK_THREADS = 6
_DB_WORK_LIMITER: RunVar[CapacityLimiter] = RunVar("loket_db_work_limiter")


def _db_work_limiter() -> CapacityLimiter:
    # Per event loop, like anyio's own default limiter (tests run one loop per client).
    try:
        return _DB_WORK_LIMITER.get()
    except LookupError:
        limiter = CapacityLimiter(DB_WORK_THREADS)
        _DB_WORK_LIMITER.set(limiter)
        return limiter


@dataclass(frozen=True)
class Caller:
    """A verified token, and the way to run one service call as its principal.

    ``await caller.run(service.fn, **kwargs)`` does the request's database work (the
    transaction, the revocation and account check, the service call, the commit) in ONE
    threadpool hop; ``SessionDep`` + ``CurrentPrincipal`` + a sync route cost
    about six hops (each dependency, the route, the response validation), a measurable share
    of a lean request's CPU. The route itself is ``async def`` and does no blocking work.
    """

    request: Request
    claims: AccessClaims

    async def run(self, work: Callable[..., T], /, **kwargs: Any) -> T:
        return await to_thread.run_sync(self._run, work, kwargs, limiter=_db_work_limiter())

    def _run(self, work: Callable[..., T], kwargs: dict[str, Any]) -> T:
        runtime: Runtime = self.request.app.state.runtime
        with transaction(runtime.engine, write=_writes(self.request)) as session:
            principal = principal_for(session, claims=self.claims)
            return work(session, principal=principal, **kwargs)


async def get_caller(request: Request) -> Caller:
    """Check the Bearer token before the body is parsed (401 comes first, and a machine
    client's request counts against its rate limit even when its body is refused)."""
    runtime: Runtime = request.app.state.runtime
    claims = runtime.tokens.verify_access_token(_bearer_token(request))  # CPU only, cached
    if is_client_token(claims):
        await run_in_threadpool(throttle_client, runtime, claims)
    return Caller(request, claims)


CallerDep = Annotated[Caller, Depends(get_caller)]


def per_address_limit(
    prefix: str, limit: Callable[[Settings], int], *, window_seconds: int = 60
) -> Callable[..., None]:
    """A dependency that counts a request per client address, committed on its own so that
    refused and failed requests count too; list it first in a route, before the request's own
    transaction opens."""

    def count(request: Request, runtime: RuntimeDep) -> None:
        address = request.client.host if request.client else "unknown"
        hit_on_its_own(
            runtime.engine,
            key=f"{prefix}:{address}",
            limit=limit(runtime.settings),
            window_seconds=window_seconds,
        )

    return count


RegistrationThrottled = Annotated[
    None,
    Depends(per_address_limit("register", lambda s: s.registrations_per_hour, window_seconds=3600)),
]
