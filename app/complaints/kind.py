"""What a complaint tells the case kernel about itself (``CaseKind``).

Its owner is the reporter; its SLA is its category version's resolution time in working days;
its own guards keep reopening within the window after verification, and its effects record the
first response, a referral to another department, the report it duplicates, and whether it is
still open (for the duplicate lookup); its e-mails tell the reporter what happened.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from app.cases.kinds import CaseKind, Requirement, Step
from app.catalogue import repository as catalogue_repo
from app.catalogue.deadlines import DeadlineRules
from app.complaints import repository
from app.db import Session, get_required
from app.errors import FieldError, InvalidTransition, Msg, invalid
from app.models import Case, Complaint, ComplaintCategory, User
from app.notifications.inbox import NoticeDraft, subject_names
from app.notifications.outbox import EmailDraft

NAME = "complaint"
READ_SCOPE, WRITE_SCOPE = "complaints:read", "complaints:write"
SERIES, DIGITS = "LPR", 7  # LPR-2026-0000001
NOT_FOUND = Msg("Laporan tidak ditemukan", "Report not found")
# The reporter may reopen a verified fix, and the system closes it, this long after verifying.
REOPEN_WINDOW = timedelta(days=7)
# What the reporter's e-mail says for each event (everything else sends none).
EMAIL_HEADLINES: dict[str, Msg] = {
    "complaint.created": Msg("Laporan Anda sudah kami terima", "We have received your report"),
    "complaint.accepted": Msg("Laporan Anda diterima petugas", "An officer accepted your report"),
    "complaint.referred": Msg(
        "Laporan Anda dialihkan ke dinas lain", "Your report went to another department"
    ),
    "complaint.marked_duplicate": Msg(
        "Laporan Anda digabung dengan laporan yang sama",
        "Your report was joined to an earlier report of the same problem",
    ),
    "complaint.declined": Msg(
        "Laporan Anda bukan kewenangan Pemprov DKI Jakarta",
        "Your report is not the city's responsibility",
    ),
    "complaint.verified": Msg(
        "Masalah yang Anda laporkan sudah selesai: mohon konfirmasi",
        "The problem you reported is fixed: please confirm",
    ),
    "complaint.objection_upheld": Msg(
        "Keberatan Anda ditolak: laporan tetap bukan kewenangan Pemprov DKI Jakarta",
        "Your objection was dismissed: the report stays outside the city's responsibility",
    ),
    "complaint.objection_granted": Msg(
        "Keberatan Anda diterima: laporan Anda akan ditangani",
        "Your objection was granted: your report will be dealt with",
    ),
    "complaint.objection_deemed_granted": Msg(
        "Keberatan Anda dikabulkan demi hukum: laporan Anda akan ditangani",
        "Your objection was granted by operation of law: your report will be dealt with",
    ),
}


@dataclass(frozen=True)
class Referral:
    """What ``refer`` and ``mark_duplicate`` need beyond the action (checked by the service)."""

    department_id: int | None = None
    department_code: str | None = None
    duplicate_of: Case | None = None


def complaint_of(session: Session, case: Case) -> Complaint:
    complaint = repository.get_complaint(session, case.id)
    if complaint is None:
        raise LookupError(f"case {case.id} has no complaint row")
    return complaint


def category_of(session: Session, case: Case) -> ComplaintCategory:
    """The category version the report was filed under (cached per process)."""
    return catalogue_repo.category_version(session, complaint_of(session, case).category_id)


def reopen_until(case: Case) -> datetime | None:
    return case.decided_at + REOPEN_WINDOW if case.decided_at is not None else None


# --- guards -------------------------------------------------------------------------------------


def _reopen_window(step: Step) -> list[FieldError]:
    until = reopen_until(step.case)
    if until is None or step.now > until:
        raise InvalidTransition(
            Msg(
                "Laporan hanya dapat dibuka kembali dalam 7 hari setelah diverifikasi",
                "A report can only be reopened within 7 days of its verification",
            )
        )
    return []


def _reopen_window_passed(step: Step) -> list[FieldError]:
    until = reopen_until(step.case)
    if until is None or step.now <= until:
        raise InvalidTransition(
            Msg(
                "Pelapor masih dapat membuka kembali laporan ini",
                "The reporter may still reopen this report",
            )
        )
    return []


# --- effects ------------------------------------------------------------------------------------


def _respond(step: Step) -> None:
    case_id, now = step.case.id, step.now
    step.afterwards.append(lambda: repository.set_first_response(step.session, case_id, at=now))


def _refer(step: Step) -> None:
    referral = step.env if isinstance(step.env, Referral) else None
    if referral is None or referral.department_id is None:
        raise invalid(
            "department_code",
            "Sebutkan dinas tujuan",
            "Name the department to refer the report to",
        )
    step.changes["department_id"] = referral.department_id
    step.details["department_code"] = referral.department_code


def _duplicate_of(step: Step) -> None:
    referral = step.env if isinstance(step.env, Referral) else None
    if referral is None or referral.duplicate_of is None:
        raise invalid(
            "duplicate_of", "Sebutkan laporan yang sama", "Name the report this one duplicates"
        )
    original = referral.duplicate_of
    step.details["duplicate_of"] = original.reference
    case_id = step.case.id
    step.afterwards.append(
        lambda: repository.set_duplicate_of(step.session, case_id, of=original.id)
    )


def _track_openness(step: Step) -> None:
    target = step.transition.target or step.case.state
    is_open = step.workflow.state(target).open311_status == "open"
    case_id = step.case.id
    step.afterwards.append(lambda: repository.set_open(step.session, case_id, is_open=is_open))


def _reopen(step: Step) -> None:
    step.changes["decided_at"] = None


def _requirement(session: Session, case: Case, code: str) -> Requirement:
    # Photos go through app/complaints/photos.py, which checks and re-encodes them.
    raise invalid(
        "requirement",
        "Foto laporan diunggah melalui /photos",
        "Photos of a report are uploaded through its /photos",
    )


# --- what other systems and the reporter hear --------------------------------------------------


def reporter_address(session: Session, case: Case) -> tuple[str, str] | None:
    """(e-mail, language) of whoever reported it: the account's, or the contact given."""
    if case.owner_id is not None:
        reporter = get_required(session, User, case.owner_id)
        return reporter.email, reporter.language
    complaint = complaint_of(session, case)
    return (complaint.contact_email, "id") if complaint.contact_email else None


