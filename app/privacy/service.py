"""A resident's own record of who read their personal data."""

from __future__ import annotations

from app.accounts.principal import Principal
from app.db import Session
from app.errors import Forbidden, Msg, NotAuthenticated, invalid
from app.models import User
from app.privacy import repository
from app.privacy.schemas import AccessorRead, AccessPage, AccessRead

MAX_LIMIT = 100


def resident_of(principal: Principal) -> User:
    """The signed-in person asking about their own data (not an app, not a machine)."""
    if principal.user is None:
        if principal.client is not None:
            raise Forbidden(Msg("Hanya untuk warga", "Only for a signed-in person"))
        raise NotAuthenticated()
    if principal.app is not None:
        raise Forbidden(
            Msg(
                "Aplikasi tidak dapat membaca data ini atas nama warga",
                "An app cannot read this for a resident",
            )
        )
    return principal.user


def access_log(
    session: Session, *, principal: Principal, limit: int = 20, cursor: str | None = None
) -> AccessPage:
    """Who read the caller's personal data, newest first, a page at a time."""
    user = resident_of(principal)
    before = _cursor(cursor)
    rows = repository.accesses_of(session, user.id, before=before, limit=limit + 1)
    more = len(rows) > limit
    rows = rows[:limit]
    return AccessPage(
        items=[_read(row) for row in rows],
        next_cursor=str(rows[-1].id) if more else None,
    )


def _cursor(cursor: str | None) -> int | None:
    if cursor is None:
        return None
    if not cursor.isdigit() or len(cursor) > 18:
        raise invalid("cursor", "Kursor tidak valid", "Invalid cursor")
    return int(cursor)


def _read(row) -> AccessRead:
    return AccessRead(
        accessed_at=row.accessed_at,
        accessor=AccessorRead(
            type=row.accessor_type, name=row.accessor_name, role=row.accessor_role
        ),
        what=row.what,
        fields=list(row.fields),
        case_id=row.case_id,
        case_reference=row.reference,
    )
