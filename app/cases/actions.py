"""Moving a case through its workflow: the only way a case's state changes, for every type.

``take_action`` resolves the action in the case's workflow, checks the caller's version and the
transition's guards, runs its effects (named handlers: the kernel's below, or the case type's
own), then applies the state change and appends its event in one write. Nothing here commits.
"""

from __future__ import annotations

import uuid
from collections.abc import Mapping
from datetime import datetime

from app.accounts.principal import SYSTEM, Principal
from app.cases import clock, deadlines, kinds, timeline
from app.cases.access import visible_case
from app.cases.kinds import CaseKind, EffectHandler, GuardHandler, Step, workflow_of
from app.cases.schemas import ActionList, ActionRead, TransitionRequest
from app.cases.timeline import EventDraft
from app.db import Session
from app.errors import FieldError, Forbidden, Msg, StaleVersion, ValidationFailed
from app.models import Case
from app.models.base import utcnow
from app.workflow.engine import SYSTEM_ROLE, Transition, allowed_actions, resolve

COMMENT_REQUIRED = "comment_required"
SECOND_OFFICER = "second_officer"


# --- the kernel's guards and effects ------------------------------------------------------------


def _comment_required(step: Step) -> list[FieldError]:
    if step.comment and step.comment.strip():
        return []
    message = Msg(
        "Komentar wajib diisi untuk tindakan ini", "A comment is required for this action"
    )
    return [FieldError("comment", message)]


def _second_officer(step: Step) -> list[FieldError]:
    # Separation of duties is a permission matter, so it is a 403 rather than a field error.
    # An unknown actor cannot be shown to differ from the first officer, so it is refused too.
    first = step.case.first_officer_id
    actor = step.principal.actor_id
    if not step.principal.user or actor == (str(first) if first else None):
        raise Forbidden(detail=step.kind.second_officer_refusal)
    return []


_OWN_GUARDS: Mapping[str, GuardHandler] = {
    COMMENT_REQUIRED: _comment_required,
    SECOND_OFFICER: _second_officer,
}


def _start_sla(step: Step) -> None:
    days = step.kind.sla_days(step.session, step.case)
    step.changes |= {
        "submitted_at": step.now,
        "due_at": clock.due_date(submitted=step.now, sla_days=days),
    }


def _pause_sla(step: Step) -> None:
    step.changes["paused_at"] = step.now


def _resume_sla(step: Step) -> None:
    case = step.case
    if case.paused_at is None or case.due_at is None:
        step.changes["paused_at"] = None
        return
    due, paused = clock.resumed_due_date(
        due=case.due_at, paused_at=case.paused_at, resumed_at=step.now
    )
    step.changes |= {
        "due_at": due,
        "paused_at": None,
        "paused_working_days": case.paused_working_days + paused,
    }


def _acting_user(step: Step) -> uuid.UUID | None:
    return step.principal.user.id if step.principal.user else None


def _claim(step: Step) -> None:
    step.changes["assigned_to_id"] = _acting_user(step)


def _release(step: Step) -> None:
    step.changes["assigned_to_id"] = None


def _record_first_officer(step: Step) -> None:
    step.changes["first_officer_id"] = _acting_user(step)


def _decide(step: Step) -> None:
    step.changes["decided_at"] = step.now


_OWN_EFFECTS: Mapping[str, EffectHandler] = {
    "start_sla": _start_sla,
    "pause_sla": _pause_sla,
    "resume_sla": _resume_sla,
    "claim": _claim,
    "release": _release,
    "record_first_officer": _record_first_officer,
    "decide": _decide,
    "close": _decide,  # withdrawing closes the file; statistics date it like a decision
}
GUARDS: Mapping[str, GuardHandler] = {**_OWN_GUARDS, **deadlines.GUARDS}
EFFECTS: Mapping[str, EffectHandler] = {**_OWN_EFFECTS, **deadlines.EFFECTS}


def register_kind(kind: CaseKind) -> None:
    """Make a case type known, checking its workflows against these handlers and its own."""
    kinds.register(kind, guards=GUARDS, effects=EFFECTS)


# --- taking an action ---------------------------------------------------------------------------


def check_version(case: Case, version: int) -> None:
    """Optimistic locking: the caller must have seen the current version."""
    if case.version != version:
        raise StaleVersion(
            Msg(
                f"Versi saat ini {case.version}, bukan {version}",
                f"The current version is {case.version}, not {version}",
            )
        )


