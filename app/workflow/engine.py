"""Workflow interpreter: workflows are plain data, this module is the only code that reads them.

No database or web imports: the service layer resolves a transition here, checks its guards,
then performs the named effects itself.
"""

from __future__ import annotations

from collections.abc import Callable
from collections.abc import Set as AbstractSet
from dataclasses import dataclass

from app.errors import FieldError, Forbidden, InvalidTransition, Msg, ValidationFailed

ALL_ROLES: frozenset[str] = frozenset({"applicant", "verifier", "approver"})

# Effects are only names, carried out by the service layer; like GUARDS (below) they are a closed
# vocabulary so a typo in a definition fails at import instead of silently doing nothing.
EFFECTS: frozenset[str] = frozenset(
    {
        "start_sla",
        "pause_sla",
        "resume_sla",
        "claim",
        "release",
        "record_verifier",
        "decide",
        "close",
        "issue_certificate",
        "revoke_certificate",
    }
)


@dataclass(frozen=True, kw_only=True)
class Transition:
    """One action: from which states, to which state, by whom, under which guards."""

    action: str
    sources: frozenset[str]
    target: str | None  # None keeps the state (e.g. "claim" only changes the assignee)
    roles: frozenset[str]
    guards: tuple[str, ...] = ()
    effects: tuple[str, ...] = ()
    label: Msg


@dataclass(frozen=True)
class Workflow:
    """A named state machine; constructing one validates it, so an illegal one cannot exist."""

    name: str
    initial: str
    states: tuple[str, ...]
    transitions: tuple[Transition, ...]

    def __post_init__(self) -> None:
        validate_workflow(self)

    def transition(self, action: str, *, state: str | None = None) -> Transition | None:
        """The transition for ``action`` (from ``state`` when given), or None."""
        for candidate in self.transitions:
            if candidate.action == action and (state is None or state in candidate.sources):
                return candidate
        return None

    @property
    def actions(self) -> tuple[str, ...]:
        """Distinct action names in definition order."""
        return tuple(dict.fromkeys(t.action for t in self.transitions))


@dataclass(frozen=True)
class GuardContext:
    """What the guards need to know about the attempt; filled in by the service layer."""

    actor_id: str | None
    verified_by: str | None
    comment: str | None
    # Filled by the caller only for transitions with the "complete" guard: it needs form and files.
    incomplete: tuple[FieldError, ...] = ()


def validate_workflow(workflow: Workflow) -> None:
    """Raise ValueError listing every structural problem in ``workflow``."""
    problems = _state_problems(workflow)
    for transition in workflow.transitions:
        problems += _transition_problems(workflow, transition)
    problems += _ambiguity_problems(workflow)
    if not problems:
        problems += _unreachable_problems(workflow)
    if problems:
        raise ValueError(f"Workflow {workflow.name!r} is invalid: " + "; ".join(problems))


def _state_problems(workflow: Workflow) -> list[str]:
    problems = []
    if len(set(workflow.states)) != len(workflow.states):
        problems.append("duplicate state names")
    if workflow.initial not in workflow.states:
        problems.append(f"initial state {workflow.initial!r} is not a state")
    return problems


def _transition_problems(workflow: Workflow, transition: Transition) -> list[str]:
    where = f"action {transition.action!r}"
    problems = []
    unknown: AbstractSet[str]
    if not isinstance(transition.sources, frozenset) or not transition.sources:
        problems.append(f"{where}: sources must be a non-empty frozenset")
    elif unknown := transition.sources - set(workflow.states):
        problems.append(f"{where}: unknown source states {sorted(unknown)}")
    if transition.target is not None and transition.target not in workflow.states:
        problems.append(f"{where}: unknown target state {transition.target!r}")
    if not isinstance(transition.roles, frozenset) or not transition.roles:
        problems.append(f"{where}: roles must be a non-empty frozenset")
    elif unknown := transition.roles - ALL_ROLES:
        problems.append(f"{where}: unknown roles {sorted(unknown)}")
    if unknown := set(transition.guards) - GUARDS:
        problems.append(f"{where}: unknown guards {sorted(unknown)}")
    if unknown := set(transition.effects) - EFFECTS:
        problems.append(f"{where}: unknown effects {sorted(unknown)}")
    return problems


