"""Response shapes for certificates and public verification."""

from __future__ import annotations

import uuid
from datetime import date, datetime
from typing import Annotated

from pydantic import BaseModel

from app.schemas_common import InputModel, PlainText


class CertificateRead(BaseModel):
    number: str
    application_id: uuid.UUID
    service_code: str
    holder_name: str
    issued_at: datetime
    valid_until: date | None
    status: str  # valid | expired | revoked
    revoked_at: datetime | None
    revocation_reason: str | None
    pdf_sha256: str
    verification_url: str
    # False for the moment between an approval's commit and its signed file being written.
    ready: bool = True


class RevokeRequest(InputModel):
    reason: Annotated[str, PlainText(4000, min_length=3)]
    version: int | None = None


class PublicStatus(BaseModel):
    """What anyone holding the QR code may learn: no NIK, the holder's name masked."""

    status: str
    number: str
    service_code: str
    service_name: str
    authority: str
    holder_name_masked: str
    issued_at: datetime
    valid_until: date | None
    revoked_at: datetime | None


class UploadCheck(BaseModel):
    authentic: bool
    reason: str
    message: str
    status: str | None  # the certificate's status when the file is authentic and ours
    certificate: PublicStatus | None
