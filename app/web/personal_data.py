"""How a resident's export leaves Loket: the JSON as a file, or a readable PDF (WeasyPrint),
one answer for the API and the account pages."""

from __future__ import annotations

import json
import threading
from datetime import datetime
from functools import cache
from typing import Any

from fastapi.responses import Response

from app.web.templating import date_time, environment

EXPORT_HEADERS = {"Cache-Control": "private, no-store", "X-Content-Type-Options": "nosniff"}
_LOCK = threading.Lock()  # WeasyPrint's font state is not promised to survive threads


def export_response(held: dict[str, Any], *, pdf: bool, lang: str) -> Response:
    """The export as an attachment: ``loket-data-<date>.json`` or ``.pdf``."""
    stamp = held["exported_at"][:10]
    if pdf:
        body, media, suffix = export_pdf(held, lang=lang), "application/pdf", "pdf"
    else:
        body = json.dumps(held, ensure_ascii=False, indent=2).encode()
        media, suffix = "application/json", "json"
    disposition = f'attachment; filename="loket-data-{stamp}.{suffix}"'
    return Response(
        body, media_type=media, headers=EXPORT_HEADERS | {"Content-Disposition": disposition}
    )


def export_pdf(held: dict[str, Any], *, lang: str) -> bytes:
    """The export laid out for people: every section, every field, in the resident's language."""
    import weasyprint  # type: ignore[import-untyped]  # a second to import: only when asked

    html = (
        environment(lang)
        .get_template("privacy/export_pdf.html")
        .render(held=held, lang=lang, when=lambda text: _when(text, lang), value=_value)
    )
    with _LOCK:
        return weasyprint.HTML(string=html, url_fetcher=_fetcher()).write_pdf()


@cache
def _fetcher() -> Any:
    from weasyprint.urls import URLFetcher  # type: ignore[import-untyped]

    # The pinned fonts only: an export must never reach out to the network.
    return URLFetcher(allowed_protocols=("file",))


def _when(text: str | None, lang: str) -> str:
    if not text:
        return "-"
    return date_time(datetime.fromisoformat(text.replace("Z", "+00:00")), lang)


def _value(value: Any) -> str:
    if value is None or value == "":
        return "-"
    if isinstance(value, bool):
        return "✓" if value else "✗"
    if isinstance(value, list | dict):
        return json.dumps(value, ensure_ascii=False)
    return str(value)
