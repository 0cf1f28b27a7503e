"""FastAPI dependencies shared by the routes: the runtime, the language, and for pages the
request's session. JSON routes reach the database through ``app.http.pipeline`` instead."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Annotated

from fastapi import Depends, Request

from app.db import Session, transaction
from app.http.pipeline import REGISTER_LIMIT, VERIFY_LIMIT, AddressLimit, writes
from app.i18n import pick_language
from app.runtime import Runtime
from app.stats.facts import maybe_refresh


# The light dependencies are coroutines: a plain ``def`` dependency costs a threadpool hop.
async def get_runtime(request: Request) -> Runtime:
    return request.app.state.runtime


RuntimeDep = Annotated[Runtime, Depends(get_runtime)]


def get_session(request: Request) -> Iterator[Session]:
    """One transaction per page request: commit after the handler, roll back on any error."""
    with transaction(request.app.state.runtime.engine, write=writes(request)) as session:
        yield session


# scope="function": commit before the response is sent, so a failed commit is an error response.
SessionDep = Annotated[Session, Depends(get_session, scope="function")]


async def get_language(request: Request) -> str:
    return pick_language(request.headers.get("accept-language"))


LanguageDep = Annotated[str, Depends(get_language)]


def _counted(limit: AddressLimit):
    """A page dependency counting the request against ``limit``; list it first in a route,
    before the request's own transaction opens."""

    def count(request: Request, runtime: RuntimeDep) -> None:
        limit.count(request, runtime)

    return count


RegistrationThrottled = Annotated[None, Depends(_counted(REGISTER_LIMIT))]
VerifyThrottled = Annotated[None, Depends(_counted(VERIFY_LIMIT))]


def _fresh_statistics(runtime: RuntimeDep) -> None:
    """Bring the statistics facts up to date at most once a minute, before a request reads
    them (its own short transactions; app.stats.facts)."""
    maybe_refresh(runtime.engine)


Fresh = Depends(_fresh_statistics)
