"""Case types plug into the kernel here: each declares what the kernel cannot know about it.

The kernel (reference numbers, timeline, SLA clock, assignment, access, queue, documents, the
outbox) works on the ``cases`` table and asks the case's ``CaseKind`` for the rest: the role its
owner plays in the workflows, its OAuth scopes, its own guards and effects (issuing a
certificate), what a document requirement allows, and what its events tell other systems.

Kinds are registered once per process by the composition root (``app.case_types``); registering
checks that every guard and effect the kind's workflows name has a handler, so a misspelt one
fails at start-up rather than doing nothing when an officer presses a button.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import TYPE_CHECKING, Any

from app.accounts.principal import Principal
from app.catalogue.deadlines import DeadlineRules
from app.errors import FieldError, Msg
from app.models import Case
from app.notifications.inbox import NoticeDraft
from app.notifications.outbox import EmailDraft
from app.workflow.definitions import PRIVATE_STATES, get_workflow
from app.workflow.engine import Transition, Workflow, missing_handlers

if TYPE_CHECKING:
    from app.db import Session


@dataclass
class Step:
    """One workflow action being taken: what guards check and effects work on.

    Effects add column changes to ``changes`` (applied with the state change, in one UPDATE),
    may do slow work before the row is touched (rendering a certificate), and queue work that
    must follow the action's own event in ``afterwards`` (the certificate's row and event).
    """

    session: Session
    case: Case
    kind: CaseKind
    workflow: Workflow
    transition: Transition
    principal: Principal
    comment: str | None
    now: datetime
    # What the calling process lends the effects (e.g. the certificate issuer); the kind that
    # needs it knows its type, the kernel only passes it on.
    env: object = None
    # What some actions take besides a comment: an extension's working days, a new assignee.
    days: int | None = None
    assignee_id: uuid.UUID | None = None
    changes: dict[str, Any] = field(default_factory=dict)
    # What the action's event records beyond the state change and comment (an extension's new
    # due day, the department a complaint was referred to): effects add to it, and it is hashed
    # into the timeline with the event.
    details: dict[str, Any] = field(default_factory=dict)
    afterwards: list[Callable[[], object]] = field(default_factory=list)


GuardHandler = Callable[[Step], list[FieldError]]
EffectHandler = Callable[[Step], None]


@dataclass(frozen=True)
class Requirement:
    """What one kind of document attached to a case may be (a requirement of a service)."""

    code: str
    label: Msg
    accepted_types: tuple[str, ...]
    max_bytes: int
    mandatory: bool


@dataclass(frozen=True, kw_only=True)
class CaseKind:
    """What a case type tells the kernel about itself."""

    name: str  # the cases.kind value and the prefix of its events ("application.submitted")
    owner_role: str  # the workflow role of the case's owner (and of whoever keyed it in)
    read_scope: str  # the OAuth scopes that read and change cases of this kind
    write_scope: str
    not_found: Msg  # what a case the caller may not see is called in a 404
    workflows: tuple[str, ...]  # the workflows its cases may run on
    # The catalogue field a webhook names the subject by ("service_code").
    subject_field: str
    guards: Mapping[str, GuardHandler] = field(default_factory=dict)
    effects: Mapping[str, EffectHandler] = field(default_factory=dict)
    # The requirement a document of this code must meet on this case (ValidationFailed if none).
    requirement: Callable[[Session, Case, str], Requirement]
    # Working days the authority has for a case (its service's or category's SLA).
    sla_days: Callable[[Session, Case], int]
    # What binds the authority's time on a case: its service's or category's deadline rules.
    deadline_rules: Callable[[Session, Case], DeadlineRules] = lambda *_: DeadlineRules()
    # Load the kind's own rows of many cases at once (the sweep's batch), so that what the
    # other callables ask per case is found in the session without a query each.
    preload: Callable[[Session, Sequence[Case]], None] = lambda *_: None
    # Events of this kind that stay inside Loket whatever the state (a form edit).
    private_events: frozenset[str] = frozenset()
    # Events of other names that still concern this kind's cases (certificate.issued).
    public_events: frozenset[str] = frozenset()
    # The e-mail an event sends to the owner, or None (only asked when mail is configured).
    email: Callable[[Session, Case, dict[str, Any]], EmailDraft | None] = lambda *_: None
    # The portal notifications an event sends to the owner (asked for every public event,
    # mail or no mail: app.notifications.inbox).
    notices: Callable[[Session, Case, dict[str, Any]], list[NoticeDraft]] = lambda *_: []
    # The case's subject in (Indonesian, English): its service's or category's name.
    subject_names: Callable[[Session, Case], tuple[str, str]] = lambda _, case: (
        case.subject_code,
        case.subject_code,
    )
    # Kind-specific fields of an event's webhook payload (e.g. the certificate's number).
    webhook_fields: Callable[[Case, dict[str, Any]], dict[str, Any]] = lambda *_: {}
    # Whether to offer an action on this case at all (the guards still decide when it is
    # taken): a permit's approval is offered in the one form its fee schedule calls for.
    offers: Callable[[Session, Case, Transition], bool] = lambda *_: True
    # What the "second_officer" guard says to the officer whose step it would confirm.
    second_officer_refusal: Msg = Msg(
        "Petugas yang memverifikasi permohonan ini tidak boleh juga menyetujuinya",
        "The officer who verified this application may not also approve it",
    )

    @property
    def id_field(self) -> str:
        """How payloads name a case's id: "application_id"."""
        return f"{self.name}_id"

    def event_name(self, transition: Transition) -> str:
        return f"{self.name}.{transition.event}"


_KINDS: dict[str, CaseKind] = {}


def register(kind: CaseKind, *, guards: Mapping[str, Any], effects: Mapping[str, Any]) -> None:
    """Make ``kind`` known to the kernel, or raise ValueError naming every guard or effect its
    workflows use that neither the kernel (``guards``, ``effects``) nor the kind carries out."""
    workflows = [get_workflow(name) for name in kind.workflows]
    problems = _unindexed_private_states(workflows)
    problems += missing_handlers(
        workflows,
        guards=set(guards) | set(kind.guards),
        effects=set(effects) | set(kind.effects),
    )
    if problems:
        raise ValueError(f"case type {kind.name!r}: " + "; ".join(problems))
    _KINDS[kind.name] = kind


def _unindexed_private_states(workflows: list[Workflow]) -> list[str]:
    # Queues leave private states out by name, with the predicate the queue's partial index
    # is built on: a private state outside it would show a resident's draft to officers.
    return [
        f"{workflow.name}: private state {state.name!r} is not in PRIVATE_STATES (a new "
        "private state needs its place in app/workflow/definitions.py and the queue index)"
        for workflow in workflows
        for state in workflow.states
        if state.private and state.name not in PRIVATE_STATES
    ]


def kind_named(name: str) -> CaseKind:
    """The registered kind called ``name``; LookupError if the process never registered it."""
    try:
        return _KINDS[name]
    except KeyError:
        raise LookupError(f"case type {name!r} is not registered (app.case_types)") from None


def registered() -> tuple[CaseKind, ...]:
    return tuple(_KINDS.values())


def workflow_of(case: Case) -> Workflow:
    """The workflow the case runs on (fixed when it was created)."""
    return get_workflow(case.workflow)
