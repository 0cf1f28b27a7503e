"""E-mail about a person's own account: the password-reset link.

Asking for a link and getting no account behind the address look the same from outside; the
e-mail goes through the outbox like every other, so it leaves after the request's transaction
commits and is retried if the mail server is down. The outbox keeps the link only until it is
sent (``email.SECRET_FIELDS``); the table of links keeps only hashes.
"""

from __future__ import annotations

from app.accounts import resets
from app.config import Settings
from app.db import Session
from app.notifications import outbox

RESET_EVENT = "account.password_reset_requested"


def can_reset_by_email(session: Session) -> bool:
    """Whether this deployment sends e-mail at all (without it, the office resets passwords)."""
    return outbox.sends_email(session)


def request_password_reset(
    session: Session, *, settings: Settings, email: str, ip: str | None
) -> None:
    """Send a reset link to ``email`` if it belongs to an active account; the same otherwise."""
    if not outbox.sends_email(session):
        return  # the page says to come to the counter; a link that never leaves helps nobody
    issued = resets.issue(session, settings=settings, email=email, ip=ip)
    if issued is None:
        return
    user = issued.user
    outbox.enqueue_email(
        session,
        event_type=RESET_EVENT,
        email=outbox.EmailDraft(
            user.email,
            "password_reset",
            {
                "name": user.full_name,
                "lang": user.language,
                "reset_token": issued.token,
                "minutes": issued.minutes,
            },
        ),
    )
