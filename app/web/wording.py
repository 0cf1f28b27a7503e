"""Timeline events and states in words, for every portal page (never the codes themselves).

A plain lookup rather than .po entries: the codes come from data (events, workflow states), not
from templates, so the message extractor could not find them. A state's words are its
workflow's (``app.workflow.definitions``).
"""

from __future__ import annotations

from app.errors import Msg
from app.workflow.definitions import get_workflow

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
    "application.approved_pending_payment": Msg(
        "Permohonan disetujui, menunggu pembayaran retribusi",
        "Application approved, awaiting payment of the fee",
    ),
    "application.rejected": Msg("Permohonan ditolak", "Application rejected"),
    "application.withdrawn": Msg("Permohonan ditarik kembali", "Application withdrawn"),
    "application.payment_requested": Msg(
        "Tagihan retribusi diterbitkan", "Bill for the fee issued"
    ),
    "application.paid": Msg("Retribusi dibayar", "Fee paid"),
    "invoice.paid": Msg("Retribusi dibayar", "Fee paid"),
    "invoice.expired": Msg("Tagihan kedaluwarsa", "Bill expired"),
    "invoice.reissued": Msg("Tagihan baru diterbitkan", "New bill issued"),
    "application.revoked": Msg("Izin dicabut", "Permit revoked"),
    "application.sla_warned": Msg(
        "Tenggat mendekat, petugas sudah diingatkan", "Deadline near, the officer was reminded"
    ),
    "application.escalated": Msg(
        "Terlambat, sudah diteruskan ke kepala dinas", "Overdue, referred to the head of department"
    ),
    "application.deadline_extended": Msg("Tenggat diperpanjang", "Deadline extended"),
    "application.reassigned": Msg("Berkas dialihkan ke petugas lain", "File reassigned"),
    "application.deemed_approved": Msg(
        "Disetujui demi hukum karena tenggat terlewati (fiktif positif)",
        "Approved by operation of law: the deadline passed (deemed approval)",
    ),
    "application.objection_filed": Msg("Keberatan diajukan", "Objection filed"),
    "application.objection_upheld": Msg(
        "Keberatan ditolak, keputusan tetap", "Objection dismissed, the decision stands"
    ),
    "application.objection_granted": Msg("Keberatan diterima", "Objection granted"),
    "application.objection_deemed_granted": Msg(
        "Keberatan dikabulkan demi hukum karena tidak dijawab dalam tenggat",
        "Objection granted by operation of law: not answered in time",
    ),
    "complaint.created": Msg("Laporan dikirim", "Report filed"),
    "complaint.accepted": Msg("Laporan diterima petugas", "Report accepted by an officer"),
    "complaint.referred": Msg("Laporan dialihkan ke dinas lain", "Referred to another department"),
    "complaint.marked_duplicate": Msg(
        "Digabung dengan laporan yang sama", "Joined to an earlier report of the same problem"
    ),
    "complaint.declined": Msg(
        "Dinyatakan bukan kewenangan Pemprov DKI", "Found not to be the city's responsibility"
    ),
    "complaint.work_started": Msg("Mulai dikerjakan", "Work started"),
    "complaint.resolved": Msg("Dinyatakan selesai dikerjakan", "Marked as fixed"),
    "complaint.verified": Msg(
        "Penyelesaian diverifikasi petugas kedua", "Fix verified by a second officer"
    ),
    "complaint.confirmed": Msg(
        "Pelapor mengonfirmasi sudah beres", "The reporter confirmed the fix"
    ),
    "complaint.reopened": Msg("Dibuka kembali: belum beres", "Reopened: not fixed"),
    "complaint.closed_unanswered": Msg(
        "Ditutup otomatis setelah 7 hari tanpa jawaban pelapor",
        "Closed automatically after 7 days without the reporter's answer",
    ),
    "document.uploaded": Msg("Dokumen diunggah", "Document uploaded"),
    "document.viewed": Msg("Dokumen dibuka petugas", "Document opened by an officer"),
    "certificate.issued": Msg("Sertifikat diterbitkan", "Certificate issued"),
    "certificate.revoked": Msg("Sertifikat dicabut", "Certificate revoked"),
}
# What binds the authority's time reads the same on a report as on an application.
EVENTS |= {
    f"complaint.{event}": EVENTS[f"application.{event}"]
    for event in (
        "sla_warned",
        "escalated",
        "deadline_extended",
        "reassigned",
        "objection_filed",
        "objection_upheld",
        "objection_granted",
        "objection_deemed_granted",
    )
}

ACTORS: dict[str, Msg] = {
    "self": Msg("Anda", "You"),
    "user": Msg("Petugas", "Officer"),
    "client": Msg("Sistem terhubung", "Connected system"),
    "system": Msg("Loket (otomatis)", "Loket (automatic)"),
}


def state_label(
    workflow: str, state: str, lang: str, *, officer: bool = False, short: bool = False
) -> str:
    """A state of a workflow in words (the workflow's own); an unknown one is shown as itself."""
    try:
        return get_workflow(workflow).state(state).words(lang, officer=officer, short=short)
    except ValueError:
        return state


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


def via_app_label(actor: str, details: dict, lang: str) -> str:
    """ "App X for <actor>" when an app acted for the person (event details ``via_app_name``)."""
    app = details.get("via_app_name")
    if not isinstance(app, str) or not app:
        return actor
    return f"{app} untuk {actor}" if lang != "en" else f"{app} for {actor}"


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


# What each scope lets an app do for a resident, in plain words (the consent and apps pages).
SCOPES: dict[str, Msg] = {
    "openid": Msg("Mengenali Anda saat masuk ke aplikasi", "Recognise you when you sign in to it"),
    "profile": Msg("Melihat nama lengkap Anda", "See your full name"),
    "email": Msg("Melihat alamat e-mail Anda", "See your e-mail address"),
    "phone": Msg("Melihat nomor telepon Anda", "See your phone number"),
    "nik": Msg("Melihat NIK (nomor induk kependudukan) Anda", "See your NIK (national ID number)"),
    "applications:read": Msg(
        "Melihat permohonan izin Anda dan riwayatnya", "See your permit applications and history"
    ),
    "applications:write": Msg(
        "Membuat, mengisi, dan mengajukan permohonan atas nama Anda",
        "Create, fill in and submit applications in your name",
    ),
    "complaints:read": Msg("Melihat pengaduan Anda", "See your complaints"),
    "complaints:write": Msg("Mengajukan pengaduan atas nama Anda", "File complaints in your name"),
    "certificates:read": Msg(
        "Melihat dan mengunduh sertifikat izin Anda", "See and download your permit certificates"
    ),
}


def scope_label(scope: str, lang: str) -> str:
    words = SCOPES.get(scope)
    return words.in_lang(lang) if words else scope