def _email(session: Session, case: Case, event: dict[str, Any]) -> EmailDraft | None:
    headline = EMAIL_HEADLINES.get(event["action"])
    address = reporter_address(session, case) if headline else None
    if headline is None or address is None:
        return None
    recipient, language = address
    lang = "en" if language == "en" else "id"
    category = category_of(session, case)
    return EmailDraft(
        recipient=recipient,
        template="complaint_update",
        context={
            "lang": lang,
            "complaint_id": str(case.id),
            "reference": case.reference,
            "headline": headline.in_lang(lang),
            "category_name": category.name_en if lang == "en" else category.name_id,
            "comment": event["comment"],
        },
    )


def _notices(session: Session, case: Case, event: dict[str, Any]) -> list[NoticeDraft]:
    # What the reporter's e-mail tells, but its receipt (their own act); a report without an
    # account has nobody to show a notification to.
    action = event["action"]
    if action not in EMAIL_HEADLINES or action == "complaint.created" or case.owner_id is None:
        return []
    params: dict[str, Any] = {"subject": subject_names(*_subject_names(session, case))}
    if event["comment"]:
        params["reason"] = event["comment"]
    return [NoticeDraft(case.owner_id, action, params)]


def _subject_names(session: Session, case: Case) -> tuple[str, str]:
    category = category_of(session, case)
    return category.name_id, category.name_en


def _webhook_fields(case: Case, event: dict[str, Any]) -> dict[str, Any]:
    details = event["details"]
    return {key: details[key] for key in ("department_code", "duplicate_of") if key in details}


def _preload(session: Session, cases: Sequence[Case]) -> None:
    repository.complaints_by_id(session, [case.id for case in cases])


COMPLAINT = CaseKind(
    name=NAME,
    owner_role="reporter",
    read_scope=READ_SCOPE,
    write_scope=WRITE_SCOPE,
    not_found=NOT_FOUND,
    workflows=("complaint",),
    subject_field="category_code",
    guards={"reopen_window": _reopen_window, "reopen_window_passed": _reopen_window_passed},
    effects={
        "respond": _respond,
        "refer": _refer,
        "duplicate_of": _duplicate_of,
        "track_openness": _track_openness,
        "reopen": _reopen,
    },
    requirement=_requirement,
    sla_days=lambda session, case: category_of(session, case).resolution_days,
    deadline_rules=lambda session, case: DeadlineRules.from_stored(
        category_of(session, case).deadlines
    ),
    preload=_preload,
    email=_email,
    notices=_notices,
    subject_names=_subject_names,
    webhook_fields=_webhook_fields,
    second_officer_refusal=Msg(
        "Petugas yang menyelesaikan laporan ini tidak boleh juga memverifikasinya",
        "The officer who resolved this report may not also verify it",
    ),
)


def complaint_workflow_name() -> str:
    return COMPLAINT.workflows[0]
