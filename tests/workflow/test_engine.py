"""The workflow interpreter, checked against expectations written out by hand."""

from __future__ import annotations

import dataclasses

import pytest

from app.errors import FieldError, Forbidden, InvalidTransition, Msg, ValidationFailed
from app.workflow.definitions import (
    ACTIVE_STATES,
    ALL_ROLES,
    FINAL_STATES,
    PAUSED_STATES,
    WORKFLOWS,
    get_workflow,
)
from app.workflow.engine import (
    GuardContext,
    Transition,
    Workflow,
    allowed_actions,
    check_guards,
    resolve,
    to_mermaid,
    validate_workflow,
)

A, V, P = "applicant", "verifier", "approver"

# (state, action) -> (target, roles allowed). Written out literally: not derived from the engine.
SINGLE_EXPECTED: dict[tuple[str, str], tuple[str | None, set[str]]] = {
    ("draft", "submit"): ("submitted", {A}),
    ("submitted", "start_review"): ("in_review", {V, P}),
    ("submitted", "claim"): (None, {V, P}),
    ("in_review", "claim"): (None, {V, P}),
    ("in_review", "request_revision"): ("revision_requested", {V, P}),
    ("revision_requested", "resubmit"): ("submitted", {A}),
    ("in_review", "approve"): ("approved", {P}),
    ("in_review", "reject"): ("rejected", {P}),
    ("draft", "withdraw"): ("withdrawn", {A}),
    ("submitted", "withdraw"): ("withdrawn", {A}),
    ("revision_requested", "withdraw"): ("withdrawn", {A}),
    ("approved", "revoke"): ("revoked", {P}),
}
SINGLE_STATES = (
    "draft",
    "submitted",
    "in_review",
    "revision_requested",
    "approved",
    "rejected",
    "withdrawn",
    "revoked",
)

TWO_LEVEL_EXPECTED: dict[tuple[str, str], tuple[str | None, set[str]]] = {
    ("draft", "submit"): ("submitted", {A}),
    ("submitted", "start_verification"): ("in_verification", {V}),
    ("submitted", "claim"): (None, {V, P}),
    ("in_verification", "claim"): (None, {V, P}),
    ("verified", "claim"): (None, {V, P}),
    ("in_verification", "request_revision"): ("revision_requested", {V}),
    ("verified", "request_revision"): ("revision_requested", {P}),
    ("revision_requested", "resubmit"): ("submitted", {A}),
    ("in_verification", "verify"): ("verified", {V}),
    ("verified", "approve"): ("approved", {P}),
    ("in_verification", "reject"): ("rejected", {V, P}),
    ("verified", "reject"): ("rejected", {V, P}),
    ("draft", "withdraw"): ("withdrawn", {A}),
    ("submitted", "withdraw"): ("withdrawn", {A}),
    ("revision_requested", "withdraw"): ("withdrawn", {A}),
    ("approved", "revoke"): ("revoked", {P}),
}
TWO_LEVEL_STATES = (
    "draft",
    "submitted",
    "in_verification",
    "verified",
    "revision_requested",
    "approved",
    "rejected",
    "withdrawn",
    "revoked",
)

CASES = {
    "single_approval": (SINGLE_STATES, SINGLE_EXPECTED),
    "two_level": (TWO_LEVEL_STATES, TWO_LEVEL_EXPECTED),
}
# Every action of either workflow plus one neither knows, tried in every state of both.
ACTIONS = sorted({a for _, exp in CASES.values() for _, a in exp} | {"frobnicate"})


def _label(name: str) -> Msg:
    return Msg(f"{name} (id)", name)


@pytest.mark.parametrize("name", sorted(CASES))
def test_states_are_as_specified(name: str) -> None:
    states, _ = CASES[name]
    assert get_workflow(name).states == states
    assert get_workflow(name).initial == "draft"


@pytest.mark.parametrize("name", sorted(CASES))
def test_resolve_agrees_with_table_for_every_state_action_role(name: str) -> None:
    states, expected = CASES[name]
    workflow = get_workflow(name)
    checked = 0
    for state in states:
        for action in ACTIONS:
            for role in sorted(ALL_ROLES):
                roles = frozenset({role})
                if (state, action) not in expected:
                    with pytest.raises(InvalidTransition):
                        resolve(workflow, state=state, action=action, roles=roles)
                    continue
                target, allowed = expected[state, action]
                if role not in allowed:
                    with pytest.raises(Forbidden):
                        resolve(workflow, state=state, action=action, roles=roles)
                    continue
                transition = resolve(workflow, state=state, action=action, roles=roles)
                assert (transition.action, transition.target) == (action, target)
                assert state in transition.sources
                checked += 1
    assert checked == sum(len(roles) for _, roles in expected.values())


