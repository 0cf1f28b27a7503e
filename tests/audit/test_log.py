"""The tamper-evident log: checkpoints sign what the database held, and verification names
every way of rewriting it afterwards, including those the per-case hash chain could not see
(an edit with every hash recomputed, a state changed on the case row only, a case deleted).
"""

from __future__ import annotations

import json
import uuid
from datetime import timedelta

import pytest
from sqlalchemy import delete, select, text, update

from app.audit import keys, log, merkle
from app.audit.service import checkpoint, verify_all
from app.cases import timeline
from app.cases.timeline import EventDraft
from app.models import (
    Application,
    AuditCheckpoint,
    AuditLeaf,
    Case,
    Certificate,
    Document,
    Event,
)
from app.models.base import utcnow


@pytest.fixture
def story(world):
    """An approved application with a certificate, one in review, one rejected: a log with
    a little of everything, checkpointed."""
    citizen, officer = world.user("citizen"), world.user("officer")
    cases = {
        state: world.in_state(state, citizen=citizen, officer=officer)
        for state in ("approved", "in_review", "rejected")
    }
    return cases


def _checkpoint(world, db):
    with db() as session:
        return checkpoint(session, settings=world.runtime.settings)


def _findings(world, db) -> set[tuple[str, str]]:
    with db() as session:
        report = verify_all(session, settings=world.runtime.settings)
    return {(f.kind, f.where) for f in report.findings}


def _kinds(world, db) -> set[str]:
    return {kind for kind, _ in _findings(world, db)}


def test_a_checkpoint_signs_the_size_and_root_and_leaves_a_copy_outside(world, db, story):
    made = _checkpoint(world, db)
    with db() as session:
        events = session.execute(select(Event.hash).order_by(Event.id)).scalars().all()
    assert made.tree_size == len(events) > 10
    expected = merkle.root_of(merkle.leaf_hash(bytes.fromhex(h)) for h in events)
    assert made.root_hash == expected.hex()
    settings = world.runtime.settings
    (copy,) = log.read_copies(settings.audit_checkpoint_path)
    assert (copy["tree_size"], copy["root_hash"]) == (made.tree_size, made.root_hash)
    public = keys.load_or_create(settings.audit_key_path).public
    note = log.note_of(made, settings.issuer)
    assert keys.verifies(public, note.text(), copy["signature"])
    assert not keys.verifies(public, note.text().replace(b"\n", b"\n\n", 1), copy["signature"])
    assert _checkpoint(world, db) is None  # nothing new: no checkpoint
    assert _kinds(world, db) == set()


def test_checkpoints_grow_from_where_the_last_one_stopped(world, db, story):
    first = _checkpoint(world, db)
    citizen, officer = world.user("citizen"), world.user("officer")
    world.in_state("approved", citizen=citizen, officer=officer)
    second = _checkpoint(world, db)
    assert second.tree_size > first.tree_size
    with db() as session:
        leaves = session.execute(select(AuditLeaf.leaf_hash).order_by(AuditLeaf.position))
        hashes = [bytes.fromhex(h) for h in leaves.scalars()]
    assert second.root_hash == merkle.root_of(hashes).hex()
    proof = merkle.consistency_proof(first.tree_size, hashes)
    assert merkle.verify_consistency(
        first.tree_size,
        second.tree_size,
        bytes.fromhex(first.root_hash),
        bytes.fromhex(second.root_hash),
        proof,
    )
    assert _kinds(world, db) == set()


def _case_of(db, application: dict) -> Case:
    with db() as session:
        return session.get(Case, uuid.UUID(application["id"]))


def _middle_event(db, application: dict) -> Event:
    with db() as session:
        events = session.execute(
            select(Event).where(Event.case_id == uuid.UUID(application["id"])).order_by(Event.seq)
        ).scalars()
        return list(events)[1]


def test_an_edited_event_is_named(world, db, story):
    _checkpoint(world, db)
    event = _middle_event(db, story["approved"])
    with db() as session:
        session.execute(update(Event).where(Event.id == event.id).values(comment="diubah"))
    assert ("event_edited", story["approved"]["reference"]) in _findings(world, db)


def test_a_back_dated_event_is_named(world, db, story):
    _checkpoint(world, db)
    event = _middle_event(db, story["approved"])
    earlier = event.created_at - timedelta(days=3)
    with db() as session:
        session.execute(update(Event).where(Event.id == event.id).values(created_at=earlier))
    assert ("event_edited", story["approved"]["reference"]) in _findings(world, db)


def test_a_deleted_event_is_named(world, db, story):
    _checkpoint(world, db)
    event = _middle_event(db, story["in_review"])
    with db() as session:
        session.execute(delete(Event).where(Event.id == event.id))
    found = _findings(world, db)
    assert ("events_missing", story["in_review"]["reference"]) in found
    assert ("event_deleted", story["in_review"]["reference"]) in found


