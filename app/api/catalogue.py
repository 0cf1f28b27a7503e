"""Public catalogue endpoints."""

from __future__ import annotations

from fastapi import APIRouter, Path

from app.catalogue import service
from app.catalogue.schemas import ServiceList, ServiceRead
from app.http.deps import LanguageDep
from app.http.openapi import problems
from app.http.pipeline import PublicDep

router = APIRouter(prefix="/services", tags=["catalogue"])


@router.get("", response_model=ServiceList)
async def list_services(public: PublicDep, lang: LanguageDep) -> ServiceList:
    return await public.run(service.list_services, lang=lang)


@router.get("/{code}", response_model=ServiceRead, responses=problems(404))
async def get_service(
    public: PublicDep, lang: LanguageDep, code: str = Path(max_length=16)
) -> ServiceRead:
    return await public.run(service.get_service, code=code, lang=lang)
