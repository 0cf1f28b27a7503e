"""Registration and the caller's own profile."""

from __future__ import annotations

from fastapi import APIRouter

from app.accounts import service
from app.accounts.principal import Principal
from app.accounts.schemas import RegisterRequest, UserRead
from app.http.deps import CurrentPrincipal, RegistrationThrottled, RuntimeDep, SessionDep

router = APIRouter(tags=["accounts"])


@router.post("/auth/register", response_model=UserRead, status_code=201)
def register(
    _: RegistrationThrottled, body: RegisterRequest, session: SessionDep, runtime: RuntimeDep
) -> UserRead:
    user = service.register_citizen(session, passwords=runtime.passwords, request=body)
    principal = Principal(user=user, client_id="loket-app", scopes=frozenset({"profile"}))
    return service.read_profile(session, principal=principal)


@router.get("/me", response_model=UserRead)
def me(session: SessionDep, principal: CurrentPrincipal) -> UserRead:
    return service.read_profile(session, principal=principal)