def test_an_edit_with_every_hash_recomputed_is_named(world, db, story):
    """The per-case chain has no secret: rewrite an event and recompute every hash after it,
    and the chain verifies. The log still holds the old hashes under a signed root."""
    _checkpoint(world, db)
    application = story["rejected"]
    with db() as session:
        case = session.get(Case, uuid.UUID(application["id"]))
        rows = (
            session.execute(select(Event).where(Event.case_id == case.id).order_by(Event.seq))
            .scalars()
            .all()
        )
        prev = timeline.GENESIS
        for row in rows:
            comment = "Disetujui saja" if row.action == "application.rejected" else row.comment
            draft = EventDraft(
                row.action, row.actor_type, row.actor_id, row.from_state, row.to_state,
                comment, row.details,
            )  # fmt: skip
            new = timeline.event_row(
                case_id=case.id, seq=row.seq, prev_hash=prev, draft=draft, created_at=row.created_at
            )
            session.execute(
                update(Event)
                .where(Event.id == row.id)
                .values(comment=comment, prev_hash=prev, hash=new["hash"])
            )
            prev = new["hash"]
        session.execute(update(Case).where(Case.id == case.id).values(event_head=prev))
    found = _findings(world, db)
    assert found == {("event_changed_after_logging", application["reference"])}


def test_a_state_changed_on_the_case_row_only_is_named(world, db, story):
    _checkpoint(world, db)
    application = story["in_review"]
    with db() as session:
        session.execute(
            update(Case).where(Case.id == uuid.UUID(application["id"])).values(state="approved")
        )
    found = _findings(world, db)
    assert ("state_not_from_events", application["reference"]) in found
    assert ("certificate_missing", application["reference"]) in found  # approved, no certificate


def test_a_deleted_certificate_is_named(world, db, story):
    _checkpoint(world, db)
    with db() as session:
        session.execute(delete(Certificate))
    assert ("certificate_missing", story["approved"]["reference"]) in _findings(world, db)


def test_a_deleted_case_is_named(world, db, story):
    _checkpoint(world, db)
    application = story["approved"]
    case_id = uuid.UUID(application["id"])
    with db() as session:
        for table, column in (
            (Certificate, Certificate.application_id),
            (Document, Document.case_id),
            (Event, Event.case_id),
            (Application, Application.id),
            (Case, Case.id),
        ):
            session.execute(delete(table).where(column == case_id))
    assert ("case_deleted", str(case_id)) in _findings(world, db)


def test_a_deleted_or_re_signed_checkpoint_is_named(world, db, story):
    made = _checkpoint(world, db)
    with db() as session:
        session.execute(delete(AuditCheckpoint))
    assert ("checkpoint_deleted", str(made.tree_size)) in _findings(world, db)


def test_a_rewritten_log_cannot_be_re_signed(world, db, story):
    """Rewrite a leaf and the database's checkpoint root to match: without the key outside the
    database the signature no longer checks, and the outside copy disagrees."""
    made = _checkpoint(world, db)
    with db() as session:
        session.execute(
            update(AuditLeaf).where(AuditLeaf.position == 0).values(leaf_hash="00" * 32)
        )
        leaves = session.execute(select(AuditLeaf.leaf_hash).order_by(AuditLeaf.position))
        root = merkle.root_of(bytes.fromhex(h) for h in leaves.scalars()).hex()
        session.execute(
            update(AuditCheckpoint)
            .where(AuditCheckpoint.tree_size == made.tree_size)
            .values(root_hash=root)
        )
    kinds = _kinds(world, db)
    assert {"checkpoint_altered", "event_changed_after_logging"} <= kinds


def test_an_event_slipped_in_behind_loket_s_back_is_named(world, db, story):
    """A forged event appended with a valid hash (the chain has no secret) is never logged."""
    _checkpoint(world, db)
    application = story["approved"]
    with db() as session:
        case = session.get(Case, uuid.UUID(application["id"]))
        moment = utcnow() - timedelta(days=2)
        row = timeline.event_row(
            case_id=case.id,
            seq=case.event_seq + 1,
            prev_hash=case.event_head,
            draft=EventDraft("application.data_updated", "user", None, details={}),
            created_at=moment,
        )
        session.execute(Event.__table__.insert(), row)
        session.execute(
            update(Case)
            .where(Case.id == case.id)
            .values(event_seq=row["seq"], event_head=row["hash"])
        )
    assert ("event_not_logged", application["reference"]) in _findings(world, db)


def test_loket_audit_commands(world, db, story, monkeypatch, runtime):
    from typer.testing import CliRunner

    from app.cli import cli

    settings = runtime.settings
    for name, value in (
        ("LOKET_DATABASE_URL", settings.effective_database_url),
        ("LOKET_DATA_DIR", str(settings.data_dir)),
        ("LOKET_PUBLIC_BASE_URL", settings.public_base_url),
    ):
        monkeypatch.setenv(name, value)
    runner = CliRunner()
    made = runner.invoke(cli, ["audit", "checkpoint"])
    assert made.exit_code == 0 and "checkpoint:" in made.output
    clean = runner.invoke(cli, ["audit", "verify"])
    assert clean.exit_code == 0, clean.output
    assert "0 problems" in clean.output
    with db() as session:
        session.execute(text("UPDATE events SET comment = 'x' WHERE seq = 2"))
    dirty = runner.invoke(cli, ["audit", "verify"])
    assert dirty.exit_code == 1 and "event_edited" in dirty.output
    assert json.loads(settings.audit_checkpoint_path.read_text().splitlines()[0])["tree_size"]
