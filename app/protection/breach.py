"""``loket privacy breach``: whose data a client, an officer or a period touched, so that each
can be told within 3 x 24 hours (UU PDP art. 46). Read from ``personal_data_access``."""

from __future__ import annotations

import csv
import io
import uuid
from datetime import UTC, datetime
from typing import Any

from app.db import Session
from app.errors import Msg, NotFound, invalid
from app.privacy import repository

COLUMNS = (
    "resident_id",
    "full_name",
    "email",
    "phone",
    "reads",
    "first_read",
    "last_read",
    "data_read",
)


def moment(text: str, *, field: str) -> datetime:
    """An ISO 8601 date or moment (UTC when no offset is given)."""
    try:
        parsed = datetime.fromisoformat(text)
    except ValueError:
        raise invalid(field, "Bukan tanggal ISO 8601", "Not an ISO 8601 date or time") from None
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)


def affected_csv(
    session: Session,
    *,
    start: datetime,
    end: datetime,
    client_id: str | None = None,
    officer: str | None = None,
) -> str:
    """CSV of every resident whose data was read in [start, end), by the client or officer
    when one is named (an officer by account id or e-mail)."""
    if end <= start:
        raise invalid("to", "Harus sesudah --from", "Must be after --from")
    types: tuple[str, ...] | None = None
    accessor: str | None = None
    if client_id is not None:
        types, accessor = ("client", "app"), client_id
    if officer is not None:
        types, accessor = ("user",), str(_officer_id(session, officer))
    criteria: dict[str, Any] = {
        "start": start,
        "end": end,
        "accessor_types": types,
        "accessor_id": accessor,
    }
    read = repository.what_was_read(session, **criteria)
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(COLUMNS)
    for row in repository.touched(session, **criteria):
        writer.writerow(
            [
                row.subject_id,
                row.full_name or "",
                row.email or "",
                row.phone or "",
                row.reads,
                _iso(row.first_read),
                _iso(row.last_read),
                " ".join(sorted(read.get(_uuid(row.subject_id), ()))),
            ]
        )
    return out.getvalue()


def _officer_id(session: Session, officer: str) -> uuid.UUID:
    try:
        return uuid.UUID(officer)
    except ValueError:
        found = repository.staff_id_by_email(session, officer)
        if found is None:
            raise NotFound(Msg("Petugas tidak ditemukan", "No officer with this e-mail")) from None
        return found


def _uuid(value: object) -> uuid.UUID:
    return value if isinstance(value, uuid.UUID) else uuid.UUID(str(value))


def _iso(value: datetime) -> str:
    aware = value if value.tzinfo else value.replace(tzinfo=UTC)
    return aware.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
