"""How an uploaded document leaves Loket: one answer for the API, the citizen and the officer."""

from __future__ import annotations

from pathlib import Path

from fastapi.responses import FileResponse

from app.models import Certificate, Document

# Images may be looked at in the browser; everything else (PDFs) is downloaded.
VIEWABLE_TYPES = frozenset({"image/jpeg", "image/png"})
# Whatever a file holds, the browser treats it as an inert document: no script, no plugin, no
# origin of its own, no guessing of its type, and no copy kept in a shared cache.
DOCUMENT_HEADERS = {
    "Content-Security-Policy": "sandbox; default-src 'none'; img-src 'self'",
    "X-Content-Type-Options": "nosniff",
    "Cache-Control": "private, no-store",
}


def document_response(document: Document, path: Path, *, view: bool = False) -> FileResponse:
    """The stored file; shown in the browser when ``view`` and the type allows it."""
    inline = view and document.content_type in VIEWABLE_TYPES
    return FileResponse(
        path,
        media_type=document.content_type,
        filename=document.original_name,
        content_disposition_type="inline" if inline else "attachment",
        headers=DOCUMENT_HEADERS,
    )


def certificate_response(certificate: Certificate, path: Path) -> FileResponse:
    """The signed certificate as a download named after its number."""
    return FileResponse(
        path,
        media_type="application/pdf",
        filename=certificate.number.replace("/", "-") + ".pdf",
        content_disposition_type="attachment",
        headers={"Cache-Control": "private, no-store"},
    )
