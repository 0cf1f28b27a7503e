"""Deadlines that bind, for every case type (design section 11).

While the authority holds a file (its state's clock runs) two instants matter: the warning, at
the service's share of the SLA (``sla_warning_share``, default 75%), and the deadline, the end
of the due working day. At the warning Loket tells the assigned officer (or the department);
at the deadline it escalates the case to the department's heads, or, where the service opts in
(``deemed_approval``), approves it by operation of law. Nothing binds while the resident holds
the file (paused: the pause moves both instants) or once the case is decided (stopped).

Every action stores the next instant the sweep must look at on the case row (``deadline_at``,
indexed), so the sweep (``app.cases.sweep``) reads only what is due. Which instant comes next,
and which action is due at a given moment, are the two pure functions below; the guards and
effects are the workflow's ``extend``, ``reassign``, ``warn_sla``, ``escalate`` and
``deemed_approve`` (``app.workflow.definitions``).
"""

from __future__ import annotations

import math
import uuid
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any

from app.accounts.principal import parse_officer_roles
from app.cases.kinds import EffectHandler, GuardHandler, Step
from app.catalogue.deadlines import DeadlineRules
from app.db import Session
from app.errors import Conflict, FieldError, Forbidden, Msg
from app.models import Case, User
from app.notifications.inbox import NoticeDraft, subject_names
from app.notifications.outbox import EmailDraft
from app.office import end_of_day, office_date
from app.workflow.calendar import WorkingCalendar, default_calendar
from app.workflow.engine import State, Workflow

WARN, ESCALATE, DEEMED_APPROVE = "warn_sla", "escalate", "deemed_approve"
DEEMED_GRANT_OBJECTION = "deemed_grant_objection"
HEAD = "head"


@dataclass(frozen=True)
class ClockView:
    """The columns the deadline arithmetic reads (a case row with its pending changes)."""

    state: str
    submitted_at: datetime | None
    due_at: date | None
    paused_working_days: int
    extended_days: int
    sla_warned_at: datetime | None
    escalated_at: datetime | None

    @classmethod
    def of(cls, case: Case, changes: Mapping[str, Any] | None = None) -> ClockView:
        changes = changes or {}
        return cls(**{name: changes.get(name, getattr(case, name)) for name in _VIEW_FIELDS})


_VIEW_FIELDS = tuple(ClockView.__dataclass_fields__)


def instants(
    view: ClockView,
    state: State,
    *,
    sla_days: int,
    rules: DeadlineRules,
    calendar: WorkingCalendar,
) -> tuple[datetime, datetime] | None:
    """(warning, deadline) as UTC instants, or None before the clock ever started.

    The warning falls at the end of the working day by which the share of the (extended) SLA
    has passed: counted back from the due day, so pauses (which moved the due day) move it
    too. An objection's time to answer has no warning (it is the deadline)."""
    if view.due_at is None:
        return None
    deadline = end_of_day(view.due_at)
    total = sla_days + view.extended_days
    left = total - math.floor(rules.warning_share * total + 1e-9)
    if state.objection or left <= 0:
        return deadline, deadline
    return end_of_day(_working_days_before(view.due_at, left, calendar)), deadline


def _working_days_before(day: date, count: int, calendar: WorkingCalendar) -> date:
    """The ``count``-th working day before ``day`` (a due day is a working day)."""
    while count > 0:
        day -= timedelta(days=1)
        if calendar.is_working_day(day):
            count -= 1
    return day


def _deemed(state: State, rules: DeadlineRules) -> bool:
    """Whether missing this deadline grants the resident what they asked by operation of law."""
    return rules.objection_deemed_granted if state.objection else rules.deemed_approval


def objection_window_closes(
    decided_at: datetime, *, days: int, calendar: WorkingCalendar | None = None
) -> datetime:
    """When the resident's time to object to a decision ends (``objection_window_days``)."""
    calendar = calendar or default_calendar()
    return end_of_day(calendar.add_working_days(office_date(decided_at), days))


def next_deadline(
    view: ClockView,
    state: State,
    *,
    sla_days: int,
    rules: DeadlineRules,
    calendar: WorkingCalendar | None = None,
) -> datetime | None:
    """The next instant the sweep has something to do for this case, or None."""
    if state.clock != "runs":
        return None
    found = instants(
        view, state, sla_days=sla_days, rules=rules, calendar=calendar or default_calendar()
    )
    if found is None:
        return None
    warning, deadline = found
    if view.sla_warned_at is None and view.escalated_at is None and warning < deadline:
        return warning
    if _deemed(state, rules) or view.escalated_at is None:
        return deadline
    return None


