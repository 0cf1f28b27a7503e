"""Public catalogue endpoints."""

from __future__ import annotations

from fastapi import APIRouter, Path

from app.catalogue import service
from app.catalogue.schemas import ServiceList, ServiceRead
from app.http.deps import LanguageDep, SessionDep

router = APIRouter(prefix="/services", tags=["catalogue"])


@router.get("", response_model=ServiceList)
def list_services(session: SessionDep, lang: LanguageDep) -> ServiceList:
    return service.list_services(session, lang=lang)


@router.get("/{code}", response_model=ServiceRead)
def get_service(
    session: SessionDep, lang: LanguageDep, code: str = Path(max_length=16)
) -> ServiceRead:
    return service.get_service(session, code=code, lang=lang)
