"""Notifications in the portal: what happened to a person's cases, to read at ``/notifications``.

They come from the same events and the same drafting as e-mail (``app.cases.publishing``): a
case type names what its owner hears of (``CaseKind.notices``), the deadline rules what officers
hear of (``app.cases.deadlines.staff_notices``), and each becomes a row here in the event's own
transaction, whether or not the deployment sends e-mail. A row stores facts (``kind``,
``params``); its words are made here when it is shown, in the reader's language.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from app.db import Session
from app.errors import Msg, NotFound
from app.models import Notification
from app.models.base import utcnow
from app.notifications import repository

PAGE_SIZE = 20
NOT_FOUND = Msg("Pemberitahuan tidak ditemukan", "Notification not found")


@dataclass(frozen=True)
class NoticeDraft:
    """A notification an event sends: to whom, what happened (``case_kind.what``), the facts."""

    user_id: uuid.UUID
    kind: str
    params: dict[str, Any]


# What each kind says, by its part after the case type ("application.rejected" -> "rejected");
# ``{reference}`` and ``{subject}`` (the service or category, in the reader's language) filled in.
TEXTS: dict[str, Msg] = {
    "revision_requested": Msg(
        "Petugas meminta Anda memperbaiki permohonan {reference} ({subject})",
        "An officer asks you to correct application {reference} ({subject})",
    ),
    "approved": Msg(
        "Permohonan {reference} ({subject}) disetujui: sertifikat Anda sudah terbit",
        "Application {reference} ({subject}) was approved: your certificate is issued",
    ),
    "rejected": Msg(
        "Permohonan {reference} ({subject}) ditolak",
        "Application {reference} ({subject}) was rejected",
    ),
    "certificate_revoked": Msg(
        "Sertifikat permohonan {reference} ({subject}) dicabut",
        "The certificate of application {reference} ({subject}) was revoked",
    ),
    "accepted": Msg(
        "Laporan {reference} ({subject}) diterima petugas",
        "An officer accepted report {reference} ({subject})",
    ),
    "referred": Msg(
        "Laporan {reference} ({subject}) dialihkan ke dinas lain",
        "Report {reference} ({subject}) went to another department",
    ),
    "marked_duplicate": Msg(
        "Laporan {reference} ({subject}) digabung dengan laporan yang sama",
        "Report {reference} ({subject}) was joined to an earlier report of the same problem",
    ),
    "declined": Msg(
        "Laporan {reference} ({subject}) bukan kewenangan Pemprov DKI Jakarta",
        "Report {reference} ({subject}) is not the city's responsibility",
    ),
    "verified": Msg(
        "Masalah pada laporan {reference} ({subject}) sudah selesai: mohon konfirmasi",
        "The problem of report {reference} ({subject}) is fixed: please confirm",
    ),
    "assigned": Msg(
        "Berkas {reference} ({subject}) ditugaskan kepada Anda",
        "Case {reference} ({subject}) was assigned to you",
    ),
    "sla_warned": Msg(
        "Batas waktu berkas {reference} ({subject}) sudah dekat",
        "The deadline of case {reference} ({subject}) is near",
    ),
    "escalated": Msg(
        "Berkas {reference} ({subject}) melewati batas waktu dan dieskalasi kepada Anda",
        "Case {reference} ({subject}) passed its deadline and was escalated to you",
    ),
    "objection_upheld": Msg(
        "Keberatan Anda atas berkas {reference} ({subject}) ditolak: keputusan tetap",
        "Your objection about {reference} ({subject}) was dismissed: the decision stands",
    ),
    "objection_granted": Msg(
        "Keberatan Anda atas berkas {reference} ({subject}) diterima",
        "Your objection about {reference} ({subject}) was granted",
    ),
    "objection_deemed_granted": Msg(
        "Keberatan Anda atas berkas {reference} ({subject}) dikabulkan demi hukum",
        "Your objection about {reference} ({subject}) was granted by operation of law",
    ),
}
FALLBACK = Msg("Ada kabar tentang berkas {reference}", "News about case {reference}")


def subject_names(name_id: str, name_en: str) -> dict[str, str]:
    """The ``subject`` param: a service's or category's name in both languages."""
    return {"id": name_id, "en": name_en}


def add(session: Session, *, case_id: uuid.UUID, reference: str, drafts: Sequence[NoticeDraft]):
    """Write the notifications of one event (in the event's transaction)."""
    if not drafts:
        return
    now = utcnow()
    repository.insert_notifications(
        session,
        [
            {
                "id": uuid.uuid4(),
                "user_id": draft.user_id,
                "kind": draft.kind,
                "case_id": case_id,
                "reference": reference,
                "created_at": now,
                "read_at": None,
                "params": draft.params,
            }
            for draft in drafts
        ],
    )


@dataclass(frozen=True)
class NoticeView:
    """One notification as a person reads it."""

    id: uuid.UUID
    text: str
    reason: str | None
    created_at: datetime
    unread: bool
    case_kind: str
    case_id: uuid.UUID


def text_of(notification: Notification, lang: str) -> str:
    """The notification's sentence in ``lang``, from its kind and params."""
    what = notification.kind.partition(".")[2]
    template = TEXTS.get(what, FALLBACK).in_lang(lang)
    subject = notification.params.get("subject") or {}
    name = subject.get("en" if lang == "en" else "id") or subject.get("id") or ""
    return template.format_map({"reference": notification.reference, "subject": name})


def view_of(notification: Notification, lang: str) -> NoticeView:
    return NoticeView(
        id=notification.id,
        text=text_of(notification, lang),
        reason=notification.params.get("reason"),
        created_at=notification.created_at,
        unread=notification.read_at is None,
        case_kind=notification.kind.partition(".")[0],
        case_id=notification.case_id,
    )


@dataclass(frozen=True)
class NoticePage:
    items: list[NoticeView]
    page: int
    has_more: bool
    unread: int


def list_for(session: Session, *, user_id: uuid.UUID, page: int, lang: str) -> NoticePage:
    """A person's own notifications, newest first, ``PAGE_SIZE`` a page (``page`` from 1)."""
    page = max(page, 1)
    rows = repository.notifications_of(
        session, user_id=user_id, offset=(page - 1) * PAGE_SIZE, limit=PAGE_SIZE + 1
    )
    return NoticePage(
        items=[view_of(row, lang) for row in rows[:PAGE_SIZE]],
        page=page,
        has_more=len(rows) > PAGE_SIZE,
        unread=repository.unread_count(session, user_id),
    )


def unread_count(session: Session, *, user_id: uuid.UUID) -> int:
    return repository.unread_count(session, user_id)


def open_one(session: Session, *, user_id: uuid.UUID, notification_id: uuid.UUID) -> NoticeView:
    """Mark one of the person's own notifications read; NotFound for anyone else's."""
    found = repository.notification_of(session, user_id=user_id, notification_id=notification_id)
    if found is None:
        raise NotFound(NOT_FOUND)
    if found.read_at is None:
        repository.mark_read(session, found, now=utcnow())
    return view_of(found, "id")


def mark_all_read(session: Session, *, user_id: uuid.UUID) -> int:
    """Every unread notification of the person read now; returns how many."""
    return repository.mark_all_read(session, user_id=user_id, now=utcnow())