@pytest.mark.parametrize("name", sorted(CASES))
def test_no_transition_exists_beyond_the_table(name: str) -> None:
    _, expected = CASES[name]
    actual = {
        (source, t.action): (t.target, set(t.roles))
        for t in get_workflow(name).transitions
        for source in t.sources
    }
    assert actual == expected


def test_invalid_transition_detail_names_action_and_state() -> None:
    workflow = get_workflow("single_approval")
    with pytest.raises(InvalidTransition) as caught:
        resolve(workflow, state="draft", action="approve", roles=frozenset({P}))
    assert caught.value.status == 409
    for text in (caught.value.detail.id, caught.value.detail.en):
        assert "approve" in text and "draft" in text
    with pytest.raises(InvalidTransition) as caught:
        resolve(workflow, state="draft", action="frobnicate", roles=frozenset({P}))
    assert "frobnicate" in caught.value.detail.en and "draft" in caught.value.detail.id


def test_any_one_allowed_role_is_enough_and_no_roles_is_forbidden() -> None:
    workflow = get_workflow("two_level")
    officer = frozenset({V, P})
    assert resolve(workflow, state="verified", action="approve", roles=officer).target == "approved"
    with pytest.raises(Forbidden) as caught:
        resolve(workflow, state="verified", action="approve", roles=frozenset())
    assert caught.value.status == 403


def test_request_revision_resolves_to_the_transition_of_its_own_level() -> None:
    workflow = get_workflow("two_level")
    first = resolve(
        workflow, state="in_verification", action="request_revision", roles=frozenset({V})
    )
    second = resolve(workflow, state="verified", action="request_revision", roles=frozenset({P}))
    assert first.roles == {V} and second.roles == {P}
    assert workflow.transition("request_revision", state="verified") is second
    assert workflow.transition("nope") is None


def test_allowed_actions() -> None:
    workflow = get_workflow("two_level")

    def actions(state: str, *roles: str) -> list[str]:
        return [t.action for t in allowed_actions(workflow, state=state, roles=frozenset(roles))]

    assert actions("draft", A) == ["submit", "withdraw"]
    assert actions("draft", V, P) == []
    assert actions("submitted", V) == ["start_verification", "claim"]
    assert actions("submitted", P) == ["claim"]
    assert actions("verified", P) == ["claim", "request_revision", "approve", "reject"]
    assert actions("verified", V, P) == ["claim", "request_revision", "approve", "reject"]
    assert actions("in_verification", V) == ["claim", "request_revision", "verify", "reject"]
    assert actions("rejected", A, V, P) == []


def test_guard_effects_as_specified() -> None:
    single, two = get_workflow("single_approval"), get_workflow("two_level")
    assert single.transition("submit").guards == ("complete",)
    assert single.transition("submit").effects == ("start_sla",)
    assert single.transition("resubmit").effects == ("resume_sla",)
    assert single.transition("approve").effects == ("decide", "issue_certificate")
    assert single.transition("withdraw").effects == ("close",)
    assert single.transition("revoke").guards == ("comment_required",)
    assert two.transition("approve").guards == ("not_verifier",)
    assert two.transition("verify").effects == ("record_verifier", "release")
    for workflow in (single, two):
        for action in ("request_revision", "reject", "revoke"):
            assert workflow.transition(action).guards == ("comment_required",)


def test_separation_of_duties() -> None:
    approve = get_workflow("two_level").transition("approve")
    check_guards(approve, GuardContext(actor_id="u2", verified_by="u1", comment=None))
    with pytest.raises(Forbidden) as caught:
        check_guards(approve, GuardContext(actor_id="u1", verified_by="u1", comment=None))
    assert "verif" in caught.value.detail.en and "verifikasi" in caught.value.detail.id
    with pytest.raises(Forbidden):
        check_guards(approve, GuardContext(actor_id=None, verified_by=None, comment=None))


def test_single_approval_has_no_separation_guard() -> None:
    approve = get_workflow("single_approval").transition("approve")
    check_guards(approve, GuardContext(actor_id="u1", verified_by="u1", comment=None))


@pytest.mark.parametrize("comment", [None, "", "   \n"])
def test_comment_required_rejects_blank(comment: str | None) -> None:
    reject = get_workflow("single_approval").transition("reject")
    with pytest.raises(ValidationFailed) as caught:
        check_guards(reject, GuardContext(actor_id="u1", verified_by=None, comment=comment))
    assert [e.field for e in caught.value.errors] == ["comment"]
    assert caught.value.status == 422