def _ambiguity_problems(workflow: Workflow) -> list[str]:
    # The same action may appear twice (with different roles), but never from the same state:
    # otherwise resolve() would depend on definition order.
    seen: set[tuple[str, str]] = set()
    problems = []
    for transition in workflow.transitions:
        for source in transition.sources:
            if (source, transition.action) in seen:
                problems.append(f"action {transition.action!r} defined twice from {source!r}")
            seen.add((source, transition.action))
    return problems


def _unreachable_problems(workflow: Workflow) -> list[str]:
    reached = {workflow.initial}
    frontier = [workflow.initial]
    while frontier:
        state = frontier.pop()
        for transition in workflow.transitions:
            target = transition.target
            if state in transition.sources and target is not None and target not in reached:
                reached.add(target)
                frontier.append(target)
    missing = [state for state in workflow.states if state not in reached]
    return [f"unreachable states {missing}"] if missing else []


def allowed_actions(workflow: Workflow, *, state: str, roles: frozenset[str]) -> list[Transition]:
    """Transitions a caller holding ``roles`` may start from ``state``, in definition order."""
    return [t for t in workflow.transitions if state in t.sources and t.roles & roles]


def resolve(workflow: Workflow, *, state: str, action: str, roles: frozenset[str]) -> Transition:
    """The transition for ``action`` from ``state``; InvalidTransition (409) or Forbidden (403)."""
    transition = workflow.transition(action, state=state)
    if transition is None:
        raise InvalidTransition(detail=_not_allowed_here(workflow, state=state, action=action))
    if not transition.roles & roles:
        allowed = ", ".join(sorted(transition.roles))
        raise Forbidden(
            detail=Msg(
                f"Peran Anda tidak boleh melakukan tindakan '{action}' (hanya: {allowed})",
                f"Your role may not perform the action '{action}' (only: {allowed})",
            )
        )
    return transition


def _not_allowed_here(workflow: Workflow, *, state: str, action: str) -> Msg:
    if action not in workflow.actions:
        return Msg(
            f"Tindakan '{action}' tidak dikenal pada status '{state}'",
            f"Unknown action '{action}' in state '{state}'",
        )
    return Msg(
        f"Tindakan '{action}' tidak dapat dilakukan pada status '{state}'",
        f"The action '{action}' is not possible in state '{state}'",
    )


def check_guards(transition: Transition, context: GuardContext) -> None:
    """Raise Forbidden or ValidationFailed if any guard of ``transition`` fails."""
    errors: list[FieldError] = []
    for name in transition.guards:
        errors += _GUARD_CHECKS[name](context)
    if errors:
        raise ValidationFailed(errors=errors)


def _guard_complete(context: GuardContext) -> list[FieldError]:
    return list(context.incomplete)


def _guard_comment_required(context: GuardContext) -> list[FieldError]:
    if context.comment and context.comment.strip():
        return []
    message = Msg(
        "Komentar wajib diisi untuk tindakan ini", "A comment is required for this action"
    )
    return [FieldError("comment", message)]


def _guard_not_verifier(context: GuardContext) -> list[FieldError]:
    # Separation of duties is a permission matter, so it is a 403 rather than a field error.
    # An unknown actor cannot be shown to differ from the verifier, so it is refused too.
    if context.actor_id is None or context.actor_id == context.verified_by:
        raise Forbidden(
            detail=Msg(
                "Petugas yang memverifikasi permohonan ini tidak boleh juga menyetujuinya",
                "The officer who verified this application may not also approve it",
            )
        )
    return []


_GUARD_CHECKS: dict[str, Callable[[GuardContext], list[FieldError]]] = {
    "complete": _guard_complete,
    "comment_required": _guard_comment_required,
    "not_verifier": _guard_not_verifier,
}
GUARDS: frozenset[str] = frozenset(_GUARD_CHECKS)


def to_mermaid(workflow: Workflow, *, lang: str | None = None) -> str:
    """A Mermaid ``stateDiagram-v2``; edges are labelled by action, or by label in ``lang``."""
    lines = ["stateDiagram-v2", f"    [*] --> {workflow.initial}"]
    for transition in workflow.transitions:
        text = transition.action if lang is None else transition.label.in_lang(lang)
        # A colon or line break would end the edge label early in Mermaid's grammar.
        text = text.replace(":", " ").replace("\n", " ")
        for source in sorted(transition.sources, key=workflow.states.index):
            target = transition.target or source
            lines.append(f"    {source} --> {target} : {text}")
    for state in workflow.states:
        if not any(state in t.sources for t in workflow.transitions):
            lines.append(f"    {state} --> [*]")
    return "\n".join(lines) + "\n"
