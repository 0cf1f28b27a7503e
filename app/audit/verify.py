"""``loket audit verify``: does the database still tell the story its checkpoints signed?

Four walks, each streamed (a million events in well under a minute):
1. every case's timeline: each event's hash recomputed from its content and its predecessor's
   (an edit, a back-dating, a gap, a missing last event);
2. every case row against its own events: its state is the one its last transition led to,
   and it has a certificate exactly when its state says it was certified;
3. the log, leaf by leaf: each leaf still matches its event (an event changed after it was
   logged, even with every hash recomputed, or deleted with its case), and the tree's root at
   each checkpoint's size is the root that checkpoint signed;
4. the checkpoints: each signature checks with the public key, and the database's copy agrees
   with the one kept outside it (a deleted or altered checkpoint).
Verification reads only: it never logs an event itself, so an event slipped in behind Loket's
back stays unlogged and is named.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from itertools import groupby
from typing import Any

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey

from app.audit import merkle, repository
from app.audit.keys import verifies
from app.audit.log import GRACE, Note, leaf_of
from app.cases.timeline import GENESIS, EventDraft, canonical_event, chain_hash
from app.db import Session
from app.models.base import utcnow
from app.privacy.access import content_hash
from app.workflow.definitions import get_workflow

# An event older than this that the log does not hold was not written by Loket (or no
# checkpoint has run for that long: the worker makes one every LOKET_AUDIT_CHECKPOINT_MINUTES).
UNLOGGED_AFTER = GRACE + timedelta(hours=1)


@dataclass(frozen=True)
class Finding:
    kind: str
    where: str  # a case's reference or id, or the checkpoint's size
    detail: str


@dataclass
class Report:
    cases: int = 0
    events: int = 0
    leaves: int = 0
    checkpoints: int = 0
    findings: list[Finding] = field(default_factory=list)

    def add(self, kind: str, where: object, detail: str) -> None:
        self.findings.append(Finding(kind, str(where), detail))


def verify(
    session: Session,
    *,
    public_key: Ed25519PublicKey,
    origin: str,
    copies: list[dict],
    now: datetime | None = None,
) -> Report:
    """Walk the timelines, the cases, the log and the checkpoints; every finding named."""
    report = Report()
    references = _timelines_and_cases(session, report)
    roots = _log(session, report, references)
    _checkpoints(session, report, roots, public_key=public_key, origin=origin, copies=copies)
    cutoff = (now or utcnow()) - UNLOGGED_AFTER
    for event in repository.events_never_logged(session, created_before=cutoff):
        report.add(
            "event_not_logged",
            references.get(event.case_id, event.case_id),
            f"event {event.seq} is not in the audit log: written behind Loket's back, or no "
            "checkpoint has run for over an hour",
        )
    for access_id in repository.accesses_never_logged(session, created_before=cutoff):
        report.add(
            "access_not_logged",
            f"access #{access_id}",
            "a read of personal data is not in the audit log: written behind Loket's back, or "
            "no checkpoint has run for over an hour",
        )
    return report


# --- 1 and 2: timelines and case rows -----------------------------------------------------------


def _timelines_and_cases(session: Session, report: Report) -> dict[uuid.UUID, str]:
    certificates = repository.certificates_by_case(session)
    references: dict[uuid.UUID, str] = {}
    timelines = groupby(repository.events_by_case(session), key=lambda e: _uuid(e.case_id))
    events_of = _merge_by_id(timelines)
    for case in repository.cases_by_id(session):
        case_id = _uuid(case.id)
        references[case_id] = case.reference
        report.cases += 1
        events = events_of(case_id)
        report.events += len(events)
        _timeline(report, case, events)
        _case_row(report, case, events, certificates.get(case_id))
    return references


def _merge_by_id(timelines: Iterator[tuple[uuid.UUID, Any]]):
    """Hand out each case's events as the cases come, in the same (id) order."""
    pending: list[Any] = [None, []]
    source = iter(timelines)

    def events_of(case_id: uuid.UUID) -> list[Any]:
        while pending[0] is None or pending[0] < case_id:
            try:
                key, events = next(source)
            except StopIteration:
                return []
            pending[0], pending[1] = key, list(events)
        return pending[1] if pending[0] == case_id else []

    return events_of


def _uuid(value: Any) -> uuid.UUID:
    return value if isinstance(value, uuid.UUID) else uuid.UUID(str(value))


def _timeline(report: Report, case: Any, events: list[Any]) -> None:
    prev_hash, expected_seq = GENESIS, 1
    for event in events:
        if event.seq != expected_seq:
            report.add(
                "events_missing", case.reference, f"events {expected_seq}..{event.seq - 1} gone"
            )
        draft = EventDraft(
            event.action,
            event.actor_type,
            event.actor_id,
            event.from_state,
            event.to_state,
            event.comment,
            event.details,
        )
        created = (
            event.created_at if event.created_at.tzinfo else event.created_at.replace(tzinfo=UTC)
        )
        recomputed = chain_hash(
            prev_hash,
            canonical_event(case_id=_uuid(case.id), seq=event.seq, draft=draft, created_at=created),
        )
        if event.prev_hash != prev_hash or event.hash != recomputed:
            report.add(
                "event_edited", case.reference, f"event {event.seq}: its hash does not match"
            )
        prev_hash, expected_seq = event.hash, event.seq + 1
    if case.event_seq != expected_seq - 1 or case.event_head != prev_hash:
        report.add(
            "last_events_missing",
            case.reference,
            f"the case says {case.event_seq} events, its timeline ends at {expected_seq - 1}",
        )


