"""Certificate endpoints (owners, officers) and public verification (JSON and the QR page)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, File, UploadFile
from fastapi.responses import FileResponse, Response

from app.certificates import views
from app.certificates.schemas import CertificateRead, PublicStatus, UploadCheck
from app.errors import PayloadTooLarge, invalid
from app.http.deps import CurrentPrincipal, LanguageDep, RuntimeDep, SessionDep, per_address_limit

router = APIRouter(tags=["certificates"])

MAX_VERIFY_UPLOAD = 10 * 1024 * 1024


@router.get("/certificates/{number:path}/pdf")
def certificate_pdf(
    number: str, session: SessionDep, principal: CurrentPrincipal, runtime: RuntimeDep
) -> FileResponse:
    certificate, path = views.open_pdf(
        session, issuer=runtime.certificates, principal=principal, number=number
    )
    filename = certificate.number.replace("/", "-") + ".pdf"
    return FileResponse(
        path,
        media_type="application/pdf",
        filename=filename,
        content_disposition_type="attachment",
        headers={"Cache-Control": "private, no-store"},
    )


@router.get("/certificates/{number:path}", response_model=CertificateRead)
def read_certificate(
    number: str, session: SessionDep, principal: CurrentPrincipal, runtime: RuntimeDep
) -> CertificateRead:
    return views.read_certificate(
        session, issuer=runtime.certificates, principal=principal, number=number
    )


@router.get("/verify/chain.pem")
def chain_pem(runtime: RuntimeDep) -> Response:
    return Response(
        runtime.certificates.material.chain_pem(),
        media_type="application/x-pem-file",
        headers={"Cache-Control": "public, max-age=3600"},
    )


# Public verification, per client address and minute; listed first in each public route.
Throttled = Annotated[
    None, Depends(per_address_limit("verify", lambda s: s.public_rate_limit_per_minute))
]


@router.get("/verify/{code}", response_model=PublicStatus)
def verify_code(
    _: Throttled, code: str, session: SessionDep, runtime: RuntimeDep, lang: LanguageDep
) -> PublicStatus:
    return views.public_status(session, issuer=runtime.certificates, code=code[:64], lang=lang)


@router.post("/verify", response_model=UploadCheck)
def verify_upload(
    _: Throttled,
    session: SessionDep,
    runtime: RuntimeDep,
    lang: LanguageDep,
    file: Annotated[UploadFile, File()],
) -> UploadCheck:
    data = file.file.read(MAX_VERIFY_UPLOAD + 1)
    if len(data) > MAX_VERIFY_UPLOAD:
        raise PayloadTooLarge()
    if not data:
        raise invalid("file", "Berkas kosong", "The file is empty")
    return views.check_upload(session, issuer=runtime.certificates, data=data, lang=lang)
