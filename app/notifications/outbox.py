"""Outbox messages, written in the transaction of the change they report.

What an event says and whether it leaves Loket at all is the case kernel's decision
(``app.cases.publishing``); this module turns it into messages: one per matching active webhook
subscription, and one e-mail when an SMTP server is configured (without one there is nothing to
deliver, so nothing is queued). E-mail text is rendered at delivery time
(``app.notifications.email``) from the facts stored here.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime
from functools import lru_cache
from typing import Any

from app.config import Settings
from app.db import URL, Engine, Session
from app.errors import Conflict, Msg, NotFound
from app.models import OutboxMessage
from app.models.base import utcnow
from app.notifications import repository

# Whether the deployment behind a database sends e-mail. Services only see a session, whose
# bind may be a copy of the engine with other options (``db.transaction``'s writer) or a pool
# recreated by ``dispose()``, so the key is the database URL. A database nobody registered
# (a CLI command) falls back to the environment's settings.
_sends_email: dict[URL, bool] = {}


@dataclass(frozen=True)
class EmailDraft:
    """An e-mail an event sends: to whom, which template, and the facts it shows."""

    recipient: str
    template: str
    context: dict[str, Any]


def configure(engine: Engine, *, settings: Settings) -> None:
    """Tell ``sends_email`` whether sessions on ``engine`` queue e-mail (smtp_host set)."""
    _sends_email[engine.url] = settings.sends_email


@lru_cache(maxsize=1)
def _environment_sends_email() -> bool:
    return Settings().sends_email


def sends_email(session: Session) -> bool:
    found = _sends_email.get(session.get_bind().engine.url)
    return _environment_sends_email() if found is None else found


def matches(patterns: list[str], action: str) -> bool:
    """Exact names, ``prefix.*`` and ``*``."""
    for pattern in patterns:
        if pattern in ("*", action):
            return True
        if pattern.endswith(".*") and action.startswith(pattern[:-1]):
            return True
    return False


def enqueue(
    session: Session,
    *,
    department_id: int | None,
    event_type: str,
    payload: Callable[[str | None], dict[str, Any]],
    email: EmailDraft | None,
    staff_emails: Sequence[EmailDraft] = (),
) -> int:
    """Queue a public event: its webhook body (``payload(department_code)``, built once) for each
    subscription that wants it, ``email`` and ``staff_emails`` (to officers); returns how many
    messages were queued. An event
    of no department (``None``: an audit checkpoint) goes to every subscription that asks."""
    now = utcnow()
    rows, body = [], None
    for sub in repository.active_subscriptions(session, department_id=department_id):
        if not matches(sub.event_types, event_type):
            continue
        body = body or payload(sub.department_code)
        rows.append(
            _message(
                kind="webhook",
                event_type=event_type,
                payload=body,
                now=now,
                subscription_id=sub.id,
            )
        )
    for draft in (email, *staff_emails):
        if draft is None:
            continue
        rows.append(
            _message(
                kind="email",
                event_type=event_type,
                payload={"template": draft.template, **draft.context},
                now=now,
                recipient=draft.recipient,
            )
        )
    if rows:
        repository.insert_messages(session, rows)
    return len(rows)


def enqueue_email(session: Session, *, event_type: str, email: EmailDraft) -> None:
    """Queue one e-mail that is no public event (a person's own account): no webhook hears it."""
    row = _message(
        kind="email",
        event_type=event_type,
        payload={"template": email.template, **email.context},
        now=utcnow(),
        recipient=email.recipient,
    )
    repository.insert_messages(session, [row])


def _message(*, kind: str, event_type: str, payload: dict, now: datetime, **target) -> dict:
    # Every column spelled out: a Core bulk INSERT does not run the model's default factories.
    return {
        "id": uuid.uuid4(),
        "kind": kind,
        "subscription_id": target.get("subscription_id"),
        "recipient": target.get("recipient"),
        "event_type": event_type,
        "payload": payload,
        "status": repository.PENDING,
        "attempts": 0,
        "next_attempt_at": now,
        "locked_until": None,
        "created_at": now,
    }


def dead_messages(session: Session, *, limit: int = 200) -> list[tuple[OutboxMessage, str]]:
    """Messages given up on, oldest first, each with where it was going (URL or e-mail)."""
    messages = repository.dead_messages(session, limit=limit)
    urls = repository.subscription_urls(
        session, {m.subscription_id for m in messages if m.subscription_id}
    )
    return [
        (m, urls.get(m.subscription_id, "?") if m.subscription_id else mask_email(m.recipient))
        for m in messages
    ]


def mask_email(address: str | None) -> str:
    """``b***@example.id``: enough for an operator to tell recipients apart, not to read them."""
    local, _, domain = (address or "?").partition("@")
    return f"{local[:1]}***@{domain}" if domain else "?"


def resend(session: Session, *, message_id: uuid.UUID) -> None:
    """Give a dead message a fresh attempt budget; it is delivered again from now on."""
    if repository.revive(session, now=utcnow(), message_id=message_id) == 1:
        return
    message = repository.message_by_id(session, message_id)
    if message is None:
        raise NotFound(Msg("Pesan tidak ditemukan", "No such message"))
    raise Conflict(
        Msg(
            f"Pesan berstatus {message.status}, bukan dead",
            f"The message is {message.status}, not dead",
        )
    )


def resend_all_dead(session: Session) -> int:
    """Every dead message back to pending; returns how many."""
    return repository.revive(session, now=utcnow())
