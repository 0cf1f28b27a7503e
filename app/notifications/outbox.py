"""Outbox messages, written in the transaction of the change they report.

``enqueue_for_event`` runs inside every event append, so it stays cheap: nothing happens for
private events, and a public one costs one SELECT of the active subscriptions (a tiny table,
joined with the department code the payload needs) and one bulk INSERT.

Which events leave Loket:

- webhooks: ``application.*`` once the application has left the draft (a draft is the citizen's
  unfinished work that not even officers see, so ``application.created`` and withdrawing a
  draft stay private), except ``application.data_updated`` (a form edit: its details name the
  personal fields that changed, and it moves no state); plus ``certificate.issued`` and
  ``certificate.revoked``. ``document.*`` never (uploads and audited reads are personal).
  The payload carries identifiers and states only, no personal data and no free-text comment.
- e-mail to the applicant on submission, revision requested, rejection and approval (sent with
  ``certificate.issued``, which carries the certificate), only when ``smtp_host`` is set: without
  an SMTP server there is nothing to deliver, so nothing is queued. The text is rendered at
  delivery time (``app.notifications.email``) from the facts stored here.
"""

from __future__ import annotations

import uuid
from datetime import UTC, datetime
from functools import lru_cache
from typing import Any

from app.accounts import repository as accounts_repo
from app.catalogue import repository as catalogue_repo
from app.config import Settings
from app.db import URL, Engine, Session
from app.errors import Conflict, Msg, NotFound
from app.models import Application, OutboxMessage
from app.models.base import utcnow
from app.notifications import repository

CERTIFICATE_EVENTS = frozenset({"certificate.issued", "certificate.revoked"})
PRIVATE_APPLICATION_EVENTS = frozenset({"application.data_updated"})
EMAIL_TEMPLATES = {
    "application.submitted": "submitted",
    "application.revision_requested": "revision_requested",
    "application.rejected": "rejected",
    "certificate.issued": "approved",
}

# Whether the deployment behind a database sends e-mail. Services only see a session, whose
# bind may be a copy of the engine with other options (``db.transaction``'s writer) or a pool
# recreated by ``dispose()``, so the key is the database URL. A database nobody registered
# (a CLI command) falls back to the environment's settings.
_sends_email: dict[URL, bool] = {}


def configure(engine: Engine, *, settings: Settings) -> None:
    """Tell ``enqueue_for_event`` whether sessions on ``engine`` queue e-mail (smtp_host set)."""
    _sends_email[engine.url] = bool(settings.smtp_host)


@lru_cache(maxsize=1)
def _environment_sends_email() -> bool:
    return bool(Settings().smtp_host)


def _email_enabled(session: Session) -> bool:
    found = _sends_email.get(session.get_bind().engine.url)
    return _environment_sends_email() if found is None else found


def is_public(event: dict[str, Any]) -> bool:
    """Whether other systems hear of this event (see the module docstring)."""
    action = event["action"]
    if action in CERTIFICATE_EVENTS:
        return True
    if not action.startswith("application.") or action in PRIVATE_APPLICATION_EVENTS:
        return False
    in_draft = "draft" in (event["from_state"], event["to_state"])
    return not in_draft or event["to_state"] == "submitted"


def matches(patterns: list[str], action: str) -> bool:
    """Exact names, ``prefix.*`` and ``*``."""
    for pattern in patterns:
        if pattern in ("*", action):
            return True
        if pattern.endswith(".*") and action.startswith(pattern[:-1]):
            return True
    return False


def enqueue_for_event(session: Session, *, application: Application, event: dict) -> int:
    """Queue the webhooks and e-mail ``event`` (a ``chain.event_row``) causes; returns how many."""
    if not is_public(event):
        return 0
    now = utcnow()
    rows = _webhook_rows(session, application=application, event=event, now=now)
    template = EMAIL_TEMPLATES.get(event["action"])
    if template and _email_enabled(session):
        rows.append(
            _email_row(session, application=application, event=event, template=template, now=now)
        )
    if rows:
        repository.insert_messages(session, rows)
    return len(rows)


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


def _webhook_rows(
    session: Session, *, application: Application, event: dict, now: datetime
) -> list[dict]:
    rows, payload = [], None
    for sub in repository.active_subscriptions(session, department_id=application.department_id):
        if not matches(sub.event_types, event["action"]):
            continue
        payload = payload or webhook_payload(
            application=application, event=event, department_code=sub.department_code
        )
        rows.append(
            _message(
                kind="webhook",
                event_type=event["action"],
                payload=payload,
                now=now,
                subscription_id=sub.id,
            )
        )
    return rows


def webhook_payload(*, application: Application, event: dict, department_code: str) -> dict:
    """The Standard Webhooks body: type, timestamp, and identifiers only (no personal data)."""
    data: dict[str, Any] = {
        "application_id": str(application.id),
        "reference": application.reference,
        "service_code": application.service_code,
        "department_code": department_code,
        "state": application.state,
        "from_state": event["from_state"],
        "sequence": event["seq"],
    }
    if event["action"] in CERTIFICATE_EVENTS:
        data["certificate_number"] = event["details"].get("number")
    return {"type": event["action"], "timestamp": iso_utc(event["created_at"]), "data": data}


def iso_utc(moment: datetime) -> str:
    return moment.astimezone(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")


def _email_row(
    session: Session, *, application: Application, event: dict, template: str, now: datetime
) -> dict:
    # Usually already in the session (the caller, the transition's service): no query.
    applicant = accounts_repo.user_by_id(session, application.applicant_id)
    service = catalogue_repo.service_version(session, application.service_id)
    if applicant is None or service is None:  # foreign keys make this unreachable
        raise LookupError(f"application {application.id} lost its applicant or service")
    lang = "en" if applicant.language == "en" else "id"
    context: dict[str, Any] = {
        "template": template,
        "lang": lang,
        "application_id": str(application.id),
        "name": applicant.full_name,
        "reference": application.reference,
        "service_name": service.name_en if lang == "en" else service.name_id,
        "comment": event["comment"],
    }
    if template == "approved":
        codes = repository.certificate_codes(session, application.id)
        if codes is None:  # certificates.service.record inserts the row before this event
            raise LookupError(f"certificate.issued without a certificate for {application.id}")
        context["certificate_number"] = codes.number
        context["verification_code"] = codes.verification_code
    return _message(
        kind="email",
        event_type=event["action"],
        payload=context,
        now=now,
        recipient=applicant.email,
    )


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
