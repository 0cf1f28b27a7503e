"""The one way a JSON route does its work: ``await caller.run(service.fn, **kwargs)``.

A route is ``async def``: it parses input (FastAPI), then hands the whole database part to the
pipeline, which runs it in ONE threadpool hop: the per-address limit if the route has one, the
transaction, the caller's account and token revocation check, the service call, the commit.
``SessionDep`` + ``CurrentPrincipal`` + a sync route cost about six hops (each dependency, the
route, the response validation), a measurable share of a lean request's CPU.

The hops run on their own thread pool, ``LOKET_DB_WORK_THREADS`` threads per process (never
more than the connection pool, so no thread waits for a connection): the work is Python under
one GIL, and past a few threads (enough to overlap database waits) more only add switches and a
long tail. Measured with 16 connections on 2 cores, 6 instead of anyio's default 40 gave ~7%
more creates per second and a p99 of ~45 ms instead of ~60-110 ms.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Annotated, Any, Generic, TypeVar

from anyio import CapacityLimiter, to_thread
from anyio.lowlevel import RunVar
from fastapi import Depends, Request
from starlette.concurrency import run_in_threadpool

from app import logs
from app.config import Settings
from app.db import transaction
from app.errors import Msg, NotAuthenticated
from app.oauth.principals import is_client_token, principal_for, throttle_client
from app.oauth.tokens import AccessClaims
from app.ratelimit import hit_on_its_own

if TYPE_CHECKING:
    from app.certificates.issuer import CertificateIssuer
    from app.runtime import Runtime

T = TypeVar("T")

READ_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})
AUDITED_READ = "loket_audited_read"
_LIMITER: RunVar[CapacityLimiter] = RunVar("loket_db_work_limiter")


def _limiter(settings: Settings) -> CapacityLimiter:
    # Per event loop, like anyio's own default limiter (tests run one loop per client).
    try:
        return _LIMITER.get()
    except LookupError:
        limiter = CapacityLimiter(settings.db_work_threads)
        _LIMITER.set(limiter)
        return limiter


def writes(request: Request) -> bool:
    """Whether the request's transaction writes (SQLite then takes the write lock at once)."""
    endpoint = request.scope.get("endpoint")
    return request.method not in READ_METHODS or getattr(endpoint, AUDITED_READ, False)


def audited_read(endpoint: Callable) -> Callable:
    """Mark a GET route that appends an audit event, so it opens a write transaction."""
    setattr(endpoint, AUDITED_READ, True)
    return endpoint


@dataclass(frozen=True)
class AddressLimit:
    """Requests per client address and window, counted in their own committed transaction so
    that refused and failed requests count too."""

    prefix: str
    limit: Callable[[Settings], int]
    window_seconds: int = 60

    def count(self, request: Request, runtime: Runtime) -> None:
        address = request.client.host if request.client else "unknown"
        hit_on_its_own(
            runtime.engine,
            key=f"{self.prefix}:{address}",
            limit=self.limit(runtime.settings),
            window_seconds=self.window_seconds,
        )


VERIFY_LIMIT = AddressLimit("verify", lambda s: s.public_rate_limit_per_minute)
REGISTER_LIMIT = AddressLimit("register", lambda s: s.registrations_per_hour, window_seconds=3600)


@dataclass(frozen=True)
class InWorker(Generic[T]):
    """An argument made in the worker thread, not on the event loop (the certificate issuer
    takes seconds to build on first use)."""

    make: Callable[[], T]


@dataclass(frozen=True)
class Pipeline:
    """One request's way to its service call, with or without a signed-in caller."""

    request: Request
    claims: AccessClaims | None = None
    address_limit: AddressLimit | None = None

    @property
    def runtime(self) -> Runtime:
        return self.request.app.state.runtime

    @property
    def certificates(self) -> InWorker[CertificateIssuer]:
        """The process's certificate issuer, as an argument of ``run``."""
        runtime = self.runtime
        return InWorker(lambda: runtime.certificates)

    async def run(self, work: Callable[..., T], /, **kwargs: Any) -> T:
        """``work(session, [principal=...,] **kwargs)`` in the request's one transaction."""
        limiter = _limiter(self.runtime.settings)
        return await to_thread.run_sync(self._run, work, kwargs, limiter=limiter)

    def _run(self, work: Callable[..., T], kwargs: dict[str, Any]) -> T:
        runtime = self.runtime
        kwargs = {k: v.make() if isinstance(v, InWorker) else v for k, v in kwargs.items()}
        if self.address_limit is not None:
            # Before the request's own transaction touches the database (see db.transaction).
            self.address_limit.count(self.request, runtime)
        with transaction(runtime.engine, write=writes(self.request)) as session:
            if self.claims is None:
                return work(session, **kwargs)
            recheck = 0.0 if writes(self.request) else runtime.settings.read_recheck_seconds
            principal = principal_for(session, claims=self.claims, recheck_seconds=recheck)
            return work(session, principal=principal, **kwargs)


def bearer_token(request: Request) -> str:
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


async def get_caller(request: Request) -> Pipeline:
    """Check the Bearer token before the body is parsed (401 comes first, and a machine
    client's request counts against its rate limit even when its body is refused)."""
    runtime: Runtime = request.app.state.runtime
    claims = runtime.tokens.verify_access_token(bearer_token(request))  # CPU only, cached
    logs.note_actor(claims.subject)  # a user's or a machine client's id, for the log line
    if is_client_token(claims):
        await run_in_threadpool(throttle_client, runtime, claims)
    return Pipeline(request, claims)


async def get_public(request: Request) -> Pipeline:
    return Pipeline(request)


async def get_caller_if_any(request: Request) -> Pipeline:
    """The signed-in caller when the request carries a token (checked as ``get_caller``
    does), else a public pipeline: for what residents may also do without an account."""
    if not request.headers.get("authorization"):
        return Pipeline(request)
    return await get_caller(request)


def limited_per_address(limit: AddressLimit) -> Callable[[Request], Any]:
    """A public pipeline whose requests count against ``limit`` (inside its one hop)."""

    async def get(request: Request) -> Pipeline:
        return Pipeline(request, address_limit=limit)

    return get


CallerDep = Annotated[Pipeline, Depends(get_caller)]
PublicDep = Annotated[Pipeline, Depends(get_public)]
MaybeCallerDep = Annotated[Pipeline, Depends(get_caller_if_any)]
VerifyLimitedDep = Annotated[Pipeline, Depends(limited_per_address(VERIFY_LIMIT))]
RegisterLimitedDep = Annotated[Pipeline, Depends(limited_per_address(REGISTER_LIMIT))]
