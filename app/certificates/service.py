"""Certificate rules: issue on approval, revoke with the application, read, verify.

Issuing is part of the approval's transaction: the PDF is rendered and signed before the
case row is touched (no lock is held during that work), the file is stored with a rollback
hook, and the certificate row and its event land with the approval or not at all. Its events
go on the case's timeline through the kernel (``app.cases.timeline``).
"""

from __future__ import annotations

import hashlib
import json
import secrets
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime
from typing import TYPE_CHECKING, cast

from app.cases import numbering, timeline
from app.cases.timeline import EventDraft
from app.certificates import repository
from app.certificates.facts import CertificateFacts
from app.db import Session, get_required, on_rollback
from app.errors import DomainError, Msg
from app.models import Case, Certificate, Department, Service, User
from app.office import office_date
from app.office import today as _today

if TYPE_CHECKING:  # the issuer loads WeasyPrint and pyHanko: only its type is needed here
    from app.certificates.issuer import CertificateIssuer


# A certificate's own status (not its application's workflow state, which may share a word).
VALID, EXPIRED, REVOKED = "valid", "expired", "revoked"


class CertificateFailed(DomainError):
    status = 503
    slug = "certificate-failed"
    title = Msg(
        "Sertifikat tidak dapat diterbitkan; persetujuan dibatalkan dan tidak ada yang berubah",
        "The certificate could not be issued; the approval was cancelled and nothing changed",
    )


def issuer_from(env: object) -> CertificateIssuer:
    """The issuer the calling process lends an approval (``lambda: runtime.certificates``)."""
    if not callable(env):
        raise RuntimeError("approving needs the certificate issuer")
    return cast("Callable[[], CertificateIssuer]", env)()


@dataclass(frozen=True)
class PreparedCertificate:
    """A rendered, signed and stored certificate waiting for its database row."""

    row: dict


def prepare(
    session: Session,
    *,
    issuer: CertificateIssuer,
    case: Case,
    service: Service,
    approver: User | None,
    now: datetime,
) -> PreparedCertificate:
    """Render, sign and store the certificate an approval yields (before any row lock)."""
    if approver is None or case.owner_id is None:
        raise RuntimeError("a certificate names its holder and the officer who approved it")
    department = get_required(session, Department, case.department_id)
    holder = get_required(session, User, case.owner_id)
    number = _number(session, department=department, service=service, year=now.year)
    code = secrets.token_urlsafe(20)  # 160 bits
    facts = _facts(
        issuer,
        case=case,
        service=service,
        department=department,
        holder=holder,
        approver=approver,
        number=number,
        code=code,
        now=now,
    )
    try:
        pdf = issuer.produce(
            facts,
            template=service.certificate_template,
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
            "application_id": case.id,
            "holder_id": holder.id,
            "department_id": department.id,
            "service_code": service.code,
            "issued_at": now,
            "valid_until": facts.valid_until,
            "status": VALID,
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
    case: Case,
    actor_type: str,
    actor_id: str,
) -> Certificate:
    """Insert the certificate row and its event (after the approval's own event)."""
    certificate = Certificate(**prepared.row)
    repository.add(session, certificate)
    timeline.append(
        session,
        case=case,
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
    case: Case,
    reason: str,
    actor: User | None,
    actor_type: str,
    actor_id: str,
    now: datetime,
) -> None:
    """Mark the case's certificate revoked (part of the revoke transition)."""
    certificate = repository.for_application(session, case.id)
    if certificate is None:
        return
    certificate.status, certificate.revoked_at = REVOKED, now
    certificate.revocation_reason = reason
    certificate.revoked_by_id = actor.id if actor else None
    repository.add(session, certificate)
    timeline.append(
        session,
        case=case,
        draft=EventDraft(
            "certificate.revoked",
            actor_type,
            actor_id,
            comment=reason,
            details={"number": certificate.number},
        ),
    )


def codes_for(session: Session, case_id: uuid.UUID) -> tuple[str, str] | None:
    """(number, verification code) of the case's certificate, if it has one."""
    certificate = repository.for_application(session, case_id)
    return (certificate.number, certificate.verification_code) if certificate else None


def status_of(certificate: Certificate, *, today: date | None = None) -> str:
    """valid, expired (past valid_until, office time) or revoked: the same answer everywhere."""
    if certificate.status == REVOKED:
        return REVOKED
    today = today or _today()
    if certificate.valid_until is not None and today > certificate.valid_until:
        return EXPIRED
    return VALID


def verification_url(issuer: CertificateIssuer, certificate: Certificate) -> str:
    return f"{issuer.settings.issuer}/verify/{certificate.verification_code}"


def _number(session: Session, *, department: Department, service: Service, year: int) -> str:
    n = numbering.next_counter_number(session, series=f"cert:{service.code}", year=year)
    return f"{department.code}/{service.code}/{year}/{n:06d}"


def _facts(
    issuer: CertificateIssuer,
    *,
    case: Case,
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
        fields=_key_fields(service, case.data),
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
