"""Moving an application through its workflow, through the kernel's one way of doing it."""

from __future__ import annotations

import uuid
from collections.abc import Callable

from app.accounts.principal import Principal
from app.applications.kind import APPLICATION
from app.applications.schemas import ApplicationRead
from app.applications.service import present
from app.cases import actions
from app.cases.schemas import ActionList, TransitionRequest
from app.certificates import views as certificate_views
from app.certificates.issuer import CertificateIssuer
from app.db import Session


def available_actions(
    session: Session, *, principal: Principal, application_id: uuid.UUID, lang: str
) -> ActionList:
    """What this caller may do with the application right now."""
    return actions.available_actions(
        session, principal=principal, kind=APPLICATION, case_id=application_id, lang=lang
    )


def transition(
    session: Session,
    *,
    principal: Principal,
    application_id: uuid.UUID,
    request: TransitionRequest,
    certificates: Callable[[], CertificateIssuer] | None = None,
) -> ApplicationRead:
    """Take one workflow action, with its guards, effects and event, or change nothing.

    ``certificates`` lends the process's issuer to an approval (rendering and signing)."""
    case = actions.take_action(
        session,
        principal=principal,
        kind=APPLICATION,
        case_id=application_id,
        request=request,
        env=certificates,
    )
    return present(session, case)


def revoke_certificate(
    session: Session,
    *,
    principal: Principal,
    number: str,
    reason: str,
    version: int | None,
    certificates: Callable[[], CertificateIssuer],
) -> ApplicationRead:
    """Revoke a certificate: the revoke transition of its application (the workflow decides
    who may)."""
    application_id, request = certificate_views.revoke_request(
        session, principal=principal, number=number, reason=reason, version=version
    )
    return transition(
        session,
        principal=principal,
        application_id=application_id,
        request=request,
        certificates=certificates,
    )
