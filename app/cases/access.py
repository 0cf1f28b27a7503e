"""Who may see and act on a case: the single place for that rule, for every case type.

An owner (the applicant, the reporter, or whoever keyed the case in for them) sees their own
cases; an officer sees their department's once submitted (a draft is the owner's unfinished
work); a system with the kind's read scope sees submitted cases, and acts as owner on the ones
it created. Nobody else sees anything: 404, never 403.
"""

from __future__ import annotations

import uuid

from app.accounts.principal import Principal
from app.cases import repository
from app.cases.kinds import CaseKind, workflow_of
from app.db import Session
from app.errors import NotFound
from app.models import Case

READER = "reader"  # may see, may take no workflow action
OFFICER = "officer"  # any officer of the handling department
SYSTEM = "system"  # Loket itself, acting on a rule


def roles_on(principal: Principal, case: Case, kind: CaseKind) -> frozenset[str]:
    """The workflow roles the caller holds on this case (empty: may not see it)."""
    private = workflow_of(case).state(case.state).private
    if principal.system:
        return frozenset({SYSTEM})
    if principal.is_client:
        return _client_roles(principal, case, kind, private=private)
    user = principal.user
    if user is None:
        return frozenset()
    roles: set[str] = set()
    if user.id in (case.owner_id, case.submitted_by_id):
        roles.add(kind.owner_role)
    if principal.is_officer and case.department_id == user.department_id and not private:
        roles |= principal.officer_roles | {OFFICER}
    return frozenset(roles)


def _client_roles(
    principal: Principal, case: Case, kind: CaseKind, *, private: bool
) -> frozenset[str]:
    roles: set[str] = set()
    if case.created_by_client == principal.client_id:
        roles.add(kind.owner_role)
    if kind.read_scope in principal.scopes and not private:
        roles.add(READER)
    return frozenset(roles)


def visible_case(
    session: Session,
    *,
    principal: Principal,
    kind: CaseKind,
    case_id: uuid.UUID,
    write: bool = False,
) -> tuple[Case, frozenset[str]]:
    """Load a case of ``kind`` the caller may see, with their roles on it, or raise 404."""
    principal.require_scope(kind.write_scope if write else kind.read_scope)
    case = repository.get_case(session, case_id)
    if case is None or case.kind != kind.name:
        raise NotFound(kind.not_found)
    roles = roles_on(principal, case, kind)
    if not roles:
        raise NotFound(kind.not_found)
    return case, roles


def owner_may_edit(case: Case, roles: frozenset[str], kind: CaseKind) -> bool:
    """Whether the caller is the owner and the case is in a state its owner may still edit."""
    return kind.owner_role in roles and workflow_of(case).state(case.state).editable
