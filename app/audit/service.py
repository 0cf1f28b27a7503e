"""The audit log's two commands: make a checkpoint, verify everything (CLI, worker, tests)."""

from __future__ import annotations

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


def verify_all(session: Session, *, settings: Settings) -> Report:
    """Every timeline, case, leaf and checkpoint, against the checkpoints kept outside, in one
    snapshot of the database (its walks stream side by side)."""
    repository.consistent_snapshot(session)
    return verify(
        session,
        public_key=keys.load_or_create(settings.audit_key_path).public,
        origin=settings.issuer,
        copies=log.read_copies(settings.audit_checkpoint_path),
    )
