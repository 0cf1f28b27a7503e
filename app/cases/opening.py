"""Opening a case: its row, its type's own row and its first event, with a reference number.

On PostgreSQL the number, the rows and the returned reference are one round trip (a sequence
in a data-modifying CTE); on SQLite the rows are inserted, then numbered from a counter row.
"""

from __future__ import annotations

import uuid
from datetime import datetime
from types import SimpleNamespace
from typing import Any, cast

from app.accounts.principal import Principal
from app.cases import numbering, publishing, repository, timeline
from app.cases.kinds import CaseKind
from app.cases.repository import OwnRow
from app.cases.timeline import EventDraft
from app.db import Session
from app.models import Case


def new_case_rows(
    *,
    kind: CaseKind,
    subject_code: str,
    workflow: str,
    state: str,
    department_id: int,
    owner_id: uuid.UUID | None,
    principal: Principal,
    data: dict[str, Any],
    now: datetime,
) -> tuple[dict[str, Any], dict[str, Any]]:
    """Every column of a new case, and its first event (``{kind}.created``)."""
    case_id = uuid.uuid4()
    on_behalf = principal.user is None or principal.user.id != owner_id
    draft = EventDraft(
        f"{kind.name}.created",
        principal.actor_type,
        principal.actor_id,
        to_state=state,
        details={
            **({"on_behalf_of": str(owner_id)} if on_behalf and owner_id else {}),
            **principal.event_details,
        },
    )
    first_event = timeline.event_row(
        case_id=case_id, seq=1, prev_hash=timeline.GENESIS, draft=draft, created_at=now
    )
    values = {
        "id": case_id,
        "kind": kind.name,
        "reference": case_id.hex,  # unique placeholder until the number is assigned
        "subject_code": subject_code,
        "workflow": workflow,
        "department_id": department_id,
        "owner_id": owner_id,
        "submitted_by_id": principal.user.id if principal.user and on_behalf else None,
        "created_by_client": principal.client_id if principal.is_client else None,
        "assigned_to_id": None,
        "first_officer_id": None,
        "state": state,
        "data": data,
        "version": 1,
        "event_seq": 1,
        "event_head": first_event["hash"],
        "created_at": now,
        "updated_at": now,
        "paused_working_days": 0,
        "submitted_at": None,
        "decided_at": None,
        "due_at": None,
        "paused_at": None,
        "deadline_at": None,
        "sla_warned_at": None,
        "escalated_at": None,
        "extended_days": 0,
    }
    return values, first_event


def insert_case(
    session: Session,
    *,
    case: dict[str, Any],
    own: OwnRow,
    first_event: dict[str, Any],
    series: str,
    digits: int = 6,
) -> str | None:
    """Write a new case numbered ``{series}-{YYYY}-{N...}``; returns its reference, or None if
    the type's condition (``own.only_if``) no longer holds and nothing was written (checked
    inside the one insert statement on PostgreSQL, by a query before it on SQLite).
    The first event goes to the outbox like any other (a draft's stays private)."""
    year = case["created_at"].year
    prefix = f"{series}-{year}-"
    sequence = numbering.sequence_for(session, series=series, year=year)
    if sequence is not None:
        reference = repository.insert_numbered_case(
            session,
            case=case,
            own=own,
            first_event=first_event,
            sequence=sequence,
            prefix=prefix,
            digits=digits,
        )
        if reference is None:
            return None
    else:
        if not repository.still_holds(session, own):
            return None
        repository.insert_case(session, case=case, own=own, first_event=first_event)
        number = numbering.next_number(session, series=series, year=year)
        reference = f"{prefix}{number:0{digits}d}"
        repository.assign_reference(session, case_id=case["id"], reference=reference)
    case["reference"] = reference
    # The values read as attributes: building the ORM object cost more CPU than the insert.
    publishing.publish(session, case=cast(Case, SimpleNamespace(**case)), event=first_event)
    return reference
