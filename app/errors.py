"""Domain errors: one class per condition, each with its HTTP status.

Services raise these; the handlers in ``app.main`` turn them into RFC 9457 problem+json (API) or
an HTML page (web). Every message exists in Indonesian and English (``Msg``), so the raise site
owns its wording and the surface only picks the language.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import NamedTuple


class Msg(NamedTuple):
    """A message in Indonesian (``id``) and English (``en``)."""

    id: str
    en: str

    def in_lang(self, lang: str) -> str:
        return self.en if lang == "en" else self.id


@dataclass(frozen=True)
class FieldError:
    """A problem with one input field; ``field`` is a dotted path such as ``data.business_name``."""

    field: str
    message: Msg


@dataclass
class DomainError(Exception):
    detail: Msg | None = None
    errors: list[FieldError] = field(default_factory=list)
    headers: dict[str, str] = field(default_factory=dict)

    status = 400
    slug = "bad-request"
    title = Msg("Permintaan tidak valid", "Bad request")

    def __str__(self) -> str:
        return (self.detail or self.title).en


class ValidationFailed(DomainError):
    status = 422
    slug = "validation-failed"
    title = Msg("Data tidak valid", "Invalid input")


class NotAuthenticated(DomainError):
    status = 401
    slug = "not-authenticated"
    title = Msg("Perlu masuk terlebih dahulu", "Authentication required")


class Forbidden(DomainError):
    """Used only where the caller may know the resource exists (e.g. a role they lack)."""

    status = 403
    slug = "forbidden"
    title = Msg("Tidak diizinkan", "Not allowed")


class NotFound(DomainError):
    """Also the answer for anything the caller may not see: 404, never 403."""

    status = 404
    slug = "not-found"
    title = Msg("Tidak ditemukan", "Not found")


class Conflict(DomainError):
    status = 409
    slug = "conflict"
    title = Msg("Konflik dengan keadaan saat ini", "Conflict with the current state")


class StaleVersion(Conflict):
    slug = "stale-version"
    title = Msg(
        "Data sudah diubah oleh orang lain; muat ulang lalu coba lagi",
        "Someone else changed this first; reload and try again",
    )


class InvalidTransition(Conflict):
    slug = "invalid-transition"
    title = Msg("Tindakan tidak diizinkan pada status ini", "Action not allowed in this state")


class PayloadTooLarge(DomainError):
    status = 413
    slug = "payload-too-large"
    title = Msg("Berkas atau permintaan terlalu besar", "File or request too large")


class UnsupportedMedia(DomainError):
    status = 415
    slug = "unsupported-media-type"
    title = Msg("Jenis berkas tidak diterima", "File type not accepted")


class TooManyRequests(DomainError):
    status = 429
    slug = "too-many-requests"
    title = Msg("Terlalu banyak percobaan; tunggu sebentar", "Too many attempts; please wait")


def field_error(field_path: str, id_text: str, en_text: str) -> FieldError:
    """Shorthand for the common case of one bilingual message on one field."""
    return FieldError(field_path, Msg(id_text, en_text))


def invalid(field_path: str, id_text: str, en_text: str) -> ValidationFailed:
    """A ValidationFailed carrying a single field error."""
    return ValidationFailed(errors=[field_error(field_path, id_text, en_text)])
