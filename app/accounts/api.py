"""Registration and the caller's own profile."""

from __future__ import annotations

from fastapi import APIRouter

from app.accounts import service
from app.accounts.schemas import RegisterRequest, UserRead
from app.http.deps import CurrentPrincipal, RegistrationThrottled, RuntimeDep, SessionDep

router = APIRouter(tags=["accounts"])


@router.post("/auth/register", response_model=UserRead, status_code=201)
def register(
    _: RegistrationThrottled, body: RegisterRequest, session: SessionDep, runtime: RuntimeDep
) -> UserRead:
    return service.register(session, passwords=runtime.passwords, request=body)


@router.get("/me", response_model=UserRead)
def me(session: SessionDep, principal: CurrentPrincipal) -> UserRead:
    return service.read_profile(session, principal=principal)
