"""The built-in workflows, as data.

Constructing a ``Workflow`` runs ``validate_workflow``, so a broken definition fails when this
module is imported rather than when a citizen presses a button.
"""

from __future__ import annotations

from collections.abc import Iterable

from app.errors import Msg
from app.workflow.engine import ALL_ROLES, Transition, Workflow

__all__ = [
    "ACTIVE_STATES",
    "ALL_ROLES",
    "FINAL_STATES",
    "PAUSED_STATES",
    "WORKFLOWS",
    "get_workflow",
]

# The authority holds the file and the SLA clock runs.
ACTIVE_STATES: frozenset[str] = frozenset({"submitted", "in_review", "in_verification", "verified"})
# The applicant holds the file; the SLA clock is paused.
PAUSED_STATES: frozenset[str] = frozenset({"revision_requested"})
# Decided or closed; only "approved" has a way out (revoke), and that is an act on the decision.
FINAL_STATES: frozenset[str] = frozenset({"approved", "rejected", "withdrawn", "revoked"})

_LABELS: dict[str, Msg] = {
    "submit": Msg("Ajukan", "Submit"),
    "start_review": Msg("Mulai pemeriksaan", "Start review"),
    "start_verification": Msg("Mulai verifikasi", "Start verification"),
    "claim": Msg("Ambil alih berkas", "Claim"),
    "request_revision": Msg("Minta perbaikan", "Request revision"),
    "resubmit": Msg("Ajukan ulang", "Resubmit"),
    "verify": Msg("Nyatakan terverifikasi", "Mark as verified"),
    "approve": Msg("Setujui", "Approve"),
    "reject": Msg("Tolak", "Reject"),
    "withdraw": Msg("Tarik kembali", "Withdraw"),
    "revoke": Msg("Cabut izin", "Revoke"),
}


def _t(
    action: str,
    sources: Iterable[str],
    target: str | None,
    roles: Iterable[str],
    *,
    guards: tuple[str, ...] = (),
    effects: tuple[str, ...] = (),
) -> Transition:
    """Shorthand that freezes the sets and looks up the bilingual label."""
    return Transition(
        action=action,
        sources=frozenset(sources),
        target=target,
        roles=frozenset(roles),
        guards=guards,
        effects=effects,
        label=_LABELS[action],
    )


# Steps the applicant takes, identical in both workflows.
_SUBMIT = _t(
    "submit", ["draft"], "submitted", ["applicant"], guards=("complete",), effects=("start_sla",)
)
_RESUBMIT = _t(
    "resubmit",
    ["revision_requested"],
    "submitted",
    ["applicant"],
    guards=("complete",),
    effects=("resume_sla",),
)
_WITHDRAW = _t(
    "withdraw",
    ["draft", "submitted", "revision_requested"],
    "withdrawn",
    ["applicant"],
    effects=("close",),
)
_REVOKE = _t(
    "revoke",
    ["approved"],
    "revoked",
    ["approver"],
    guards=("comment_required",),
    effects=("revoke_certificate",),
)

SINGLE_APPROVAL = Workflow(
    name="single_approval",
    initial="draft",
    states=(
        "draft",
        "submitted",
        "in_review",
        "revision_requested",
        "approved",
        "rejected",
        "withdrawn",
        "revoked",
    ),
    transitions=(
        _SUBMIT,
        _t(
            "start_review", ["submitted"], "in_review", ["verifier", "approver"], effects=("claim",)
        ),
        _t("claim", ["submitted", "in_review"], None, ["verifier", "approver"], effects=("claim",)),
        _t(
            "request_revision",
            ["in_review"],
            "revision_requested",
            ["verifier", "approver"],
            guards=("comment_required",),
            effects=("pause_sla",),
        ),
        _RESUBMIT,
        _t(
            "approve",
            ["in_review"],
            "approved",
            ["approver"],
            effects=("decide", "issue_certificate"),
        ),
        _t(
            "reject",
            ["in_review"],
            "rejected",
            ["approver"],
            guards=("comment_required",),
            effects=("decide",),
        ),
        _WITHDRAW,
        _REVOKE,
    ),
)

TWO_LEVEL = Workflow(
    name="two_level",
    initial="draft",
    states=(
        "draft",
        "submitted",
        "in_verification",
        "verified",
        "revision_requested",
        "approved",
        "rejected",
        "withdrawn",
        "revoked",
    ),
    transitions=(
        _SUBMIT,
        _t(
            "start_verification", ["submitted"], "in_verification", ["verifier"], effects=("claim",)
        ),
        _t(
            "claim",
            ["submitted", "in_verification", "verified"],
            None,
            ["verifier", "approver"],
            effects=("claim",),
        ),
        # Each level sends the file back from its own stage only.
        _t(
            "request_revision",
            ["in_verification"],
            "revision_requested",
            ["verifier"],
            guards=("comment_required",),
            effects=("pause_sla",),
        ),
        _t(
            "request_revision",
            ["verified"],
            "revision_requested",
            ["approver"],
            guards=("comment_required",),
            effects=("pause_sla",),
        ),
        _RESUBMIT,
        # The verifier steps back from the file so that an approver can claim it.
        _t(
            "verify",
            ["in_verification"],
            "verified",
            ["verifier"],
            effects=("record_verifier", "release"),
        ),
        _t(
            "approve",
            ["verified"],
            "approved",
            ["approver"],
            guards=("not_verifier",),
            effects=("decide", "issue_certificate"),
        ),
        _t(
            "reject",
            ["in_verification", "verified"],
            "rejected",
            ["verifier", "approver"],
            guards=("comment_required",),
            effects=("decide",),
        ),
        _WITHDRAW,
        _REVOKE,
    ),
)

WORKFLOWS: dict[str, Workflow] = {wf.name: wf for wf in (SINGLE_APPROVAL, TWO_LEVEL)}


def get_workflow(name: str) -> Workflow:
    """The built-in workflow called ``name``; ValueError names the known ones if there is none."""
    try:
        return WORKFLOWS[name]
    except KeyError:
        known = ", ".join(sorted(WORKFLOWS))
        raise ValueError(f"Unknown workflow {name!r}; known workflows: {known}") from None
