"""The audit log's two commands: make a checkpoint, verify everything (CLI, worker, tests)."""

from __future__ import annotations

from pathlib import Path

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey

from app.audit import keys, log, repository
from app.audit.verify import Report, verify
from app.config import Settings
from app.db import Session
from app.models import AuditCheckpoint


def checkpoint(session: Session, *, settings: Settings) -> AuditCheckpoint | None:
    """Log what is new and sign a checkpoint (None when the log has not grown)."""
    return log.make_checkpoint(
        session,
        key=keys.load_or_create(settings.audit_key_path),
        origin=settings.issuer,
        copy_to=settings.audit_checkpoint_path,
        auditor_email=settings.auditor_email,
    )


def verify_all(
    session: Session,
    *,
    settings: Settings,
    public_key: Ed25519PublicKey | None = None,
    checkpoints_file: Path | None = None,
) -> Report:
    """Every timeline, case, leaf and checkpoint, against the checkpoints kept outside, in one
    snapshot of the database (its walks stream side by side). An auditor passes the public key
    they pinned and the checkpoints they received; by default, Loket's own key and file."""
    repository.consistent_snapshot(session)
    return verify(
        session,
        public_key=public_key or keys.load_or_create(settings.audit_key_path).public,
        origin=settings.issuer,
        copies=log.read_copies(checkpoints_file or settings.audit_checkpoint_path),
    )
