"""Forms kept across a lost session: typed input is never thrown away because a session ended.

A form posted after the person's session has ended is kept under a random token (its hash in
the table), for an hour and for one use. Once they have signed in again and are back on the
page they posted from, the page takes it and shows it filled in for them to check and send
again; nothing is saved into a case from here.
"""

from __future__ import annotations

import hashlib
import secrets
from datetime import timedelta

from app.accounts import repository
from app.db import Session
from app.models import KeptForm
from app.models.base import utcnow

LIFETIME = timedelta(hours=1)
# Enough for any of our forms; a larger post keeps nothing rather than filling the table.
MAX_FIELDS = 200
MAX_CHARACTERS = 64_000


def _hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def keep(session: Session, *, return_path: str, fields: dict[str, str], had_files: bool) -> str:
    """Keep ``fields`` for the page at ``return_path``; returns the browser's token."""
    if len(fields) > MAX_FIELDS or sum(len(k) + len(v) for k, v in fields.items()) > MAX_CHARACTERS:
        fields = {}
    token = secrets.token_urlsafe(32)
    now = utcnow()
    repository.insert_kept_form(
        session,
        KeptForm(
            token_hash=_hash(token),
            return_path=return_path[:512],
            fields=fields,
            had_files=had_files,
            created_at=now,
            expires_at=now + LIFETIME,
        ),
    )
    return token


def take(session: Session, *, token: str, path: str) -> KeptForm | None:
    """The form kept for the page at ``path`` (without its query), used up; None otherwise."""
    if not token or len(token) > 128:
        return None
    record = repository.kept_form(session, _hash(token), now=utcnow())
    if record is None or record.return_path.split("?", 1)[0] != path:
        return None
    repository.delete_kept_form(session, record)
    return record
