"""Who may see and act on an application: the single place for that rule.

A citizen sees their own applications; an officer sees their department's once submitted
(a draft is the citizen's unfinished work), and also the ones they keyed in for a walk-in
resident; nobody else sees anything (404, never 403).
"""

from __future__ import annotations

import uuid

from sqlmodel import Session

from app.accounts.principal import Principal
from app.applications import repository
from app.errors import Msg, NotFound
from app.models import Application

APPLICANT = "applicant"
READER = "reader"  # may see, may take no workflow action
DRAFT = "draft"
READ_SCOPE, WRITE_SCOPE = "applications:read", "applications:write"


def roles_on(principal: Principal, application: Application) -> frozenset[str]:
    """The workflow roles the caller holds on this application (empty: may not see it)."""
    if principal.is_client:
        return _client_roles(principal, application)
    user = principal.user
    if user is None:
        return frozenset()
    roles: set[str] = set()
    if application.applicant_id == user.id or application.submitted_by_id == user.id:
        roles.add(APPLICANT)
    if (
        principal.is_officer
        and application.department_id == user.department_id
        and application.state != DRAFT
    ):
        roles |= principal.officer_roles
    return frozenset(roles)


def _client_roles(principal: Principal, application: Application) -> frozenset[str]:
    # A system with applications:read sees submitted files; it acts as applicant on the ones
    # it created for a resident (and sees those as drafts too).
    roles: set[str] = set()
    if application.created_by_client == principal.client_id:
        roles.add(APPLICANT)
    if READ_SCOPE in principal.scopes and application.state != DRAFT:
        roles.add(READER)
    return frozenset(roles)


def visible_application(
    session: Session, *, principal: Principal, application_id: uuid.UUID, write: bool = False
) -> tuple[Application, frozenset[str]]:
    """Load an application the caller may see, with their roles on it, or raise 404."""
    principal.require_scope(WRITE_SCOPE if write else READ_SCOPE)
    application = repository.get_application(session, application_id)
    roles = roles_on(principal, application) if application is not None else frozenset()
    if application is None or not roles:
        raise NotFound(Msg("Permohonan tidak ditemukan", "Application not found"))
    return application, roles
