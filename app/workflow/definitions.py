"""The built-in workflows, as data: their states with what each means, and their transitions.

Constructing a ``Workflow`` runs ``validate_workflow``, so a broken definition fails when this
module is imported rather than when a resident presses a button. This is the one place where
state names are written down: everything else asks a workflow what a state means.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Iterable

from app.errors import Msg
from app.workflow.engine import ALL_ROLES, State, Transition, Workflow

__all__ = [
    "ALL_ROLES",
    "KNOWN_STATES",
    "PRIVATE_STATES",
    "PRIVATE_STATES_SQL",
    "WORKFLOWS",
    "get_workflow",
    "states_where",
    "work_order",
]

# --- states -------------------------------------------------------------------------------------

DRAFT = State(
    name="draft",
    label=Msg("Draf", "Draft"),
    holder="owner",
    clock="stopped",
    editable=True,
    private=True,
)
SUBMITTED = State(
    name="submitted", label=Msg("Diajukan", "Submitted"), holder="authority", clock="runs"
)
IN_REVIEW = State(
    name="in_review",
    label=Msg("Sedang diperiksa", "In review"),
    short_label=Msg("Diperiksa", "In review"),
    holder="authority",
    clock="runs",
)
IN_VERIFICATION = State(
    name="in_verification",
    label=Msg("Sedang diverifikasi", "In verification"),
    short_label=Msg("Diverifikasi", "In verification"),
    holder="authority",
    clock="runs",
)
VERIFIED = State(
    name="verified",
    label=Msg("Terverifikasi, menunggu persetujuan", "Verified, awaiting approval"),
    short_label=Msg("Terverifikasi", "Verified"),
    holder="authority",
    clock="runs",
)
REVISION_REQUESTED = State(
    name="revision_requested",
    label=Msg("Perlu perbaikan", "Revision requested"),
    holder="owner",
    clock="paused",
    editable=True,
)
# The resident holds the bill (retribusi): the clock waits until the bank reports the payment.
AWAITING_PAYMENT = State(
    name="awaiting_payment",
    label=Msg("Menunggu pembayaran retribusi", "Awaiting payment of the fee"),
    short_label=Msg("Menunggu bayar", "Awaiting payment"),
    holder="owner",
    clock="paused",
)
# Approved subject to the fee due before the certificate: nothing is issued until it is paid.
APPROVED_PENDING_PAYMENT = State(
    name="approved_pending_payment",
    label=Msg("Disetujui, menunggu pembayaran retribusi", "Approved, awaiting payment of the fee"),
    short_label=Msg("Menunggu bayar", "Awaiting payment"),
    holder="owner",
    clock="paused",
)
APPROVED = State(
    name="approved",
    label=Msg("Disetujui", "Approved"),
    holder="nobody",
    clock="stopped",
    final=True,
    certified=True,
    outcome="approved",
)
REJECTED = State(
    name="rejected",
    label=Msg("Ditolak", "Rejected"),
    holder="nobody",
    clock="stopped",
    final=True,
    outcome="rejected",
)
WITHDRAWN = State(
    name="withdrawn",
    label=Msg("Ditarik kembali", "Withdrawn"),
    short_label=Msg("Ditarik", "Withdrawn"),
    holder="nobody",
    clock="stopped",
    final=True,
    outcome="withdrawn",
)
# The resident objects to a rejection (keberatan); a head of the department answers.
OBJECTED = State(
    name="objected",
    label=Msg("Keberatan sedang diperiksa kepala dinas", "Objection under review by the head"),
    short_label=Msg("Keberatan", "Objection"),
    holder="authority",
    clock="runs",
    objection=True,
)
# Revoking acts on a decision that was an approval: statistics keep counting it as one.
REVOKED = State(
    name="revoked",
    label=Msg("Izin dicabut", "Revoked"),
    short_label=Msg("Dicabut", "Revoked"),
    holder="nobody",
    clock="stopped",
    final=True,
    certified=True,
    outcome="approved",
)

# --- transitions --------------------------------------------------------------------------------

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
    "request_payment": Msg("Terbitkan tagihan retribusi", "Issue the fee's bill"),
    "record_payment": Msg("Catat pembayaran", "Record the payment"),
    "approve_pending_payment": Msg("Setujui dan tagih retribusi", "Approve and bill the fee"),
    "extend": Msg("Perpanjang tenggat", "Extend the deadline"),
    "reassign": Msg("Alihkan ke petugas lain", "Reassign"),
    "warn_sla": Msg("Peringatan tenggat", "Deadline warning"),
    "escalate": Msg("Teruskan ke kepala dinas", "Escalate to the head"),
    "deemed_approve": Msg("Disetujui demi hukum", "Approve by operation of law"),
    "object": Msg("Ajukan keberatan", "Object to the decision"),
    "uphold_objection": Msg("Tolak keberatan (keputusan tetap)", "Uphold the decision"),
    "grant_objection": Msg("Terima keberatan: periksa ulang", "Grant: review again"),
    "grant_objection_approve": Msg("Terima keberatan: setujui", "Grant: approve"),
    "deemed_grant_objection": Msg(
        "Keberatan dikabulkan demi hukum", "Objection granted by operation of law"
    ),
}


def _t(
    action: str,
    sources: Iterable[State],
    target: State | None,
    roles: Iterable[str],
    *,
    event: str,
    guards: tuple[str, ...] = (),
    effects: tuple[str, ...] = (),
    label: Msg | None = None,
) -> Transition:
    """Shorthand that freezes the sets and looks up the bilingual label."""
    return Transition(
        action=action,
        sources=frozenset(state.name for state in sources),
        target=target.name if target is not None else None,
        roles=frozenset(roles),
        event=event,
        guards=guards,
        effects=effects,
        label=label or _LABELS[action],
    )


# Steps the applicant takes, identical in both workflows.
_SUBMIT = _t(
    "submit",
    [DRAFT],
    SUBMITTED,
    ["applicant"],
    event="submitted",
    guards=("complete",),
    effects=("start_sla", "bill_on_submit"),
)
_RESUBMIT = _t(
    "resubmit",
    [REVISION_REQUESTED],
    SUBMITTED,
    ["applicant"],
    event="resubmitted",
    guards=("complete",),
    effects=("resume_sla",),
)
_WITHDRAW = _t(
    "withdraw",
    [DRAFT, SUBMITTED, REVISION_REQUESTED, AWAITING_PAYMENT, APPROVED_PENDING_PAYMENT],
    WITHDRAWN,
    ["applicant"],
    event="withdrawn",
    effects=("close", "cancel_invoices"),
)
# A fee due on submission (design section 12): Loket bills right after the submission and the
# clock waits while the resident holds the bill; the bank's payment puts the file back with the
# authority as a fresh submission.
_PAYMENT_STEPS = (
    _t(
        "request_payment",
        [SUBMITTED],
        AWAITING_PAYMENT,
        ["system"],
        event="payment_requested",
        effects=("issue_invoice", "pause_sla"),
    ),
    _t(
        "record_payment",
        [AWAITING_PAYMENT],
        SUBMITTED,
        ["system"],
        event="paid",
        effects=("resume_sla",),
    ),
    # A fee due before the certificate: the payment completes the approval.
    _t(
        "record_payment",
        [APPROVED_PENDING_PAYMENT],
        APPROVED,
        ["system"],
        event="paid",
        effects=("decide", "issue_certificate_after_payment"),
    ),
)


def _approve_pending_payment(review: State, guards: tuple[str, ...] = ()) -> Transition:
    """The approver approves a service whose fee is due before the certificate: Loket bills
    it and holds the certificate until the bank reports the payment."""
    return _t(
        "approve_pending_payment",
        [review],
        APPROVED_PENDING_PAYMENT,
        ["approver"],
        event="approved_pending_payment",
        guards=(*guards, "fee_before_issue"),
        effects=("issue_invoice", "pause_sla"),
    )


_REVOKE = _t(
    "revoke",
    [APPROVED],
    REVOKED,
    ["approver"],
    event="revoked",
    guards=("comment_required",),
    effects=("revoke_certificate",),
)


def _deadline_steps(states: Iterable[State]) -> tuple[Transition, ...]:
    """What binds the authority's time, from every state whose clock runs (section 11 of the
    design): an officer extends once, a head reassigns, and Loket itself (``system``, the
    deadline sweep) warns, escalates, or approves by operation of law where the service says so.
    """
    running = [state for state in states if state.clock == "runs" and not state.objection]
    return (
        _t(
            "extend",
            running,
            None,
            ["verifier", "approver", "head"],
            event="deadline_extended",
            guards=("comment_required", "extension_allowed"),
            effects=("extend_deadline",),
        ),
        _t(
            "reassign",
            running,
            None,
            ["head"],
            event="reassigned",
            guards=("assignee_in_department",),
            effects=("reassign",),
        ),
        _t("warn_sla", running, None, ["system"], event="sla_warned", effects=("mark_warned",)),
        _t("escalate", running, None, ["system"], event="escalated", effects=("mark_escalated",)),
        _t(
            "deemed_approve",
            running,
            APPROVED,
            ["system"],
            event="deemed_approved",
            guards=("deemed_approval_allowed",),
            effects=("decide", "issue_certificate_by_law"),
        ),
    )


def _objection_steps(review: State) -> tuple[Transition, ...]:
    """Keberatan (UU 30/2014 art. 75-78): the applicant objects to a rejection within the
    service's window; a head of the department, never the officer who decided, upholds the
    decision, sends the file back to ``review``, or approves it; an objection left unanswered
    is escalated, or granted by operation of law where the service says so."""
    answer = ("comment_required", "not_the_decider")
    return (
        _t(
            "object",
            [REJECTED],
            OBJECTED,
            ["applicant"],
            event="objection_filed",
            guards=("comment_required", "objection_window"),
            effects=("file_objection",),
        ),
        _t(
            "uphold_objection",
            [OBJECTED],
            REJECTED,
            ["head"],
            event="objection_upheld",
            guards=answer,
            effects=("decide",),
        ),
        _t(
            "grant_objection",
            [OBJECTED],
            review,
            ["head"],
            event="objection_granted",
            guards=answer,
            effects=("restart_sla", "release"),
        ),
        _t(
            "grant_objection_approve",
            [OBJECTED],
            APPROVED,
            ["head"],
            event="objection_granted",
            guards=answer,
            effects=("decide", "issue_certificate"),
        ),
        _t(
            "deemed_grant_objection",
            [OBJECTED],
            APPROVED,
            ["system"],
            event="objection_deemed_granted",
            guards=("objection_deemed_granted",),
            effects=("decide", "issue_certificate_by_law"),
        ),
        _t(
            "escalate", [OBJECTED], None, ["system"], event="escalated", effects=("mark_escalated",)
        ),
    )


_SINGLE_STATES = (
    DRAFT,
    SUBMITTED,
    AWAITING_PAYMENT,
    IN_REVIEW,
    REVISION_REQUESTED,
    APPROVED_PENDING_PAYMENT,
    APPROVED,
    REJECTED,
    OBJECTED,
    WITHDRAWN,
    REVOKED,
)
_TWO_LEVEL_STATES = (
    DRAFT,
    SUBMITTED,
    AWAITING_PAYMENT,
    IN_VERIFICATION,
    VERIFIED,
    REVISION_REQUESTED,
    APPROVED_PENDING_PAYMENT,
    APPROVED,
    REJECTED,
    OBJECTED,
    WITHDRAWN,
    REVOKED,
)

SINGLE_APPROVAL = Workflow(
    name="single_approval",
    initial=DRAFT.name,
    states=_SINGLE_STATES,
    transitions=(
        _SUBMIT,
        _t(
            "start_review",
            [SUBMITTED],
            IN_REVIEW,
            ["verifier", "approver"],
            event="review_started",
            effects=("claim",),
        ),
        _t(
            "claim",
            [SUBMITTED, IN_REVIEW],
            None,
            ["verifier", "approver"],
            event="claimed",
            effects=("claim",),
        ),
        _t(
            "request_revision",
            [IN_REVIEW],
            REVISION_REQUESTED,
            ["verifier", "approver"],
            event="revision_requested",
            guards=("comment_required",),
            effects=("pause_sla",),
        ),
        _RESUBMIT,
        _t(
            "approve",
            [IN_REVIEW],
            APPROVED,
            ["approver"],
            event="approved",
            guards=("no_fee_before_issue",),
            effects=("decide", "issue_certificate"),
        ),
        _approve_pending_payment(IN_REVIEW),
        _t(
            "reject",
            [IN_REVIEW],
            REJECTED,
            ["approver"],
            event="rejected",
            guards=("comment_required",),
            effects=("decide", "cancel_invoices"),
        ),
        _WITHDRAW,
        *_PAYMENT_STEPS,
        _REVOKE,
        *_deadline_steps(_SINGLE_STATES),
        *_objection_steps(IN_REVIEW),
    ),
)

TWO_LEVEL = Workflow(
    name="two_level",
    initial=DRAFT.name,
    states=_TWO_LEVEL_STATES,
    transitions=(
        _SUBMIT,
        _t(
            "start_verification",
            [SUBMITTED],
            IN_VERIFICATION,
            ["verifier"],
            event="verification_started",
            effects=("claim",),
        ),
        _t(
            "claim",
            [SUBMITTED, IN_VERIFICATION, VERIFIED],
            None,
            ["verifier", "approver"],
            event="claimed",
            effects=("claim",),
        ),
        # Each level sends the file back from its own stage only.
        _t(
            "request_revision",
            [IN_VERIFICATION],
            REVISION_REQUESTED,
            ["verifier"],
            event="revision_requested",
            guards=("comment_required",),
            effects=("pause_sla",),
        ),
        _t(
            "request_revision",
            [VERIFIED],
            REVISION_REQUESTED,
            ["approver"],
            event="revision_requested",
            guards=("comment_required",),
            effects=("pause_sla",),
        ),
        _RESUBMIT,
        # The verifier steps back from the file so that an approver can claim it.
        _t(
            "verify",
            [IN_VERIFICATION],
            VERIFIED,
            ["verifier"],
            event="verified",
            effects=("record_first_officer", "release"),
        ),
        _t(
            "approve",
            [VERIFIED],
            APPROVED,
            ["approver"],
            event="approved",
            guards=("second_officer", "no_fee_before_issue"),
            effects=("decide", "issue_certificate"),
        ),
        _approve_pending_payment(VERIFIED, ("second_officer",)),
        _t(
            "reject",
            [IN_VERIFICATION, VERIFIED],
            REJECTED,
            ["verifier", "approver"],
            event="rejected",
            guards=("comment_required",),
            effects=("decide", "cancel_invoices"),
        ),
        _WITHDRAW,
        *_PAYMENT_STEPS,
        _REVOKE,
        *_deadline_steps(_TWO_LEVEL_STATES),
        *_objection_steps(IN_VERIFICATION),
    ),
)

# --- complaints (pengaduan) ---------------------------------------------------------------------
# A report goes straight to the authority; the officer who resolves it may not verify it (a
# second officer confirms the fix, as Jakarta's CRM does); the reporter then confirms it or
# reopens it within the window, and the system closes what the reporter left unanswered.

REPORTED = State(
    name="submitted",
    label=Msg("Dilaporkan", "Reported"),
    officer_label=Msg("Baru, belum ditanggapi", "New, not yet answered"),
    holder="authority",
    clock="runs",
)
ACCEPTED = State(
    name="accepted", label=Msg("Diterima", "Accepted"), holder="authority", clock="runs"
)
IN_PROGRESS = State(
    name="in_progress",
    label=Msg("Sedang dikerjakan", "In progress"),
    short_label=Msg("Dikerjakan", "In progress"),
    holder="authority",
    clock="runs",
)
RESOLVED = State(
    name="resolved",
    label=Msg("Selesai dikerjakan, sedang diperiksa", "Fixed, being checked"),
    officer_label=Msg("Selesai, menunggu verifikasi", "Resolved, awaiting verification"),
    short_label=Msg("Selesai", "Resolved"),
    holder="authority",
    clock="runs",
)
# The fix is confirmed by a second officer; the reporter may now confirm it or reopen it.
FIX_VERIFIED = State(
    name="verified",
    label=Msg("Selesai, menunggu konfirmasi Anda", "Fixed, awaiting your confirmation"),
    officer_label=Msg("Terverifikasi, menunggu pelapor", "Verified, awaiting the reporter"),
    short_label=Msg("Terverifikasi", "Verified"),
    holder="owner",
    clock="stopped",
    outcome="resolved",
)
CLOSED = State(
    name="closed",
    label=Msg("Selesai", "Closed"),
    holder="nobody",
    clock="stopped",
    final=True,
    outcome="resolved",
)
DUPLICATE = State(
    name="duplicate",
    label=Msg("Digabung dengan laporan lain", "Duplicate of another report"),
    short_label=Msg("Duplikat", "Duplicate"),
    holder="nobody",
    clock="stopped",
    final=True,
    outcome="duplicate",
)
DECLINED = State(
    name="declined",
    label=Msg("Bukan kewenangan Pemprov DKI", "Not the city's responsibility"),
    short_label=Msg("Bukan kewenangan", "Not ours"),
    holder="nobody",
    clock="stopped",
    final=True,
    outcome="declined",
)

_LABELS |= {
    "accept": Msg("Terima laporan", "Accept"),
    "refer": Msg("Alihkan ke dinas lain", "Refer to another department"),
    "mark_duplicate": Msg("Tandai duplikat", "Mark as duplicate"),
    "decline": Msg("Bukan kewenangan kami", "Not our responsibility"),
    "start_work": Msg("Mulai dikerjakan", "Start work"),
    "resolve": Msg("Nyatakan selesai", "Resolve"),
    "confirm": Msg("Konfirmasi sudah beres", "Confirm it is fixed"),
    "reopen": Msg("Belum beres, buka kembali", "Not fixed: reopen"),
    "auto_close": Msg("Tutup otomatis", "Close automatically"),
}
_TRIAGE = (REPORTED, ACCEPTED)
_COMPLAINT_STATES = (
    REPORTED,
    ACCEPTED,
    IN_PROGRESS,
    RESOLVED,
    FIX_VERIFIED,
    CLOSED,
    DUPLICATE,
    DECLINED,
    OBJECTED,
)


def _complaint_deadline_steps() -> tuple[Transition, ...]:
    """The deadline steps of a permit (``_deadline_steps``) on a report, but for deemed approval,
    which has no meaning for a repair: any officer of the department extends once, a head
    reassigns, Loket warns and escalates to the heads."""
    running = [s for s in _COMPLAINT_STATES if s.clock == "runs" and not s.objection]
    steps = _deadline_steps(running)
    by_action = {t.action: t for t in steps}
    return (
        dataclasses.replace(by_action["extend"], roles=frozenset({"officer"})),
        by_action["reassign"],
        by_action["warn_sla"],
        by_action["escalate"],
    )


def _complaint_objection_steps() -> tuple[Transition, ...]:
    """Keberatan against a report closed as not the city's responsibility (design section 11):
    the reporter objects within the category's window; a head, never the officer who declined,
    upholds that, or grants the objection and the department takes the report on (accepted,
    with the full resolution time from today); unanswered, it is escalated or granted by
    operation of law where the category says so."""
    answer = ("comment_required", "not_the_decider")
    return (
        _t(
            "object",
            [DECLINED],
            OBJECTED,
            ["reporter"],
            event="objection_filed",
            guards=("comment_required", "objection_window"),
            effects=("file_objection", "track_openness"),
        ),
        _t(
            "uphold_objection",
            [OBJECTED],
            DECLINED,
            ["head"],
            event="objection_upheld",
            guards=answer,
            effects=("decide", "track_openness"),
        ),
        _t(
            "grant_objection",
            [OBJECTED],
            ACCEPTED,
            ["head"],
            event="objection_granted",
            guards=answer,
            effects=("restart_sla", "release", "track_openness"),
            label=Msg("Terima keberatan: laporan ditangani", "Grant: the report is taken on"),
        ),
        _t(
            "deemed_grant_objection",
            [OBJECTED],
            ACCEPTED,
            ["system"],
            event="objection_deemed_granted",
            guards=("objection_deemed_granted",),
            effects=("restart_sla", "track_openness"),
        ),
        _t(
            "escalate", [OBJECTED], None, ["system"], event="escalated", effects=("mark_escalated",)
        ),
    )


COMPLAINT = Workflow(
    name="complaint",
    initial=REPORTED.name,
    states=_COMPLAINT_STATES,
    transitions=(
        _t("accept", [REPORTED], ACCEPTED, ["officer"], event="accepted", effects=("respond",)),
        # Stays in its state, in the other department's queue (its first response is due there).
        _t(
            "refer",
            _TRIAGE,
            None,
            ["officer"],
            event="referred",
            guards=("comment_required",),
            effects=("respond", "refer", "release"),
        ),
        _t(
            "mark_duplicate",
            _TRIAGE,
            DUPLICATE,
            ["officer"],
            event="marked_duplicate",
            effects=("respond", "duplicate_of", "decide", "track_openness"),
        ),
        _t(
            "decline",
            _TRIAGE,
            DECLINED,
            ["officer"],
            event="declined",
            guards=("comment_required",),
            effects=("respond", "decide", "track_openness"),
        ),
        _t(
            "start_work",
            [ACCEPTED],
            IN_PROGRESS,
            ["officer"],
            event="work_started",
            effects=("claim",),
        ),
        _t(
            "resolve",
            [IN_PROGRESS],
            RESOLVED,
            ["officer"],
            event="resolved",
            guards=("comment_required",),
            effects=("record_first_officer", "release"),
        ),
        _t(
            "verify",
            [RESOLVED],
            FIX_VERIFIED,
            ["officer"],
            event="verified",
            guards=("second_officer",),
            effects=("decide",),
            label=Msg("Verifikasi penyelesaian", "Verify the fix"),
        ),
        _t(
            "confirm",
            [FIX_VERIFIED],
            CLOSED,
            ["reporter"],
            event="confirmed",
            effects=("track_openness",),
        ),
        _t(
            "reopen",
            [FIX_VERIFIED, CLOSED],
            IN_PROGRESS,
            ["reporter"],
            event="reopened",
            guards=("comment_required", "reopen_window"),
            effects=("reopen", "track_openness"),
        ),
        _t(
            "auto_close",
            [FIX_VERIFIED],
            CLOSED,
            ["system"],
            event="closed_unanswered",
            guards=("reopen_window_passed",),
            effects=("track_openness",),
        ),
        *_complaint_deadline_steps(),
        *_complaint_objection_steps(),
    ),
)

WORKFLOWS: dict[str, Workflow] = {wf.name: wf for wf in (SINGLE_APPROVAL, TWO_LEVEL, COMPLAINT)}


def get_workflow(name: str) -> Workflow:
    """The built-in workflow called ``name``; ValueError names the known ones if there is none."""
    try:
        return WORKFLOWS[name]
    except KeyError:
        known = ", ".join(sorted(WORKFLOWS))
        raise ValueError(f"Unknown workflow {name!r}; known workflows: {known}") from None


def _private_states() -> frozenset[str]:
    """States only the owner sees. Queues and their partial index leave them out by name, so a
    name that is private in one workflow must be private in every workflow that uses it."""
    private = {s.name for wf in WORKFLOWS.values() for s in wf.states if s.private}
    mixed = {
        s.name
        for wf in WORKFLOWS.values()
        for s in wf.states
        if s.name in private and not s.private
    }
    if mixed:
        raise ValueError(f"states private in one workflow but not another: {sorted(mixed)}")
    return frozenset(private)


KNOWN_STATES: frozenset[str] = frozenset(s.name for wf in WORKFLOWS.values() for s in wf.states)
PRIVATE_STATES: frozenset[str] = _private_states()
# The same as an SQL predicate on a ``state`` column: literal, so that a partial index and the
# queries that use it agree (changing it means a migration for the index).
PRIVATE_STATES_SQL = " AND ".join(f"state <> '{name}'" for name in sorted(PRIVATE_STATES))


def states_where(workflows: Iterable[Workflow], **meaning: object) -> tuple[str, ...]:
    """Names of the states of ``workflows`` with every given attribute value, e.g.
    ``states_where(flows, clock="runs")``, each once, in definition order."""
    names: dict[str, None] = {}
    for workflow in workflows:
        for state in workflow.states:
            if all(getattr(state, key) == value for key, value in meaning.items()):
                names[state.name] = None
    return tuple(names)


def work_order(workflows: Iterable[Workflow]) -> tuple[str, ...]:
    """The states of ``workflows`` the office sees, its own work first: running clock, then
    paused, then stopped (the order of the counts per state in an officer's queue)."""
    flows = list(workflows)
    return tuple(
        name
        for clock in ("runs", "paused", "stopped")
        for name in states_where(flows, clock=clock, private=False)
    )
