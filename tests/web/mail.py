"""A real SMTP server (aiosmtpd) on a free port, keeping what it receives, for page tests."""

from __future__ import annotations

from collections.abc import Iterator
from email import message_from_bytes, policy
from email.message import EmailMessage

from aiosmtpd.controller import Controller

from app.config import Settings
from tests.live import free_port


class Inbox:
    """aiosmtpd handler keeping every message it accepts."""

    def __init__(self) -> None:
        self.received: list[tuple[list[str], EmailMessage]] = []

    async def handle_DATA(self, server, session, envelope) -> str:
        parsed = message_from_bytes(envelope.content, policy=policy.default)
        self.received.append((list(envelope.rcpt_tos), parsed))
        return "250 Message accepted for delivery"


def running_inbox() -> Iterator[tuple[Inbox, int]]:
    """For a module's ``inbox`` fixture: ``yield from running_inbox()``."""
    handler, port = Inbox(), free_port()
    controller = Controller(handler, hostname="127.0.0.1", port=port)
    controller.start()
    yield handler, port
    controller.stop()


def mail_settings(settings: Settings, port: int) -> Settings:
    """``settings`` sending e-mail to the inbox on ``port``."""
    return settings.model_copy(
        update={
            "smtp_host": "127.0.0.1",
            "smtp_port": port,
            "smtp_starttls": False,
            "mail_from": "Loket DKI <no-reply@loket.jakarta.go.id>",
        }
    )
