"""Certificate endpoints (owners, officers) and public verification (JSON and the QR page)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, File, UploadFile
from fastapi.responses import FileResponse, HTMLResponse, Response

from app.applications import transitions
from app.applications.schemas import ApplicationRead
from app.certificates import views
from app.certificates.schemas import CertificateRead, PublicStatus, RevokeRequest, UploadCheck
from app.deps import CurrentPrincipal, LanguageDep, RuntimeDep, SessionDep, per_address_limit
from app.errors import NotFound, PayloadTooLarge, invalid
from app.web.context import WebDep
from app.web.pages import page

router = APIRouter(tags=["certificates"])
public_router = APIRouter(tags=["verification"])

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


@router.post("/certificates/{number:path}/revoke", response_model=ApplicationRead)
def revoke_certificate(
    number: str,
    body: RevokeRequest,
    session: SessionDep,
    principal: CurrentPrincipal,
    runtime: RuntimeDep,
) -> ApplicationRead:
    application_id, request = views.revoke_request(
        session, principal=principal, number=number, reason=body.reason, version=body.version
    )
    return transitions.transition(
        session,
        principal=principal,
        application_id=application_id,
        request=request,
        certificates=lambda: runtime.certificates,
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


@public_router.get("/verify/{code}", response_class=HTMLResponse)
def verify_page(
    _: Throttled, code: str, web: WebDep, session: SessionDep, runtime: RuntimeDep
) -> HTMLResponse:
    try:
        status = views.public_status(
            session, issuer=runtime.certificates, code=code[:64], lang=web.lang
        )
    except NotFound:
        return page(web, "public/verify.html", {"certificate": None}, status_code=404)
    return page(web, "public/verify.html", {"certificate": status})
