"""What every Open311 answer shares: datetimes as the standard writes them, the one
jurisdiction this server answers for, and reading the standard's query parameters."""

from __future__ import annotations

from datetime import UTC, datetime

from app.errors import Msg, NotFound, invalid

SPECIFICATION = "http://wiki.open311.org/GeoReport_v2"


def w3c(moment: datetime | None) -> str | None:
    """A datetime in UTC with ``Z`` and whole seconds (some validators reject offsets)."""
    if moment is None:
        return None
    return moment.astimezone(UTC).replace(microsecond=0).strftime("%Y-%m-%dT%H:%M:%SZ")


def check_jurisdiction(given: str | None, *, ours: str) -> None:
    """A single-jurisdiction server: another jurisdiction's requests are not here."""
    if given and given.strip().lower() != ours.lower():
        raise NotFound(
            Msg(
                f"Yurisdiksi {given[:60]} tidak dilayani di sini (hanya {ours})",
                f"Jurisdiction {given[:60]} is not served here (only {ours})",
            )
        )


def parse_datetime(name: str, text: str | None) -> datetime | None:
    """A W3C datetime (``2026-12-01T00:00:00Z`` or with an offset); one without a zone is read
    as UTC, as the standard's examples are."""
    if text is None or not text.strip():
        return None
    try:
        moment = datetime.fromisoformat(text.strip().replace("z", "Z"))
    except ValueError:
        raise invalid(
            name,
            "Harus berupa tanggal-waktu W3C, mis. 2026-12-01T00:00:00Z",
            "Must be a W3C datetime, e.g. 2026-12-01T00:00:00Z",
        ) from None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return moment.astimezone(UTC)


def comma_list(name: str, text: str | None, *, limit: int = 100) -> list[str]:
    """The items of a comma-separated parameter, blanks dropped, at most ``limit``."""
    items = list(dict.fromkeys(part.strip() for part in (text or "").split(",") if part.strip()))
    if len(items) > limit:
        raise invalid(name, f"Paling banyak {limit} nilai", f"At most {limit} values")
    return items