def due_action(
    view: ClockView,
    state: State,
    *,
    now: datetime,
    sla_days: int,
    rules: DeadlineRules,
    calendar: WorkingCalendar | None = None,
) -> str | None:
    """The system action due at ``now`` (warn, escalate, deemed approve), or None.

    A warning the sweep missed until after the deadline is not sent: the escalation says more.
    """
    if state.clock != "runs" or state.holder != "authority":
        return None
    found = instants(
        view, state, sla_days=sla_days, rules=rules, calendar=calendar or default_calendar()
    )
    if found is None:
        return None
    warning, deadline = found
    if now >= deadline:
        if _deemed(state, rules):
            return DEEMED_GRANT_OBJECTION if state.objection else DEEMED_APPROVE
        return ESCALATE if view.escalated_at is None else None
    if view.sla_warned_at is None and now >= warning:
        return WARN
    return None


SYSTEM_ACTIONS = (WARN, ESCALATE, DEEMED_APPROVE, DEEMED_GRANT_OBJECTION)


def swept_in(workflow: Workflow, state: str) -> bool:
    """Whether the sweep has anything it may do in ``state`` of ``workflow``: a workflow that
    offers none of its actions there (a complaint's, until its categories warn and escalate)
    gets no deadline, so the sweep never claims a case it cannot act on."""
    return any(workflow.transition(action, state=state) for action in SYSTEM_ACTIONS)


def opening_deadline(
    workflow: Workflow, row: Mapping[str, Any], *, sla_days: int, rules: DeadlineRules
) -> datetime | None:
    """``deadline_at`` for a case that opens with its clock already running (a report goes
    straight to the authority: no transition starts its clock)."""
    state = workflow.state(row["state"])
    if state.clock != "runs" or not swept_in(workflow, state.name):
        return None
    view = ClockView(**{name: row[name] for name in _VIEW_FIELDS})
    return next_deadline(view, state, sla_days=sla_days, rules=rules)


def track(step: Step) -> None:
    """Keep ``deadline_at`` in step with whatever the action changes (every action calls it)."""
    target = step.changes.get("state", step.case.state)
    view = ClockView.of(step.case, step.changes)
    state = step.workflow.state(target)
    if state.clock != "runs" or not swept_in(step.workflow, target):
        step.changes["deadline_at"] = None
        return
    step.changes["deadline_at"] = next_deadline(
        view,
        state,
        sla_days=step.kind.sla_days(step.session, step.case),
        rules=step.kind.deadline_rules(step.session, step.case),
    )


# --- guards -------------------------------------------------------------------------------------


def _extension_allowed(step: Step) -> list[FieldError]:
    rules = step.kind.deadline_rules(step.session, step.case)
    if rules.max_extension_days == 0:
        raise Conflict(
            Msg(
                "Tenggat layanan ini tidak dapat diperpanjang",
                "The deadline of this service cannot be extended",
            )
        )
    if step.case.extended_days:
        raise Conflict(
            Msg(
                f"Tenggat sudah pernah diperpanjang {step.case.extended_days} hari kerja; "
                "perpanjangan hanya sekali",
                f"The deadline was already extended by {step.case.extended_days} working "
                "days; it may be extended only once",
            )
        )
    days, most = step.days, rules.max_extension_days
    if days is None or not 1 <= days <= most:
        return [
            FieldError(
                "days",
                Msg(
                    f"Isi jumlah hari kerja perpanjangan, 1 sampai {most}",
                    f"Give the extension in working days, from 1 to {most}",
                ),
            )
        ]
    return []


def _assignee_in_department(step: Step) -> list[FieldError]:
    assignee = step.session.get(User, step.assignee_id) if step.assignee_id else None
    if (
        assignee is None
        or assignee.role != "officer"
        or assignee.department_id != step.case.department_id
        or not assignee.is_active
    ):
        return [
            FieldError(
                "assignee_id",
                Msg(
                    "Pilih petugas aktif dari dinas yang menangani berkas ini",
                    "Choose an active officer of the department handling this case",
                ),
            )
        ]
    return []


def _deemed_approval_allowed(step: Step) -> list[FieldError]:
    # The workflow lets only ``system`` take the step; this is the service's and the law's say.
    rules = step.kind.deadline_rules(step.session, step.case)
    state = step.workflow.state(step.case.state)
    if not (step.principal.system and rules.deemed_approval and state.holder == "authority"):
        raise Forbidden(
            Msg(
                "Persetujuan demi hukum tidak berlaku untuk berkas ini",
                "Approval by operation of law does not apply to this case",
            )
        )
    return []