def available_actions(
    session: Session, *, principal: Principal, kind: CaseKind, case_id: uuid.UUID, lang: str
) -> ActionList:
    """What this caller may do with the case right now."""
    case, roles = visible_case(session, principal=principal, kind=kind, case_id=case_id)
    items = [
        ActionRead(
            action=t.action,
            label=t.label.in_lang(lang),
            target_state=t.target,
            needs_comment=COMMENT_REQUIRED in t.guards,
            needs_days="extension_allowed" in t.guards,
            needs_assignee="assignee_in_department" in t.guards,
        )
        for t in allowed_actions(workflow_of(case), state=case.state, roles=roles)
        if _may_attempt(t, case, principal)
        and _may_extend(session, t, case, kind)
        and kind.offers(session, case, t)
    ]
    return ActionList(state=case.state, version=case.version, items=items)


def _may_attempt(transition: Transition, case: Case, principal: Principal) -> bool:
    # Hide the confirming step from the first officer: separation of duties would refuse it.
    return not (
        SECOND_OFFICER in transition.guards and str(case.first_officer_id) == principal.actor_id
    )


def _may_extend(session: Session, transition: Transition, case: Case, kind: CaseKind) -> bool:
    # Offer the extension only where the service allows one and it was not used yet.
    if "extension_allowed" not in transition.guards:
        return True
    return not case.extended_days and kind.deadline_rules(session, case).max_extension_days > 0


def take_action(
    session: Session,
    *,
    principal: Principal,
    kind: CaseKind,
    case_id: uuid.UUID,
    request: TransitionRequest,
    env: object = None,
) -> Case:
    """Take one workflow action, with its guards, effects and event, or change nothing."""
    case, roles = visible_case(session, principal=principal, kind=kind, case_id=case_id, write=True)
    workflow = workflow_of(case)
    transition = resolve(workflow, state=case.state, action=request.action, roles=roles)
    check_version(case, request.version)
    step = Step(
        session=session,
        case=case,
        kind=kind,
        workflow=workflow,
        transition=transition,
        principal=principal,
        comment=request.comment,
        now=utcnow(),
        env=env,
        days=request.days,
        assignee_id=request.assignee_id,
    )
    return _carry_out(step, expected_version=request.version)


def take_system_action(
    session: Session,
    *,
    case: Case,
    action: str,
    now: datetime,
    env: object = None,
    details: dict | None = None,
) -> Case:
    """Loket itself takes ``action`` (the deadline sweep: warn, escalate, deemed approve) on a
    case the caller loaded, as the actor ``system``, through the same guards and effects."""
    kind = kinds.kind_named(case.kind)
    workflow = workflow_of(case)
    transition = resolve(workflow, state=case.state, action=action, roles=frozenset({SYSTEM_ROLE}))
    step = Step(
        session=session,
        case=case,
        kind=kind,
        workflow=workflow,
        transition=transition,
        principal=SYSTEM,
        comment=None,
        now=now,
        env=env,
        details=dict(details or {}),
    )
    # The version is the officers' optimistic lock: a system step bumps it (a form open in a
    # browser is stale once the case was escalated or approved) but checks only the chain.
    return _carry_out(step, expected_version=case.version)


def _carry_out(step: Step, *, expected_version: int) -> Case:
    case, kind, transition, principal = step.case, step.kind, step.transition, step.principal
    _check_guards(step)
    # Effects may do slow work (render a certificate) before the row is touched: no lock held.
    for name in transition.effects:
        _handler(kind.effects, EFFECTS, name)(step)
    from_state = case.state
    if transition.target is not None:
        step.changes["state"] = transition.target
    deadlines.track(step)
    timeline.append(
        step.session,
        case=case,
        expected_version=expected_version,
        changes=step.changes,
        draft=EventDraft(
            kind.event_name(transition),
            principal.actor_type,
            principal.actor_id,
            from_state=from_state,
            to_state=transition.target or from_state,
            comment=step.comment,
            details=step.details | principal.event_details,
        ),
    )
    for then in step.afterwards:
        then()
    return case


def _check_guards(step: Step) -> None:
    errors: list[FieldError] = []
    for name in step.transition.guards:
        errors += _handler(step.kind.guards, GUARDS, name)(step)
    if errors:
        raise ValidationFailed(errors=errors)


def _handler(own: Mapping, kernel: Mapping, name: str):
    # ``register_kind`` checked at start-up that one of the two has every name.
    return own[name] if name in own else kernel[name]
