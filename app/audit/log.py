"""The tamper-evident log: every event of every case, in the order it became visible, as the
leaves of one Merkle tree (RFC 9162, ``app.audit.merkle``), with signed checkpoints. Every read
of a resident's personal data (``app.privacy.access``) is a leaf too: the hash of its record,
never a personal value.

Like Certificate Transparency and Sigstore's Rekor: a checkpoint states the tree's size and
root at a moment, signed by a key the database does not hold (``app.audit.keys``), and a copy
leaves the database at once (a file, and the auditor's mailbox where configured). Whoever
rewrites events afterwards, and recomputes every hash, still cannot make the log agree with a
checkpoint signed before: ``loket audit verify`` finds it.

Events are sequenced after they are written (the worker does it with each checkpoint), never in
the request that writes them: the write path gains no statement. A sequence id is not commit
order on PostgreSQL (a transaction that took a lower id may commit later), so the sequencer
takes every event not yet logged, whatever its id, and moves its "logged through" mark only past
events older than ``GRACE``, which no open transaction is.
"""

from __future__ import annotations

import base64
import json
import logging
import os
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from app.audit import merkle, repository
from app.audit.keys import CheckpointKey
from app.db import Session, after_commit
from app.fsutil import fsync_path
from app.models import AuditCheckpoint
from app.models.base import utcnow
from app.notifications import outbox
from app.notifications.outbox import EmailDraft

log = logging.getLogger("loket.audit")

NOTE_HEADER = "loket.audit/1"
BATCH = 10_000
# Older than any transaction can be open: an event this old that is visible is all there is.
GRACE = timedelta(minutes=10)


def leaf_of(event_hash: str) -> str:
    """The leaf hash (hex) an event with this chain hash has in the log."""
    return merkle.leaf_hash(bytes.fromhex(event_hash)).hex()


def sequence(session: Session, *, now: datetime | None = None) -> int:
    """Give every event, then every personal data access, not yet in the log its position;
    returns how many were added."""
    now = now or utcnow()
    logged_through = repository.lock_state(session)
    position = repository.log_size(session)
    events, logged_through = _append(
        session,
        now=now,
        position=position,
        logged_through=logged_through,
        unlogged=repository.unlogged_events,
        leaf=lambda row: {"event_id": row.id, "case_id": row.case_id},
    )
    repository.save_logged_through(session, logged_through)
    accesses, accesses_through = _append(
        session,
        now=now,
        position=position + events,
        logged_through=repository.accesses_logged_through(session),
        unlogged=repository.unlogged_accesses,
        leaf=lambda row: {"access_id": row.id},
    )
    repository.save_logged_through(session, accesses_through, name=repository.ACCESS_STATE_NAME)
    return events + accesses


def _append(
    session: Session,
    *,
    now: datetime,
    position: int,
    logged_through: int,
    unlogged: Callable[..., list[Any]],
    leaf: Callable[[Any], dict[str, Any]],
) -> tuple[int, int]:
    """Append the rows ``unlogged`` finds as leaves from ``position``; returns how many, and
    the new "logged through" mark."""
    added = 0
    while rows := unlogged(session, after_id=logged_through, limit=BATCH):
        repository.append_leaves(
            session,
            [
                {
                    "event_id": None,
                    "case_id": None,
                    "access_id": None,
                    **leaf(row),
                    "position": position + added + offset,
                    "leaf_hash": leaf_of(row.hash),
                    "logged_at": now,
                }
                for offset, row in enumerate(rows)
            ],
        )
        added += len(rows)
        # Every visible row up to the batch's last id is logged now; the mark moves only
        # over rows old enough that no transaction can still add one below them.
        settled = [row.id for row in rows if _aware(row.created_at) < now - GRACE]
        if settled:
            logged_through = max(logged_through, settled[-1])
        if len(rows) < BATCH:
            break
    return added, logged_through


def _aware(moment: datetime) -> datetime:
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


