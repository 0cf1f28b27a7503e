"""Handling a report: workflow actions (triage, work, resolve, verify, confirm, reopen), the
rating, and the sweep that closes verified reports their reporter left unanswered.

Every state change goes through the kernel's ``take_action``; ``refer`` and ``mark_duplicate``
carry what they need (the department, the original report) to the kind's effects.
"""

from __future__ import annotations

import uuid
from datetime import datetime

from app.accounts import repository as accounts_repo
from app.accounts.principal import Principal
from app.cases import actions
from app.cases import repository as cases_repo
from app.cases.access import SYSTEM
from app.cases.kinds import workflow_of
from app.cases.schemas import ActionList, TransitionRequest
from app.complaints import repository
from app.complaints.kind import COMPLAINT, REOPEN_WINDOW, Referral, complaint_workflow_name
from app.complaints.schemas import ComplaintRead, ComplaintTransitionRequest, RatingCreate
from app.complaints.service import present, visible_complaint
from app.db import Session
from app.errors import Conflict, InvalidTransition, Msg, NotFound, invalid
from app.models import Case
from app.models.base import utcnow
from app.workflow.definitions import get_workflow
from app.workflow.engine import Workflow

REFER, MARK_DUPLICATE, VERIFY = "refer", "mark_duplicate", "verify"


def available_actions(
    session: Session, *, principal: Principal, complaint_id: uuid.UUID, lang: str
) -> ActionList:
    return actions.available_actions(
        session, principal=principal, kind=COMPLAINT, case_id=complaint_id, lang=lang
    )


def transition(
    session: Session,
    *,
    principal: Principal,
    complaint_id: uuid.UUID,
    request: ComplaintTransitionRequest,
    lang: str = "id",
) -> ComplaintRead:
    """Take one workflow action on a report, with what ``refer``/``mark_duplicate`` need."""
    case, roles = visible_complaint(
        session, principal=principal, complaint_id=complaint_id, write=True
    )
    referral = _referral(session, principal=principal, case=case, request=request)
    changed = actions.take_action(
        session,
        principal=principal,
        kind=COMPLAINT,
        case_id=complaint_id,
        request=TransitionRequest(
            action=request.action,
            comment=request.comment,
            version=request.version,
            days=request.days,
            assignee_id=request.assignee_id,
        ),
        env=referral,
    )
    # The roles the caller acted with: after a referral the report is another department's,
    # but the answer to the referral itself still shows what was done.
    return present(session, changed, roles=roles, lang=lang, principal=principal)


def _referral(
    session: Session, *, principal: Principal, case: Case, request: ComplaintTransitionRequest
) -> Referral | None:
    if request.department_code is not None and request.action != REFER:
        raise invalid("department_code", "Hanya untuk 'refer'", "Only for 'refer'")
    if request.duplicate_of is not None and request.action != MARK_DUPLICATE:
        raise invalid("duplicate_of", "Hanya untuk 'mark_duplicate'", "Only for 'mark_duplicate'")
    if request.action == REFER and request.department_code is not None:
        department = accounts_repo.department_by_code(session, request.department_code)
        if department is None:
            raise invalid("department_code", "Dinas tidak dikenal", "Unknown department")
        if department.id == case.department_id:
            raise invalid(
                "department_code",
                "Laporan sudah ditangani dinas ini",
                "The report is already with this department",
            )
        return Referral(department_id=department.id, department_code=department.code)
    if request.action == MARK_DUPLICATE and request.duplicate_of is not None:
        return Referral(duplicate_of=_original(session, principal, case, request.duplicate_of))
    return None


def _original(session: Session, principal: Principal, case: Case, named: str) -> Case:
    """The report ``named`` (a reference or an id) that ``case`` duplicates: another report
    the officer's department handles, itself no duplicate."""
    original = repository.case_by_reference(session, named.upper())
    if original is None:
        try:
            original = cases_repo.get_case(session, uuid.UUID(named))
        except ValueError:
            original = None
    unknown = invalid(
        "duplicate_of",
        "Laporan asal tidak ditemukan di dinas Anda",
        "No such report in your department",
    )
    if original is None or original.kind != COMPLAINT.name or original.id == case.id:
        raise unknown
    try:
        visible_complaint(session, principal=principal, complaint_id=original.id)
    except NotFound:
        raise unknown from None
    if repository.get_complaint(session, original.id).duplicate_of_id is not None:  # type: ignore[union-attr]
        raise invalid(
            "duplicate_of",
            "Laporan itu sendiri duplikat; sebutkan laporan asalnya",
            "That report is itself a duplicate; name its original",
        )
    return original


def rate(
    session: Session,
    *,
    principal: Principal,
    complaint_id: uuid.UUID,
    request: RatingCreate,
    lang: str = "id",
) -> ComplaintRead:
    """The reporter rates the handling, once, after the fix is verified."""
    case, roles = visible_complaint(
        session, principal=principal, complaint_id=complaint_id, write=True
    )
    if COMPLAINT.owner_role not in roles:
        raise NotFound(COMPLAINT.not_found)
    if not fixed(workflow_of(case), case.state):
        raise InvalidTransition(
            Msg(
                "Penanganan dapat dinilai setelah penyelesaian diverifikasi",
                "The handling can be rated once the fix is verified",
            )
        )
    if not repository.rate(
        session, case.id, score=request.score, comment=request.comment, at=utcnow()
    ):
        raise Conflict(Msg("Laporan ini sudah Anda nilai", "You have already rated this report"))
    session.expire_all()
    return present(session, case, roles=roles, lang=lang, principal=principal)


def fixed(workflow: Workflow, state: str) -> bool:
    """Whether a report in ``state`` counts as its fix verified (the outcome ``verify`` leads
    to): when its reporter may rate the handling."""
    verify = workflow.transition(VERIFY)
    if verify is None or verify.target is None:
        return False
    return workflow.state(state).outcome == workflow.state(verify.target).outcome


def close_unanswered(session: Session, *, now: datetime | None = None) -> list[str]:
    """Close every verified report whose reporter neither confirmed nor reopened it within the
    window; returns their references. The system takes the workflow's ``auto_close``."""
    moment = now or utcnow()
    workflow = get_workflow(complaint_workflow_name())
    closing = [t for t in workflow.transitions if SYSTEM in t.roles]
    states = tuple(sorted({source for t in closing for source in t.sources}))
    system = Principal.itself(COMPLAINT.read_scope, COMPLAINT.write_scope)
    closed = []
    for case_id in repository.verified_before(
        session, kind=COMPLAINT.name, states=states, before=moment - REOPEN_WINDOW
    ):
        case = cases_repo.get_case(session, case_id)
        if case is None:
            continue
        for candidate in closing:
            if case.state in candidate.sources:
                actions.take_action(
                    session,
                    principal=system,
                    kind=COMPLAINT,
                    case_id=case_id,
                    request=TransitionRequest(action=candidate.action, version=case.version),
                )
                closed.append(case.reference)
                break
    return closed
