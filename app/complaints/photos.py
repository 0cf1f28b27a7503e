"""Photos of a report: up to three from the reporter while the report is new, and "after"
photos from the handling department's officers until it is closed. Each goes through the same
upload checks as every document (size while streaming, type by content, a full parse), then is
re-encoded without its metadata (EXIF and GPS) before it is stored (``app.files.images``)."""

from __future__ import annotations

import hashlib
import uuid
from typing import BinaryIO

from app.accounts.principal import Principal
from app.cases import repository as cases_repo
from app.cases import timeline
from app.cases.access import OFFICER
from app.cases.documents import document_read
from app.cases.kinds import workflow_of
from app.cases.schemas import DocumentRead
from app.cases.timeline import EventDraft
from app.complaints import repository
from app.complaints.kind import COMPLAINT
from app.complaints.service import visible_complaint
from app.config import Settings
from app.db import Session, on_rollback
from app.errors import Conflict, Forbidden, InvalidTransition, Msg, NotFound, invalid
from app.files.mediatypes import JPEG, PNG
from app.files.photos import without_metadata
from app.files.storage import FileStore
from app.files.uploads import CheckLimits, copy_limited, inspect_file, sanitize_filename
from app.models import Document

MAX_PHOTOS = 3  # per report from its reporter, and again from the officers after the fix
MAX_PHOTO_BYTES = 10 * 1024 * 1024
PHOTO_TYPES = (JPEG, PNG)
REPORTER_PHOTO, AFTER_PHOTO = "photo", "after"


def upload_photo(
    session: Session,
    *,
    files: FileStore,
    settings: Settings,
    principal: Principal,
    complaint_id: uuid.UUID,
    filename: str | None,
    stream: BinaryIO,
) -> DocumentRead:
    """Check, strip and store one photo of the report (the reporter's, or an officer's "after"
    photo); a fourth of either kind is refused."""
    case, roles = visible_complaint(
        session, principal=principal, complaint_id=complaint_id, write=True
    )
    if principal.user is None:
        raise Forbidden(
            Msg(
                "Foto diunggah oleh pelapor atau petugas",
                "Photos are uploaded by the reporter or an officer",
            )
        )
    workflow = workflow_of(case)
    state = workflow.state(case.state)
    if OFFICER in roles:
        prefix = AFTER_PHOTO
        if state.final:
            raise InvalidTransition(Msg("Laporan sudah ditutup", "The report is closed"))
    elif COMPLAINT.owner_role in roles:
        prefix = REPORTER_PHOTO
        if case.state != workflow.initial:
            raise InvalidTransition(
                Msg(
                    "Foto hanya dapat ditambahkan sebelum laporan ditanggapi",
                    "Photos can only be added before the report is answered",
                )
            )
    else:
        raise NotFound(COMPLAINT.not_found)
    taken = [r for r in repository.photo_requirements(session, case.id) if r.startswith(prefix)]
    if len(taken) >= MAX_PHOTOS:
        raise Conflict(
            Msg(
                f"Sudah ada {MAX_PHOTOS} foto; tidak dapat menambah lagi",
                f"There are already {MAX_PHOTOS} photos; no more can be added",
            )
        )
    requirement = f"{prefix}_{len(taken) + 1}"
    key, content_type, size, digest = _store(files, settings, stream)
    on_rollback(session, lambda: files.delete(key))
    document = Document(
        case_id=case.id,
        requirement=requirement,
        original_name=sanitize_filename(filename),
        content_type=content_type,
        size=size,
        sha256=digest,
        storage_key=key,
        uploaded_by_id=principal.user.id,
        version=1,
    )
    cases_repo.add_document(session, document)
    timeline.append(
        session,
        case=case,
        draft=EventDraft(
            "document.uploaded",
            principal.actor_type,
            principal.actor_id,
            details={"requirement": requirement, "version": 1, "sha256": digest},
        ),
    )
    return document_read(document)


def _store(files: FileStore, settings: Settings, stream: BinaryIO) -> tuple[str, str, int, str]:
    """Stream to a temp file within the size limit, inspect it, re-encode it bare, store that."""
    temp = files.temp_path()
    try:
        with temp.open("wb") as destination:
            copied = copy_limited(stream, destination, max_bytes=MAX_PHOTO_BYTES)
        if copied.size == 0:
            raise invalid("file", "Berkas kosong", "The file is empty")
        content_type = inspect_file(
            temp, accepted_types=PHOTO_TYPES, limits=CheckLimits.from_settings(settings)
        )
        bare = without_metadata(temp, content_type=content_type)
    finally:
        files.discard(temp)
    key = files.put_bytes(bare)
    return key, content_type, len(bare), hashlib.sha256(bare).hexdigest()
