"""E-mail to the applicant through a real SMTP server (aiosmtpd), in the citizen's language."""

from __future__ import annotations

from collections.abc import Iterator
from email.message import EmailMessage
from urllib.parse import urlsplit

import pytest
from sqlalchemy import update

from app.config import Settings
from app.db import transaction
from app.models import User
from app.notifications.dispatcher import Dispatcher
from tests.notifications.helpers import messages
from tests.web.mail import Inbox, mail_settings, running_inbox
from tests.web.pages import sign_in


@pytest.fixture
def inbox() -> Iterator[tuple[Inbox, int]]:
    yield from running_inbox()


@pytest.fixture
def settings(settings, inbox) -> Settings:
    return mail_settings(settings, inbox[1])


def _deliver(world) -> list[tuple[list[str], EmailMessage]]:
    Dispatcher(world.runtime.engine, world.runtime.settings).run_once()
    assert {m.status for m in messages(world.runtime.engine)} == {"sent"}
    return world.inbox.received


def _text(mail: EmailMessage) -> str:
    return mail.get_content().replace("\r\n", "\n")  # SMTP carries CRLF line ends


@pytest.fixture
def mail_world(world, inbox):
    world.inbox = inbox[0]
    return world


def _set_language(world, user: User, language: str) -> None:
    with transaction(world.runtime.engine) as session:
        session.execute(update(User).where(User.id == user.id).values(language=language))


def test_submission_mails_the_citizen_in_indonesian(mail_world):
    citizen = mail_world.user("citizen", name="Siti Rahma")
    application = mail_world.submitted(citizen)
    [(recipients, mail)] = _deliver(mail_world)
    assert recipients == [citizen.email]
    assert mail["To"] == citizen.email
    assert mail["From"] == "Loket DKI <no-reply@loket.jakarta.go.id>"
    assert mail["Subject"] == f"Permohonan {application['reference']} telah diterima"
    assert mail["Content-Language"] == "id"
    assert mail["Message-ID"].endswith("@loket.jakarta.go.id>")
    assert mail.get_content_type() == "text/plain"
    body = _text(mail)
    assert "Yth. Siti Rahma," in body and application["reference"] in body
    assert "<" not in body  # plain text, no markup


def test_a_citizen_who_reads_english_gets_english(mail_world):
    citizen = mail_world.user("citizen", name="Budi Santoso")
    _set_language(mail_world, citizen, "en")
    application = mail_world.submitted(citizen)
    [(_, mail)] = _deliver(mail_world)
    assert mail["Subject"] == f"Application {application['reference']} received"
    assert mail["Content-Language"] == "en"
    assert "Dear Budi Santoso," in _text(mail)


def test_revision_and_rejection_carry_the_officers_words(mail_world):
    citizen, officer = mail_world.user("citizen"), mail_world.user("officer")
    revision = mail_world.in_state("revision_requested", citizen=citizen, officer=officer)
    rejected = mail_world.in_state("rejected", citizen=citizen, officer=officer)
    subjects = {mail["Subject"]: _text(mail) for _, mail in _deliver(mail_world)}
    asked = subjects[f"Permohonan {revision['reference']} perlu diperbaiki"]
    assert "Catatan petugas:\nMohon dilengkapi" in asked
    assert f"http://testserver/my/applications/{revision['id']}" in asked
    refused = subjects[f"Permohonan {rejected['reference']} ditolak"]
    assert "Alasan penolakan:\nMohon dilengkapi" in refused
    assert len(subjects) == 4  # and the two submissions


def test_approval_mail_links_to_the_certificate_and_its_verification(mail_world):
    citizen, officer = mail_world.user("citizen"), mail_world.user("officer")
    _set_language(mail_world, citizen, "en")
    approved = mail_world.in_state("approved", citizen=citizen, officer=officer)
    number = approved["certificate_number"]
    mails = {mail["Subject"]: _text(mail) for _, mail in _deliver(mail_world)}
    body = mails[f"Application {approved['reference']} approved, certificate {number} issued"]
    pdf_link = f"http://testserver/my/applications/{approved['id']}/certificate"
    assert pdf_link in body
    verify_link = next(line for line in body.splitlines() if "/verify/" in line).strip()

    # The links work: the citizen signs in when asked and gets the signed PDF; anyone checks it.
    asked = mail_world.client.get(urlsplit(pdf_link).path, follow_redirects=False)
    assert asked.status_code == 303 and asked.headers["location"].startswith("/login?next=")
    signed_in = sign_in(mail_world.client, citizen.email, next_url=urlsplit(pdf_link).path)
    pdf = mail_world.client.get(signed_in.headers["location"])
    assert pdf.status_code == 200 and pdf.content.startswith(b"%PDF")
    page = mail_world.client.get(urlsplit(verify_link).path)
    assert page.status_code == 200 and number in page.text
