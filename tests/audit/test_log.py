"""The tamper-evident log: checkpoints sign what the database held, and verification names
every way of rewriting it afterwards, including those the per-case hash chain could not see
(an edit with every hash recomputed, a state changed on the case row only, a case deleted).
"""

from __future__ import annotations

import json

import pytest
from sqlalchemy import select, text

from app.audit import keys, log, merkle
from app.audit.service import checkpoint, verify_all
from app.models import AuditCheckpoint, AuditLeaf, Event, PersonalDataAccess
from tests.audit.tampering import STORY_STATES, TAMPERINGS, edit_with_every_hash_recomputed


@pytest.fixture
def story(world):
    """An approved application with a certificate, one in review, one rejected: a log with
    a little of everything, checkpointed."""
    citizen, officer = world.user("citizen"), world.user("officer")
    return {
        state: world.in_state(state, citizen=citizen, officer=officer) for state in STORY_STATES
    }


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
        # The officers' reads of the residents' data follow the events they came with.
        reads = session.execute(
            select(PersonalDataAccess.hash).order_by(PersonalDataAccess.id)
        ).scalars()
        events += list(reads)
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


@pytest.mark.parametrize("tampering", TAMPERINGS)
def test_each_tampering_is_named(world, db, story, tampering):
    _checkpoint(world, db)
    with db() as session:
        expected = TAMPERINGS[tampering](session, story)
    assert expected <= _findings(world, db)


def test_an_edit_with_every_hash_recomputed_is_seen_by_the_log_alone(world, db, story):
    """No other check sees it: the per-case chain verifies again."""
    _checkpoint(world, db)
    with db() as session:
        expected = edit_with_every_hash_recomputed(session, story)
    assert _findings(world, db) == expected


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
    pinned = runner.invoke(cli, ["audit", "key"])
    key = keys.load_or_create(settings.audit_key_path)
    assert pinned.exit_code == 0 and f"key id {key.key_id}" in pinned.output
    assert key.public_pem().strip() in pinned.output


def test_an_auditor_verifies_with_the_key_they_pinned_and_the_checkpoints_they_hold(
    world, db, story, monkeypatch, runtime, tmp_path
):
    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
    from typer.testing import CliRunner

    from app.cli import cli

    settings = runtime.settings
    monkeypatch.setenv("LOKET_DATABASE_URL", settings.effective_database_url)
    monkeypatch.setenv("LOKET_DATA_DIR", str(settings.data_dir))
    monkeypatch.setenv("LOKET_PUBLIC_BASE_URL", settings.public_base_url)
    _checkpoint(world, db)
    pinned, held = tmp_path / "pinned.pem", tmp_path / "received.jsonl"
    pinned.write_text(keys.load_or_create(settings.audit_key_path).public_pem())
    held.write_text(settings.audit_checkpoint_path.read_text())
    settings.audit_checkpoint_path.unlink()  # the auditor's copies are all that is left outside
    runner = CliRunner()
    as_auditor = ["audit", "verify", "--public-key", str(pinned), "--checkpoints", str(held)]

    clean = runner.invoke(cli, as_auditor)
    assert clean.exit_code == 0, clean.output

    # A key swapped in the data directory and every checkpoint re-signed with it: the pinned
    # key does not accept them.
    settings.audit_key_path.unlink()
    impostor = keys.load_or_create(settings.audit_key_path)
    with db() as session:
        for row in session.execute(select(AuditCheckpoint)).scalars():
            row.signature = impostor.sign(log.note_of(row, settings.issuer).text())
    forged = runner.invoke(cli, as_auditor)
    assert forged.exit_code == 1 and "checkpoint_altered" in forged.output
    other = tmp_path / "other.pem"
    other.write_bytes(
        Ed25519PrivateKey.generate()
        .public_key()
        .public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo)
    )
    wrong_key = runner.invoke(cli, ["audit", "verify", "--public-key", str(other)])
    assert wrong_key.exit_code == 1 and "checkpoint_forged" in wrong_key.output
    not_a_key = runner.invoke(cli, ["audit", "verify", "--public-key", str(held)])
    assert not_a_key.exit_code == 1 and "error:" in not_a_key.output


def test_an_empty_log_is_not_signed(world, db):
    assert _checkpoint(world, db) is None
    assert not world.runtime.settings.audit_checkpoint_path.exists()
