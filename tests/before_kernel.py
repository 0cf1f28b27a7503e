"""Rows of a database from before the case kernel (revision 0008), written by SQL in the old
shape: one wide ``applications`` table, events and documents pointing at it by
``application_id``, hash chains as the code of that time computed them."""

from __future__ import annotations

import hashlib
import json
import uuid
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from typing import Any

from sqlalchemy import JSON, Boolean, Column, Date, DateTime, Integer, MetaData, String, Table, Uuid

from app.config import Settings
from app.db import build_engine

# The tables of revision 0008 as they were, with the columns these rows fill. Written out here
# rather than reflected: the app's models describe the new shape, and reflection would hand
# back each database's own column types.
OLD = MetaData()
Table(
    "departments",
    OLD,
    Column("id", Integer, primary_key=True),
    Column("code", String),
    Column("name", String),
    Column("created_at", DateTime(timezone=True)),
)
Table(
    "users",
    OLD,
    Column("id", Uuid, primary_key=True),
    Column("email", String),
    Column("full_name", String),
    Column("nik", String),
    Column("role", String),
    Column("department_id", Integer),
    Column("officer_roles", String),
    Column("password_hash", String),
    Column("language", String),
    Column("is_active", Boolean),
    Column("created_at", DateTime(timezone=True)),
)
Table(
    "services",
    OLD,
    Column("id", Integer, primary_key=True),
    *[Column(name, String) for name in ("code", "name_id", "name_en", "description_id")],
    *[Column(name, String) for name in ("description_en", "workflow", "certificate_template")],
    Column("content_hash", String),
    *[Column(name, Integer) for name in ("version", "department_id", "sla_days", "fee_idr")],
    Column("validity_months", Integer),
    Column("is_current", Boolean),
    Column("active", Boolean),
    *[Column(name, JSON) for name in ("form_schema", "documents", "key_fields")],
    Column("created_at", DateTime(timezone=True)),
)
Table(
    "applications",
    OLD,
    Column("id", Uuid, primary_key=True),
    Column("reference", String),
    Column("service_id", Integer),
    Column("service_code", String),
    Column("department_id", Integer),
    *[
        Column(name, Uuid)
        for name in ("applicant_id", "submitted_by_id", "assigned_to_id", "verified_by_id")
    ],
    Column("created_by_client", String),
    Column("state", String),
    Column("data", JSON),
    *[Column(name, DateTime(timezone=True)) for name in ("submitted_at", "decided_at")],
    Column("due_at", Date),
    Column("paused_at", DateTime(timezone=True)),
    *[Column(name, Integer) for name in ("paused_working_days", "version", "event_seq")],
    Column("event_head", String),
    *[Column(name, DateTime(timezone=True)) for name in ("created_at", "updated_at")],
)
Table(
    "events",
    OLD,
    Column("id", Integer, primary_key=True),
    Column("application_id", Uuid),
    Column("seq", Integer),
    *[Column(name, String) for name in ("action", "from_state", "to_state", "actor_type")],
    *[Column(name, String) for name in ("actor_id", "comment", "prev_hash", "hash")],
    Column("details", JSON),
    Column("created_at", DateTime(timezone=True)),
)
Table(
    "documents",
    OLD,
    Column("id", Uuid, primary_key=True),
    Column("application_id", Uuid),
    *[Column(name, String) for name in ("requirement", "original_name", "content_type")],
    *[Column(name, String) for name in ("sha256", "storage_key")],
    Column("size", Integer),
    Column("uploaded_by_id", Uuid),
    Column("version", Integer),
    Column("is_current", Boolean),
    Column("created_at", DateTime(timezone=True)),
)
Table(
    "certificates",
    OLD,
    Column("id", Uuid, primary_key=True),
    Column("number", String),
    *[Column(name, Uuid) for name in ("application_id", "holder_id", "revoked_by_id")],
    Column("department_id", Integer),
    *[Column(name, String) for name in ("service_code", "status", "verification_code")],
    *[Column(name, String) for name in ("pdf_sha256", "storage_key", "signing_cert_sha256")],
    Column("pdf_size", Integer),
    Column("valid_until", Date),
    *[Column(name, DateTime(timezone=True)) for name in ("issued_at", "created_at")],
    Column("facts", JSON),
)