def test_comment_required_accepts_text() -> None:
    reject = get_workflow("single_approval").transition("reject")
    check_guards(reject, GuardContext(actor_id="u1", verified_by=None, comment="Kurang NIB"))


def test_complete_guard_reports_the_callers_reasons() -> None:
    submit = get_workflow("single_approval").transition("submit")
    check_guards(submit, GuardContext(actor_id="u1", verified_by=None, comment=None))
    reasons = (
        FieldError("data.business_name", Msg("Wajib diisi", "Required")),
        FieldError("documents.ktp", Msg("Dokumen belum diunggah", "Document missing")),
    )
    context = GuardContext(actor_id="u1", verified_by=None, comment=None, incomplete=reasons)
    with pytest.raises(ValidationFailed) as caught:
        check_guards(submit, context)
    assert caught.value.errors == list(reasons)


def test_guardless_transition_ignores_context() -> None:
    withdraw = get_workflow("single_approval").transition("withdraw")
    reasons = (FieldError("x", Msg("a", "b")),)
    check_guards(withdraw, GuardContext(None, None, None, incomplete=reasons))


@pytest.mark.parametrize("name", sorted(CASES))
def test_mermaid_contains_every_transition(name: str) -> None:
    _, expected = CASES[name]
    text = to_mermaid(get_workflow(name))
    lines = {line.strip() for line in text.splitlines()}
    assert text.startswith("stateDiagram-v2\n")
    assert "[*] --> draft" in lines
    for (state, action), (target, _) in expected.items():
        assert f"{state} --> {target or state} : {action}" in lines
    for final in ("rejected", "withdrawn", "revoked"):
        assert f"{final} --> [*]" in lines


def test_mermaid_can_use_human_labels() -> None:
    text = to_mermaid(get_workflow("single_approval"), lang="en")
    assert "in_review --> approved : Approve" in text
    assert "draft --> submitted : Ajukan" in to_mermaid(get_workflow("single_approval"), lang="id")


def test_unknown_workflow_name() -> None:
    with pytest.raises(ValueError, match="no_such_flow") as caught:
        get_workflow("no_such_flow")
    assert "single_approval" in str(caught.value) and "two_level" in str(caught.value)


def test_state_groups_partition_every_workflow() -> None:
    assert not ACTIVE_STATES & PAUSED_STATES and not PAUSED_STATES & FINAL_STATES
    assert not ACTIVE_STATES & FINAL_STATES
    assert {A, V, P} == ALL_ROLES
    for workflow in WORKFLOWS.values():
        grouped = ACTIVE_STATES | PAUSED_STATES | FINAL_STATES | {workflow.initial}
        assert set(workflow.states) <= grouped
    assert {"submitted", "in_review", "in_verification", "verified"} == ACTIVE_STATES
    assert {"revision_requested"} == PAUSED_STATES
    assert {"approved", "rejected", "withdrawn", "revoked"} == FINAL_STATES


def _tiny(**changes: object) -> Workflow:
    fields = {
        "action": "go",
        "sources": frozenset({"a"}),
        "target": "b",
        "roles": frozenset({A}),
        "label": _label("go"),
    }
    fields.update(changes)
    return Workflow(
        name="tiny", initial="a", states=("a", "b"), transitions=(Transition(**fields),)
    )


@pytest.mark.parametrize(
    ("changes", "complaint"),
    [
        ({"sources": frozenset({"nowhere"})}, "unknown source"),
        ({"sources": frozenset()}, "sources"),
        ({"target": "nowhere"}, "unknown target"),
        ({"roles": frozenset({"admin"})}, "unknown roles"),
        ({"roles": frozenset()}, "roles"),
        ({"guards": ("is_friday",)}, "unknown guards"),
        ({"effects": ("send_fax",)}, "unknown effects"),
        ({"target": None}, "unreachable"),
    ],
)
def test_illegal_definitions_cannot_be_built(changes: dict[str, object], complaint: str) -> None:
    with pytest.raises(ValueError, match=complaint):
        _tiny(**changes)


def test_bad_initial_and_ambiguous_actions_are_rejected() -> None:
    good = _tiny()
    with pytest.raises(ValueError, match="initial"):
        dataclasses.replace(good, initial="nowhere")
    twice = good.transitions * 2
    with pytest.raises(ValueError, match="defined twice"):
        dataclasses.replace(good, transitions=twice)


def test_builtins_validate() -> None:
    for workflow in WORKFLOWS.values():
        validate_workflow(workflow)
