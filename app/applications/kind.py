"""What a permit application tells the case kernel about itself (``CaseKind``).

Its owner is the applicant; its documents are the requirements of the service version it
started on; submitting needs a complete form and every mandatory document; approving issues the
signed certificate and revoking revokes it; its e-mails and webhooks name the service.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from typing import Any

from app.applications import repository
from app.cases import actions
from app.cases import repository as cases_repo
from app.cases.documents import current_requirements
from app.cases.kinds import CaseKind, Requirement, Step
from app.catalogue import repository as catalogue_repo
from app.catalogue.deadlines import OBJECTION_LEGAL_BASIS, DeadlineRules
from app.catalogue.formschema import validate_data
from app.certificates import service as certificates
from app.db import Session, get_required
from app.errors import DomainError, FieldError, Msg, field_error, invalid
from app.models import Case, Service, User
from app.notifications.inbox import NoticeDraft, subject_names
from app.notifications.outbox import EmailDraft
from app.payments import service as payments
from app.workflow.engine import Transition

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
# Portal notifications to the applicant (app.notifications.inbox): the same events as e-mail
# but the submission (their own act) and with the revocation, which a holder must learn of.
NOTICE_KINDS = {
    "application.revision_requested": "revision_requested",
    "application.rejected": "rejected",
    "certificate.issued": "approved",
    "certificate.revoked": "certificate_revoked",
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


def _labels(service: Service) -> dict[str, Msg]:
    fields = service.form_schema.get("properties", {})
    return {
        name: Msg(spec.get("title", name), spec.get("x-title-en", spec.get("title", name)))
        for name, spec in fields.items()
    }


def priced_fee(
    session: Session, case: Case, *, service: Service | None = None
) -> payments.Priced | None:
    """The service's fee priced on the application's form; None when the service is free."""
    service = service or service_of(session, case)
    if service.fee.get("kind") in (None, "free"):
        return None
    return payments.price(service.fee, case.data, labels=_labels(service))


def _bill_on_submit(step: Step) -> None:
    """A fee due on submission is priced now (a form it cannot price is refused before
    anything is written) and billed by Loket's own step right after the submission."""
    service = service_of(step.session, step.case)
    if service.fee.get("due") != "on_submit":
        return
    priced = priced_fee(step.session, step.case)
    if priced is None or priced.amount <= 0:
        return
    step.session.info.setdefault("priced_fees", {})[step.case.id] = priced
    step.afterwards.append(
        lambda: actions.take_system_action(
            step.session, case=step.case, action="request_payment", now=step.now
        )
    )


def _fee_before_issue_amount(step: Step) -> int:
    service = service_of(step.session, step.case)
    if service.fee.get("due") != "before_issue":
        return 0
    priced = priced_fee(step.session, step.case)
    return priced.amount if priced is not None else 0


def _fee_before_issue(step: Step) -> list[FieldError]:
    """Approving subject to payment only where a fee is due before the certificate."""
    if _fee_before_issue_amount(step) > 0:
        return []
    return [
        field_error(
            "action",
            "Layanan ini tidak memungut retribusi sebelum izin terbit; gunakan 'approve'",
            "This service has no fee due before the certificate; use 'approve'",
        )
    ]


def _no_fee_before_issue(step: Step) -> list[FieldError]:
    """A service whose fee is due before the certificate is approved subject to payment."""
    if _fee_before_issue_amount(step) <= 0:
        return []
    return [
        field_error(
            "action",
            "Retribusi harus dibayar sebelum izin terbit; gunakan 'approve_pending_payment'",
            "The fee is due before the certificate; use 'approve_pending_payment'",
        )
    ]


_BY_FEE = {"approve": False, "approve_pending_payment": True}


def _offers(session: Session, case: Case, transition: Transition) -> bool:
    """Offer ``approve`` or ``approve_pending_payment``, whichever the fee calls for."""
    wants_payment = _BY_FEE.get(transition.action)
    if wants_payment is None:
        return True
    fee = service_of(session, case).fee
    due = fee.get("due") == "before_issue"
    if due:  # a schedule may price some forms at nothing (a building of worship)
        try:
            priced = priced_fee(session, case)
        except DomainError:
            return wants_payment  # the guard will name what the form lacks
        due = priced is not None and priced.amount > 0
    return wants_payment == due


def _issue_certificate_after_payment(step: Step) -> None:
    """The certificate of an approval that waited for its fee: signed in the name of the
    officer who approved it (the timeline's ``approved_pending_payment``)."""
    approval = next(
        (
            e
            for e in reversed(cases_repo.events(step.session, step.case.id))
            if e.action == f"{NAME}.approved_pending_payment"
        ),
        None,
    )
    approver = (
        cases_repo.get_user(step.session, uuid.UUID(approval.actor_id))
        if approval is not None and approval.actor_type == "user" and approval.actor_id
        else None
    )
    if approver is None:
        raise RuntimeError(f"paid approval of {step.case.reference} without its approver")
    issuer = certificates.issuer_from(step.env)
    prepared = certificates.prepare(
        step.session,
        issuer=issuer,
        case=step.case,
        service=service_of(step.session, step.case),
        approver=approver,
        now=step.now,
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


def _issue_invoice(step: Step) -> None:
    service = service_of(step.session, step.case)
    priced = step.session.info.get("priced_fees", {}).pop(step.case.id, None)
    priced = priced or priced_fee(step.session, step.case)
    if priced is None:  # the step is only taken for a priced fee
        raise RuntimeError(f"billing {step.case.reference} without a fee")
    invoice = payments.issue(
        step.session, case=step.case, fee=service.fee, priced=priced, now=step.now
    )
    step.details |= payments.invoice_details(invoice)


def _cancel_invoices(step: Step) -> None:
    cancelled = payments.cancel_unpaid(step.session, case_id=step.case.id, now=step.now)
    if cancelled:
        step.details["invoices_cancelled"] = cancelled


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


def _notices(session: Session, case: Case, event: dict[str, Any]) -> list[NoticeDraft]:
    what = NOTICE_KINDS.get(event["action"])
    if what is None or case.owner_id is None:
        return []
    params: dict[str, Any] = {"subject": subject_names(*_subject_names(session, case))}
    if what != "approved" and event["comment"]:
        params["reason"] = event["comment"]  # the officer's words the applicant sees anyway
    return [NoticeDraft(case.owner_id, f"{NAME}.{what}", params)]


def _subject_names(session: Session, case: Case) -> tuple[str, str]:
    service = service_of(session, case)
    return service.name_id, service.name_en


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
    guards={
        "complete": _complete,
        "fee_before_issue": _fee_before_issue,
        "no_fee_before_issue": _no_fee_before_issue,
    },
    effects={
        "issue_certificate": _issue_certificate,
        "issue_certificate_by_law": _issue_certificate_by_law,
        "revoke_certificate": _revoke_certificate,
        "bill_on_submit": _bill_on_submit,
        "issue_invoice": _issue_invoice,
        "cancel_invoices": _cancel_invoices,
        "issue_certificate_after_payment": _issue_certificate_after_payment,
    },
    requirement=_requirement,
    sla_days=lambda session, case: service_of(session, case).sla_days,
    deadline_rules=_deadline_rules,
    preload=_preload,
    # A form edit moves no state and its details name the personal fields that changed.
    private_events=frozenset({"application.data_updated"}),
    public_events=CERTIFICATE_EVENTS,
    email=_email,
    notices=_notices,
    subject_names=_subject_names,
    offers=_offers,
    webhook_fields=_webhook_fields,
)
