"""Certificate rules: issue on approval, revoke with the application, read, verify.

Issuing is part of the approval's transaction: the PDF is rendered and signed in memory before
the case row is touched (no lock is held during that work), and the certificate row and its
event land with the approval or not at all. The signed file is written only once that
transaction has committed (``after_commit``): a signed certificate can never exist for an
approval that was rolled back (a crash, a conflict), whose number would later be given again.
If the process dies between the commit and the write, ``store_unstored`` (a background job,
app.jobs) renders the certificate again from its stored facts. Its events go on the case's
timeline through the kernel (``app.cases.timeline``).
"""

from __future__ import annotations

import hashlib
import json
import logging
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import TYPE_CHECKING, cast

from app.cases import numbering, timeline
from app.cases.timeline import EventDraft
from app.certificates import codes, repository
from app.certificates.facts import CertificateFacts
from app.db import Engine, Session, after_commit, get_required, transaction
from app.errors import DomainError, Msg
from app.files.storage import FileStore
from app.models import Case, Certificate, Department, Service, User
from app.models.base import utcnow
from app.office import office_date
from app.office import today as _today

log = logging.getLogger("loket.certificates")

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
    """A rendered and signed certificate (in memory) waiting for its database row."""

    row: dict
    pdf: bytes


def prepare(
    session: Session,
    *,
    issuer: CertificateIssuer,
    case: Case,
    service: Service,
    approver: User | None,
    now: datetime,
    by_law: Msg | None = None,
) -> PreparedCertificate:
    """Render and sign the certificate an approval yields, in memory (before any row lock).

    ``by_law``: the approval was by operation of law (fiktif positif) on this legal basis; the
    certificate says so in a line of its own and names Loket, not an officer, as approving."""
    if (approver is None and by_law is None) or case.owner_id is None:
        raise RuntimeError("a certificate names its holder and the officer who approved it")
    department = get_required(session, Department, case.department_id)
    holder = get_required(session, User, case.owner_id)
    number = _number(session, department=department, service=service, year=now.year)
    code = codes.new_code()
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
        by_law=by_law,
    )
    template = service.certificate_template
    try:
        pdf = _produce(issuer, facts, template=template)
    except Exception as error:  # any rendering or signing fault cancels the approval
        raise CertificateFailed() from error
    return PreparedCertificate(
        pdf=pdf,
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
            "storage_key": issuer.files.new_key(),
            "signing_cert_sha256": issuer.material.describe()[0]["sha256"],
            "facts": facts.stored(),
            "template": template,
            "stored_at": None,
            "created_at": now,
        },
    )


def _produce(issuer: CertificateIssuer, facts: CertificateFacts, *, template: str) -> bytes:
    """The signed file, at approval and when a crash lost it (the fast path where it can)."""
    return issuer.produce(
        facts, template=template, reason=f"Sertifikat {facts.number}", location="Jakarta"
    )


def record(
    session: Session,
    *,
    prepared: PreparedCertificate,
    issuer: CertificateIssuer,
    case: Case,
    actor_type: str,
    actor_id: str | None,
) -> Certificate:
    """Insert the certificate row and its event (after the approval's own event); its file is
    written once the approval has committed."""
    certificate = Certificate(**prepared.row)
    repository.add(session, certificate)
    engine, files = cast(Engine, session.get_bind()), issuer.files
    after_commit(session, lambda: _store(engine, files, certificate.id, prepared.pdf))
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
    actor_id: str | None,
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


def _store(engine: Engine, files: FileStore, certificate_id: uuid.UUID, pdf: bytes) -> None:
    """Write a committed certificate's signed file, then note that it is there."""
    with transaction(engine) as session:
        certificate = repository.get(session, certificate_id)
        if certificate is None or certificate.stored_at is not None:
            return
        files.put_bytes(pdf, key=certificate.storage_key)
        repository.mark_stored(session, certificate_id, at=utcnow())