GENESIS = "0" * 64
START = datetime(2026, 11, 30, 2, 15, 7, 123456, tzinfo=UTC)
FORM = {
    "type": "object",
    "required": ["business_name"],
    "properties": {
        "business_name": {
            "type": "string",
            "title": "Nama usaha",
            "x-title-en": "Business name",
            "maxLength": 100,
        }
    },
    "additionalProperties": False,
}
CERTIFICATE_NUMBER = "DPMPTSP/IMB/2026/000001"
CERTIFICATE_DETAILS = {"number": CERTIFICATE_NUMBER}
KTP = {
    "code": "ktp",
    "label_id": "KTP pemohon",
    "label_en": "Applicant's ID card",
    "accepted_types": ["application/pdf"],
    "max_bytes": 1048576,
    "mandatory": True,
}


def old_canonical(application_id: uuid.UUID, row: dict[str, Any]) -> bytes:
    """The bytes the code before the kernel hashed for an event (app/applications/chain.py at
    revision 0008): the event's fields, its application under ``application_id``, UTC
    microseconds; sorted keys, no spaces, UTF-8. Written out here so that a change to how the
    kernel hashes cannot make old chains and their check agree by changing both."""
    payload = {
        "application_id": str(application_id),
        "seq": row["seq"],
        "action": row["action"],
        "from_state": row["from_state"],
        "to_state": row["to_state"],
        "actor_type": row["actor_type"],
        "actor_id": row["actor_id"],
        "comment": row["comment"],
        "details": row["details"],
        "created_at": row["created_at"].strftime("%Y-%m-%dT%H:%M:%S.%fZ"),
    }
    return json.dumps(payload, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode()


def old_chain(application_id: uuid.UUID, steps: list[tuple], *, offset: int) -> list[dict]:
    """Event rows of the old shape forming a valid chain; a step is (action, from, to, actor,
    comment, details)."""
    rows, prev = [], GENESIS
    for seq, (action, from_state, to_state, actor, comment, details) in enumerate(steps, 1):
        row = {
            "application_id": application_id,
            "seq": seq,
            "action": action,
            "from_state": from_state,
            "to_state": to_state,
            "actor_type": "user",
            "actor_id": str(actor),
            "comment": comment,
            "details": details,
            "created_at": START + timedelta(hours=offset, minutes=seq, microseconds=seq * 1011),
        }
        row["prev_hash"] = prev
        row["hash"] = prev = hashlib.sha256(
            prev.encode() + old_canonical(application_id, row)
        ).hexdigest()
        rows.append(row)
    return rows


@dataclass
class OldRows:
    """What was written in the old shape, to find again after the migration."""

    citizen: uuid.UUID = field(default_factory=uuid.uuid4)
    verifier: uuid.UUID = field(default_factory=uuid.uuid4)
    approver: uuid.UUID = field(default_factory=uuid.uuid4)
    approved: uuid.UUID = field(default_factory=uuid.uuid4)  # decided, with a certificate
    verified: uuid.UUID = field(default_factory=uuid.uuid4)  # waiting for the second officer
    document: uuid.UUID = field(default_factory=uuid.uuid4)
    certificate: uuid.UUID = field(default_factory=uuid.uuid4)
    service_id: int = 7
    department_id: int = 3
    events: dict[uuid.UUID, list[dict]] = field(default_factory=dict)


def insert_old_rows(settings: Settings) -> OldRows:
    """A department, its officers and a resident, a two_level service, two applications with
    their hash-chained events, a document and a certificate, as revision 0008 stored them."""
    rows = OldRows()
    t = OLD.tables
    engine = build_engine(settings)
    try:
        with engine.begin() as connection:
            connection.execute(
                t["departments"].insert(),
                {"id": rows.department_id, "code": "DPMPTSP", "name": "Dinas Perizinan",
                 "created_at": START},
            )  # fmt: skip
            connection.execute(t["users"].insert(), _old_users(rows))
            connection.execute(t["services"].insert(), _old_service(rows))
            _insert_old_applications(connection, rows)
            connection.execute(t["documents"].insert(), _old_document(rows))
            connection.execute(t["certificates"].insert(), _old_certificate(rows))
    finally:
        engine.dispose()
    return rows


def _old_users(rows: OldRows) -> list[dict]:
    base = {"password_hash": "x", "language": "id", "is_active": True, "created_at": START}
    return [
        base | {"id": rows.citizen, "email": "siti@example.id", "full_name": "Siti Aminah",
                "nik": "3171011503900001", "role": "citizen", "department_id": None,
                "officer_roles": ""},
        base | {"id": rows.verifier, "email": "ani@example.id", "full_name": "Petugas Ani",
                "nik": None, "role": "officer", "department_id": rows.department_id,
                "officer_roles": "verifier,approver"},
        base | {"id": rows.approver, "email": "budi@example.id", "full_name": "Petugas Budi",
                "nik": None, "role": "officer", "department_id": rows.department_id,
                "officer_roles": "approver"},
    ]  # fmt: skip


def _old_service(rows: OldRows) -> dict:
    return {
        "id": rows.service_id,
        "code": "IMB",
        "version": 2,
        "is_current": True,
        "active": True,
        "department_id": rows.department_id,
        "name_id": "Izin Mendirikan Bangunan",
        "name_en": "Building Permit",
        "description_id": "Dua tingkat.",
        "description_en": "Two levels.",
        "form_schema": FORM,
        "documents": [KTP],
        "key_fields": ["business_name"],
        "sla_days": 5,
        "validity_months": 24,
        "workflow": "two_level",
        "certificate_template": "default",
        "fee_idr": 0,
        "content_hash": "c" * 64,
        "created_at": START,
    }


def _insert_old_applications(connection, rows: OldRows) -> None:
    citizen, verifier, approver = rows.citizen, rows.verifier, rows.approver
    until_verified = [
        ("application.created", None, "draft", citizen, None, {}),
        ("document.uploaded", "draft", "draft", citizen, None, {"requirement": "ktp"}),
        ("application.submitted", "draft", "submitted", citizen, None, {}),
        ("application.verification_started", "submitted", "in_verification", verifier, None, {}),
        ("application.verified", "in_verification", "verified", verifier, "Berkas lengkap ✓", {}),
    ]
    rows.events[rows.verified] = old_chain(rows.verified, until_verified, offset=0)
    rows.events[rows.approved] = old_chain(
        rows.approved,
        [
            *until_verified,
            ("application.approved", "verified", "approved", approver, None, {}),
            ("certificate.issued", "approved", "approved", approver, None, CERTIFICATE_DETAILS),
        ],
        offset=5,
    )
    common = {
        "service_id": rows.service_id,
        "service_code": "IMB",
        "department_id": rows.department_id,
        "applicant_id": citizen,
        "submitted_by_id": None,
        "assigned_to_id": None,
        "verified_by_id": verifier,
        "created_by_client": None,
        "data": {"business_name": "Toko Sinar Jaya"},
        "submitted_at": START + timedelta(minutes=3),
        "due_at": date(2026, 12, 7),
        "paused_at": None,
        "paused_working_days": 0,
        "created_at": START,
    }
    decided = START + timedelta(hours=6)
    in_order = [(rows.verified, "verified", None), (rows.approved, "approved", decided)]
    for number, (case_id, state, decided_at) in enumerate(in_order, 1):
        events = rows.events[case_id]
        connection.execute(
            OLD.tables["applications"].insert(),
            common
            | {
                "id": case_id,
                "reference": f"IMB-2026-{number:06d}",
                "state": state,
                "decided_at": decided_at,
                "version": len(events),
                "event_seq": len(events),
                "event_head": events[-1]["hash"],
                "updated_at": events[-1]["created_at"],
            },
        )
        connection.execute(OLD.tables["events"].insert(), events)


def _old_document(rows: OldRows) -> dict:
    return {
        "id": rows.document,
        "application_id": rows.verified,
        "requirement": "ktp",
        "original_name": "ktp.pdf",
        "content_type": "application/pdf",
        "size": 1234,
        "sha256": "d" * 64,
        "storage_key": "ab/" + "d" * 64,
        "uploaded_by_id": rows.citizen,
        "version": 1,
        "is_current": True,
        "created_at": START + timedelta(minutes=2),
    }


def _old_certificate(rows: OldRows) -> dict:
    return {
        "id": rows.certificate,
        "number": CERTIFICATE_NUMBER,
        "application_id": rows.approved,
        "holder_id": rows.citizen,
        "revoked_by_id": None,
        "department_id": rows.department_id,
        "service_code": "IMB",
        "status": "valid",
        "verification_code": "v" * 43,
        "pdf_sha256": "e" * 64,
        "storage_key": "certificates/" + "e" * 64,
        "signing_cert_sha256": "f" * 64,
        "pdf_size": 4321,
        "valid_until": date(2028, 11, 30),
        "issued_at": START + timedelta(hours=6),
        "created_at": START + timedelta(hours=6),
        "facts": {"business_name": "Toko Sinar Jaya"},
    }
