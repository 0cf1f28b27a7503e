"""Registration and the caller's own profile."""

from __future__ import annotations

from fastapi import APIRouter

from app.accounts import service
from app.accounts.schemas import RegisterRequest, UserRead
from app.http.deps import RegistrationThrottled
from app.http.openapi import CALLER, problems
from app.http.pipeline import CallerDep, PublicDep

router = APIRouter(tags=["accounts"])


# The address limit is a dependency of its own, not part of the pipeline: it must count a
# registration whose body is refused too (FastAPI checks the body before the route runs).
@router.post(
    "/auth/register",
    response_model=UserRead,
    status_code=201,
    responses=problems(400, 409, 413, 429),
)
async def register(_: RegistrationThrottled, body: RegisterRequest, public: PublicDep) -> UserRead:
    return await public.run(service.register, passwords=public.runtime.passwords, request=body)


@router.get("/me", response_model=UserRead, responses=problems(*CALLER, 404))
async def me(caller: CallerDep) -> UserRead:
    return await caller.run(service.read_profile)
