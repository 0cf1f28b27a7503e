"""States and timeline events in words, for every portal page (never the codes themselves).

A plain lookup rather than .po entries: the codes come from data (events, workflow states), not
from templates, so the message extractor could not find them.
"""

from __future__ import annotations

from app.errors import Msg

STATES: dict[str, Msg] = {
    "draft": Msg("Draf", "Draft"),
    "submitted": Msg("Diajukan", "Submitted"),
    "in_review": Msg("Sedang diperiksa", "In review"),
    "in_verification": Msg("Sedang diverifikasi", "In verification"),
    "verified": Msg("Terverifikasi, menunggu persetujuan", "Verified, awaiting approval"),
    "revision_requested": Msg("Perlu perbaikan", "Revision requested"),
    "approved": Msg("Disetujui", "Approved"),
    "rejected": Msg("Ditolak", "Rejected"),
    "withdrawn": Msg("Ditarik kembali", "Withdrawn"),
    "revoked": Msg("Izin dicabut", "Revoked"),
}

EVENTS: dict[str, Msg] = {
    "application.created": Msg("Draf permohonan dibuat", "Draft application created"),
    "application.data_updated": Msg("Data formulir diubah", "Form data changed"),
    "application.submitted": Msg("Permohonan diajukan", "Application submitted"),
    "application.resubmitted": Msg("Permohonan diajukan ulang", "Application resubmitted"),
    "application.review_started": Msg("Pemeriksaan dimulai", "Review started"),
    "application.verification_started": Msg("Verifikasi dimulai", "Verification started"),
    "application.claimed": Msg("Berkas diambil alih petugas", "File claimed by an officer"),
    "application.revision_requested": Msg("Perbaikan diminta", "Revision requested"),
    "application.verified": Msg("Berkas dinyatakan terverifikasi", "File verified"),
    "application.approved": Msg("Permohonan disetujui", "Application approved"),
    "application.rejected": Msg("Permohonan ditolak", "Application rejected"),
    "application.withdrawn": Msg("Permohonan ditarik kembali", "Application withdrawn"),
    "application.revoked": Msg("Izin dicabut", "Permit revoked"),
    "document.uploaded": Msg("Dokumen diunggah", "Document uploaded"),
    "document.viewed": Msg("Dokumen dibuka petugas", "Document opened by an officer"),
    "certificate.issued": Msg("Sertifikat diterbitkan", "Certificate issued"),
    "certificate.revoked": Msg("Sertifikat dicabut", "Certificate revoked"),
}

ACTORS: dict[str, Msg] = {
    "self": Msg("Anda", "You"),
    "user": Msg("Petugas", "Officer"),
    "client": Msg("Sistem terhubung", "Connected system"),
}


# Where space is short (the boxes of a workflow diagram), the states whose full words are long.
SHORT_STATES: dict[str, Msg] = {
    "in_review": Msg("Diperiksa", "In review"),
    "in_verification": Msg("Diverifikasi", "In verification"),
    "verified": Msg("Terverifikasi", "Verified"),
    "withdrawn": Msg("Ditarik", "Withdrawn"),
    "revoked": Msg("Dicabut", "Revoked"),
}


def state_label(state: str, lang: str, *, short: bool = False) -> str:
    """A workflow state in words; an unknown code is shown as itself rather than hidden."""
    found = (short and SHORT_STATES.get(state)) or STATES.get(state)
    return found.in_lang(lang) if found else state


def event_label(action: str, lang: str) -> str:
    """A timeline event in words; an unknown action is shown as itself rather than hidden."""
    found = EVENTS.get(action)
    return found.in_lang(lang) if found else action


def actor_label(actor_type: str, actor_id: str | None, *, viewer_id: str | None, lang: str) -> str:
    """Who acted, as the viewer would say it: "You", an officer, or a connected system."""
    if viewer_id is not None and actor_id == viewer_id:
        return ACTORS["self"].in_lang(lang)
    found = ACTORS.get(actor_type)
    return found.in_lang(lang) if found else actor_type


_TYPE_NAMES = {"application/pdf": "PDF", "image/jpeg": "JPEG", "image/png": "PNG"}


def file_types(content_types: list[str]) -> str:
    """Accepted file types as people know them: "PDF, JPEG, PNG"."""
    return ", ".join(_TYPE_NAMES.get(t, t.rpartition("/")[2].upper()) for t in content_types)


def file_size(size: int, lang: str) -> str:
    """A byte count as "1 MB" / "250 KB" (decimal comma in Indonesian)."""
    if size >= 1024 * 1024:
        text = f"{size / (1024 * 1024):.1f}".removesuffix(".0") + " MB"
    elif size >= 1024:
        text = f"{size / 1024:.0f} KB"
    else:
        text = f"{size} B" if lang == "en" else f"{size} bita"
    return text if lang == "en" else text.replace(".", ",")