def _case_row(report: Report, case: Any, events: list[Any], certificate: str | None) -> None:
    moved = [e.to_state for e in events if e.to_state is not None]
    if moved and case.state != moved[-1]:
        report.add(
            "state_not_from_events",
            case.reference,
            f"the case is {case.state!r}, its last transition led to {moved[-1]!r}",
        )
    try:
        state = get_workflow(case.workflow).state(case.state)
    except ValueError:
        report.add("unknown_state", case.reference, f"{case.state!r} in {case.workflow!r}")
        return
    if state.certified and certificate is None:
        report.add("certificate_missing", case.reference, f"{case.state} without its certificate")
    elif certificate is not None and not state.certified:
        report.add(
            "certificate_without_decision",
            case.reference,
            f"a certificate exists but the case is {case.state!r}",
        )


# --- 3: the log ---------------------------------------------------------------------------------


def _log(session: Session, report: Report, references: dict[uuid.UUID, str]) -> dict[int, str]:
    """Check every leaf against its event; returns the root (hex) at every size."""
    wanted = {c.tree_size for c in repository.checkpoints(session)}
    accumulator = merkle.Accumulator()
    roots: dict[int, str] = {}
    gone: dict[uuid.UUID, int] = {}
    for leaf in repository.log_with_events(session):
        if leaf.position != accumulator.size:
            report.add("log_gap", leaf.position, f"positions {accumulator.size}.. are missing")
        if leaf.access_id is not None:
            _access_leaf(report, leaf)
            accumulator.add(bytes.fromhex(leaf.leaf_hash))
            if accumulator.size in wanted:
                roots[accumulator.size] = accumulator.root().hex()
            continue
        case_id = _uuid(leaf.case_id)
        where = references.get(case_id, case_id)
        if leaf.event_hash is None:
            gone[case_id] = gone.get(case_id, 0) + 1
        elif leaf_of(leaf.event_hash) != leaf.leaf_hash:
            report.add(
                "event_changed_after_logging",
                where,
                f"event #{leaf.event_id} no longer matches what the log recorded",
            )
        accumulator.add(bytes.fromhex(leaf.leaf_hash))
        if accumulator.size in wanted:
            roots[accumulator.size] = accumulator.root().hex()
    report.leaves = accumulator.size
    for case_id, count in gone.items():
        kind = "case_deleted" if case_id not in references else "event_deleted"
        report.add(kind, references.get(case_id, case_id), f"{count} logged events are gone")
    return roots


def _access_leaf(report: Report, leaf: Any) -> None:
    """A leaf of a personal data access: the record, recomputed from what it says now."""
    if leaf.a_id is None:
        report.add("access_deleted", f"access #{leaf.access_id}", "a logged read record is gone")
        return
    content = {
        name: getattr(leaf, f"a_{name}")
        for name in (
            "accessed_at",
            "subject_id",
            "accessor_type",
            "accessor_id",
            "accessor_name",
            "accessor_role",
            "what",
            "fields",
            "case_id",
        )
    }
    content["subject_id"] = _uuid(content["subject_id"])
    if content["case_id"] is not None:
        content["case_id"] = _uuid(content["case_id"])
    if leaf_of(content_hash(content)) != leaf.leaf_hash:
        report.add(
            "access_changed_after_logging",
            f"access #{leaf.access_id}",
            "the record of a read no longer matches what the log recorded",
        )


# --- 4: the checkpoints -------------------------------------------------------------------------


def _checkpoints(
    session: Session,
    report: Report,
    roots: dict[int, str],
    *,
    public_key: Ed25519PublicKey,
    origin: str,
    copies: Iterable[dict],
) -> None:
    stored = {c.tree_size: c for c in repository.checkpoints(session)}
    outside = {c["tree_size"]: c for c in copies if "tree_size" in c}
    for size in sorted(stored.keys() | outside.keys()):
        report.checkpoints += 1
        mine, theirs = stored.get(size), outside.get(size)
        record = theirs or _as_record(mine, origin)
        note = Note(record["origin"], size, record["root_hash"], _moment(record["issued_at"]))
        if not verifies(public_key, note.text(), record["signature"]):
            report.add("checkpoint_forged", size, "its signature does not check")
        if mine is None:
            report.add("checkpoint_deleted", size, "kept outside the database, gone inside it")
        elif theirs is not None and (mine.root_hash, mine.signature) != (
            theirs["root_hash"],
            theirs["signature"],
        ):
            report.add(
                "checkpoint_altered", size, "the database's copy differs from the outside one"
            )
        if size > report.leaves:
            report.add("log_truncated", size, f"the log holds {report.leaves} events")
        elif roots.get(size) != record["root_hash"]:
            report.add("log_rewritten", size, "the log's root at this size is not the signed one")


def _as_record(checkpoint: Any, origin: str) -> dict:
    return {
        "origin": origin,
        "root_hash": checkpoint.root_hash,
        "issued_at": checkpoint.issued_at.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
        if checkpoint.issued_at.tzinfo
        else checkpoint.issued_at.strftime("%Y-%m-%dT%H:%M:%SZ"),
        "signature": checkpoint.signature,
    }


def _moment(text: str) -> datetime:
    return datetime.strptime(text, "%Y-%m-%dT%H:%M:%SZ").replace(tzinfo=UTC)
