"""What a permit application tells the case kernel about itself (``CaseKind``).

Its owner is the applicant; its documents are the requirements of the service version it
started on; submitting needs a complete form and every mandatory document; approving issues the
signed certificate and revoking revokes it; its e-mails and webhooks name the service.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from app.applications import repository
from app.cases.documents import current_requirements
from app.cases.kinds import CaseKind, Requirement, Step
from app.catalogue import repository as catalogue_repo
from app.catalogue.deadlines import OBJECTION_LEGAL_BASIS, DeadlineRules
from app.catalogue.formschema import validate_data
from app.certificates import service as certificates
from app.db import Session, get_required
from app.errors import FieldError, Msg, field_error, invalid
from app.models import Case, Service, User
from app.notifications.outbox import EmailDraft

NAME = "application"
READ_SCOPE, WRITE_SCOPE = "applications:read", "applications:write"
NOT_FOUND = Msg("Permohonan tidak ditemukan", "Application not found")
CERTIFICATE_EVENTS = frozenset({"certificate.issued", "certificate.revoked"})
# E-mail to the applicant on submission, revision requested, rejection and approval (sent with
# ``certificate.issued``, which carries the certificate).
EMAIL_TEMPLATES = {
    "application.submitted": "submitted",
    "application.revision_requested": "revision_requested",
    "application.rejected": "rejected",
    "certificate.issued": "approved",
}


def service_of(session: Session, case: Case) -> Service:
    """The service version the application started on (cached per process: it never changes)."""
    # Asked several times per action (its SLA, its deadline rules, its documents): the
    # application's service version never changes, so one query per case and transaction.
    known = session.info.setdefault("application_service_ids", {})
    service_id = known.get(case.id)
    if service_id is None:
        application = repository.get_application(session, case.id)
        if application is None:
            raise LookupError(f"case {case.id} has no application row")
        service_id = known[case.id] = application.service_id
    return catalogue_repo.service_version(session, service_id)


def _preload(session: Session, cases: Sequence[Case]) -> None:
    known = session.info.setdefault("application_service_ids", {})
    wanted = [case.id for case in cases if case.id not in known]
    for application in repository.load_applications(session, wanted):
        known[application.id] = application.service_id


def _requirement(session: Session, case: Case, code: str) -> Requirement:
    service = service_of(session, case)
    for rule in service.documents:
        if rule["code"] == code:
            return Requirement(
                code=code,
                label=Msg(rule["label_id"], rule["label_en"]),
                accepted_types=tuple(rule["accepted_types"]),
                max_bytes=rule["max_bytes"],
                mandatory=rule["mandatory"],
            )
    known = ", ".join(rule["code"] for rule in service.documents)
    raise invalid(
        "requirement",
        f"Persyaratan tidak dikenal; pilih salah satu: {known}",
        f"Unknown requirement; use one of: {known}",
    )


def incompleteness(session: Session, case: Case, service: Service) -> list[FieldError]:
    """Why the application cannot be submitted yet: invalid form data and missing documents."""
    problems = validate_data(service.form_schema, case.data, partial=False)
    mandatory = [r for r in service.documents if r["mandatory"]]
    if not mandatory:  # nothing to look up
        return problems
    uploaded = current_requirements(session, case.id)
    for requirement in mandatory:
        if requirement["code"] not in uploaded:
            problems.append(
                field_error(
                    f"documents.{requirement['code']}",
                    f"Dokumen wajib belum diunggah: {requirement['label_id']}",
                    f"Required document not uploaded: {requirement['label_en']}",
                )
            )
    return problems


def _complete(step: Step) -> list[FieldError]:
    return incompleteness(step.session, step.case, service_of(step.session, step.case))


def _deadline_rules(session: Session, case: Case) -> DeadlineRules:
    return DeadlineRules.from_stored(service_of(session, case).deadlines)


def _issue_certificate(step: Step, *, by_law: Msg | None = None) -> None:
    """Render and sign now (before the row is touched); record it after the approval's event
    (its file is written once the approval has committed)."""
    issuer = certificates.issuer_from(step.env)
    prepared = certificates.prepare(
        step.session,
        issuer=issuer,
        case=step.case,
        service=service_of(step.session, step.case),
        approver=step.principal.user,
        now=step.now,
        by_law=by_law,
    )
    step.afterwards.append(
        lambda: certificates.record(
            step.session,
            prepared=prepared,
            issuer=issuer,
            case=step.case,
            actor_type=step.principal.actor_type,
            actor_id=step.principal.actor_id,
        )
    )


def _issue_certificate_by_law(step: Step) -> None:
    """A deemed approval's certificate: it states the legal basis the service names."""
    if step.workflow.state(step.case.state).objection:
        basis: Msg | None = OBJECTION_LEGAL_BASIS
    else:
        basis = _deadline_rules(step.session, step.case).legal_basis
    if basis is None:  # the guard refused this already; never a silent approval
        raise RuntimeError(f"deemed approval of {step.case.reference} without a legal basis")
    step.details["legal_basis_id"], step.details["legal_basis_en"] = basis
    _issue_certificate(step, by_law=basis)


def _revoke_certificate(step: Step) -> None:
    step.afterwards.append(
        lambda: certificates.revoke(
            step.session,
            case=step.case,
            reason=step.comment or "",
            actor=step.principal.user,
            actor_type=step.principal.actor_type,
            actor_id=step.principal.actor_id,
            now=step.now,
        )
    )


def _email(session: Session, case: Case, event: dict[str, Any]) -> EmailDraft | None:
    template = EMAIL_TEMPLATES.get(event["action"])
    if template is None or case.owner_id is None:
        return None
    # Usually already in the session (the caller, the transition's service): no query.
    applicant = get_required(session, User, case.owner_id)
    service = service_of(session, case)
    lang = "en" if applicant.language == "en" else "id"
    context: dict[str, Any] = {
        "lang": lang,
        "application_id": str(case.id),
        "name": applicant.full_name,
        "reference": case.reference,
        "service_name": service.name_en if lang == "en" else service.name_id,
        "comment": event["comment"],
    }
    if template == "approved":
        codes = certificates.codes_for(session, case.id)
        if codes is None:  # certificates.record inserts the row before this event
            raise LookupError(f"certificate.issued without a certificate for {case.id}")
        context["certificate_number"], context["verification_code"] = codes
    return EmailDraft(recipient=applicant.email, template=template, context=context)


def _webhook_fields(case: Case, event: dict[str, Any]) -> dict[str, Any]:
    if event["action"] in CERTIFICATE_EVENTS:
        return {"certificate_number": event["details"].get("number")}
    return {}


APPLICATION = CaseKind(
    name=NAME,
    owner_role="applicant",
    read_scope=READ_SCOPE,
    write_scope=WRITE_SCOPE,
    not_found=NOT_FOUND,
    workflows=("single_approval", "two_level"),
    subject_field="service_code",
    guards={"complete": _complete},
    effects={
        "issue_certificate": _issue_certificate,
        "issue_certificate_by_law": _issue_certificate_by_law,
        "revoke_certificate": _revoke_certificate,
    },
    requirement=_requirement,
    sla_days=lambda session, case: service_of(session, case).sla_days,
    deadline_rules=_deadline_rules,
    preload=_preload,
    # A form edit moves no state and its details name the personal fields that changed.
    private_events=frozenset({"application.data_updated"}),
    public_events=CERTIFICATE_EVENTS,
    email=_email,
    webhook_fields=_webhook_fields,
)
