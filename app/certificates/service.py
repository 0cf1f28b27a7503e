"""Certificate rules: issue on approval, revoke with the application, read, verify.

Issuing is part of the approval's transaction: the PDF is rendered and signed before the
application row is touched (no lock is held during that work), the file is stored with a
rollback hook, and the certificate row and its event land with the approval or not at all.
"""

from __future__ import annotations

import hashlib
import json
import secrets
import uuid
from dataclasses import dataclass
from datetime import date, datetime

from sqlalchemy import select
from sqlmodel import Session

from app.applications import chain
from app.applications.chain import EventDraft
from app.applications.repository import take_reference_number
from app.applications.sla import office_date
from app.certificates.issuer import CertificateIssuer
from app.certificates.render import CertificateFacts
from app.db import get_required, on_rollback
from app.errors import DomainError, Msg
from app.models import Application, Certificate, Department, Service, User
from app.models.base import utcnow


class CertificateFailed(DomainError):
    status = 503
    slug = "certificate-failed"
    title = Msg(
        "Sertifikat tidak dapat diterbitkan; persetujuan dibatalkan dan tidak ada yang berubah",
        "The certificate could not be issued; the approval was cancelled and nothing changed",
    )


@dataclass(frozen=True)
class PreparedCertificate:
    """A rendered, signed and stored certificate waiting for its database row."""

    row: dict


def prepare(
    session: Session,
    *,
    issuer: CertificateIssuer,
    application: Application,
    service: Service,
    approver: User,
    now: datetime,
) -> PreparedCertificate:
    """Render, sign and store the certificate an approval yields (before any row lock)."""
    department = get_required(session, Department, application.department_id)
    holder = get_required(session, User, application.applicant_id)
    number = _number(session, department=department, service=service, year=now.year)
    code = secrets.token_urlsafe(20)  # 160 bits
    facts = _facts(
        issuer,
        application=application,
        service=service,
        department=department,
        holder=holder,
        approver=approver,
        number=number,
        code=code,
        now=now,
    )
    try:
        pdf = issuer.signer.sign(
            issuer.renderer.render(facts, template=service.certificate_template),
            reason=f"Sertifikat {number}",
            location="Jakarta",
        )
    except Exception as error:  # any rendering or signing fault cancels the approval
        raise CertificateFailed() from error
    key = issuer.files.put_bytes(pdf)
    on_rollback(session, lambda: issuer.files.delete(key))
    return PreparedCertificate(
        row={
            "id": uuid.uuid4(),
            "number": number,
            "application_id": application.id,
            "holder_id": holder.id,
            "department_id": department.id,
            "service_code": service.code,
            "issued_at": now,
            "valid_until": facts.valid_until,
            "status": "valid",
            "verification_code": code,
            "pdf_sha256": _sha256(pdf),
            "pdf_size": len(pdf),
            "storage_key": key,
            "signing_cert_sha256": issuer.material.describe()[0]["sha256"],
            "facts": facts.as_json(),
            "created_at": now,
        }
    )


def record(
    session: Session,
    *,
    prepared: PreparedCertificate,
    application: Application,
    actor_type: str,
    actor_id: str,
) -> Certificate:
    """Insert the certificate row and its event (after the approval's own event)."""
    certificate = Certificate(**prepared.row)
    session.add(certificate)
    session.flush()
    chain.append(
        session,
        application=application,
        draft=EventDraft(
            "certificate.issued",
            actor_type,
            actor_id,
            details={"number": certificate.number, "pdf_sha256": certificate.pdf_sha256},
        ),
    )
    return certificate


def revoke(
    session: Session,
    *,
    application: Application,
    reason: str,
    actor: User | None,
    actor_type: str,
    actor_id: str,
    now: datetime,
) -> None:
    """Mark the application's certificate revoked (part of the revoke transition)."""
    certificate = for_application(session, application.id)
    if certificate is None:
        return
    certificate.status, certificate.revoked_at = "revoked", now
    certificate.revocation_reason = reason
    certificate.revoked_by_id = actor.id if actor else None
    session.add(certificate)
    session.flush()
    chain.append(
        session,
        application=application,
        draft=EventDraft(
            "certificate.revoked",
            actor_type,
            actor_id,
            comment=reason,
            details={"number": certificate.number},
        ),
    )


def for_application(session: Session, application_id: uuid.UUID) -> Certificate | None:
    return session.execute(
        # SQLModel types columns as their values (see the mypy overrides in pyproject.toml).
        select(Certificate).where(
            Certificate.application_id == application_id  # type: ignore[arg-type]
        )
    ).scalar_one_or_none()


def status_of(certificate: Certificate, *, today: date | None = None) -> str:
    """valid, expired (past valid_until, office time) or revoked: the same answer everywhere."""
    if certificate.status == "revoked":
        return "revoked"
    today = today or office_date(utcnow())
    if certificate.valid_until is not None and today > certificate.valid_until:
        return "expired"
    return "valid"


def verification_url(issuer: CertificateIssuer, certificate: Certificate) -> str:
    return f"{issuer.settings.issuer}/verify/{certificate.verification_code}"


def _number(session: Session, *, department: Department, service: Service, year: int) -> str:
    n = take_reference_number(session, service_code=f"cert:{service.code}", year=year)
    return f"{department.code}/{service.code}/{year}/{n:06d}"


def _facts(
    issuer: CertificateIssuer,
    *,
    application: Application,
    service: Service,
    department: Department,
    holder: User,
    approver: User,
    number: str,
    code: str,
    now: datetime,
) -> CertificateFacts:
    valid_until = _add_months(office_date(now), service.validity_months)
    claims = {
        "num": number,
        "name": holder.full_name,
        "svc": service.code,
        "iat": int(now.timestamp()),
        "exp_date": valid_until.isoformat() if valid_until else None,
    }
    token = issuer.tokens.sign_compact_jws(claims)
    return CertificateFacts(
        number=number,
        verification_code=code,
        verify_url=f"{issuer.settings.issuer}/verify/{code}?t={token}",
        authority_name=issuer.settings.authority_name,
        department_name=department.name,
        service_code=service.code,
        service_name_id=service.name_id,
        service_name_en=service.name_en,
        holder_name=holder.full_name,
        fields=_key_fields(service, application.data),
        issued_at=now,
        valid_until=valid_until,
        approved_by=approver.full_name,
    )


def _key_fields(service: Service, data: dict) -> tuple[tuple[str, str, str], ...]:
    properties = service.form_schema.get("properties", {})
    rows = []
    for name in service.key_fields:
        if name in data and name in properties:
            label_id = properties[name].get("title", name)
            label_en = properties[name].get("x-title-en", label_id)
            rows.append((label_id, label_en, _display(data[name])))
    return tuple(rows)


def _display(value: object) -> str:
    if isinstance(value, bool):
        return "Ya / Yes" if value else "Tidak / No"
    return value if isinstance(value, str) else json.dumps(value)


def _add_months(start: date, months: int | None) -> date | None:
    if months is None:
        return None
    month_index = start.month - 1 + months
    year, month = start.year + month_index // 12, month_index % 12 + 1
    for day in (start.day, 30, 29, 28):  # clamp 31 January + 1 month to the month's end
        try:
            return date(year, month, day)
        except ValueError:
            continue
    raise AssertionError("unreachable")


def _sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()
