"""What a certificate states: printed on the page and attached as certificate.json.

Apart from the renderer (``render``), whose WeasyPrint import costs a second, so that issuing
code can name the facts without loading the layout engine."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime
from typing import Any

JSON_SCHEMA = "loket.certificate/1"


@dataclass(frozen=True)
class CertificateFacts:
    """What a certificate states, as printed on the page and attached as certificate.json."""

    number: str
    verification_code: str
    verify_url: str
    authority_name: str
    department_name: str
    service_code: str
    service_name_id: str
    service_name_en: str
    holder_name: str
    fields: tuple[tuple[str, str, str], ...]
    issued_at: datetime
    valid_until: date | None
    approved_by: str
    # The offline-checkable seal: an ES256 compact JWS of the key facts (``service._seal``),
    # checked against the published JWKS. It travels in certificate.json, not in the QR code,
    # which carries only the short verification URL so that it scans from a phone.
    seal: str = ""

    def __post_init__(self) -> None:
        # A naive time would silently be read as server-local time and shift the printed date.
        if self.issued_at.tzinfo is None or self.issued_at.utcoffset() is None:
            raise ValueError("issued_at must be timezone-aware")

    @property
    def issued_at_utc(self) -> datetime:
        """The issue time in UTC, to the second (what the PDF metadata and JSON carry)."""
        return self.issued_at.astimezone(UTC).replace(microsecond=0)

    def as_json(self) -> dict[str, Any]:
        """Machine-readable facts for certificate.json: no NIK, no personal data but the holder."""
        # approved_by is left out on purpose: it names an officer, and the signature already
        # identifies the issuing authority.
        return {
            "schema": JSON_SCHEMA,
            "number": self.number,
            "verification_code": self.verification_code,
            "verify_url": self.verify_url,
            "authority": self.authority_name,
            "department": self.department_name,
            "service": {
                "code": self.service_code,
                "name_id": self.service_name_id,
                "name_en": self.service_name_en,
            },
            "holder_name": self.holder_name,
            "fields": [
                {"label_id": label_id, "label_en": label_en, "value": value}
                for label_id, label_en, value in self.fields
            ],
            "issued_at": self.issued_at_utc.strftime("%Y-%m-%dT%H:%M:%SZ"),
            "valid_until": self.valid_until.isoformat() if self.valid_until else None,
            "seal": self.seal or None,
        }

    def stored(self) -> dict[str, Any]:
        """What the certificate row keeps: the attached facts and the approver, enough to
        render the same certificate again (``from_stored``)."""
        return self.as_json() | {"approved_by": self.approved_by}

    @classmethod
    def from_stored(cls, stored: dict[str, Any]) -> CertificateFacts:
        service = stored["service"]
        valid_until = stored.get("valid_until")
        return cls(
            number=stored["number"],
            verification_code=stored["verification_code"],
            verify_url=stored["verify_url"],
            authority_name=stored["authority"],
            department_name=stored["department"],
            service_code=service["code"],
            service_name_id=service["name_id"],
            service_name_en=service["name_en"],
            holder_name=stored["holder_name"],
            fields=tuple((f["label_id"], f["label_en"], f["value"]) for f in stored["fields"]),
            issued_at=datetime.strptime(stored["issued_at"], "%Y-%m-%dT%H:%M:%SZ").replace(
                tzinfo=UTC
            ),
            valid_until=date.fromisoformat(valid_until) if valid_until else None,
            approved_by=stored.get("approved_by", ""),
            seal=stored.get("seal") or "",
        )