def _objection_window(step: Step) -> list[FieldError]:
    rules = step.kind.deadline_rules(step.session, step.case)
    filed = f"{step.kind.name}.objection_filed"
    if any(event.action == filed for event in _events(step.session, step.case.id)):
        raise Conflict(
            Msg(
                "Keberatan atas keputusan ini sudah pernah diajukan; keberatan hanya sekali",
                "An objection to this decision was filed already; one objection only",
            )
        )
    decided, days = step.case.decided_at, rules.objection_window_days
    if decided is None or step.now >= objection_window_closes(decided, days=days):
        raise Conflict(
            Msg(
                f"Batas waktu keberatan ({days} hari kerja setelah keputusan) sudah lewat",
                f"The objection window ({days} working days after the decision) has closed",
            )
        )
    return []


def _not_the_decider(step: Step) -> list[FieldError]:
    # Whoever made the decision objected to does not judge the objection (UU 30/2014 art. 77).
    decisions = _objected_decisions(step)
    deciders = {e.actor_id for e in _events(step.session, step.case.id) if e.action in decisions}
    if step.principal.actor_id in deciders:
        raise Forbidden(
            Msg(
                "Petugas yang memutus tidak boleh memeriksa keberatan atas keputusannya sendiri",
                "The officer who decided may not answer the objection to their own decision",
            )
        )
    return []


def _objected_decisions(step: Step) -> set[str]:
    """The events of the decisions one may object to (a rejection, a report declined): the
    transitions into a state the ``object`` action leaves from, but the head's upholding."""
    objectable = {
        source for t in step.workflow.transitions if t.action == "object" for source in t.sources
    }
    return {
        step.kind.event_name(t)
        for t in step.workflow.transitions
        if t.target in objectable and t.action != "uphold_objection"
    }


def _objection_deemed_granted(step: Step) -> list[FieldError]:
    rules = step.kind.deadline_rules(step.session, step.case)
    state = step.workflow.state(step.case.state)
    if not (step.principal.system and state.objection and rules.objection_deemed_granted):
        raise Forbidden(
            Msg(
                "Keberatan ini tidak dapat dikabulkan demi hukum",
                "This objection cannot be granted by operation of law",
            )
        )
    return []


def _events(session: Session, case_id: uuid.UUID):
    from app.cases import repository

    return repository.events(session, case_id)


GUARDS: Mapping[str, GuardHandler] = {
    "extension_allowed": _extension_allowed,
    "assignee_in_department": _assignee_in_department,
    "deemed_approval_allowed": _deemed_approval_allowed,
    "objection_window": _objection_window,
    "not_the_decider": _not_the_decider,
    "objection_deemed_granted": _objection_deemed_granted,
}


# --- effects ------------------------------------------------------------------------------------


def _mark_warned(step: Step) -> None:
    step.changes["sla_warned_at"] = step.now
    step.details["due_at"] = _iso(step.case.due_at)


def _mark_escalated(step: Step) -> None:
    step.changes["escalated_at"] = step.now
    step.details["due_at"] = _iso(step.case.due_at)


def _extend_deadline(step: Step) -> None:
    days = step.days or 0
    due = step.case.due_at
    if due is None:  # a running clock always has a due day; nothing to extend otherwise
        return
    new_due = default_calendar().add_working_days(due, days)
    # The extended deadline binds again: missing it escalates anew.
    step.changes |= {"due_at": new_due, "extended_days": days, "escalated_at": None}
    step.details |= {"days": days, "due_at": new_due.isoformat(), "previous_due_at": _iso(due)}


def _reassign(step: Step) -> None:
    step.changes["assigned_to_id"] = step.assignee_id
    step.details["assignee_id"] = str(step.assignee_id)


def _file_objection(step: Step) -> None:
    days = step.kind.deadline_rules(step.session, step.case).objection_answer_days
    due = default_calendar().add_working_days(office_date(step.now), days)
    step.changes |= {"due_at": due, "sla_warned_at": None, "escalated_at": None}
    step.details["answer_due_at"] = due.isoformat()


def _restart_sla(step: Step) -> None:
    # Back to review after a granted objection: the authority's full time, from today.
    days = step.kind.sla_days(step.session, step.case)
    due = default_calendar().add_working_days(office_date(step.now), days)
    step.changes |= {
        "due_at": due,
        "decided_at": None,
        "sla_warned_at": None,
        "escalated_at": None,
        "extended_days": 0,
    }
    step.details["due_at"] = due.isoformat()


def _iso(day: date | None) -> str | None:
    return day.isoformat() if day else None


