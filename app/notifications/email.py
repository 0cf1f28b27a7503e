"""E-mail to citizens: plain text from ``templates/email/{template}.{lang}.txt``, sent over SMTP.

A template's first line is ``Subject: ...``, then a blank line, then the body. Templates are
text, so autoescaping is off; nothing here ever produces HTML. The outbox stores the facts
(reference, service name, comment, certificate codes) and the text is rendered at delivery, so
links use the delivering process's ``public_base_url``.
"""

from __future__ import annotations

import smtplib
import ssl
from email.message import EmailMessage
from email.utils import formataddr, parseaddr
from functools import lru_cache
from typing import Any
from urllib.parse import quote

from jinja2 import Environment, FileSystemLoader, StrictUndefined

from app import resources
from app.config import Settings

# Where the citizen downloads a certificate and where anyone checks one (see design.md 7).
APPLICATION_PATH = "/my/applications/{id}"
CERTIFICATE_PATH = "/my/applications/{id}/certificate"
API_CERTIFICATE_PATH = "/api/v1/certificates/{number}/pdf"
VERIFY_PATH = "/verify/{code}"
RESET_PATH = "/password/reset?token={token}"
# Payload fields that are secrets: the outbox forgets them once the message is sent.
SECRET_FIELDS = frozenset({"reset_token"})


class PermanentMailError(Exception):
    """The server refused the message for good (5xx): retrying cannot help."""


@lru_cache(maxsize=1)
def environment() -> Environment:
    return Environment(
        loader=FileSystemLoader(str(resources.templates_dir() / "email")),
        autoescape=False,
        undefined=StrictUndefined,
        keep_trailing_newline=True,
        trim_blocks=True,
        lstrip_blocks=True,
    )


def links(payload: dict[str, Any], *, public_base_url: str) -> dict[str, str]:
    """Absolute links for the e-mail: the resident's application page (it asks them to sign in
    and comes back), and on approval the certificate download and its public verification."""
    base = public_base_url.rstrip("/")
    found: dict[str, str] = {}
    if "reset_token" in payload:
        found["reset_url"] = base + RESET_PATH.format(token=quote(payload["reset_token"], safe=""))
    application_id = payload.get("application_id")  # absent in messages queued before 0.2
    if application_id:
        found["application_url"] = base + APPLICATION_PATH.format(id=application_id)
    if "certificate_number" in payload:
        found["certificate_url"] = (
            base + CERTIFICATE_PATH.format(id=application_id)
            if application_id
            else base
            + API_CERTIFICATE_PATH.format(number=quote(payload["certificate_number"], safe=""))
        )
        found["verify_url"] = base + VERIFY_PATH.format(
            code=quote(payload["verification_code"], safe="")
        )
    return found


def render(payload: dict[str, Any], *, public_base_url: str) -> tuple[str, str]:
    """(subject, body) of an outbox e-mail payload, in its language."""
    lang = "en" if payload.get("lang") == "en" else "id"
    template = environment().get_template(f"{payload['template']}.{lang}.txt")
    text = template.render(**payload, **links(payload, public_base_url=public_base_url))
    first, _, body = text.partition("\n\n")
    if not first.startswith("Subject: "):
        raise RuntimeError(f"{template.name} must start with a 'Subject: ' line")
    # A header never spans lines, whatever a reference or service name contains.
    subject = " ".join(first.removeprefix("Subject: ").split())
    return subject, body.strip() + "\n"


def build_message(
    payload: dict[str, Any], *, recipient: str, message_id: str, settings: Settings
) -> EmailMessage:
    """The whole e-mail; its Message-ID comes from the outbox id, so repeats can be spotted."""
    subject, body = render(payload, public_base_url=settings.public_base_url)
    sender = parseaddr(settings.mail_from)
    domain = sender[1].rpartition("@")[2] or "loket.local"
    message = EmailMessage()
    message["From"] = formataddr(sender)
    message["To"] = recipient
    message["Subject"] = subject
    message["Message-ID"] = f"<{message_id}@{domain}>"
    message["Auto-Submitted"] = "auto-generated"  # RFC 3834: no vacation replies to us
    message.set_content(body, charset="utf-8")
    # After set_content, which replaces every Content-* header.
    message["Content-Language"] = "en" if payload.get("lang") == "en" else "id"
    return message


def send(message: EmailMessage, *, settings: Settings, timeout: float) -> None:
    """Hand the message to the configured SMTP server (STARTTLS and login when configured)."""
    if not settings.smtp_host:
        raise RuntimeError("LOKET_SMTP_HOST is not set")
    try:
        with smtplib.SMTP(settings.smtp_host, settings.smtp_port, timeout=timeout) as smtp:
            if settings.smtp_starttls:
                smtp.starttls(context=ssl.create_default_context())
            if settings.smtp_username and settings.smtp_password:
                smtp.login(settings.smtp_username, settings.smtp_password.get_secret_value())
            smtp.send_message(message)
    except smtplib.SMTPRecipientsRefused as error:
        codes = [code for code, _ in error.recipients.values()]
        if all(code >= 500 for code in codes):
            raise PermanentMailError(f"recipient refused: {codes}") from None
        raise
    except smtplib.SMTPResponseException as error:
        if error.smtp_code >= 500 and not isinstance(error, smtplib.SMTPAuthenticationError):
            raise PermanentMailError(f"SMTP {error.smtp_code}: {error.smtp_error!r}") from None
        raise
