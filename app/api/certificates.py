"""Certificate endpoints (owners, officers, clients) and public verification (JSON)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, File, UploadFile
from fastapi.responses import FileResponse, Response
from starlette.concurrency import run_in_threadpool

from app.certificates import views
from app.certificates.schemas import CertificateRead, PublicStatus, UploadCheck
from app.certificates.views import MAX_VERIFY_UPLOAD
from app.errors import PayloadTooLarge, invalid
from app.http import downloads
from app.http.deps import LanguageDep, RuntimeDep, VerifyThrottled
from app.http.openapi import CALLER, problems
from app.http.pipeline import CallerDep, PublicDep, VerifyLimitedDep

router = APIRouter(tags=["certificates"])


@router.get(
    "/certificates/{number:path}/pdf",
    response_class=FileResponse,
    responses={200: {"content": {"application/pdf": {}}}, **problems(*CALLER, 404)},
)
async def certificate_pdf(number: str, caller: CallerDep) -> FileResponse:
    certificate, path = await caller.run(views.open_pdf, issuer=caller.certificates, number=number)
    return downloads.certificate_response(certificate, path)


@router.get(
    "/certificates/{number:path}",
    response_model=CertificateRead,
    responses=problems(*CALLER, 404),
)
async def read_certificate(number: str, caller: CallerDep) -> CertificateRead:
    return await caller.run(views.read_certificate, issuer=caller.certificates, number=number)


@router.get(
    "/verify/chain.pem",
    response_class=Response,
    responses={200: {"content": {"application/x-pem-file": {"schema": {"type": "string"}}}}},
)
async def chain_pem(runtime: RuntimeDep) -> Response:
    pem = await run_in_threadpool(lambda: runtime.certificates.material.chain_pem())
    return Response(
        pem, media_type="application/x-pem-file", headers={"Cache-Control": "public, max-age=3600"}
    )


@router.get("/verify/{code}", response_model=PublicStatus, responses=problems(404, 429))
async def verify_code(code: str, public: VerifyLimitedDep, lang: LanguageDep) -> PublicStatus:
    return await public.run(
        views.public_status, issuer=public.certificates, code=code[:64], lang=lang
    )


# Counted by a dependency of its own, so that refused uploads (too large, empty) count too.
@router.post("/verify", response_model=UploadCheck, responses=problems(400, 413, 429))
async def verify_upload(
    _: VerifyThrottled,
    public: PublicDep,
    lang: LanguageDep,
    file: Annotated[UploadFile, File(json_schema_extra={"minLength": 1})],
) -> UploadCheck:
    data = await file.read(MAX_VERIFY_UPLOAD + 1)
    if len(data) > MAX_VERIFY_UPLOAD:
        raise PayloadTooLarge()
    if not data:
        raise invalid("file", "Berkas kosong", "The file is empty")
    return await public.run(views.check_upload, issuer=public.certificates, data=data, lang=lang)
