"""The workflow interpreter, checked against expectations written out by hand."""

from __future__ import annotations

import dataclasses

import pytest

from app.errors import Forbidden, InvalidTransition, Msg
from app.workflow.definitions import (
    ALL_ROLES,
    PRIVATE_STATES,
    PRIVATE_STATES_SQL,
    WORKFLOWS,
    get_workflow,
    states_where,
    work_order,
)
from app.workflow.engine import (
    State,
    Transition,
    Workflow,
    allowed_actions,
    missing_handlers,
    resolve,
    to_mermaid,
    validate_workflow,
)

A, V, P, H, S = "applicant", "verifier", "approver", "head", "system"


def _deadline_steps(running: tuple[str, ...]) -> dict[tuple[str, str], tuple[str | None, set[str]]]:
    """Section 11: from every state whose clock runs."""
    steps: dict[tuple[str, str], tuple[str | None, set[str]]] = {}
    for state in running:
        steps[state, "extend"] = (None, {V, P, H})
        steps[state, "reassign"] = (None, {H})
        steps[state, "warn_sla"] = (None, {S})
        steps[state, "escalate"] = (None, {S})
        steps[state, "deemed_approve"] = ("approved", {S})
    return steps


def _objection_steps(review: str) -> dict[tuple[str, str], tuple[str | None, set[str]]]:
    """Section 11: keberatan after a rejection, answered by a head."""
    return {
        ("rejected", "object"): ("objected", {A}),
        ("objected", "uphold_objection"): ("rejected", {H}),
        ("objected", "grant_objection"): (review, {H}),
        ("objected", "grant_objection_approve"): ("approved", {H}),
        ("objected", "deemed_grant_objection"): ("approved", {S}),
        ("objected", "escalate"): (None, {S}),
    }


def _payment_steps() -> dict[tuple[str, str], tuple[str | None, set[str]]]:
    """Section 12: a fee due on submission is billed by Loket and its payment hands the file
    back; the resident may withdraw while holding the bill."""
    return {
        ("submitted", "request_payment"): ("awaiting_payment", {S}),
        ("awaiting_payment", "record_payment"): ("submitted", {S}),
        ("awaiting_payment", "withdraw"): ("withdrawn", {A}),
        ("approved_pending_payment", "record_payment"): ("approved", {S}),
        ("approved_pending_payment", "withdraw"): ("withdrawn", {A}),
    }


