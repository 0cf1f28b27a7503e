"""Which events of a case leave Loket, and what they say: webhooks and e-mail via the outbox.

Runs inside every event append, so it stays cheap: nothing happens for private events, and a
public one costs one SELECT of the active subscriptions and one bulk INSERT.

- An event of the case's own kind (``application.*``) is public once the case has left the
  owner's private drafting (a draft is unfinished work that not even officers see, so
  ``application.created`` and withdrawing a draft stay private), except the kind's private
  events (a form edit, whose details name the personal fields that changed). Events of other
  names are public only where the kind says so (``certificate.issued``). ``document.*`` never
  (uploads and audited reads are personal).
- Payloads carry identifiers and states only: no personal data and no free-text comment.
- E-mail goes to the owner for the events the kind names, and to officers for a deadline
  warning or escalation (``deadlines.staff_emails``), only when an SMTP server is set.
- Notifications in the portal go to the same people for the same events (``kind.notices``,
  ``deadlines.staff_notices``, which also tells an officer a case was assigned to them), mail
  or no mail, written in this transaction like the outbox messages.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from app.cases import deadlines
from app.cases.kinds import CaseKind, kind_named, workflow_of
from app.db import Session
from app.models import Case
from app.notifications import inbox, outbox
from app.workflow.engine import Workflow


def is_public(kind: CaseKind, event: dict[str, Any], workflow: Workflow) -> bool:
    """Whether other systems hear of this event (see the module docstring)."""
    action = event["action"]
    if action in kind.public_events:
        return True
    if not action.startswith(f"{kind.name}.") or action in kind.private_events:
        return False
    source, target = event["from_state"], event["to_state"]
    left_private = source is not None and workflow.state(source).private
    if target is None or workflow.state(target).private:
        return False
    # Leaving a draft is news only when the file goes to the authority, not when it is dropped.
    return not left_private or workflow.state(target).holder == "authority"


def publish(session: Session, *, case: Case, event: dict[str, Any]) -> int:
    """Queue the webhooks and e-mail ``event`` (a timeline row) causes; returns how many."""
    kind = kind_named(case.kind)
    if not is_public(kind, event, workflow_of(case)):
        return 0
    notices = kind.notices(session, case, event) + deadlines.staff_notices(
        session, case, event, subject=lambda: kind.subject_names(session, case)
    )
    inbox.add(session, case_id=case.id, reference=case.reference, drafts=notices)
    sends = outbox.sends_email(session)
    return outbox.enqueue(
        session,
        department_id=case.department_id,
        event_type=event["action"],
        payload=lambda department_code: webhook_payload(kind, case, event, department_code),
        email=kind.email(session, case, event) if sends else None,
        staff_emails=deadlines.staff_emails(session, case, event) if sends else (),
    )


def webhook_payload(
    kind: CaseKind, case: Case, event: dict[str, Any], department_code: str | None
) -> dict[str, Any]:
    """The Standard Webhooks body: type, timestamp, and identifiers only (no personal data)."""
    data: dict[str, Any] = {
        kind.id_field: str(case.id),
        "reference": case.reference,
        kind.subject_field: case.subject_code,
        "department_code": department_code,
        "state": case.state,
        "from_state": event["from_state"],
        "sequence": event["seq"],
    }
    data |= kind.webhook_fields(case, event)
    return {"type": event["action"], "timestamp": iso_utc(event["created_at"]), "data": data}


def iso_utc(moment: datetime) -> str:
    return moment.astimezone(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")
