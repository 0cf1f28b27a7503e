"""Reading certificates: owners and officers, the public QR page, and uploaded-PDF checks."""

from __future__ import annotations

import hashlib
import uuid
from pathlib import Path

from app.accounts.principal import Principal
from app.cases import repository as cases_repo
from app.cases.access import roles_on
from app.cases.kinds import kind_named
from app.cases.schemas import TransitionRequest
from app.certificates import codes, repository
from app.certificates.issuer import CertificateIssuer
from app.certificates.schemas import CertificateRead, PublicStatus, UploadCheck
from app.certificates.service import status_of, verification_url
from app.certificates.verify import check_pdf
from app.db import Session, get_required
from app.errors import DomainError, Msg, NotFound
from app.models import Case, Certificate, User

READ_SCOPE = "certificates:read"
# An uploaded certificate to check: Loket's are far smaller.
MAX_VERIFY_UPLOAD = 10 * 1024 * 1024
NOT_FOUND = Msg("Sertifikat tidak ditemukan", "Certificate not found")


class CertificateNotReady(DomainError):
    status = 503
    slug = "certificate-being-prepared"
    title = Msg(
        "Sertifikat sedang disiapkan; coba lagi dalam beberapa detik",
        "The certificate is being prepared; try again in a few seconds",
    )


def visible_certificate(
    session: Session, *, principal: Principal, number: str
) -> tuple[Certificate, Case]:
    """A certificate the caller may see, or 404: a person by their roles on its case (holder,
    department officer); a system by its certificates:read scope alone, on every certificate,
    as applications:read shows it every submitted application. The case's roles know only the
    kind's read scope, so asking them would also demand applications:read of the system.
    """
    principal.require_scope(READ_SCOPE)
    certificate = repository.by_number(session, number)
    case = cases_repo.get_case(session, certificate.application_id) if certificate else None
    if case is None:
        raise NotFound(NOT_FOUND)
    if not principal.is_client and not roles_on(principal, case, kind_named(case.kind)):
        raise NotFound(NOT_FOUND)
    assert certificate is not None  # the case is only looked up for a certificate
    return certificate, case


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
        ready=certificate.stored_at is not None,
    )


def open_pdf(
    session: Session, *, issuer: CertificateIssuer, principal: Principal, number: str
) -> tuple[Certificate, Path]:
    certificate, _ = visible_certificate(session, principal=principal, number=number)
    if certificate.stored_at is None:
        raise CertificateNotReady(headers={"Retry-After": "5"})
    return certificate, issuer.files.path(certificate.storage_key)


def revoke_request(
    session: Session, *, principal: Principal, number: str, reason: str, version: int | None
) -> tuple[uuid.UUID, TransitionRequest]:
    """The revoke transition a revocation request stands for (the workflow decides who may)."""
    _, case = visible_certificate(session, principal=principal, number=number)
    return case.id, TransitionRequest(
        action="revoke", comment=reason, version=version or case.version
    )


def public_status(
    session: Session, *, issuer: CertificateIssuer, code: str, lang: str
) -> PublicStatus:
    """What the QR code's page shows; unknown codes are 404 without hinting at anything."""
    certificate = repository.by_verification_code(session, code)
    if certificate is None:
        raise NotFound(NOT_FOUND)
    return _public(session, issuer, certificate, lang)


def _public(
    session: Session, issuer: CertificateIssuer, certificate: Certificate, lang: str
) -> PublicStatus:
    holder = get_required(session, User, certificate.holder_id)
    names = certificate.facts["service"]  # as it was called when the certificate was issued
    return PublicStatus(
        status=status_of(certificate),
        number=certificate.number,
        service_code=certificate.service_code,
        service_name=names["name_en"] if lang == "en" else names["name_id"],
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
    certificate = _certificate_for(session, check, data) if check.authentic else None
    if check.authentic and certificate is None:
        # Signed by our chain, but not the file we issued under that number and code: a
        # copy signed again, or one left by a crash whose approval never happened.
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


def _certificate_for(session: Session, check, data: bytes) -> Certificate | None:
    """The certificate this very file is: the number and code it carries name one, and the
    file's SHA-256 is the one recorded when it was issued."""
    attached = check.attachment or {}
    number, code = attached.get("number"), attached.get("verification_code")
    if not isinstance(number, str) or not isinstance(code, str):
        return None
    certificate = repository.by_number(session, number)
    if certificate is None or certificate.verification_code not in codes.lookup_forms(code):
        return None
    if hashlib.sha256(data).hexdigest() != certificate.pdf_sha256:
        return None
    return certificate


def mask_name(full_name: str) -> str:
    """ "Siti Rahmawati" -> "S*** R********": enough to recognise, not to harvest."""
    return " ".join(word[0] + "*" * (len(word) - 1) for word in full_name.split() if word)