# (state, action) -> (target, roles allowed). Written out literally: not derived from the engine.
SINGLE_EXPECTED: dict[tuple[str, str], tuple[str | None, set[str]]] = {
    ("draft", "submit"): ("submitted", {A}),
    ("submitted", "start_review"): ("in_review", {V, P}),
    ("submitted", "claim"): (None, {V, P}),
    ("in_review", "claim"): (None, {V, P}),
    ("in_review", "request_revision"): ("revision_requested", {V, P}),
    ("revision_requested", "resubmit"): ("submitted", {A}),
    ("in_review", "approve"): ("approved", {P}),
    ("in_review", "approve_pending_payment"): ("approved_pending_payment", {P}),
    ("in_review", "reject"): ("rejected", {P}),
    ("draft", "withdraw"): ("withdrawn", {A}),
    ("submitted", "withdraw"): ("withdrawn", {A}),
    ("revision_requested", "withdraw"): ("withdrawn", {A}),
    ("approved", "revoke"): ("revoked", {P}),
    **_payment_steps(),
    **_deadline_steps(("submitted", "in_review")),
    **_objection_steps("in_review"),
}
SINGLE_STATES = (
    "draft",
    "submitted",
    "awaiting_payment",
    "in_review",
    "revision_requested",
    "approved_pending_payment",
    "approved",
    "rejected",
    "objected",
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
    ("verified", "approve_pending_payment"): ("approved_pending_payment", {P}),
    ("in_verification", "reject"): ("rejected", {V, P}),
    ("verified", "reject"): ("rejected", {V, P}),
    ("draft", "withdraw"): ("withdrawn", {A}),
    ("submitted", "withdraw"): ("withdrawn", {A}),
    ("revision_requested", "withdraw"): ("withdrawn", {A}),
    ("approved", "revoke"): ("revoked", {P}),
    **_payment_steps(),
    **_deadline_steps(("submitted", "in_verification", "verified")),
    **_objection_steps("in_verification"),
}
TWO_LEVEL_STATES = (
    "draft",
    "submitted",
    "awaiting_payment",
    "in_verification",
    "verified",
    "revision_requested",
    "approved_pending_payment",
    "approved",
    "rejected",
    "objected",
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
    assert get_workflow(name).state_names == states
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
    assert actions("submitted", V) == ["start_verification", "claim", "extend"]
    assert actions("submitted", P) == ["claim", "extend"]
    # The engine lists both approvals; the permit kind offers the one the fee calls for.
    decide = ["claim", "request_revision", "approve", "approve_pending_payment", "reject", "extend"]
    assert actions("verified", P) == decide
    assert actions("verified", V, P) == decide
    assert actions("in_verification", V) == [
        "claim",
        "request_revision",
        "verify",
        "reject",
        "extend",
    ]
    assert actions("verified", H) == ["extend", "reassign"]
    assert actions("verified", S) == ["warn_sla", "escalate", "deemed_approve"]
    assert actions("rejected", V, P, H, S) == []
    assert actions("rejected", A) == ["object"]
    assert actions("objected", V, P) == []


def test_guard_effects_as_specified() -> None:
    single, two = get_workflow("single_approval"), get_workflow("two_level")
    assert single.transition("submit").guards == ("complete",)
    assert single.transition("submit").effects == ("start_sla", "bill_on_submit")
    assert single.transition("resubmit").effects == ("resume_sla",)
    assert single.transition("approve").effects == ("decide", "issue_certificate")
    assert single.transition("approve").guards == ("no_fee_before_issue",)
    assert single.transition("withdraw").effects == ("close", "cancel_invoices")
    assert single.transition("revoke").guards == ("comment_required",)
    assert two.transition("approve").guards == ("second_officer", "no_fee_before_issue")
    assert two.transition("approve_pending_payment").guards == (
        "second_officer",
        "fee_before_issue",
    )
    assert two.transition("verify").effects == ("record_first_officer", "release")
    for workflow in (single, two):
        for action in ("request_revision", "reject", "revoke"):
            assert workflow.transition(action).guards == ("comment_required",)


def test_every_transition_names_its_event_in_the_past_tense() -> None:
    single = get_workflow("single_approval")
    assert single.transition("submit").event == "submitted"
    assert single.transition("start_review").event == "review_started"
    assert single.transition("claim").event == "claimed"
    assert get_workflow("two_level").transition("start_verification").event == (
        "verification_started"
    )


@pytest.mark.parametrize("name", sorted(CASES))
def test_mermaid_contains_every_transition(name: str) -> None:
    _, expected = CASES[name]
    text = to_mermaid(get_workflow(name))
    lines = {line.strip() for line in text.splitlines()}
    assert text.startswith("stateDiagram-v2\n")
    assert "[*] --> draft" in lines
    for (state, action), (target, _) in expected.items():
        assert f"{state} --> {target or state} : {action}" in lines
    for final in ("withdrawn", "revoked"):  # a rejection may still be objected to
        assert f"{final} --> [*]" in lines


def test_mermaid_can_use_human_labels() -> None:
    text = to_mermaid(get_workflow("single_approval"), lang="en")
    assert "in_review --> approved : Approve" in text
    assert "draft --> submitted : Ajukan" in to_mermaid(get_workflow("single_approval"), lang="id")


def test_unknown_workflow_name() -> None:
    with pytest.raises(ValueError, match="no_such_flow") as caught:
        get_workflow("no_such_flow")
    assert "single_approval" in str(caught.value) and "two_level" in str(caught.value)


def test_states_say_what_they_mean() -> None:
    flows = [WORKFLOWS["single_approval"], WORKFLOWS["two_level"]]  # the permit workflows
    assert set(states_where(flows, clock="runs")) == {
        "submitted",
        "in_review",
        "in_verification",
        "verified",
        "objected",
    }
    assert set(states_where(flows, clock="paused")) == {
        "revision_requested",
        "awaiting_payment",
        "approved_pending_payment",
    }
    assert set(states_where(flows, final=True)) == {"approved", "rejected", "withdrawn", "revoked"}
    assert set(states_where(flows, editable=True)) == {"draft", "revision_requested"}
    assert set(states_where(flows, certified=True)) == {"approved", "revoked"}
    assert {"draft"} == PRIVATE_STATES and PRIVATE_STATES_SQL == "state <> 'draft'"
    assert {A, V, P, H, S, "officer", "reporter"} == ALL_ROLES
    single = get_workflow("single_approval")
    assert single.state("revision_requested").holder == "owner"
    assert single.state("in_review").holder == "authority"
    assert single.state("revoked").outcome == "approved"
    assert single.state("approved").open311_status == "closed"
    assert single.state("in_review").open311_status == "open"
    assert single.state("in_review").words("en") == "In review"
    assert single.state("in_review").words("id", short=True) == "Diperiksa"
    with pytest.raises(ValueError, match="no state"):
        single.state("in_verification")


def test_the_office_sees_its_own_work_first() -> None:
    assert work_order([WORKFLOWS["single_approval"], WORKFLOWS["two_level"]]) == (
        "submitted",
        "in_review",
        "objected",
        "in_verification",
        "verified",
        "awaiting_payment",
        "revision_requested",
        "approved_pending_payment",
        "approved",
        "rejected",
        "withdrawn",
        "revoked",
    )


def test_a_workflow_naming_a_handler_nobody_has_is_reported() -> None:
    workflow = _tiny(guards=("is_friday",), effects=("send_fax",))
    problems = missing_handlers([workflow], guards={"comment_required"}, effects={"claim"})
    assert any("unknown guards ['is_friday']" in p for p in problems)
    assert any("unknown effects ['send_fax']" in p for p in problems)
    assert missing_handlers([_tiny()], guards=set(), effects=set()) == []


def _state(name: str, **meaning: object) -> State:
    fields: dict = {"name": name, "label": _label(name), "holder": "authority", "clock": "runs"}
    fields.update(meaning)
    return State(**fields)


def _tiny(**changes: object) -> Workflow:
    fields = {
        "action": "go",
        "sources": frozenset({"a"}),
        "target": "b",
        "roles": frozenset({A}),
        "event": "gone",
        "label": _label("go"),
    }
    fields.update(changes)
    return Workflow(
        name="tiny",
        initial="a",
        states=(_state("a"), _state("b")),
        transitions=(Transition(**fields),),
    )


@pytest.mark.parametrize(
    ("changes", "complaint"),
    [
        ({"sources": frozenset({"nowhere"})}, "unknown source"),
        ({"sources": frozenset()}, "sources"),
        ({"target": "nowhere"}, "unknown target"),
        ({"roles": frozenset({"admin"})}, "unknown roles"),
        ({"roles": frozenset()}, "roles"),
        ({"event": "went away"}, "not a plain word"),
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


@pytest.mark.parametrize(
    ("meaning", "complaint"),
    [
        ({"clock": "paused"}, "the owner holds it"),
        ({"holder": "owner", "clock": "runs"}, "the authority holds it"),
        ({"final": True}, "a final state is held by nobody"),
        ({"holder": "nobody", "clock": "stopped", "editable": True}, "an editable state"),
        ({"holder": "owner", "clock": "stopped", "private": True}, "private state"),
        ({"certified": True}, "once the case is decided"),
    ],
)
def test_states_whose_meanings_contradict_cannot_be_built(meaning, complaint) -> None:
    with pytest.raises(ValueError, match=complaint):
        Workflow(
            name="odd",
            initial="a",
            states=(_state("a", **meaning),),
            transitions=(),
        )


def test_builtins_validate() -> None:
    for workflow in WORKFLOWS.values():
        validate_workflow(workflow)
