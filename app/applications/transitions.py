"""Moving an application through its workflow: the only way its state changes."""

from __future__ import annotations

import uuid
from collections.abc import Callable
from datetime import datetime
from typing import Any

from sqlmodel import Session

from app.accounts.principal import Principal
from app.applications import chain, repository, sla
from app.applications.access import visible_application
from app.applications.chain import EventDraft
from app.applications.schemas import ActionList, ActionRead, ApplicationRead, TransitionRequest
from app.applications.service import check_version, present, workflow_of
from app.catalogue.formschema import validate_data
from app.certificates import service as certificate_service
from app.certificates.issuer import CertificateIssuer
from app.errors import FieldError, Msg, field_error
from app.models import Application, Service
from app.models.base import utcnow
from app.workflow.engine import GuardContext, Transition, allowed_actions, check_guards, resolve


def available_actions(
    session: Session, *, principal: Principal, application_id: uuid.UUID, lang: str
) -> ActionList:
    """What this caller may do with the application right now."""
    application, roles = visible_application(
        session, principal=principal, application_id=application_id
    )
    _, workflow = workflow_of(session, application)
    items = [
        ActionRead(
            action=t.action,
            label=t.label.in_lang(lang),
            target_state=t.target,
            needs_comment="comment_required" in t.guards,
        )
        for t in allowed_actions(workflow, state=application.state, roles=roles)
        if _may_attempt(t, application, principal)
    ]
    return ActionList(state=application.state, version=application.version, items=items)


def _may_attempt(transition: Transition, application: Application, principal: Principal) -> bool:
    # Hide approve from the officer who verified: separation of duties would refuse it anyway.
    return not (
        "not_verifier" in transition.guards
        and str(application.verified_by_id) == principal.actor_id
    )


def transition(
    session: Session,
    *,
    principal: Principal,
    application_id: uuid.UUID,
    request: TransitionRequest,
    certificates: Callable[[], CertificateIssuer] | None = None,
) -> ApplicationRead:
    """Take one workflow action, with its guards, effects and event, or change nothing."""
    application, roles = visible_application(
        session, principal=principal, application_id=application_id, write=True
    )
    service, workflow = workflow_of(session, application)
    step = resolve(workflow, state=application.state, action=request.action, roles=roles)
    check_version(application, request.version)
    check_guards(step, _guard_context(session, step, application, service, principal, request))
    now = utcnow()
    # Rendering and signing happen before the row is touched, so no lock is held meanwhile.
    prepared = _prepare_certificate(
        session, step, certificates, application, service, principal, now
    )
    changes = effects(step, application=application, service=service, principal=principal, now=now)
    if step.target is not None:
        changes["state"] = step.target
    from_state = application.state
    chain.append(
        session,
        application=application,
        expected_version=request.version,
        changes=changes,
        draft=EventDraft(
            f"application.{_past_tense(step.action)}",
            principal.actor_type,
            principal.actor_id,
            from_state=from_state,
            to_state=step.target or from_state,
            comment=request.comment,
        ),
    )
    _record_certificate_effects(session, step, prepared, application, principal, request, now)
    return present(session, application)


def _guard_context(
    session: Session,
    step: Transition,
    application: Application,
    service: Service,
    principal: Principal,
    request: TransitionRequest,
) -> GuardContext:
    return GuardContext(
        actor_id=principal.actor_id,
        verified_by=str(application.verified_by_id) if application.verified_by_id else None,
        comment=request.comment,
        incomplete=tuple(incompleteness(session, application, service))
        if "complete" in step.guards
        else (),
    )


def _prepare_certificate(session, step, certificates, application, service, principal, now):
    if "issue_certificate" not in step.effects:
        return None
    if certificates is None:
        raise RuntimeError("approving needs the certificate issuer")
    return certificate_service.prepare(
        session,
        issuer=certificates(),
        application=application,
        service=service,
        approver=principal.user,
        now=now,
    )


def _record_certificate_effects(session, step, prepared, application, principal, request, now):
    actor = {"actor_type": principal.actor_type, "actor_id": principal.actor_id}
    if prepared is not None:
        certificate_service.record(session, prepared=prepared, application=application, **actor)
    if "revoke_certificate" in step.effects:
        certificate_service.revoke(
            session,
            application=application,
            reason=request.comment or "",
            actor=principal.user,
            now=now,
            **actor,
        )


def effects(
    step: Transition,
    *,
    application: Application,
    service: Service,
    principal: Principal,
    now: datetime,
) -> dict[str, Any]:
    """Column changes the transition's effects make (certificates are issued by their module)."""
    changes: dict[str, Any] = {}
    actor = principal.user.id if principal.user else None
    for effect in step.effects:
        if effect == "start_sla":
            changes |= {
                "submitted_at": now,
                "due_at": sla.due_date(submitted=now, sla_days=service.sla_days),
            }
        elif effect == "pause_sla":
            changes["paused_at"] = now
        elif effect == "resume_sla":
            changes |= _resume(application, now)
        elif effect == "claim":
            changes["assigned_to_id"] = actor
        elif effect == "release":
            changes["assigned_to_id"] = None
        elif effect == "record_verifier":
            changes["verified_by_id"] = actor
        elif effect in ("decide", "close"):
            changes["decided_at"] = now
    return changes


def _resume(application: Application, now: datetime) -> dict[str, Any]:
    if application.paused_at is None or application.due_at is None:
        return {"paused_at": None}
    due, paused = sla.resumed_due_date(
        due=application.due_at, paused_at=application.paused_at, resumed_at=now
    )
    return {
        "due_at": due,
        "paused_at": None,
        "paused_working_days": application.paused_working_days + paused,
    }


def incompleteness(
    session: Session, application: Application, service: Service
) -> list[FieldError]:
    """Why the application cannot be submitted yet: invalid form data and missing documents."""
    problems = validate_data(service.form_schema, application.data, partial=False)
    mandatory = [r for r in service.documents if r["mandatory"]]
    if not mandatory:  # nothing to look up
        return problems
    present_codes = {
        d.requirement for d in repository.documents(session, application.id, current_only=True)
    }
    for requirement in mandatory:
        if requirement["code"] not in present_codes:
            problems.append(
                field_error(
                    f"documents.{requirement['code']}",
                    f"Dokumen wajib belum diunggah: {requirement['label_id']}",
                    f"Required document not uploaded: {requirement['label_en']}",
                )
            )
    return problems


_PAST = {
    "submit": "submitted",
    "resubmit": "resubmitted",
    "start_review": "review_started",
    "start_verification": "verification_started",
    "request_revision": "revision_requested",
    "verify": "verified",
    "approve": "approved",
    "reject": "rejected",
    "withdraw": "withdrawn",
    "revoke": "revoked",
    "claim": "claimed",
}


def _past_tense(action: str) -> str:
    return _PAST.get(action, action)


__all__ = ["available_actions", "transition", "incompleteness", "Msg"]
