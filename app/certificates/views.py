"""Reading certificates: owners and officers, the public QR page, and uploaded-PDF checks."""

from __future__ import annotations

import uuid
from pathlib import Path

from sqlalchemy import select
from sqlmodel import Session

from app.accounts.principal import Principal
from app.applications.access import roles_on
from app.applications.schemas import TransitionRequest
from app.catalogue import repository as catalogue_repo
from app.certificates.issuer import CertificateIssuer
from app.certificates.schemas import CertificateRead, PublicStatus, UploadCheck
from app.certificates.service import status_of, verification_url
from app.certificates.verify import check_pdf
from app.db import get_required
from app.errors import Msg, NotFound
from app.models import Application, Certificate, User

READ_SCOPE = "certificates:read"
NOT_FOUND = Msg("Sertifikat tidak ditemukan", "Certificate not found")


def visible_certificate(
    session: Session, *, principal: Principal, number: str
) -> tuple[Certificate, Application]:
    """A certificate whose application the caller may see (holder, department officer), or 404."""
    principal.require_scope(READ_SCOPE)
    certificate = session.execute(
        # SQLModel types columns as their values (see the mypy overrides in pyproject.toml).
        select(Certificate).where(Certificate.number == number)  # type: ignore[arg-type]
    ).scalar_one_or_none()
    application = session.get(Application, certificate.application_id) if certificate else None
    if application is None or not roles_on(principal, application):
        raise NotFound(NOT_FOUND)
    assert certificate is not None  # the application is only looked up for a certificate
    return certificate, application


def read_certificate(
    session: Session, *, issuer: CertificateIssuer, principal: Principal, number: str
) -> CertificateRead:
    certificate, _ = visible_certificate(session, principal=principal, number=number)
    return certificate_read(session, issuer, certificate)


def certificate_read(
    session: Session, issuer: CertificateIssuer, certificate: Certificate
) -> CertificateRead:
    holder = get_required(session, User, certificate.holder_id)
    return CertificateRead(
        number=certificate.number,
        application_id=certificate.application_id,
        service_code=certificate.service_code,
        holder_name=holder.full_name,
        issued_at=certificate.issued_at,
        valid_until=certificate.valid_until,
        status=status_of(certificate),
        revoked_at=certificate.revoked_at,
        revocation_reason=certificate.revocation_reason,
        pdf_sha256=certificate.pdf_sha256,
        verification_url=verification_url(issuer, certificate),
    )


def open_pdf(
    session: Session, *, issuer: CertificateIssuer, principal: Principal, number: str
) -> tuple[Certificate, Path]:
    certificate, _ = visible_certificate(session, principal=principal, number=number)
    return certificate, issuer.files.path(certificate.storage_key)


def revoke_request(
    session: Session, *, principal: Principal, number: str, reason: str, version: int | None
) -> tuple[uuid.UUID, TransitionRequest]:
    """The revoke transition a revocation request stands for (the workflow decides who may)."""
    _, application = visible_certificate(session, principal=principal, number=number)
    return application.id, TransitionRequest(
        action="revoke", comment=reason, version=version or application.version
    )


def public_status(
    session: Session, *, issuer: CertificateIssuer, code: str, lang: str
) -> PublicStatus:
    """What the QR code's page shows; unknown codes are 404 without hinting at anything."""
    certificate = session.execute(
        # SQLModel types columns as their values (see the mypy overrides in pyproject.toml).
        select(Certificate).where(
            Certificate.verification_code == code  # type: ignore[arg-type]
        )
    ).scalar_one_or_none()
    if certificate is None:
        raise NotFound(NOT_FOUND)
    return _public(session, issuer, certificate, lang)


def _public(
    session: Session, issuer: CertificateIssuer, certificate: Certificate, lang: str
) -> PublicStatus:
    holder = get_required(session, User, certificate.holder_id)
    application = get_required(session, Application, certificate.application_id)
    service = catalogue_repo.service_version(session, application.service_id)
    return PublicStatus(
        status=status_of(certificate),
        number=certificate.number,
        service_code=certificate.service_code,
        service_name=service.name_en if lang == "en" else service.name_id,
        authority=issuer.settings.authority_name,
        holder_name_masked=mask_name(holder.full_name),
        issued_at=certificate.issued_at,
        valid_until=certificate.valid_until,
        revoked_at=certificate.revoked_at,
    )


def check_upload(
    session: Session, *, issuer: CertificateIssuer, data: bytes, lang: str
) -> UploadCheck:
    """Is this PDF one of our certificates, unmodified, and what is its status now?"""
    check = check_pdf(data, material=issuer.material)
    certificate = _certificate_for(session, check) if check.authentic else None
    if check.authentic and certificate is None:
        # Signed by our chain, but not a certificate we issued (or its record is gone).
        return UploadCheck(
            authentic=False,
            reason="unknown_certificate",
            message=Msg(
                "Berkas ditandatangani tetapi bukan sertifikat yang kami terbitkan",
                "Signed, but not a certificate we issued",
            ).in_lang(lang),
            status=None,
            certificate=None,
        )
    public = _public(session, issuer, certificate, lang) if certificate else None
    return UploadCheck(
        authentic=check.authentic,
        reason=check.reason,
        message=check.message.in_lang(lang),
        status=public.status if public else None,
        certificate=public,
    )


def _certificate_for(session: Session, check) -> Certificate | None:
    number = (check.attachment or {}).get("number")
    if not isinstance(number, str):
        return None
    return session.execute(
        # SQLModel types columns as their values (see the mypy overrides in pyproject.toml).
        select(Certificate).where(Certificate.number == number)  # type: ignore[arg-type]
    ).scalar_one_or_none()


def mask_name(full_name: str) -> str:
    """ "Siti Rahmawati" -> "S*** R********": enough to recognise, not to harvest."""
    return " ".join(word[0] + "*" * (len(word) - 1) for word in full_name.split() if word)