@dataclass(frozen=True)
class Note:
    """What a checkpoint signs: the origin, the tree's size and root, the moment."""

    origin: str
    tree_size: int
    root_hash: str  # hex
    issued_at: datetime

    def text(self) -> bytes:
        root = bytes.fromhex(self.root_hash)
        return (
            f"{NOTE_HEADER}\n{self.origin}\n{self.tree_size}\n"
            f"{base64.b64encode(root).decode('ascii')}\n"
            f"{self.issued_at.astimezone(UTC).strftime('%Y-%m-%dT%H:%M:%SZ')}\n"
        ).encode("ascii")


def note_of(checkpoint: AuditCheckpoint, origin: str) -> Note:
    return Note(origin, checkpoint.tree_size, checkpoint.root_hash, _aware(checkpoint.issued_at))


def make_checkpoint(
    session: Session,
    *,
    key: CheckpointKey,
    origin: str,
    copy_to: Path,
    auditor_email: str | None = None,
    now: datetime | None = None,
) -> AuditCheckpoint | None:
    """Sequence what is new, then sign the tree's size and root (None when the log is empty or
    nothing changed since the last checkpoint). The copy outside the database is written once
    committed."""
    now = (now or utcnow()).replace(microsecond=0)
    sequence(session, now=now)
    size = repository.log_size(session)
    last = repository.latest_checkpoint(session)
    if size == (last.tree_size if last is not None else 0):  # nothing (new) to sign
        return None
    accumulator = merkle.Accumulator()
    if last is not None:
        accumulator = merkle.Accumulator.resume(
            size=last.tree_size, frontier=[bytes.fromhex(h) for h in last.frontier]
        )
    start = accumulator.size
    while start < size:
        end = min(size, start + BATCH)
        for leaf in repository.leaves_between(session, start, end):
            accumulator.add(bytes.fromhex(leaf))
        start = end
    note = Note(origin, size, accumulator.root().hex(), now)
    checkpoint = AuditCheckpoint(
        tree_size=size,
        root_hash=note.root_hash,
        issued_at=now,
        key_id=key.key_id,
        signature=key.sign(note.text()),
        frontier=[h.hex() for h in accumulator.frontier],
    )
    repository.add_checkpoint(session, checkpoint)
    record = checkpoint_record(checkpoint, origin)
    after_commit(session, lambda: append_copy(copy_to, record))
    # To auditors: by e-mail where an address is set, and to webhook subscriptions that ask
    # for "audit.checkpoint" (a checkpoint names no person and no case).
    email = None
    if auditor_email and outbox.sends_email(session):
        email = EmailDraft(auditor_email, "audit_checkpoint", record | {"lang": "en"})
    outbox.enqueue(
        session,
        department_id=None,
        event_type="audit.checkpoint",
        payload=lambda _: {
            "type": "audit.checkpoint",
            "timestamp": record["issued_at"],
            "data": record,
        },
        email=email,
    )
    log.info("audit checkpoint: %d events, root %s", size, note.root_hash)
    return checkpoint


def checkpoint_record(checkpoint: AuditCheckpoint, origin: str) -> dict:
    """A checkpoint as it leaves the database: everything needed to check it without Loket."""
    return {
        "origin": origin,
        "tree_size": checkpoint.tree_size,
        "root_hash": checkpoint.root_hash,
        "issued_at": _aware(checkpoint.issued_at).strftime("%Y-%m-%dT%H:%M:%SZ"),
        "key_id": checkpoint.key_id,
        "signature": checkpoint.signature,
    }


def append_copy(path: Path, record: dict) -> None:
    """Append one checkpoint to the file outside the database, durably."""
    path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
    line = json.dumps(record, sort_keys=True, separators=(",", ":")) + "\n"
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o600)
    try:
        os.write(fd, line.encode("ascii"))
        os.fsync(fd)
    finally:
        os.close(fd)
    fsync_path(path.parent)


def read_copies(path: Path) -> list[dict]:
    """The checkpoints in the file outside the database (an unreadable line is kept as such)."""
    if not path.exists():
        return []
    records = []
    for number, line in enumerate(path.read_text(encoding="ascii").splitlines(), 1):
        try:
            records.append(json.loads(line))
        except ValueError:
            records.append({"unreadable_line": number})
    return records
