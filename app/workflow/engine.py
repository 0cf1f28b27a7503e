"""Workflow interpreter: workflows are plain data, this module is the only code that reads them.

No database or web imports. A workflow declares its states with what they mean (who holds the
file, whether the SLA clock runs, whether the owner may still edit, whether it is final, its
words for people) and its transitions with the names of their guards and effects. The case
kernel (``app.cases``) carries the guards and effects out through named handlers, and checks at
start-up that every name used here has one (``missing_handlers``).
"""

from __future__ import annotations

from collections.abc import Iterable
from collections.abc import Set as AbstractSet
from dataclasses import dataclass
from typing import Literal

from app.errors import Forbidden, InvalidTransition, Msg

# Who may take an action: the case's owner (the applicant of a permit, the reporter of a
# complaint), officers of the
# handling department holding an officer role (a ``head`` receives escalations and objections),
# any officer of that department, or Loket itself (``system``: the deadline sweep).
ALL_ROLES: frozenset[str] = frozenset(
    {"applicant", "reporter", "verifier", "approver", "head", "officer", "system"}
)
SYSTEM_ROLE = "system"

Clock = Literal["runs", "paused", "stopped"]
Holder = Literal["owner", "authority", "nobody"]


@dataclass(frozen=True, kw_only=True)
class State:
    """One state and what it means; code asks these questions, never compares names."""

    name: str
    label: Msg  # in the words residents read
    officer_label: Msg | None = None  # where officers need other words (else ``label``)
    short_label: Msg | None = None  # where space is short (a diagram's boxes)
    holder: Holder  # who has to act: the resident, the authority, nobody (closed)
    clock: Clock  # the SLA clock: runs while the authority holds the file, else paused/stopped
    editable: bool = False  # the owner may still change the form and the documents
    private: bool = False  # only the owner sees the case (an unfinished draft)
    final: bool = False  # decided or closed; only acts on the decision may follow
    certified: bool = False  # the case has its certificate in this state
    # The authority (a head) answers the owner's objection to its decision (keberatan): its
    # clock is the time to answer, and only objection steps follow.
    objection: bool = False
    outcome: str | None = None  # what statistics count a case ending here as
    open311: Literal["open", "closed"] | None = None  # GeoReport status (None: from ``final``)

    def words(self, lang: str, *, officer: bool = False, short: bool = False) -> str:
        """The state in words for a resident (default), an officer, or a small box."""
        chosen = (short and self.short_label) or (officer and self.officer_label) or self.label
        return chosen.in_lang(lang)

    @property
    def open311_status(self) -> str:
        return self.open311 or ("closed" if self.final else "open")


@dataclass(frozen=True, kw_only=True)
class Transition:
    """One action: from which states, to which state, by whom, under which guards."""

    action: str
    sources: frozenset[str]
    target: str | None  # None keeps the state (e.g. "claim" only changes the assignee)
    roles: frozenset[str]
    event: str  # past tense, the timeline's word for it: "submitted", "review_started"
    guards: tuple[str, ...] = ()
    effects: tuple[str, ...] = ()
    label: Msg


@dataclass(frozen=True)
class Workflow:
    """A named state machine; constructing one validates it, so an illegal one cannot exist."""

    name: str
    initial: str
    states: tuple[State, ...]
    transitions: tuple[Transition, ...]

    def __post_init__(self) -> None:
        validate_workflow(self)
        # Asked for every case shown (twenty per queue page): a lookup, not a scan.
        object.__setattr__(self, "_by_name", {state.name: state for state in self.states})

    @property
    def state_names(self) -> tuple[str, ...]:
        return tuple(state.name for state in self.states)

    def state(self, name: str) -> State:
        """The state called ``name``; ValueError for a name this workflow does not have."""
        found = self._by_name.get(name)  # type: ignore[attr-defined]
        if found is None:
            raise ValueError(f"workflow {self.name!r} has no state {name!r}")
        return found

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
    names = workflow.state_names
    if len(set(names)) != len(names):
        problems.append("duplicate state names")
    if workflow.initial not in names:
        problems.append(f"initial state {workflow.initial!r} is not a state")
    for state in workflow.states:
        problems += _meaning_problems(state)
    return problems


def _meaning_problems(state: State) -> list[str]:
    """States whose declared meanings contradict each other."""
    where = f"state {state.name!r}"
    expected_holder = {"runs": "authority", "paused": "owner"}.get(state.clock)
    problems = []
    if expected_holder and state.holder != expected_holder:
        problems.append(f"{where}: a clock that {state.clock} means the {expected_holder} holds it")
    if state.final and (state.holder != "nobody" or state.clock != "stopped" or state.editable):
        problems.append(f"{where}: a final state is held by nobody, stopped and not editable")
    if state.editable and state.holder != "owner":
        problems.append(f"{where}: only the owner edits, so an editable state is the owner's")
    if state.private and not state.editable:
        problems.append(f"{where}: a private state is the owner's unfinished, editable work")
    if state.certified and not state.final:
        problems.append(f"{where}: a certificate exists only once the case is decided")
    return problems


def _transition_problems(workflow: Workflow, transition: Transition) -> list[str]:
    where = f"action {transition.action!r}"
    problems = []
    unknown: AbstractSet[str]
    names = set(workflow.state_names)
    if not isinstance(transition.sources, frozenset) or not transition.sources:
        problems.append(f"{where}: sources must be a non-empty frozenset")
    elif unknown := transition.sources - names:
        problems.append(f"{where}: unknown source states {sorted(unknown)}")
    if transition.target is not None and transition.target not in names:
        problems.append(f"{where}: unknown target state {transition.target!r}")
    if not isinstance(transition.roles, frozenset) or not transition.roles:
        problems.append(f"{where}: roles must be a non-empty frozenset")
    elif unknown := transition.roles - ALL_ROLES:
        problems.append(f"{where}: unknown roles {sorted(unknown)}")
    if not transition.event.isidentifier():
        problems.append(f"{where}: event {transition.event!r} is not a plain word")
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
    missing = [name for name in workflow.state_names if name not in reached]
    return [f"unreachable states {missing}"] if missing else []


def missing_handlers(
    workflows: Iterable[Workflow], *, guards: AbstractSet[str], effects: AbstractSet[str]
) -> list[str]:
    """Guard and effect names the workflows use that no handler carries out (checked at
    start-up, so a misspelt name fails there instead of silently doing nothing)."""
    problems = []
    for workflow in workflows:
        for transition in workflow.transitions:
            where = f"{workflow.name}: action {transition.action!r}"
            if unknown := set(transition.guards) - guards:
                problems.append(f"{where}: unknown guards {sorted(unknown)}")
            if unknown := set(transition.effects) - effects:
                problems.append(f"{where}: unknown effects {sorted(unknown)}")
    return problems


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


def to_mermaid(workflow: Workflow, *, lang: str | None = None) -> str:
    """A Mermaid ``stateDiagram-v2``; edges are labelled by action, or by label in ``lang``."""
    lines = ["stateDiagram-v2", f"    [*] --> {workflow.initial}"]
    names = workflow.state_names
    for transition in workflow.transitions:
        text = transition.action if lang is None else transition.label.in_lang(lang)
        # A colon or line break would end the edge label early in Mermaid's grammar.
        text = text.replace(":", " ").replace("\n", " ")
        for source in sorted(transition.sources, key=names.index):
            target = transition.target or source
            lines.append(f"    {source} --> {target} : {text}")
    for name in names:
        if not any(name in t.sources for t in workflow.transitions):
            lines.append(f"    {name} --> [*]")
    return "\n".join(lines) + "\n"