# A certificate whose file is still missing this long after its approval was left behind by
# a process that stopped between the commit and the write (a request takes under a second).
RECOVER_AFTER = timedelta(seconds=30)


def store_unstored(
    engine: Engine, issuer: Callable[[], CertificateIssuer], *, now: datetime | None = None
) -> int:
    """Write the file of every committed certificate that has none (a crash between the
    approval's commit and the write); returns how many. Safe in several processes at once:
    each certificate is claimed, and the first to write it wins."""
    before = (now or utcnow()) - RECOVER_AFTER
    with transaction(engine, write=False) as session:
        waiting = repository.unstored(session, created_before=before)
    done = 0
    for certificate_id in waiting:
        done += _recover(engine, issuer(), certificate_id)
    return done


def _recover(engine: Engine, issuer: CertificateIssuer, certificate_id: uuid.UUID) -> int:
    with transaction(engine) as session:
        certificate = repository.get(session, certificate_id, for_update=True)
        if certificate is None or certificate.stored_at is not None:
            return 0
        path = issuer.files.path(certificate.storage_key)
        if path.exists() and _sha256(path.read_bytes()) == certificate.pdf_sha256:
            repository.mark_stored(session, certificate_id, at=utcnow())  # written, not noted
            return 1
        # The signed bytes were lost with the process: sign the same facts again. The new file
        # has its own hash (a signature is never the same twice), which the row now names.
        facts = CertificateFacts.from_stored(certificate.facts)
        pdf = _produce(issuer, facts, template=certificate.template)
        issuer.files.delete(certificate.storage_key)
        issuer.files.put_bytes(pdf, key=certificate.storage_key)
        repository.mark_stored(
            session, certificate_id, at=utcnow(), pdf_sha256=_sha256(pdf), pdf_size=len(pdf)
        )
        log.warning("certificate %s: its file was missing and was produced again", facts.number)
        return 1


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
    approver: User | None,
    number: str,
    code: str,
    now: datetime,
    by_law: Msg | None = None,
) -> CertificateFacts:
    valid_until = _add_months(office_date(now), service.validity_months)
    seal = _seal(
        issuer, number=number, code=code, holder=holder, service=service, now=now, until=valid_until
    )
    return CertificateFacts(
        number=number,
        verification_code=code,
        verify_url=f"{issuer.settings.issuer}/verify/{code}",
        seal=seal,
        authority_name=issuer.settings.authority_name,
        department_name=department.name,
        service_code=service.code,
        service_name_id=service.name_id,
        service_name_en=service.name_en,
        holder_name=holder.full_name,
        fields=_key_fields(service, case.data) + _by_law_line(by_law),
        issued_at=now,
        valid_until=valid_until,
        approved_by=approver.full_name if approver is not None else BY_LAW_APPROVER,
    )


def _seal(
    issuer: CertificateIssuer,
    *,
    number: str,
    code: str,
    holder: User,
    service: Service,
    now: datetime,
    until: date | None,
) -> str:
    """The key facts as an ES256 compact JWS, checkable offline against the published JWKS."""
    claims = {
        "num": number,
        "code": code,
        "name": holder.full_name,
        "svc": service.code,
        "iat": int(now.timestamp()),
        "exp_date": until.isoformat() if until else None,
    }
    return issuer.tokens.sign_compact_jws(claims)


# Who approved a deemed approval: nobody in person; the law, through Loket.
BY_LAW_APPROVER = "Loket (demi hukum / by operation of law)"


def _by_law_line(by_law: Msg | None) -> tuple[tuple[str, str, str], ...]:
    """The certificate's statement that it was granted by operation of law, and on which basis."""
    if by_law is None:
        return ()
    value = (
        f"Dikabulkan demi hukum (fiktif positif) berdasarkan {by_law.id}. "
        f"Granted by operation of law under {by_law.en}."
    )
    return (("Dasar penerbitan", "Granted", value),)


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