EFFECTS: Mapping[str, EffectHandler] = {
    "mark_warned": _mark_warned,
    "mark_escalated": _mark_escalated,
    "extend_deadline": _extend_deadline,
    "reassign": _reassign,
    "file_objection": _file_objection,
    "restart_sla": _restart_sla,
}


# --- who hears of it ----------------------------------------------------------------------------

STAFF_TEMPLATES = {"sla_warned": "sla_warned", "escalated": "escalated"}


def _staff_recipients(session: Session, case: Case, event: dict[str, Any]) -> list[User]:
    """Who among the officers hears of a deadline event: a warning goes to the assigned officer
    (or every officer of the department), an escalation to the department's heads."""
    template = STAFF_TEMPLATES.get(event["action"].partition(".")[2])
    if template is None:
        return []
    if template == "sla_warned" and case.assigned_to_id is not None:
        officer = _user(session, case.assigned_to_id)
        return [officer] if officer is not None and officer.is_active else []
    return [
        user
        for user in _department_officers(session, case.department_id)
        if template == "sla_warned" or HEAD in parse_officer_roles(user.officer_roles)
    ]


def staff_emails(session: Session, case: Case, event: dict[str, Any]) -> list[EmailDraft]:
    """E-mail to the officers ``_staff_recipients`` names."""
    template = STAFF_TEMPLATES.get(event["action"].partition(".")[2])
    if template is None:
        return []
    return [
        EmailDraft(
            recipient=user.email,
            template=template,
            context={
                "lang": "en" if user.language == "en" else "id",
                "name": user.full_name,
                "reference": case.reference,
                "due_at": _iso(case.due_at),
                "case_kind": case.kind,
            },
        )
        for user in _staff_recipients(session, case, event)
    ]


def staff_notices(
    session: Session,
    case: Case,
    event: dict[str, Any],
    *,
    subject: Callable[[], tuple[str, str]],
) -> list[NoticeDraft]:
    """Portal notifications to officers: the ones e-mailed of a deadline event, and the officer
    a head assigned the case to (``subject`` names the case's service or category)."""
    what = event["action"].partition(".")[2]
    if what == "reassigned":
        assignee = event["details"].get("assignee_id")
        if assignee is None or assignee == event["actor_id"]:
            return []
        recipients = [uuid.UUID(assignee)]
        what = "assigned"
    else:
        recipients = [user.id for user in _staff_recipients(session, case, event)]
    if not recipients:
        return []
    params = {"subject": subject_names(*subject()), "due_at": _iso(case.due_at)}
    return [NoticeDraft(user_id, f"{case.kind}.{what}", params) for user_id in recipients]


def _user(session: Session, user_id: uuid.UUID) -> User | None:
    from app.cases import repository

    return repository.get_user(session, user_id)


def _department_officers(session: Session, department_id: int) -> list[User]:
    from app.cases import repository

    return repository.department_officers(session, department_id)


def head_ids(session: Session, department_id: int) -> list[uuid.UUID]:
    """The heads of a department (who receive its escalated cases)."""
    return [
        user.id
        for user in _department_officers(session, department_id)
        if HEAD in parse_officer_roles(user.officer_roles)
    ]


# --- transparency -------------------------------------------------------------------------------

# What the statistics count, by the event each is recorded as (per case type: "<kind>.<event>").
COUNTED_EVENTS = (
    ("warnings", "sla_warned"),
    ("escalations", "escalated"),
    ("extensions", "deadline_extended"),
    ("deemed_approvals", "deemed_approved"),
    ("objections", "objection_filed"),
    ("objections_upheld", "objection_upheld"),
    ("objections_granted", "objection_granted"),
    ("objections_deemed_granted", "objection_deemed_granted"),
)


@dataclass(frozen=True)
class DeadlineCounts:
    department_id: int
    subject_code: str
    counts: dict[str, int]


def deadline_counts(
    session: Session, *, kinds: Iterable[str], start: datetime, end: datetime
) -> list[DeadlineCounts]:
    """Warnings, escalations, extensions, deemed approvals and objections (filed, upheld,
    granted, deemed granted) per department and subject, recorded in [start, end)."""
    from app.cases import repository

    names = {f"{kind}.{event}": column for kind in kinds for column, event in COUNTED_EVENTS}
    table: dict[tuple[int, str], dict[str, int]] = {}
    rows = repository.deadline_event_counts(session, events=names, start=start, end=end)
    for department_id, subject, action, count in rows:
        counts = table.setdefault(
            (department_id, subject), {column: 0 for column, _ in COUNTED_EVENTS}
        )
        counts[names[action]] += count
    return [DeadlineCounts(d, s, counts) for (d, s), counts in sorted(table.items())]
